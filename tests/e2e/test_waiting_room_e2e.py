"""The waiting room in Chromium: the start button opens by itself at the quiz's time, no reload."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.auth.models import Role
from lms.time import utcnow
from tests.e2e.helpers import log_in
from tests.factories import make_user
from tests.quizzes_app.factories import make_quiz

pytestmark = pytest.mark.e2e


def test_the_start_button_opens_at_the_exam_time(live_server, page, session):
    make_user(session, Role.OFFICIAL, username="canbo3")
    session.commit()
    log_in(page, live_server, "canbo3")
    quiz = make_quiz(session, title="Thi toàn tỉnh", open_at=utcnow() + timedelta(seconds=10))
    session.commit()
    page.goto(f"{live_server}/quizzes/{quiz.id}")
    button = page.locator("#waiting-room").get_by_role("button", name="Bắt đầu làm bài")
    expect(button).to_be_disabled()
    expect(button).to_be_enabled(timeout=30_000)
    button.click()
    expect(page.locator("#quiz-timer")).to_contain_text("Thời gian còn lại")
