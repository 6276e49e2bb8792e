"""During an attempt, neither the HTML nor the autosave JSON may say which answer is right."""

from __future__ import annotations

import json

import pytest
import time_machine

from lms.auth.models import Role
from lms.org.models import Official
from lms.topics import Topic
from quizzes import qtypes, services
from quizzes.models import Attempt
from tests.factories import login_as, make_user
from tests.quizzes.helpers import build
from tests.quizzes_app.factories import NOW, QTYPES, make_attempt, make_quiz, question

SECRET = "BIMAT"  # every feedback text carries it


def _secret_config(qtype: str) -> dict:
    config = build(qtype)
    for key in ("options", "answers"):
        for n, item in enumerate(config.get(key, [])):
            item["feedback"] = f"{SECRET}-feedback-{n}"
    if qtype == "truefalse":
        config["feedback_right"], config["feedback_wrong"] = f"{SECRET}-right", f"{SECRET}-wrong"
    if qtype == "numerical":
        config["other_feedback"] = f"{SECRET}-other"
    return config


def _forbidden(qtype: str, config: dict) -> list[str]:
    words = ["fraction", SECRET, "GIAI-THICH", "correct", "feedback", "tolerance"]
    if qtype == "shortanswer":
        words += [a["text"] for a in config["answers"]]
    if qtype == "numerical":
        words += ["3.14", "3,14", "3.3", "0.01"]
    return words


@pytest.fixture
def every_type_attempt(session):
    user = make_user(session, Role.OFFICIAL)
    data = [
        question(qtype, category=f"email/{qtype}", config=_secret_config(qtype), general_feedback=f"GIAI-THICH-{qtype}")
        for qtype in QTYPES
    ]
    services.import_questions(session, data, Topic.EMAIL, NOW)
    from quizzes.models import QuestionCategory

    categories = {c.path: c for c in session.query(QuestionCategory).all()}
    quiz = make_quiz(session, categories)
    attempt = make_attempt(session, quiz, session.get(Official, user.official_id))
    session.commit()
    return user, attempt


def test_attempt_pages_and_autosave_json_never_reveal_the_right_answer(client, session, every_type_attempt):
    user, attempt = every_type_attempt
    seen_types = set()
    with time_machine.travel(NOW, tick=False):
        login_as(client, user)
        for slot in attempt.slots:
            version = slot.question_version
            qtype = version.question.qtype
            seen_types.add(qtype)
            page = client.get(f"/quizzes/attempts/{attempt.id}/q/{slot.slot_no}").get_data(as_text=True)
            for word in _forbidden(qtype, version.config):
                assert word.lower() not in page.lower(), (qtype, word)
            if qtype in ("ordering", "matching"):  # no position or right answer is marked selected
                fieldset = page[page.index("<fieldset") : page.index("</fieldset>")]
                assert " selected" not in fieldset
            # an answer of the right shape, sent by autosave and by the page form
            answer = _form_answer(qtype, slot)
            r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data={"slot": slot.slot_no, **answer})
            assert r.status_code == 200
            assert set(r.json) == {"ok", "slot", "answered"}
            body = json.dumps(r.json).lower()
            for word in _forbidden(qtype, version.config) + ["mark", "grade", "state", "partial", "wrong"]:
                assert word.lower() not in body, (qtype, word)
            assert r.json["answered"] is True
            page = client.get(f"/quizzes/attempts/{attempt.id}/q/{slot.slot_no}").get_data(as_text=True)
            for word in _forbidden(qtype, version.config):
                assert word.lower() not in page.lower(), (qtype, word)
        summary = client.get(f"/quizzes/attempts/{attempt.id}/summary").get_data(as_text=True)
        for word in ("fraction", SECRET, "GIAI-THICH"):
            assert word not in summary
    assert seen_types == set(qtypes.QUESTION_TYPES)


def _form_answer(qtype: str, slot) -> dict:
    """Some well-formed (not necessarily right) answer for the slot, as form fields."""
    prefix = f"q{slot.slot_no}"
    layout = slot.layout
    if qtype in ("single", "multi"):
        return {prefix: layout["order"][-1]}
    if qtype == "truefalse":
        return {prefix: "true"}
    if qtype == "shortanswer":
        return {prefix: "câu trả lời"}
    if qtype == "numerical":
        return {prefix: "7"}
    if qtype == "matching":
        return {f"{prefix}-{sid}": layout["choices"][0] for sid in layout["order"]}
    return {f"{prefix}-{iid}": str(n) for n, iid in enumerate(layout["order"], start=1)}


def test_review_follows_the_review_mode(client, session, every_type_attempt):
    user, attempt = every_type_attempt
    quiz = attempt.quiz
    for slot in attempt.slots:
        services.save_answer(
            session, attempt, slot.slot_no, _form_answer(slot.question_version.question.qtype, slot), NOW
        )
    services.submit_attempt(session, attempt.id, NOW)
    session.commit()
    login_as(client, user)
    pages = {}
    for mode in ("score", "rightwrong", "full"):
        quiz.review_mode = mode
        session.commit()
        pages[mode] = client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)
    assert "Điểm:" in pages["score"] and "Câu 1" not in pages["score"]
    assert "Câu 1" in pages["rightwrong"] and "Đáp án đúng" not in pages["rightwrong"]
    assert SECRET not in pages["rightwrong"] and "GIAI-THICH" not in pages["rightwrong"]
    assert "Đáp án đúng" in pages["full"] and "GIAI-THICH" in pages["full"]
    assert "(không trả lời)" not in pages["full"]
    assert session.get(Attempt, attempt.id).max_score == len(QTYPES)
