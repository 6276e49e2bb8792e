from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from competency.lagging import LaggingOfficial, lagging_officials, lagging_units
from competency.models import UnitSnapshot
from competency.rankings import RankingFilters, rank_units
from competency.snapshots import take_snapshot, trend
from lms.topics import Topic
from tests.competency.factories import TODAY, certify, graded_attempt, topic_setup
from tests.factories import make_official, make_unit


@pytest.fixture
def people(session):
    t = topic_setup(session)
    course, quiz = t[Topic.SECURITY]
    unit = make_unit(session, name="Sở Chậm")
    other = make_unit(session, name="Sở Nhanh")
    p = {
        "none": make_official(session, unit, family_name="Lê", middle_name="", given_name="An"),
        "fail": make_official(session, unit, family_name="Lê", middle_name="", given_name="Bình"),
        "good": make_official(session, unit, family_name="Lê", middle_name="", given_name="Cúc"),
        "soon": make_official(session, unit, family_name="Lê", middle_name="", given_name="Dũng"),
        "expired": make_official(session, other, family_name="Lê", middle_name="", given_name="Em"),
        "ok2": make_official(session, other, family_name="Lê", middle_name="", given_name="Giang"),
    }
    graded_attempt(session, quiz, p["fail"], 35)
    graded_attempt(session, quiz, p["good"], 95)
    certify(session, p["good"], course, issued_on=TODAY)
    graded_attempt(session, quiz, p["soon"], 90)
    certify(session, p["soon"], course, issued_on=date(2024, 12, 20))  # expires 2026-12-20
    certify(session, p["expired"], course, issued_on=date(2024, 1, 5))
    graded_attempt(session, quiz, p["ok2"], 88)
    certify(session, p["ok2"], course, issued_on=TODAY)
    session.commit()
    return p, unit, other


def test_lagging_officials_by_need_then_name(session, people):
    p, unit, _other = people
    rows = lagging_officials(session, Topic.SECURITY, today=TODAY)
    assert all(isinstance(r, LaggingOfficial) for r in rows)
    assert [(r.full_name, r.status) for r in rows] == [
        ("Lê An", "not_started"),
        ("Lê Em", "cert_expired"),
        ("Lê Bình", "in_progress"),
        ("Lê Dũng", "cert_valid"),
    ]
    needs = [r.need for r in rows]
    assert needs == sorted(needs, reverse=True)
    assert (rows[0].need, rows[1].need, rows[2].need) == (100, 80, pytest.approx(50 + 40 * 35 / 70))
    assert rows[3].cert_expires_on == date(2026, 12, 20)
    mine = lagging_officials(session, Topic.SECURITY, unit_ids=[unit.id], today=TODAY, limit=2)
    assert [r.full_name for r in mine] == ["Lê An", "Lê Bình"]
    assert len(lagging_officials(session, Topic.SECURITY, expiring_within_days=10, today=TODAY)) == 3


def test_lagging_units_share_and_order(session, people):
    _p, unit, other = people
    rows = lagging_units(session, Topic.SECURITY, today=TODAY)
    assert [(u.unit_name, u.officials, u.lagging, u.share_lagging) for u in rows] == [
        ("Sở Chậm", 4, 3, 0.75),
        ("Sở Nhanh", 2, 1, 0.5),
    ]
    assert rows[0].block == "so" and 0 <= rows[0].index <= 100
    assert [u.unit_id for u in lagging_units(session, Topic.SECURITY, threshold_share=0.6, today=TODAY)] == [unit.id]


def test_snapshot_is_idempotent_and_feeds_rank_changes(session, people):
    month = date(2026, 10, 1)
    assert take_snapshot(session, month, today=TODAY) == 2
    session.commit()
    first = session.scalars(select(UnitSnapshot).order_by(UnitSnapshot.unit_id)).all()
    values = [(s.unit_id, s.month, s.index, s.rank, s.coverage) for s in first]
    assert take_snapshot(session, month, today=TODAY) == 2
    session.commit()
    assert session.scalar(select(func.count()).select_from(UnitSnapshot)) == 2
    again = session.scalars(select(UnitSnapshot).order_by(UnitSnapshot.unit_id)).all()
    assert [(s.unit_id, s.month, s.index, s.rank, s.coverage) for s in again] == values
    # Sở Chậm ranked first in October; make Sở Nhanh overtake it now
    _p, unit, other = people
    t = topic_setup(session)
    for _ in range(6):
        person = make_official(session, other)
        graded_attempt(session, t[Topic.SECURITY][1], person, 100)
        certify(session, person, t[Topic.SECURITY][0])
    session.commit()
    ranked = {u.unit_id: u for u in rank_units(session, RankingFilters(), today=TODAY)}
    assert ranked[other.id].rank == 1 and ranked[other.id].prev_rank == 2 and ranked[other.id].rank_change == 1
    assert ranked[unit.id].rank_change == -1
    snap_rank = {u.unit_id: u.rank for u in rank_units(session, RankingFilters(month=month), today=TODAY)}
    assert snap_rank == {unit.id: 1, other.id: 2}
    assert set(trend(session)) == {unit.id, other.id}


def test_snapshot_cli(runner, session, people):
    result = runner.invoke(args=["lms", "competency", "snapshot", "--month", "2026-09"])
    assert result.exit_code == 0, result.output
    assert (
        session.scalar(select(func.count()).select_from(UnitSnapshot).where(UnitSnapshot.month == date(2026, 9, 1)))
        == 2
    )
    bad = runner.invoke(args=["lms", "competency", "snapshot", "--month", "2026-13"])
    assert bad.exit_code != 0
    _ = timedelta
