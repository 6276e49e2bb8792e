"""The attempt without JavaScript: the one-page attempt shows one question and its buttons post the
form, question by question (the fallback of the in-browser navigation)."""

import re

import pytest
from playwright.sync_api import expect

from lms.auth.models import Role
from tests.e2e.helpers import log_in
from tests.factories import make_user
from tests.quizzes_app.factories import make_bank, make_quiz

pytestmark = pytest.mark.e2e


def test_an_official_without_javascript_answers_question_by_question(live_server, browser, session):
    make_user(session, Role.OFFICIAL, username="canbo2")
    quiz = make_quiz(session, make_bank(session, per_category={"email/a": 3}), title="Kiểm tra không dùng script")
    session.commit()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server, "canbo2")
        page.goto(f"{live_server}/quizzes/{quiz.id}")
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        expect(page).to_have_url(re.compile(r"/q/1\?all=1$"))
        expect(page.locator("#panel-1")).to_be_visible()
        expect(page.locator("#panel-2")).to_be_hidden()

        page.locator("#panel-1 input[type=radio]").first.check()
        page.get_by_role("button", name="Lưu và tiếp").click()  # a form post: saved, then question 2
        expect(page).to_have_url(re.compile(r"/q/2$"))
        expect(page.locator(".q-panel")).to_have_count(1)
        expect(page.locator("#nav-1")).to_have_class(re.compile(r"\banswered\b"))
        page.get_by_role("button", name="Câu trước").click()
        expect(page).to_have_url(re.compile(r"/q/1$"))
        expect(page.locator("#panel-1 input[type=radio]").first).to_be_checked()
        page.get_by_role("button", name="Xem lại và nộp bài").click()
        expect(page.locator("#unanswered")).to_contain_text("Bạn còn 2 câu chưa trả lời")
    finally:
        context.close()
