"""The autosave's fast path (``access.fast_path``, ``answering.record_answer_as``) checks the login in
its own statement. It may only accept what the usual way (account loaded, access rule, the view)
accepts: for every kind of login or attempt the usual way refuses, the fast path writes nothing and
the answer is the usual one; for the right official it writes and answers as the view does."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import update

from lms.auth import access
from lms.auth.models import LoginSession, Role, User
from lms.auth.services import SESSION_MAX_AGE
from lms.org.models import Official
from quizzes.models import Attempt, AttemptSlot, AttemptState
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_quiz


def _right(slot) -> str:
    return next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)


def _logout_everywhere(session, user, client):
    session.execute(LoginSession.__table__.delete().where(LoginSession.user_id == user.id))


def _expire_login(session, user, client):
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id)
        .values(created_at=NOW - SESSION_MAX_AGE - timedelta(minutes=1))
    )


def _disable(session, user, client):
    session.execute(update(User).where(User.id == user.id).values(active=False))


def _must_change_password(session, user, client):
    session.execute(update(User).where(User.id == user.id).values(must_change_password=True))


def _demo_account_demo_off(session, user, client):
    session.execute(update(User).where(User.id == user.id).values(is_demo=True))
    client.application.config["DEMO_MODE"] = False


def _another_official(session, user, client):
    login_as(client, make_user(session, Role.OFFICIAL))


def _staff_without_official(session, user, client):
    login_as(client, make_user(session, Role.IT_STAFF, official=False))


def _forged_token(session, user, client):
    with client.session_transaction() as cookie:
        cookie["_user_id"] = f"{user.id}:{'0' * 32}"


def _submitted(session, user, client):
    session.execute(update(Attempt).where(Attempt.official_id == user.official_id).values(state=AttemptState.SUBMITTED))


def _past_deadline(session, user, client):
    session.execute(
        update(Attempt).where(Attempt.official_id == user.official_id).values(deadline_at=NOW - timedelta(hours=1))
    )


REFUSED = {
    "logged out": _logout_everywhere,
    "login older than the session age": _expire_login,
    "account disabled": _disable,
    "password change pending": _must_change_password,
    "demo account, demo mode off": _demo_account_demo_off,
    "another official": _another_official,
    "IT staff without an official": _staff_without_official,
    "forged session token": _forged_token,
    "attempt submitted": _submitted,
    "attempt past its deadline": _past_deadline,
}


def _answer(app, client, session, change, fast: bool, monkeypatch):
    """Set up an open attempt, log its official in, apply ``change``, post one answer; returns
    (status, JSON or Location, stored answer). ``fast=False``: the usual way only."""
    if not fast:
        monkeypatch.setattr(access, "_try_fast_path", lambda view: None)
    user = make_user(session, Role.OFFICIAL)
    official = session.get(Official, user.official_id)
    quiz = make_quiz(session)
    demo_mode = app.config["DEMO_MODE"]
    try:
        with time_machine.travel(NOW, tick=False):
            attempt = make_attempt(session, quiz, official)
            slot = attempt.slots[0]
            body = {"slot": 1, "v": slot.question_version_id, "q1": _right(slot)}
            session.commit()
            login_as(client, user)
            if change is not None:
                change(session, user, client)
                session.commit()
            r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", json=body)
    finally:
        app.config["DEMO_MODE"] = demo_mode
    session.expire_all()
    stored = session.get(AttemptSlot, slot.id).answer
    session.rollback()  # no transaction left open (its locks would hold up the tables' cleaning)
    said = json.dumps(r.get_json(silent=True)) if r.is_json else r.headers.get("Location")
    # each call has its own attempt: the answers compare without its id
    return r.status_code, (said or "").replace(f"/attempts/{attempt.id}", "/attempts/N"), stored


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_the_usual_way_refuses_the_fast_path_does_not_write(app, client, session, case, monkeypatch):
    status, said, stored = _answer(app, client, session, REFUSED[case], True, monkeypatch)
    assert stored is None, f"{case}: the answer was written"
    assert status != 200 or not json.loads(said)["ok"], (case, status, said)


@pytest.mark.parametrize("case", list(REFUSED))
def test_the_fast_path_answers_as_the_usual_way(app, client, session, case, monkeypatch):
    fast = _answer(app, client, session, REFUSED[case], True, monkeypatch)
    usual = _answer(app, client, session, REFUSED[case], False, monkeypatch)  # its own official and attempt
    assert fast == usual, case


def test_the_official_s_own_answer_is_written_the_same_both_ways(app, client, session, monkeypatch):
    fast = _answer(app, client, session, None, True, monkeypatch)
    assert fast[0] == 200 and json.loads(fast[1]) == {"ok": True, "slot": 1, "answered": True} and fast[2] is not None
    assert _answer(app, client, session, None, False, monkeypatch) == fast
