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
