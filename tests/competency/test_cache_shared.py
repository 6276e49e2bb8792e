"""The rankings cache across processes: a write committed by one app instance (another gunicorn
worker, the CLI) is seen by every other on its next read, through the shared version row."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from competency import cache
from competency.models import CompetencyCacheVersion
from competency.rankings import rank_units
from lms import create_app
from lms.extensions import db
from lms.org.models import Official
from tests.competency.factories import TODAY, graded_attempt, topic_setup
from tests.factories import make_official, make_unit

ROOT = Path(__file__).resolve().parents[2]


def officials_by_unit(session):
    return {u.unit_name: u.officials for u in rank_units(session, today=TODAY)}


@pytest.fixture
def two_units(session):
    a = make_unit(session, name="Sở Trước")
    b = make_unit(session, name="Sở Sau")
    person = make_official(session, a)
    make_official(session, b)
    session.commit()
    return a, b, person


def test_write_through_a_second_app_is_seen_by_the_first(app, session, two_units, monkeypatch):
    """Two ``create_app()`` on one database; the process-local counter is pinned, so only the shared
    version can tell the first app that the second one wrote."""
    a, b, person = two_units
    monkeypatch.setattr(cache, "bump_version", lambda: None)
    assert officials_by_unit(session) == {"Sở Trước": 1, "Sở Sau": 1}
    (before,) = cache._CACHE.values()

    # another worker: its own engine (without a pool, so no connection outlives the test)
    other = create_app({**app.config, "SERVER_NAME": None, "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool}})
    with other.app_context():
        try:
            db.session.get(Official, person.id).unit_id = b.id
            db.session.commit()
        finally:
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()

    assert officials_by_unit(session) == {"Sở Sau": 2}
    (after,) = cache._CACHE.values()  # one entry per key: the stale one replaced
    assert after.version != before.version and after.seq > before.seq


def test_write_in_another_process_is_seen_on_the_next_read(app, session, two_units):
    a, b, person = two_units
    t = topic_setup(session)
    session.commit()
    before = rank_units(session, today=TODAY)
    assert rank_units(session, today=TODAY) == before  # cached
    code = (
        "from lms import create_app\n"
        "from lms.extensions import db\n"
        "from lms.org.models import Official\n"
        "from quizzes.models import Quiz\n"
        "from tests.competency.factories import graded_attempt\n"
        f"app = create_app({{'TESTING': True, 'LMS_ENV': 'testing', 'SECRET_KEY': 'x',"
        f" 'SQLALCHEMY_DATABASE_URI': {app.config['SQLALCHEMY_DATABASE_URI']!r},"
        f" 'INSTANCE_DIR': {app.config.get('INSTANCE_DIR')!r}}})\n"
        "with app.app_context():\n"
        f"    graded_attempt(db.session, db.session.get(Quiz, {t[next(iter(t))][1].id}),"
        f" db.session.get(Official, {person.id}), 90)\n"
        "    db.session.commit()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=ROOT, env=env, check=True, timeout=120)
    after = {u.unit_name: u for u in rank_units(session, today=TODAY)}
    assert after["Sở Trước"].participants == 1 and after["Sở Trước"].avg_best == 90


def test_only_committed_competency_writes_bump_the_shared_version(session, two_units):
    def shared():
        return session.scalar(select(func.coalesce(func.sum(CompetencyCacheVersion.version), 0)))

    start = shared()
    session.commit()  # nothing written
    assert shared() == start
    t = topic_setup(session)  # courses and quizzes only: not part of the figures
    session.commit()
    assert shared() == start
    graded_attempt(session, t[next(iter(t))][1], two_units[2], 40)
    session.rollback()
    assert shared() == start
    graded_attempt(session, t[next(iter(t))][1], two_units[2], 40)
    session.commit()
    assert shared() == start + 1
