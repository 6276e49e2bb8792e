"""Time in Vietnam, in one place.

The database stores UTC (``lms.database.UTCDateTime``); people read and type Vietnam time
(Asia/Ho_Chi_Minh, UTC+7, no daylight saving). A "day" (due dates, expiry, "today") is always
Vietnam's calendar day, never the server's: ``date.today()`` is the server's local day and is not
used anywhere.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (what the database stores)."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in Vietnam."""
    return datetime.now(VN_TZ).date()


def to_local(value: datetime | None) -> datetime | None:
    """An aware moment as Vietnam time (None stays None)."""
    return value.astimezone(VN_TZ) if value is not None else None


def local_day(value: datetime) -> date:
    """The Vietnam calendar day of an aware moment (e.g. a completion time -> the issue day)."""
    return value.astimezone(VN_TZ).date()


def local_to_utc(value: datetime | None) -> datetime | None:
    """A date-time typed in Vietnam time (naive, as forms give it) -> aware UTC; None stays None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    return value.astimezone(UTC)


def to_local_naive(value: datetime | None) -> datetime | None:
    """An aware moment as naive Vietnam time, to fill a form's date-time field; None stays None."""
    return value.astimezone(VN_TZ).replace(tzinfo=None) if value is not None else None
