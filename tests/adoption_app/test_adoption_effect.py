"""Did training work: before/after of attendees against comparable units, on data built here."""

from datetime import date

import pytest

from adoption import links
from adoption.effect import MIN_PEOPLE, session_effect
from adoption.models import System
from lms.auth.models import Role
from lms.org.models import UnitKind
from tests.adoption_app.factories import run_import
from tests.factories import login_as, make_official, make_unit, make_user

TODAY = date(2026, 9, 15)
BEFORE = [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
AFTER = [date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1)]
SESSION_DAY = date(2026, 5, 12)


def _people(session, units: int = 4, per_unit: int = 6):
    out = {}
    for u in range(units):
        unit = make_unit(session, code=f"BLK-{u}", name=f"Sở thử {u}", kind=UnitKind.SO_BAN_NGANH)
        out[unit] = [make_official(session, unit, email=f"p{u}-{i}@thu.gov.vn") for i in range(per_unit)]
    make_unit(session, code="XA-1", name="Xã khác khối", kind=UnitKind.XA)  # another block: never compared
    session.commit()
    return out


def _months(session, users_by_month: dict[date, set[int]], everyone):
    for month in [*BEFORE, *AFTER]:
        rows = [
            {
                "mailbox": o.email,
                "last_login": (month if o.id in users_by_month[month] else date(2025, 1, 1)).isoformat(),
            }
            for o in everyone
        ]
        run_import(session, System.EMAIL, month, rows, TODAY)
    session.commit()


def _session(session, attendees, units, topic="email", day=SESSION_DAY):
    trainer = make_user(session, Role.IT_STAFF)
    sid = links.record_past_session(
        session,
        title="Lớp thư công vụ",
        topic=topic,
        kind="classroom",
        day=day,
        place="Hội trường",
        unit_ids=[u.id for u in units],
        attendee_ids=[o.id for o in attendees],
        trainer=trainer,
    )
    session.commit()
    return next(p for p in links.past_sessions(session, TODAY) if p.id == sid)


def _world(session, after_attendee_users: int, attendees_per_unit: int = 6):
    """S0, S1 attend (12 people); S2, S3 do not. Before: 2 of 12 attendees and 6 of 12 others use
    e-mail each month; after: ``after_attendee_users`` attendees and 7 others."""
    units = _people(session)
    groups = list(units.values())
    attendees = [o for g in groups[:2] for o in g[:attendees_per_unit]]
    others = [o for g in groups[2:] for o in g]
    everyone = [o for g in groups for o in g]
    users = {}
    for month in BEFORE:
        users[month] = {o.id for o in attendees[:2]} | {o.id for o in others[:6]}
    for month in AFTER:
        users[month] = {o.id for o in attendees[:after_attendee_users]} | {o.id for o in others[:7]}
    _months(session, users, everyone)
    return _session(session, attendees, list(units)[:2]), attendees, others


def test_attendees_rose_clearly_more_than_comparable_units(session):
    past, _attendees, _others = _world(session, after_attendee_users=10)
    e = session_effect(session, past, today=TODAY)
    assert (e.months_before, e.months_after) == (tuple(BEFORE), tuple(AFTER))
    assert (e.treated.people, e.treated.before_used, e.treated.before_known) == (12, 6, 36)
    assert (e.treated.after_used, e.treated.after_known) == (30, 36)
    assert (e.comparison.people, e.comparison.before_used, e.comparison.after_used) == (12, 18, 21)
    assert e.difference == pytest.approx(30 / 36 - 6 / 36 - (21 / 36 - 18 / 36))
    # margin: 1.96 * sqrt((b(1-b) + a(1-a)) / n) over both groups, n = people
    b1, a1, b2, a2 = 6 / 36, 30 / 36, 18 / 36, 21 / 36
    margin = 1.96 * ((b1 * (1 - b1) + a1 * (1 - a1)) / 12 + (b2 * (1 - b2) + a2 * (1 - a2)) / 12) ** 0.5
    assert e.margin == pytest.approx(margin)
    assert e.verdict == "better" and "tăng nhiều hơn" in e.sentence()


def test_a_small_rise_within_the_margin_is_called_unclear(session):
    past, _a, _o = _world(session, after_attendee_users=5)
    e = session_effect(session, past, today=TODAY)
    assert e.treated.after_used == 15 and e.verdict == "unclear"
    assert "Chưa thấy khác biệt rõ ràng" in e.sentence()


def test_too_few_people_say_so(session):
    past, _a, _o = _world(session, after_attendee_users=3, attendees_per_unit=2)
    e = session_effect(session, past, today=TODAY)
    assert e.treated.people == 4 < MIN_PEOPLE
    assert e.verdict == "too_few" and "quá ít" in e.sentence()


def test_the_unit_scope_counts_everyone_in_the_attendees_units(session):
    past, _a, _o = _world(session, after_attendee_users=10, attendees_per_unit=3)
    e = session_effect(session, past, scope="units", today=TODAY)
    assert e.treated.people == 12 and e.comparison.people == 12


def test_people_trained_on_the_topic_elsewhere_leave_the_comparison(session):
    past, _a, others = _world(session, after_attendee_users=10)
    _session(session, others[:2], [], day=date(2026, 6, 20))
    e = session_effect(session, past, today=TODAY)
    assert e.comparison.people == 10


def test_no_measure_and_no_data_after(session):
    past, attendees, _o = _world(session, after_attendee_users=10)
    security = _session(session, attendees, [], topic="security")
    assert session_effect(session, security, today=TODAY).verdict == "no_measure"
    late = _session(session, attendees, [], day=date(2026, 8, 20))
    e = session_effect(session, late, today=TODAY)
    assert e.verdict == "no_after" and e.months_after == ()


def test_the_pages_show_the_comparison(client, session, monkeypatch):
    import adoption.views

    monkeypatch.setattr(adoption.views, "local_today", lambda: TODAY)
    past, _a, _o = _world(session, after_attendee_users=10)
    login_as(client, make_user(session, Role.IT_STAFF))
    page = client.get("/adoption/training").get_data(as_text=True)
    assert "Lớp thư công vụ" in page
    r = client.get(f"/adoption/training/sessions/{past.id}")
    assert r.status_code == 200 and "16,7%" in r.get_data(as_text=True) and "<svg" in r.get_data(as_text=True)
    assert client.get("/adoption/training/sessions/999999").status_code == 404
