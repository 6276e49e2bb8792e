"""A question edited between two attempts: each attempt shows and reviews the version it drew.

The question page, the autosave and the result read the slot's own version; option texts shown as
plain text on the result page are cached by their text (``qtypes.plain_text``), so a new version's
text must appear at once and an older attempt must keep its own.
"""

from __future__ import annotations

import time_machine
from sqlalchemy import select

from lms.auth.models import Role
from lms.org.models import Official
from quizzes import services
from quizzes.models import Question, ReviewMode
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_bank, make_quiz


def _answer_right_and_submit(client, attempt) -> str:
    slot = attempt.slots[0]
    right = next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)
    saved = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data={"slot": "1", "q1": right})
    assert saved.status_code == 200 and saved.json["ok"] and saved.json["answered"]
    assert client.post(f"/quizzes/attempts/{attempt.id}/submit").status_code == 302
    return client.get(f"/quizzes/attempts/{attempt.id}").text


def test_an_edited_question_shows_its_new_text_and_old_attempts_keep_theirs(client, session):
    user = make_user(session, Role.OFFICIAL)
    official = session.get(Official, user.official_id)
    quiz = make_quiz(
        session, make_bank(session, per_category={"email/chung": 1}), attempts_allowed=0, review_mode=ReviewMode.FULL
    )
    question = session.scalars(select(Question)).one()
    with time_machine.travel(NOW, tick=False):
        first = make_attempt(session, quiz, official)
        session.commit()
        login_as(client, user)
        assert "Hà Nội" in client.get(f"/quizzes/attempts/{first.id}/q/1").text
        first_review = _answer_right_and_submit(client, first)
        assert "Hà Nội" in first_review

        gift_text = services.question_gift(question)
        assert "Hà Nội" in gift_text
        version = services.edit_question(session, question, gift_text.replace("Hà Nội", "Thủ đô Hà Nội mới"), NOW)
        assert version is not None and version.number == 2
        session.commit()

        second = make_attempt(session, quiz, official)
        session.commit()
        page = client.get(f"/quizzes/attempts/{second.id}/q/1").text
        assert "Thủ đô Hà Nội mới" in page
        second_review = _answer_right_and_submit(client, second)
        assert "Thủ đô Hà Nội mới" in second_review
        assert second.score == second.max_score  # graded with the new version's right option

        again = client.get(f"/quizzes/attempts/{first.id}").text
    assert "Hà Nội" in again and "Thủ đô Hà Nội mới" not in again
