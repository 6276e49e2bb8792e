"""Working days in Vietnam: Saturdays, Sundays and the public holidays are days off.

The holidays come from the maintained ``holidays`` package: the fixed ones (1 January, 30 April,
1 May, 2 September and the day beside it) and the lunar ones it computes (Tết Nguyên Đán, the Hùng
Kings' day), with the make-up days off the government grants when a holiday falls on a weekend.
The province may move days off by decision in a given year; this is the national calendar.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays
from flask_babel import gettext as _


@functools.cache
def _holidays(year: int, language: str) -> dict[date, str]:
    return dict(holidays.country_holidays("VN", years=year, language=language))


def day_off(day: date, locale: str = "vi") -> str | None:
    """Why ``day`` is not a working day, in the reader's language (the holiday's name, "Thứ Bảy",
    "Chủ nhật"), or None on a working day."""
    name = _holidays(day.year, "vi" if locale == "vi" else "en_US").get(day)
    if name:
        return name
    if day.weekday() == 5:
        return _("Thứ Bảy")
    if day.weekday() == 6:
        return _("Chủ nhật")
    return None


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year, "vi")


def next_working_day(day: date) -> date:
    """The first working day after ``day``."""
    following = day + timedelta(days=1)
    while not is_working_day(following):
        following += timedelta(days=1)
    return following
