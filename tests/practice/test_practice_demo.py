"""The demo province has practice results for part of its officials, and they are consistent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from lms.demo import DemoContext, build_org
from lms.org.models import Official, Unit
from practice import services
from practice.demo import build_practice
from practice.models import PracticeRun, PracticeTry
from practice.replicas.base import evaluate_checks


@pytest.fixture
def demo_session(session):
    yield session
    session.rollback()
    session.execute(update(Unit).values(parent_id=None))  # unit.parent_id is ON DELETE RESTRICT
    session.commit()


def test_demo_practice_results(demo_session):
    from courses.demo import build_courses

    session = demo_session
    ctx = DemoContext(session=session, seed=2014, echo=lambda _m: None)
    for step in (build_org, build_courses, build_practice):
        step(ctx)
        session.flush()
    session.commit()

    officials = session.scalar(select(func.count()).select_from(Official).where(Official.active.is_(True)))
    practising = session.scalar(select(func.count(func.distinct(PracticeRun.official_id))))
    assert 0.25 * officials < practising < 0.55 * officials  # part of the officials, not all
    runs = session.scalars(select(PracticeRun)).all()
    passed = [r for r in runs if r.passed]
    assert 0.5 * len(runs) < len(passed) < 0.9 * len(runs)
    tries = dict(session.execute(select(PracticeTry.run_id, func.count()).group_by(PracticeTry.run_id)).all())
    for run in runs:
        assert tries.get(run.id, 0) == run.tries
        outcomes = evaluate_checks(run.state, run.scenario.spec["checks"], services.replica_of(run.scenario).checks)
        assert all(o.passed for o in outcomes) == run.passed  # a passed run's state really passes
        assert run.official.full_name in str(run.state)  # the official's own name on the persona
        if run.passed:
            assert run.tries_to_pass == run.tries and run.last_passed

    canbo = ctx.accounts["canbo"].official_id
    mine = [r for r in runs if r.official_id == canbo]
    assert sorted(r.passed for r in mine) == [False, True]
    head_unit = ctx.accounts["truongdonvi"].official.unit_id
    assert services.unit_figures(session, [head_unit])[head_unit].practising > 0
