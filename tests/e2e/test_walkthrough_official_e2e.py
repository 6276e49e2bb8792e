"""Walk-through (issue 16): an official goes from the dashboard through the lessons and the final quiz
to the certificate, clicking only, and every page on the way says what is left. Each step is saved as
a screenshot in tests/e2e/walkthrough-shots/official/ (git ignores it) for a person to look at."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from courses.models import EnrolmentSource
from courses.services import enrol
from lms.auth.models import Role
from lms.time import local_today
from tests.e2e.helpers import log_in
from tests.e2e.walkthrough import Walk
from tests.factories import make_course, make_user
from tests.quizzes_app.factories import make_bank, make_quiz

pytestmark = pytest.mark.e2e


def _right_text(slot) -> str:
    from quizzes.qtypes import plain_text

    return plain_text(next(o["text"] for o in slot.question_version.config["options"] if o["fraction"] >= 1))


def test_an_official_walks_from_the_dashboard_to_the_certificate(live_server, page, session, app, tmp_path):
    app.config["CERT_STORAGE_DIR"] = str(tmp_path / "certificates")
    user = make_user(session, Role.OFFICIAL, username="canbo.walk")
    course = make_course(session, lessons=2, title="Thư công vụ an toàn")
    cats = make_bank(session, per_category={"email/walk": 3})
    quiz = make_quiz(session, cats, title="Kiểm tra cuối khóa: Thư công vụ an toàn", is_final=True, course_id=course.id)
    due = local_today() + timedelta(days=30)
    enrol(session, user.official_id, course.id, EnrolmentSource.ASSIGNED, due)
    session.commit()
    walk = Walk(page, "official")
    try:
        log_in(page, live_server, "canbo.walk")
        # 1. the dashboard: the course given to them, its due day, nothing done yet, where to start
        panel = page.locator("#courses-panel")
        expect(panel).to_contain_text("Thư công vụ an toàn")
        expect(panel).to_contain_text(f"Hạn hoàn thành: {due.strftime('%d/%m/%Y')}")
        expect(panel).to_contain_text("0/2 bài")
        walk.shot("dashboard")
        panel.get_by_role("link", name=re.compile("^Bắt đầu học")).click()

        # 2. the first lesson says which one of how many
        expect(page.get_by_role("heading", level=1)).to_have_text("Bài 1")
        expect(page.locator(".course-meta").first).to_contain_text("Bài 1/2")
        walk.shot("lesson-1")
        page.get_by_role("button", name="Đánh dấu đã học xong").click()

        # 3. recorded, and on to the second (and last) lesson
        expect(page.locator(".flash").first).to_contain_text("Đã ghi nhận: bạn đã học xong bài “Bài 1”")
        expect(page.get_by_role("heading", level=1)).to_have_text("Bài 2")
        expect(page.locator(".course-meta").first).to_contain_text("Bài 2/2")
        walk.shot("lesson-2")
        page.get_by_role("button", name="Đánh dấu đã học xong").click()

        # 4. the course page: every lesson done, only the final quiz left, as a link
        expect(page.get_by_role("heading", level=1)).to_have_text("Thư công vụ an toàn")
        expect(page.locator("main")).to_contain_text("Bạn đã học xong mọi bài. Còn cần:")
        expect(page.locator("main")).to_contain_text("2/2 bài")
        walk.shot("course-only-quiz-left")
        page.locator("#course-requirements").get_by_role("link", name="Đạt bài kiểm tra cuối khóa").click()

        # 5. the quiz's page says it is the last step before the certificate
        expect(page.locator("#only-quiz-left")).to_contain_text("chỉ còn đạt bài kiểm tra này")
        walk.shot("quiz-intro")
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        expect(page.locator("#quiz-timer")).to_contain_text("Thời gian còn lại")

        from quizzes.models import Attempt

        session.expire_all()
        attempt = session.query(Attempt).filter_by(official_id=user.official_id, quiz_id=quiz.id).one()
        slots = {s.slot_no: s for s in attempt.slots}
        # 6. three questions, one at a time, each answer saved before going on
        for n in (1, 2, 3):
            expect(page.locator(f"#panel-{n}")).to_be_visible()
            page.locator(f"#panel-{n}").get_by_label(_right_text(slots[n])).click()
            expect(page.locator("#save-status.ok")).to_be_attached()
            if n == 1:
                walk.shot("question-1")
            if n < 3:
                page.get_by_role("button", name="Lưu và tiếp").click()
        page.get_by_role("button", name="Xem lại và nộp bài").click()
        expect(page.get_by_role("button", name="Nộp bài")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Bạn đã trả lời tất cả các câu hỏi.")
        walk.shot("summary")
        page.get_by_role("button", name="Nộp bài").click()

        # 7. the result: passed, the course complete, the certificate issued, with its link
        expect(page.locator("#result")).to_contain_text("3 / 3")
        steps = page.locator("#course-steps")
        expect(steps).to_contain_text("Bạn đã hoàn thành khóa học «Thư công vụ an toàn».")
        expect(steps).to_contain_text("đã được cấp cho bạn")
        walk.shot("result-certificate-issued")
        steps.locator("#certificate-link").click()

        # 8. the certificate in "Chứng nhận của tôi", valid, with its PDF
        expect(page.get_by_role("heading", level=1)).to_have_text("Chứng nhận của tôi")
        table = page.locator("#my-certificates")
        expect(table).to_contain_text("Thư công vụ an toàn")
        expect(table).to_contain_text("Còn hiệu lực")
        expect(table.get_by_role("link", name=re.compile("^Tải PDF"))).to_be_visible()
        walk.shot("my-certificates")
        assert sorted(p.name for p in walk.folder.glob("*.png"))[-1] == "09-my-certificates.png"
    finally:
        app.config.pop("CERT_STORAGE_DIR", None)
