"""Concurrent registrations on a real database (SQLite file or PostgreSQL via DATABASE_URL): no overbooking."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.time import utcnow
from tests.factories import make_official
from tests.training.factories import make_session
from training import services
from training.models import Participant, ParticipantState, TrainingSession


def _run_in_threads(app, fn, items):
    barrier = threading.Barrier(len(items))
    errors = []

    def worker(item):
        with app.app_context():
            try:
                barrier.wait()
                fn(item)
                db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []


def test_concurrent_self_registrations_never_overbook(app, session):
    training_session = make_session(session, capacity=5, open_registration=True)
    people = [make_official(session) for _ in range(16)]
    session.commit()
    training_session_id, ids = training_session.id, [o.id for o in people]

    def register(official_id):
        from lms.org.models import Official

        services.register_self(
            db.session, db.session.get(TrainingSession, training_session_id), db.session.get(Official, official_id)
        )

    _run_in_threads(app, register, ids)
    session.expire_all()
    rows = session.scalars(select(Participant).where(Participant.session_id == training_session_id)).all()
    assert len(rows) == 16
    assert sum(p.state == ParticipantState.REGISTERED for p in rows) == 5
    assert sum(p.state == ParticipantState.WAITLISTED for p in rows) == 11
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 16


def test_concurrent_withdrawals_promote_each_waitlisted_person_once(app, session):
    training_session = make_session(session, capacity=4, open_registration=True)
    people = [make_official(session) for _ in range(10)]
    now = utcnow()
    for i, o in enumerate(people):
        services.register_self(session, training_session, o, now=now + timedelta(seconds=i))
    session.commit()
    training_session_id = training_session.id
    leaving = [o.id for o in people[:4]]

    def withdraw(official_id):
        p = services.get_participant(db.session, training_session_id, official_id)
        services.withdraw(db.session, p)

    _run_in_threads(app, withdraw, leaving)
    session.expire_all()
    by_official = {p.official_id: p.state for p in session.scalars(select(Participant))}
    seated = [o.id for o in people if by_official[o.id] == ParticipantState.REGISTERED]
    assert seated == [o.id for o in people[4:8]]  # first come, first served
    assert all(by_official[o.id] == ParticipantState.WAITLISTED for o in people[8:])
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "promoted")) == 4
