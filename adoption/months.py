"""Months as the first day of the month, and Vietnam's today."""

from __future__ import annotations

import calendar
from datetime import date

from lms.time import local_today


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + (month.month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last`` (both included), oldest first."""
    out, month = [], month_start(first)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def parse_month(text: str | None) -> date | None:
    """``2026-11``, ``11/2026`` or ``2026-11-01`` -> ``date(2026, 11, 1)``; None when unreadable."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        if "/" in value:
            parts = value.split("/")
            mon, year = parts[-2], parts[-1]
        else:
            year, mon = value.split("-")[:2]
        month = date(int(year), int(mon), 1)
    except ValueError:
        return None
    return month if 2000 <= month.year <= 2100 else None


def as_of(month: date, today: date | None = None) -> date:
    """The day a month's figures are judged on: its last day, or today for the current month."""
    today = today or local_today()
    return min(month_end(month), today) if month <= today else month_end(month)


def label(month: date) -> str:
    """``11/2026``, as the province's reports write a month."""
    return f"{month.month:02d}/{month.year}"
