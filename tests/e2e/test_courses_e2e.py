"""An official enrols, reads two lessons, logs out and back in; "continue" leads to lesson three."""

import pytest
from playwright.sync_api import expect

from courses.loader import content_root, load_course_dir
from tests.e2e.helpers import log_in
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def test_official_enrols_reads_two_lessons_and_continues_at_the_third(live_server, page, session):
    course = load_course_dir(session, content_root() / "email")
    lessons = course.published_lessons
    make_user(session, username="hocvien")
    session.commit()

    log_in(page, live_server, "hocvien")
    page.get_by_role("link", name="Khóa học", exact=True).click()
    page.get_by_role("link", name=course.title).click()
    page.get_by_role("button", name="Đăng ký học khóa này").click()
    for lesson in lessons[:2]:
        expect(page.get_by_role("heading", level=1)).to_have_text(lesson.title)
        page.get_by_role("button", name="Đánh dấu đã học xong").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[2].title)

    page.get_by_role("button", name="Đăng xuất").click()
    log_in(page, live_server, "hocvien")
    panel = page.locator("#courses-panel")
    expect(panel).to_contain_text("2/7 bài")
    panel.get_by_role("link", name="Học tiếp").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[2].title)
    assert "/courses/email/lessons/" in page.url
