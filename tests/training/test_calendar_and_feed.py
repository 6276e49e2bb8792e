"""The .ics files parsed back with icalendar, the calendar pages and the private feed URL."""

from __future__ import annotations

from datetime import UTC, timedelta

from icalendar import Calendar

from lms.auth.models import Role
from lms.time import to_local
from tests.factories import login_as, make_official, make_unit, make_user
from tests.training.factories import make_session
from training import services
from training.calendar import session_ics


def _event(ics: str):
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    return event


def test_session_ics_has_uid_utc_times_and_sequence(session):
    training_session = make_session(session, title="Bảo mật thư điện tử")
    event = _event(
        session_ics(training_session, method="REQUEST", organizer="taphuan@vinhphuc.gov.vn", attendee="a@b.vn")
    )
    assert str(event["UID"]) == f"training-session-{training_session.id}@lms.egov.local"
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    assert start == training_session.starts_at.astimezone(UTC)
    assert event.decoded("DTEND") == training_session.ends_at
    assert int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == "Bảo mật thư điện tử"
    assert Calendar.from_ical(session_ics(training_session, method="REQUEST"))["METHOD"] == "REQUEST"


def test_update_and_cancel_raise_sequence_same_uid(session):
    training_session = make_session(session, open_registration=True)
    first = _event(session_ics(training_session, method="REQUEST"))
    data = services.TrainingSessionInput(
        title=training_session.title,
        topic=training_session.topic,
        kind=training_session.kind,
        starts_at=training_session.starts_at + timedelta(days=1),
        ends_at=training_session.ends_at + timedelta(days=1),
        place="Phòng mới",
        capacity=training_session.capacity,
        open_registration=True,
    )
    services.update_training_session(session, training_session, data, None)
    updated = _event(session_ics(training_session, method="REQUEST"))
    services.cancel_training_session(session, training_session, None)
    cancel_cal = Calendar.from_ical(session_ics(training_session, method="CANCEL"))
    cancelled = cancel_cal.walk("VEVENT")[0]
    assert str(first["UID"]) == str(updated["UID"]) == str(cancelled["UID"])
    assert int(first["SEQUENCE"]) < int(updated["SEQUENCE"]) < int(cancelled["SEQUENCE"])
    assert cancel_cal["METHOD"] == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert str(updated["LOCATION"]) == "Phòng mới"


def test_session_ics_download(client, session):
    user = make_user(session, Role.IT_STAFF)
    training_session = make_session(session)
    session.commit()
    login_as(client, user)
    r = client.get(f"/training/{training_session.id}.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    assert str(_event(r.get_data(as_text=True))["UID"]).startswith(f"training-session-{training_session.id}@")


def test_feed_token_wrong_or_revoked_is_404(client, session):
    user = make_user(session, Role.OFFICIAL)
    training_session = make_session(session, open_registration=True, title="Buổi của tôi")
    other = make_session(session, title="Buổi của người khác")
    services.register_self(session, training_session, user.official)
    token = services.create_token(session, user)
    session.commit()
    r = client.get(f"/training/feed/{token.token}.ics")  # public: no login
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(r.get_data(as_text=True)).walk("VEVENT")]
    assert summaries == ["Buổi của tôi"] and other.title not in summaries
    assert client.get("/training/feed/not-a-token.ics").status_code == 404
    assert client.get(f"/training/feed/{token.token[:-1]}x.ics").status_code == 404
    services.revoke_tokens(session, user)
    session.commit()
    assert client.get(f"/training/feed/{token.token}.ics").status_code == 404


def test_feed_settings_page_creates_and_revokes(client, session):
    user = make_user(session)
    login_as(client, user)
    r = client.post("/training/calendar-feed", data={"action": "new"}, follow_redirects=True)
    assert r.status_code == 200
    token = services.active_token(session, user.id)
    assert token is not None and f"/training/feed/{token.token}.ics" in r.get_data(as_text=True)
    client.post("/training/calendar-feed", data={"action": "revoke"})
    session.expire_all()
    assert services.active_token(session, user.id) is None


def test_calendar_month_and_week_show_own_sessions_only(client, session):
    unit = make_unit(session)
    me = make_user(session, Role.OFFICIAL, unit=unit)
    mine = make_session(session, open_registration=True, title="Buổi của tôi")
    make_session(session, title="Buổi không liên quan")
    services.register_self(session, mine, me.official)
    session.commit()
    login_as(client, me)
    day = to_local(mine.starts_at).date().isoformat()
    for view in ("month", "week"):
        html = client.get(f"/training/calendar?view={view}&date={day}").get_data(as_text=True)
        assert "Buổi của tôi" in html and "Buổi không liên quan" not in html
        assert 'rel="prev"' in html and 'rel="next"' in html
    staff = make_user(session, Role.IT_STAFF)
    login_as(client, staff)
    html = client.get(f"/training/calendar?date={day}").get_data(as_text=True)
    assert "Buổi của tôi" in html and "Buổi không liên quan" in html
    assert client.get("/training/calendar?date=garbage").status_code == 200


def test_unit_head_calendar_shows_sessions_of_their_unit(client, session):
    unit = make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    training_session = make_session(session, title="Buổi có cán bộ của đơn vị")
    services.invite(session, training_session, official_ids=[make_official(session, unit).id])
    make_session(session, title="Buổi đơn vị khác")
    session.commit()
    login_as(client, head)
    day = to_local(training_session.starts_at).date().isoformat()
    html = client.get(f"/training/calendar?view=week&date={day}").get_data(as_text=True)
    assert "Buổi có cán bộ của đơn vị" in html and "Buổi đơn vị khác" not in html
