"""An official takes the final quiz in Chromium: answers, reloads mid-way, submits, sees the result."""

import re

import pytest
from playwright.sync_api import expect

from lms.auth.models import Role
from lms.org.models import Official
from tests.e2e.helpers import log_in
from tests.factories import make_user
from tests.quizzes_app.factories import make_bank, make_quiz

pytestmark = pytest.mark.e2e


def _right_text(slot) -> str:
    from quizzes.qtypes import plain_text

    return plain_text(next(o["text"] for o in slot.question_version.config["options"] if o["fraction"] >= 1))


def _option(page, slot_no: int, text: str):
    """An option of question ``slot_no`` (the page holds every question; the same texts repeat)."""
    return page.locator(f"#panel-{slot_no}").get_by_label(text)


def test_official_takes_the_final_quiz(live_server, page, session):
    user = make_user(session, Role.OFFICIAL, username="canbo1")
    cats = make_bank(session, per_category={"email/a": 3})
    quiz = make_quiz(session, cats, title="Kiểm tra cuối khóa thư điện tử", is_final=True)
    session.commit()

    log_in(page, live_server, "canbo1")
    page.get_by_role("link", name="Bài kiểm tra", exact=True).click()
    page.get_by_role("link", name="Kiểm tra cuối khóa thư điện tử").click()
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    expect(page.locator("#quiz-timer")).to_contain_text("Thời gian còn lại")

    from quizzes.models import Attempt

    session.expire_all()
    attempt = session.query(Attempt).filter_by(official_id=user.official_id, quiz_id=quiz.id).one()
    slots = {s.slot_no: s for s in attempt.slots}

    # the whole attempt is in the page, one question shown
    expect(page.locator(".q-panel")).to_have_count(3)
    expect(page.locator("#panel-1")).to_be_visible()
    expect(page.locator("#panel-2")).to_be_hidden()

    # question 1: choose and let the autosave (JS) store it, then reload the page
    _option(page, 1, _right_text(slots[1])).check()
    page.locator("#save-status.ok").wait_for()
    page.reload()
    expect(_option(page, 1, _right_text(slots[1]))).to_be_checked()
    page.get_by_role("button", name="Lưu và tiếp").click()

    # question 2, shown in the browser; then back and forth, and a reload on question 2
    expect(page.locator("#panel-2")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/q/2\?all=1$"))
    _option(page, 2, _right_text(slots[2])).check()
    page.locator("#save-status.ok").wait_for()
    page.get_by_role("button", name="Lưu và tiếp").click()
    expect(page.locator("#panel-3")).to_be_visible()
    page.get_by_role("button", name="Câu trước").click()
    expect(_option(page, 2, _right_text(slots[2]))).to_be_checked()
    page.reload()
    expect(page.locator("#panel-2")).to_be_visible()
    expect(_option(page, 2, _right_text(slots[2]))).to_be_checked()
    expect(page.locator("#nav-1")).to_have_class(re.compile(r"\banswered\b"))

    # question 3 left unanswered: the summary lists it
    page.get_by_role("button", name="Xem lại và nộp bài").click()
    expect(page.locator("#unanswered")).to_contain_text("Bạn còn 1 câu chưa trả lời")
    page.get_by_role("button", name="Nộp bài").click()
    expect(page.locator("#result")).to_contain_text("2 / 3")
    result = page.locator("#result").inner_text()
    assert "2 / 3" in result and "CHƯA ĐẠT" in result
    assert session.get(Official, user.official_id) is not None


def test_an_answer_after_another_tab_submitted_is_refused_and_the_page_says_so(live_server, page, session):
    """Tab 1 shows a question, tab 2 submits the attempt, then tab 1's answer is sent by the autosave:
    the server refuses it (409), the script goes to the result, which says why; nothing is stored."""
    from quizzes.models import Attempt

    user = make_user(session, Role.OFFICIAL, username="canbo2")
    quiz = make_quiz(session, make_bank(session, per_category={"email/a": 2}), title="Kiểm tra hai thẻ")
    session.commit()

    log_in(page, live_server, "canbo2")
    page.goto(f"{live_server}/quizzes/{quiz.id}")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    expect(page.locator("#quiz-timer")).to_contain_text("Thời gian còn lại")
    session.expire_all()
    attempt = session.query(Attempt).filter_by(official_id=user.official_id, quiz_id=quiz.id).one()
    first = attempt.slots[0]

    other = page.context.new_page()
    other.goto(f"{live_server}/quizzes/attempts/{attempt.id}/summary")
    other.get_by_role("button", name="Nộp bài").click()
    expect(other.locator("#result")).to_contain_text("0 / 2")

    # click, not check(): check() re-reads the radio after the click to see it checked, and the page may
    # already have left for the result (the refused autosave navigates): it then waits 30 s and fails
    _option(page, 1, _right_text(first)).click()
    expect(page).to_have_url(re.compile(rf"/quizzes/attempts/{attempt.id}$"))
    expect(page.locator(".flash-error")).to_contain_text("Bài làm đã được nộp, không sửa được câu trả lời nữa.")
    expect(page.locator("#result")).to_contain_text("0 / 2")
    session.expire_all()
    graded = session.get(Attempt, attempt.id)
    assert graded.score == 0 and all(slot.answer is None for slot in graded.slots)
