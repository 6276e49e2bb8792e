"""The demo history: deterministic, non-uniform, and its records equal what the receivers produce."""

import pytest
from sqlalchemy import delete, func, select, update

from competency.demo import build_history
from competency.models import CompetencyRecord, UnitSnapshot
from competency.rankings import rank_units
from competency.records import apply_attempt, refresh_certificate_part
from lms.demo import DemoContext, build_org
from lms.org.models import Unit
from lms.topics import Topic
from tests.competency.test_records import expected, stored


@pytest.fixture
def demo_session(session):
    yield session
    # unit.parent_id is ON DELETE RESTRICT: detach the communes so the table cleanup can run
    session.rollback()
    session.execute(update(Unit).values(parent_id=None))
    session.commit()


def _build(session, echo=lambda _m: None) -> DemoContext:
    from courses.demo import build_courses
    from quizzes.demo import build_quizzes

    ctx = DemoContext(session=session, seed=2014, echo=echo)
    for step in (build_org, build_courses, build_quizzes, build_history):
        step(ctx)
        session.flush()
    session.commit()
    return ctx


def test_demo_history_is_meaningful_and_matches_the_receivers(demo_session):
    session = demo_session
    from quizzes.models import Attempt

    _build(session)
    months = session.scalars(select(UnitSnapshot.month).distinct()).all()
    assert len(months) == 6
    ranked = rank_units(session)
    indices = [u.index for u in ranked]
    assert max(indices) - min(indices) > 40  # not uniform
    by_code = {u.unit_code: u for u in ranked}
    assert by_code["BQLKCN"].participation < 0.3 and by_code["VPUBND"].participation > 0.8
    assert {u.block for u in ranked} == {"so", "huyen", "xa"}
    assert any(u.too_few for u in ranked)
    coverage = {t.value: sum(u.coverage_map[t.value] * u.officials for u in ranked) for t in Topic}
    assert coverage["email"] < coverage["qlvb"] and coverage["portal"] < coverage["qlvb"]

    # the bulk-built records equal a recomputation from the sources ...
    assert stored(session) == expected(session)
    # ... and equal what the receivers build, replaying the events of 60 officials in order
    sample = session.scalars(select(Attempt.official_id).distinct().order_by(Attempt.official_id).limit(60)).all()
    before = {k: v for k, v in stored(session).items() if k[0] in sample}
    session.execute(delete(CompetencyRecord).where(CompetencyRecord.official_id.in_(sample)))
    for attempt in session.scalars(
        select(Attempt).where(Attempt.official_id.in_(sample)).order_by(Attempt.graded_at, Attempt.id)
    ):
        apply_attempt(session, attempt)
    for official_id in sample:
        for topic in Topic:
            refresh_certificate_part(session, official_id, topic)
    session.commit()
    assert {k: v for k, v in stored(session).items() if k[0] in sample} == before
    assert session.scalar(select(func.count()).select_from(CompetencyRecord)) > 1000
