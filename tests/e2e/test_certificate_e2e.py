"""An official who completed a course downloads the certificate; its verify URL works without login."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lms.auth.models import Role
from lms.events import course_completed
from tests.certificates_app.factories import make_course, pdf_text
from tests.e2e.helpers import log_in
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def test_official_downloads_certificate_and_verifies_it_anonymously(live_server, page, browser, session, app, tmp_path):
    app.config["CERT_STORAGE_DIR"] = str(tmp_path / "certificates")
    user = make_user(session, Role.OFFICIAL, username="hocvien")
    course = make_course(session, title="An toàn thông tin cơ bản")
    # completion through the domain event, as the quiz submission will send it
    course_completed.send(
        session,
        official_id=user.official_id,
        course_id=course.id,
        score_percent=92.5,
        completed_at=datetime.now(UTC),
        source="attempt:e2e",
    )
    session.commit()
    try:
        log_in(page, live_server, "hocvien")
        page.get_by_role("link", name="Chứng nhận của tôi").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Chứng nhận của tôi")
        with page.expect_download() as info:
            page.locator("#my-certificates").get_by_role("link", name=re.compile("^Tải PDF")).click()
        download = info.value
        assert re.fullmatch(r"VP-\d{4}-\d{6}-[0-9A-Z]\.pdf", download.suggested_filename)
        pdf = Path(download.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        text = pdf_text(pdf).replace(" ", "")
        match = re.search(r"http://127\.0\.0\.1:\d+/verify/[0-9A-Z]{4}(?:-[0-9A-Z]{4}){6}", text)
        assert match, text
        verify_url = match.group(0)

        fresh = browser.new_context()  # no cookies: not logged in
        try:
            anon = fresh.new_page()
            anon.goto(verify_url)
            expect(anon.locator("#verify-status")).to_contain_text("Còn hiệu lực")
            status = anon.locator("#verify-status").inner_text()
            assert "Còn hiệu lực" in status and "còn hiệu lực" in status
            facts = anon.locator("#certificate-facts").inner_text()
            assert user.official.full_name in facts and "An toàn thông tin cơ bản" in facts
            assert "Đăng xuất" not in anon.content()
        finally:
            fresh.close()
    finally:
        app.config.pop("CERT_STORAGE_DIR", None)
