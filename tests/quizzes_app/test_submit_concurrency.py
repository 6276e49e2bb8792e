"""Submitting is graded exactly once, even when many requests submit the same attempt at once.

Runs against the test database file (SQLite) or PostgreSQL (``DATABASE_URL``): every thread has its
own app context, hence its own session and connection.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from lms import events
from lms.auth.models import Role
from lms.extensions import db
from lms.org.models import Official
from quizzes import services
from quizzes.models import Attempt, AttemptState
from tests.factories import make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_quiz

THREADS = 8


def test_concurrent_submits_grade_exactly_once(app, session):
    user = make_user(session, Role.OFFICIAL)
    quiz = make_quiz(session)
    attempt = make_attempt(session, quiz, session.get(Official, user.official_id))
    slot = attempt.slots[0]
    right = next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)
    services.save_answer(session, attempt, 1, {"q1": right}, NOW)
    session.commit()
    attempt_id = attempt.id
    session.remove()

    graded, winners, errors = [], [], []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def on_graded(sender, attempt, **kwargs):
        with lock:
            graded.append(attempt.id)

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                won = services.submit_attempt(db.session, attempt_id, NOW)
                db.session.commit()
                with lock:
                    winners.append(won)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(exc))

    events.attempt_graded.connect(on_graded)
    try:
        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        events.attempt_graded.disconnect(on_graded)

    assert errors == []
    assert sorted(winners) == [False] * (THREADS - 1) + [True]
    assert graded == [attempt_id]
    final = db.session.get(Attempt, attempt_id)
    assert final.state == AttemptState.SUBMITTED
    assert final.score == 1 and final.max_score == 5 and final.percent == 20.0
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_submitting_twice_in_one_session_grades_once(session):
    user = make_user(session, Role.OFFICIAL)
    attempt = make_attempt(session, make_quiz(session), session.get(Official, user.official_id))
    assert services.submit_attempt(session, attempt.id, NOW) is True
    assert services.submit_attempt(session, attempt.id, NOW) is False
    assert attempt.graded_at == NOW
