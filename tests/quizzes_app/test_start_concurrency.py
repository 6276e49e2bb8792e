"""Starting again after the time ran out, from many requests at once (issue 12, point 2).

A one-minute quiz, started 62 s ago, then 20 parallel ``POST /quizzes/<id>/start`` (a double click,
two tabs, the overdue-closing cron job at the same moment): one request grades the old attempt; the
others lost that race and used to call ``start_attempt`` again on an attempt that still looked in
progress in their session, until ``RecursionError`` (a 500). Now every request answers a redirect,
to the new attempt when one may start, else to the old attempt's result (or, for a request that
began after it was graded, the quiz page saying no attempt is left); the old attempt is graded once
and at most one new attempt exists. Each thread is a test client of its own (its own session
and connection), against SQLite or PostgreSQL (``DATABASE_URL``).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms import events
from lms.auth.models import Role
from lms.extensions import db
from lms.org.models import Official
from lms.time import utcnow
from quizzes.models import Attempt, AttemptState
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import make_attempt, make_quiz

REQUESTS = 20


@pytest.mark.parametrize("attempts_allowed", [3, 1], ids=["may-start-again", "no-attempt-left"])
def test_parallel_starts_after_the_time_ran_out_grade_once_and_never_fail(app, session, attempts_allowed):
    user = make_user(session, Role.OFFICIAL)
    quiz = make_quiz(session, time_limit_minutes=1, attempts_allowed=attempts_allowed)
    old = make_attempt(session, quiz, session.get(Official, user.official_id), now=utcnow() - timedelta(seconds=62))
    quiz_id, old_id = quiz.id, old.id
    session.commit()
    clients = [app.test_client() for _ in range(REQUESTS)]
    for client in clients:
        login_as(client, user)

    locations: list[str] = []
    errors: list[str] = []
    graded: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(REQUESTS)

    def on_graded(sender, attempt, **kwargs):
        with lock:
            graded.append(attempt.id)

    def start(client) -> None:
        try:
            barrier.wait()
            r = client.post(f"/quizzes/{quiz_id}/start")
            with lock:
                if r.status_code == 302:
                    locations.append(r.headers["Location"])
                else:
                    errors.append(f"{r.status_code}: {r.get_data(as_text=True)[:200]}")
        except Exception as exc:  # noqa: BLE001 - reported below (RecursionError before the fix)
            with lock:
                errors.append(repr(exc)[:300])

    events.attempt_graded.connect(on_graded)
    try:
        threads = [threading.Thread(target=start, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        events.attempt_graded.disconnect(on_graded)

    assert errors == []
    assert graded == [old_id]
    db.session.remove()
    attempts = db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz_id).order_by(Attempt.number)).all()
    assert attempts[0].id == old_id and attempts[0].state == AttemptState.SUBMITTED
    assert attempts[0].submitted_at == attempts[0].deadline_at
    if attempts_allowed > 1:  # everybody is sent to the one new attempt
        assert [(a.number, a.state) for a in attempts] == [(1, AttemptState.SUBMITTED), (2, AttemptState.IN_PROGRESS)]
        assert set(locations) == {f"/quizzes/attempts/{attempts[1].id}/q/1?all=1"}
    else:  # no attempt left: the racing requests are sent to the result of the graded one; a request
        # that only began after it was graded is refused as any start without an attempt left (the intro)
        assert len(attempts) == 1
        assert f"/quizzes/attempts/{old_id}" in locations
        assert set(locations) <= {f"/quizzes/attempts/{old_id}", f"/quizzes/{quiz_id}"}
    assert len(locations) == REQUESTS
