"""Two transactions writing records of the same official at once both land in the summary.

Each thread has its own app context, so its own session and connection. On PostgreSQL the second
upsert waits for the first transaction's row and then updates it (a delete-then-insert would fail it
on the primary key); on SQLite the writers take turns.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from competency.models import CompetencyRecord, CompetencySummary
from lms.extensions import db
from lms.topics import Topic
from tests.factories import make_official


def test_concurrent_record_writes_of_one_official_both_reach_the_summary(app, session):
    person_id = make_official(session).id
    session.commit()
    session.remove()
    topics = list(Topic)
    barrier = threading.Barrier(len(topics))
    errors = []

    def worker(topic, score):
        try:
            with app.app_context():
                barrier.wait()
                db.session.add(
                    CompetencyRecord(
                        official_id=person_id, topic=topic, status="passed", attempts_count=1, best_percent=score
                    )
                )
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(t, 60.0 + i)) for i, t in enumerate(topics)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    row = db.session.scalars(select(CompetencySummary)).one()
    assert (row.official_id, row.participated, row.n_best) == (person_id, 1, len(topics))
    assert row.sum_best == sum(60.0 + i for i in range(len(topics)))


def test_two_attempts_of_one_topic_graded_at_once_both_count(app, session):
    """Two quizzes of one topic submitted at the same moment (two tabs): the record counts both
    attempts and keeps the better grade. Its first write is an upsert that counts in the statement:
    reading the record and writing it back (as it was) lost one attempt, or failed the second
    transaction on the (official, topic) key when the official had no record yet."""
    from lms.org.models import Official
    from quizzes import services
    from tests.quizzes_app.factories import NOW, make_attempt, make_bank, make_quiz

    official = make_official(session)
    bank = make_bank(session, topic=Topic.EMAIL)
    ids = [
        make_attempt(session, make_quiz(session, bank, topic=Topic.EMAIL), session.get(Official, official.id)).id
        for _ in range(2)
    ]
    person_id = official.id
    session.commit()
    session.remove()
    barrier = threading.Barrier(len(ids))
    errors = []

    def worker(attempt_id):
        try:
            with app.app_context():
                barrier.wait()
                assert services.submit_attempt(db.session, attempt_id, NOW)
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(attempt_id,)) for attempt_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    record = db.session.scalars(select(CompetencyRecord).where(CompetencyRecord.official_id == person_id)).one()
    assert record.topic == Topic.EMAIL and record.attempts_count == 2 and record.status == "in_progress"
    summary = db.session.get(CompetencySummary, person_id)
    assert summary is not None and summary.participated == 1
