"""iCalendar (.ics) for training sessions, and the month/week grids of the calendar pages."""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

from lms.time import VN_TZ, to_local, utcnow
from training.models import SessionKind, TrainingSession

PRODID = "-//Nen tang hoc tap chinh quyen dien tu//Tap huan//VI"
UID_DOMAIN = "lms.egov.local"


def session_uid(training_session: TrainingSession) -> str:
    """Stable UID: every update or cancellation of a session refers to the same calendar event."""
    return f"training-session-{training_session.id}@{UID_DOMAIN}"


def _event(
    training_session: TrainingSession, *, url: str | None, cancelled: bool, organizer: str | None, attendee: str | None
):
    event = Event()
    event.add("uid", session_uid(training_session))
    event.add("dtstamp", utcnow().replace(microsecond=0))
    event.add("dtstart", training_session.starts_at)
    event.add("dtend", training_session.ends_at)
    event.add("sequence", training_session.sequence)
    event.add("summary", training_session.title)
    location = (
        training_session.link
        if training_session.kind == SessionKind.ONLINE and training_session.link
        else training_session.place
    )
    if location:
        event.add("location", location)
    description = [training_session.notes] if training_session.notes else []
    if training_session.link:
        description.append(training_session.link)
    if url:
        description.append(url)
        event.add("url", url)
    if description:
        event.add("description", "\n\n".join(description))
    event.add("status", "CANCELLED" if cancelled or training_session.is_cancelled else "CONFIRMED")
    if organizer:
        org = vCalAddress(f"mailto:{organizer}")
        org.params["cn"] = vText("Tập huấn CNTT")
        event.add("organizer", org)
    if attendee:
        att = vCalAddress(f"mailto:{attendee}")
        att.params["role"] = vText("REQ-PARTICIPANT")
        att.params["rsvp"] = vText("FALSE")
        event.add("attendee", att)
    return event


def _calendar(method: str | None = None, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    return cal


def session_ics(
    training_session: TrainingSession,
    *,
    method: str = "PUBLISH",
    url: str | None = None,
    organizer: str | None = None,
    attendee: str | None = None,
) -> str:
    """One session as an .ics document. ``method`` REQUEST (invitation/update) or CANCEL (e-mails), PUBLISH."""
    cal = _calendar(method)
    cal.add_component(
        _event(training_session, url=url, cancelled=method == "CANCEL", organizer=organizer, attendee=attendee)
    )
    return cal.to_ical().decode("utf-8")


def feed_ics(sessions, name: str, url_for_session=None) -> str:
    """A subscription feed: every session of a user (cancelled ones stay, marked CANCELLED)."""
    cal = _calendar(name=name)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for training_session in sessions:
        cal.add_component(
            _event(
                training_session,
                url=url_for_session(training_session) if url_for_session else None,
                cancelled=False,
                organizer=None,
                attendee=None,
            )
        )
    return cal.to_ical().decode("utf-8")


# -- grids for the calendar pages ------------------------------------------------------------------
@dataclass
class Day:
    day: date
    in_month: bool
    is_today: bool
    sessions: list


def local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants covering the local days ``first``..``last`` inclusive."""
    start = datetime.combine(first, time.min, tzinfo=VN_TZ)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=VN_TZ)
    return start, end


def month_range(anchor: date) -> tuple[date, date]:
    """Monday before the 1st .. Sunday after the last day: whole weeks."""
    first = anchor.replace(day=1)
    last = first.replace(day=_cal.monthrange(first.year, first.month)[1])
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def week_range(anchor: date) -> tuple[date, date]:
    start = anchor - timedelta(days=anchor.weekday())
    return start, start + timedelta(days=6)


def build_days(first: date, last: date, sessions, today: date, month: int | None = None) -> list[Day]:
    by_day: dict[date, list] = {}
    for training_session in sessions:
        by_day.setdefault(to_local(training_session.starts_at).date(), []).append(training_session)
    days = []
    d = first
    while d <= last:
        days.append(
            Day(d, month is None or d.month == month, d == today, sorted(by_day.get(d, []), key=lambda s: s.starts_at))
        )
        d += timedelta(days=1)
    return days


def weeks(days: list[Day]) -> list[list[Day]]:
    return [days[i : i + 7] for i in range(0, len(days), 7)]


def shift_month(anchor: date, delta: int) -> date:
    month = anchor.month - 1 + delta
    year = anchor.year + month // 12
    return date(year, month % 12 + 1, 1)
