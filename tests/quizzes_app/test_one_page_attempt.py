"""The attempt as one page (every question in the page, navigation in the browser) and the lean
autosave behind it (one SQL statement per answer)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event

from lms.auth.models import Role
from lms.extensions import db
from lms.org.models import Official
from quizzes.models import AttemptSlot
from quizzes.services import answering
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_bank, make_quiz

ALL_TYPES = ["single", "multi", "truefalse", "shortanswer", "numerical", "matching", "ordering"]


@pytest.fixture
def learner(session):
    user = make_user(session, Role.OFFICIAL)
    return user, session.get(Official, user.official_id)


def _right(slot) -> str:
    return next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)


def _wrong(slot) -> str:
    return next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] < 1)


def test_the_page_holds_every_question_once_and_shows_one(client, session, learner):
    user, official = learner
    quiz = make_quiz(session, make_bank(session, per_category={"email/a": 7}, qtypes=ALL_TYPES))
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, official)
        session.commit()
        login_as(client, user)
        html = client.get(f"/quizzes/attempts/{attempt.id}/q/3?all=1").get_data(as_text=True)
        single = client.get(f"/quizzes/attempts/{attempt.id}/q/3").get_data(as_text=True)
    panels = re.findall(r'<section class="q-panel" id="panel-(\d+)" data-slot="\d+" data-v="(\d+)"([^>]*)>', html)
    assert [int(n) for n, _v, _rest in panels] == list(range(1, 8))
    assert {int(n): int(v) for n, v, _rest in panels} == {s.slot_no: s.question_version_id for s in attempt.slots}
    assert [int(n) for n, _v, rest in panels if "hidden" not in rest] == [3]  # one question shown
    for slot in attempt.slots:  # every question's fields are in the page, once
        assert len(re.findall(rf'<fieldset class="question q-\w+" id="q{slot.slot_no}-group">', html)) == 1
    # never the key: no option weight, right answer or feedback text reaches the page
    for word in ("fraction", "correct", "feedback", "tolerance"):
        assert word not in html.lower()
    assert len(re.findall(r'class="q-panel"', single)) == 1  # without ?all=1: the question alone


def test_starting_opens_the_one_page_attempt(client, session, learner):
    user, _official = learner
    quiz = make_quiz(session)
    session.commit()
    login_as(client, user)
    r = client.post(f"/quizzes/{quiz.id}/start")
    assert r.status_code == 302 and re.search(r"/attempts/\d+/q/1\?all=1$", r.headers["Location"])


def test_json_autosave_stores_the_answer_for_the_version_sent(client, session, learner):
    user, official = learner
    quiz = make_quiz(session)
    with time_machine.travel(NOW, tick=False) as clock:
        attempt = make_attempt(session, quiz, official)
        session.commit()
        login_as(client, user)
        slot = attempt.slots[1]
        url = f"/quizzes/attempts/{attempt.id}/autosave"
        body = {"slot": 2, "v": slot.question_version_id, "q2": _right(slot)}
        r = client.post(url, json=body)
        assert r.status_code == 200 and r.json == {"ok": True, "slot": 2, "answered": True}
        session.expire_all()
        first = session.get(AttemptSlot, slot.id)
        assert first.answer == _right(slot) and first.answered_at == NOW and first.state == "answered"
        clock.shift(timedelta(seconds=30))
        client.post(url, json=body)  # the same answer again: its time stays
        session.expire_all()
        assert session.get(AttemptSlot, slot.id).answered_at == NOW
        client.post(url, json={**body, "q2": _wrong(slot)})  # a new answer: a new time
        session.expire_all()
        assert session.get(AttemptSlot, slot.id).answered_at == NOW + timedelta(seconds=30)
        r = client.post(url, json={"slot": 2, "v": slot.question_version_id})  # cleared
        assert r.json == {"ok": True, "slot": 2, "answered": False}
        session.expire_all()
        assert session.get(AttemptSlot, slot.id).answer is None


def test_json_autosave_refuses_another_version_another_official_and_a_closed_attempt(client, session, learner):
    user, official = learner
    other = make_user(session, Role.OFFICIAL)
    quiz = make_quiz(session)
    with time_machine.travel(NOW, tick=False) as clock:
        attempt = make_attempt(session, quiz, official)
        session.commit()
        slot1, slot2 = attempt.slots[0], attempt.slots[1]
        url = f"/quizzes/attempts/{attempt.id}/autosave"
        login_as(client, user)
        # the version of another slot: nothing written
        r = client.post(url, json={"slot": 1, "v": slot2.question_version_id, "q1": _right(slot1)})
        assert r.status_code == 400 and r.json["ok"] is False
        login_as(client, other)
        r = client.post(url, json={"slot": 1, "v": slot1.question_version_id, "q1": _right(slot1)})
        assert r.status_code == 403
        login_as(client, user)
        clock.shift(timedelta(minutes=31))  # past the 30 minutes and the grace
        r = client.post(url, json={"slot": 1, "v": slot1.question_version_id, "q1": _right(slot1)})
        assert r.status_code == 409 and r.json["closed"] is True
        assert r.json["redirect"].endswith(f"/quizzes/attempts/{attempt.id}")
        assert client.post("/quizzes/attempts/999999/autosave", json={"slot": 1, "v": 1}).status_code == 404
    session.expire_all()
    assert session.get(AttemptSlot, slot1.id).answer is None


def test_json_autosave_is_one_autocommitted_statement(client, session, learner):
    """The hot path (``access.fast_path``): one UPDATE, run in autocommit (no BEGIN / COMMIT round
    trips), that checks the login session and the account with the attempt and writes; no account,
    attempt or slot is read."""
    user, official = learner
    quiz = make_quiz(session)
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, official)
        session.commit()
        login_as(client, user)
        slot = attempt.slots[0]
        url = f"/quizzes/attempts/{attempt.id}/autosave"
        right = {"slot": 1, "v": slot.question_version_id, "q1": _right(slot)}  # read before counting
        client.post(url, json={**right, "q1": _wrong(slot)})  # the version is cached now
        statements: list[tuple[str, str | None]] = []

        def record(conn, _cursor, statement, *_args):
            statements.append((" ".join(statement.split()), conn.get_execution_options().get("isolation_level")))

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            r = client.post(url, json=right)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert r.json == {"ok": True, "slot": 1, "answered": True}
    assert len(statements) == 1, statements
    (write, isolation), *_ = statements
    assert isolation == "AUTOCOMMIT"
    assert write.startswith("UPDATE attempt_slot SET") and "FROM attempt" in write
    assert "FROM login_session JOIN user_account" in write and "user_account.official_id = attempt.official_id" in write
    session.expire_all()
    assert session.get(AttemptSlot, slot.id).answer is not None  # committed: another session reads it


def test_version_cache_reads_a_version_once(session, learner):
    _user, official = learner
    quiz = make_quiz(session)
    attempt = make_attempt(session, quiz, official)
    session.commit()
    answering.version_keys.clear()
    version_id = attempt.slots[0].question_version_id
    reads: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        first = answering.version_keys.get(session, version_id)
        again = answering.version_keys.get(session, version_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert first is again and first.qtype == "single" and len(reads) == 1
    assert answering.version_keys.get(session, 10**9) is None
