"""The demo's usage history, built once (about 5 s of CPU) and checked part by part: the 2014
report's figures, the July 2025 reorganisation in the unit history, months before it kept on the
2014 units, training followed by more use."""

from datetime import date

import pytest
from sqlalchemy import func, select, update

from adoption.demo import REORG_DAY, build_adoption, demo_months
from adoption.indicators import province_indicators
from adoption.models import OfficialMonth, UnitMonth
from adoption.months import add_months, local_today, month_start
from lms.auth.models import Role, RoleAssignment, User
from lms.demo import DemoContext, build_org
from lms.org.models import Official, Unit, UnitSuccession


@pytest.fixture
def demo(session):
    ctx = DemoContext(session=session, seed=2014, echo=lambda _m: None)
    build_org(ctx)
    build_adoption(ctx)
    session.commit()
    yield ctx
    session.rollback()  # unit.parent_id is ON DELETE RESTRICT: detach before the table cleanup
    session.execute(update(Unit).values(parent_id=None))
    session.commit()


def _the_2014_report_figures(session):
    t = province_indicators(session, date(2014, 12, 1)).total
    assert (t.dms_units, t.units) == (30, 35)
    assert (t.portals, t.portals_stale) == (24, 9)
    assert t.mail_share == pytest.approx(0.30, abs=0.005)
    assert t.incoming_share > 2 * t.outgoing_share  # "mostly for incoming documents"


def _usage_is_carried_to_last_month_a_year_then_a_month(session):
    months = sorted(session.scalars(select(UnitMonth.month).distinct()))
    assert months == demo_months(local_today())
    assert months[:10] == [date(y, 12, 1) for y in range(2014, 2024)]
    assert months[-1] == add_months(month_start(local_today()), -1)
    first, last = (province_indicators(session, m).total for m in (months[0], months[-1]))
    assert last.mail_share > first.mail_share + 0.3 and last.outgoing_share > 0.8


def _the_july_2025_reorganisation_is_in_the_unit_history(session):
    units = {u.code: u for u in session.scalars(select(Unit))}
    assert all(units[c].valid_until == REORG_DAY for c in units if c.startswith("H-"))
    assert units["STTTT"].valid_until == REORG_DAY and units["SKHCN"].valid_until is None
    tamdao = units["X-TAMDAO"]
    assert tamdao.valid_from == REORG_DAY and tamdao.parent_id is None and tamdao.kind.value == "xa"
    olds = set(session.scalars(select(UnitSuccession.predecessor_id).where(UnitSuccession.successor_id == tamdao.id)))
    assert olds == {units["H-TAMDAO"].id, units["X-HOPCHAU"].id, units["X-DAIDINH"].id}
    ended = [u.id for u in units.values() if u.valid_until is not None]
    assert session.scalar(select(func.count()).select_from(Official).where(Official.unit_id.in_(ended))) == 0
    head = session.scalar(select(User).where(User.username == "truongdonvi"))
    assert {a.unit_id for a in head.roles if a.role == Role.UNIT_HEAD} == {tamdao.id}
    assert (
        session.scalar(select(func.count()).select_from(RoleAssignment).where(RoleAssignment.unit_id.in_(ended))) == 0
    )


def _months_before_the_change_keep_the_2014_units_after_it_todays(session):
    units = {u.code: u for u in session.scalars(select(Unit))}
    canbo = session.scalar(select(User).where(User.username == "canbo")).official_id
    by_month = dict(
        session.execute(
            select(OfficialMonth.month, OfficialMonth.unit_id).where(OfficialMonth.official_id == canbo)
        ).all()
    )
    assert by_month[date(2025, 6, 1)] == units["H-TAMDAO"].id
    assert by_month[date(2025, 7, 1)] == units["X-TAMDAO"].id
    june, july = (province_indicators(session, m) for m in (date(2025, 6, 1), date(2025, 7, 1)))
    assert {b for b, _f in june.blocks} == {"so", "huyen", "xa"} and {b for b, _f in july.blocks} == {"so", "xa"}
    assert june.total.officials == july.total.officials  # the same people, counted under today's units


def _use_rose_where_training_happened(session):
    """The portal class of May 2026 for the communes whose portals lagged: updated afterwards."""
    units = {u.code: u for u in session.scalars(select(Unit))}

    def fresh(code, month):
        row = session.get(UnitMonth, (month, units[code].id))
        from adoption.months import as_of
        from adoption.services import portal_fresh

        return portal_fresh(row.portal_last_update, as_of(month))

    if local_today() <= date(2026, 6, 30):
        pytest.skip("the demo's portal class is in the future")
    assert not fresh("X-SONGLO", date(2026, 4, 1)) and fresh("X-SONGLO", date(2026, 6, 1))


def test_the_demo_tells_the_provinces_story(session, demo):
    _the_2014_report_figures(session)
    _usage_is_carried_to_last_month_a_year_then_a_month(session)
    _the_july_2025_reorganisation_is_in_the_unit_history(session)
    _months_before_the_change_keep_the_2014_units_after_it_todays(session)
    _use_rose_where_training_happened(session)
