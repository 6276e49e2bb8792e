"""Getting in the first time, in a real browser (issue 14): an official with an activation slip."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from lms.auth.models import Role
from tests.e2e.helpers import log_in
from tests.factories import make_official, make_unit, make_user

pytestmark = pytest.mark.e2e


def test_official_with_an_activation_slip_enters_code_and_year_and_gets_in(live_server, browser, session):
    from lms.auth.accounts import provide_accounts
    from lms.time import utcnow

    unit = make_unit(session, code="X-DAOTRU", name="Xã Đạo Trù")
    make_user(session, Role.UNIT_HEAD, unit=unit, username="truongxa")
    person = make_official(
        session,
        unit,
        code="DT-0031",
        family_name="Lò",
        middle_name="Thị",
        given_name="Mai",
        email=None,
        birth_year=1966,
    )
    provide_accounts(session, [person], utcnow())
    session.commit()

    # the unit head prints the slips of those not yet active
    head = browser.new_page()
    log_in(head, live_server, "truongxa")
    head.get_by_role("link", name="Tài khoản", exact=True).click()
    expect(head.get_by_role("heading", level=1)).to_contain_text("Xã Đạo Trù")
    expect(head.locator("#accounts-table")).to_contain_text("Chờ kích hoạt")
    head.get_by_label("Tình trạng").select_option("pending")
    head.get_by_role("button", name="Lọc").click()
    head.get_by_label("Thao tác", exact=True).select_option("slips")
    head.get_by_label(re.compile("Tất cả 1 người khớp bộ lọc")).check()
    with head.expect_download() as download:
        head.get_by_role("button", name="Thực hiện").click()
    pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Lò Thị Mai" in text and "dt-0031" in text
    code = re.search(r"(?<![A-Z0-9])([A-Z0-9]{4}-[A-Z0-9]{4})", text).group(1)

    # the official, at home, types the code from the slip (in small letters, without the dash)
    page = browser.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Có phiếu kích hoạt?").click()
    page.get_by_label("Mã kích hoạt").fill(code.replace("-", "").lower())
    page.get_by_label("Năm sinh của bạn").fill("1967")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("alert")).to_contain_text("Mã kích hoạt hoặc năm sinh không đúng")
    page.get_by_label("Năm sinh của bạn").fill("1966")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chọn mật khẩu")
    expect(page.locator("#password-rule")).to_contain_text("ít nhất 8 ký tự")
    page.get_by_label("Mật khẩu mới", exact=True).fill("12345678")
    page.get_by_label("Nhập lại mật khẩu mới").fill("12345678")
    page.get_by_role("button", name="Lưu mật khẩu và đăng nhập").click()
    expect(page.get_by_role("alert")).to_contain_text("quá phổ biến")
    page.get_by_label("Mật khẩu mới", exact=True).fill("hoa ban trang 1966")
    page.get_by_label("Nhập lại mật khẩu mới").fill("hoa ban trang 1966")
    page.get_by_role("button", name="Lưu mật khẩu và đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Xin chào, Lò Thị Mai")

    # and next time, with the login printed on the slip
    page.get_by_role("button", name="Đăng xuất").click()
    log_in(page, live_server, "DT-0031", "hoa ban trang 1966")
    expect(page.get_by_role("heading", level=1)).to_have_text("Xin chào, Lò Thị Mai")
    head.get_by_role("link", name="Tài khoản", exact=True).click()
    expect(head.locator("#accounts-table tr", has_text="Lò Thị Mai")).to_contain_text("Đã kích hoạt")


def test_it_staff_import_three_officials_one_follows_the_emailed_link_and_sees_the_unit_course(
    live_server, page, browser, session, app, tmp_path
):
    """A file of three officials -> three accounts, three invitations through the outbox to a real SMTP
    server (aiosmtpd on 127.0.0.1) -> one official opens the link, chooses a password, and sees the
    course assigned to their unit."""
    from datetime import timedelta

    from sqlalchemy.orm import sessionmaker

    from courses.services import assign_course, local_today
    from lms.extensions import db
    from lms.mail.sender import send_pending
    from lms.time import utcnow
    from tests.courses.factories import make_course
    from tests.training.conftest import SmtpServer

    unit = make_unit(session, code="SNV", name="Sở Nội vụ")
    staff = make_user(session, Role.IT_STAFF, username="cntt")
    course = make_course(session, title="Thư điện tử công vụ cho người mới")
    make_official(session, unit)  # a course is assigned to a unit's staff: someone already works there
    assign_course(session, staff, course, local_today() + timedelta(days=30), unit_id=unit.id)
    session.commit()
    app.config["LMS_BASE_URL"] = live_server  # the links in the e-mails lead to this server
    csv = tmp_path / "can-bo-snv.csv"
    csv.write_text(
        "Mã cán bộ,Họ và tên,Email,Mã đơn vị,Năm sinh\n"
        "SNV-0101,Nguyễn Thị Thủy Hằng,hang.snv@vinhphuc.gov.vn,SNV,1975\n"
        "SNV-0102,Trần Văn Bình,binh.snv@vinhphuc.gov.vn,SNV,1968\n"
        "SNV-0103,Lê Minh Châu,chau.snv@vinhphuc.gov.vn,SNV,1990\n",
        encoding="utf-8",
    )
    try:
        log_in(page, live_server, "cntt")
        page.goto(f"{live_server}/org/import")
        page.get_by_label("Danh sách cán bộ").check()
        page.get_by_label("Chọn tệp").set_input_files(str(csv))
        page.get_by_role("button", name="Tải lên và xem trước").click()
        expect(page.locator("#import-counts")).to_contain_text("3 mới")
        expect(page.locator("#import-accounts")).to_contain_text("tạo 3 tài khoản mới")
        expect(page.locator("#import-accounts")).to_contain_text("gửi 3 thư mời")
        page.get_by_role("button", name="Ghi vào hệ thống").click()
        expect(page.get_by_text("Đã nhập xong 3 dòng")).to_be_visible()

        smtp = SmtpServer()
        smtp.start()
        try:
            report = send_pending(sessionmaker(bind=db.engine), utcnow(), smtp.config)
        finally:
            smtp.stop()
        assert report.sent == 3, report
        received = {m["To"]: m for m in smtp.messages}
        assert set(received) == {"hang.snv@vinhphuc.gov.vn", "binh.snv@vinhphuc.gov.vn", "chau.snv@vinhphuc.gov.vn"}
        body = received["hang.snv@vinhphuc.gov.vn"].get_body(preferencelist=("plain",)).get_content()
        assert "Nguyễn Thị Thủy Hằng" in body
        link = re.search(r"(http://127\.0\.0\.1:\d+/password/set/\S+)", body).group(1)

        official = browser.new_page()
        official.goto(link)
        expect(official.get_by_role("heading", level=1)).to_have_text("Chọn mật khẩu")
        expect(official.locator("main")).to_contain_text("hang.snv@vinhphuc.gov.vn")
        official.get_by_label("Mật khẩu mới", exact=True).fill("hoa sen ho tay 75")
        official.get_by_label("Nhập lại mật khẩu mới").fill("hoa sen ho tay 75")
        official.get_by_role("button", name="Lưu mật khẩu và đăng nhập").click()
        expect(official.get_by_role("heading", level=1)).to_have_text("Xin chào, Nguyễn Thị Thủy Hằng")
        official.get_by_role("button", name="Đăng xuất").click()
        log_in(official, live_server, "hang.snv@vinhphuc.gov.vn", "hoa sen ho tay 75")
        expect(official.locator("#courses-panel")).to_contain_text("Thư điện tử công vụ cho người mới")
        official.goto(link)
        expect(official.get_by_role("heading", level=1)).to_have_text("Liên kết không dùng được")
    finally:
        app.config.pop("LMS_BASE_URL", None)
