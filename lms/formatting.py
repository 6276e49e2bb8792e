"""Numbers, percentages, dates and times as the reader's language writes them.

Everything a person reads goes through these helpers (Jinja filters of the same names, PDFs, e-mails,
charts): Vietnamese writes ``85,5%`` and ``1.234``, English ``85.5%`` and ``1,234`` (CLDR data via
Babel, the locale Flask-Babel chose for the request, or the one passed in for an e-mail). Dates are
``dd/mm/yyyy`` and times 24-hour in both languages (the province's convention; an English reader in
Vietnam reads them the same), always in Vietnam time (``Asia/Ho_Chi_Minh``) whatever the server's zone.

Outside a request (a CLI command, a background sender) the locale is the app's default, Vietnamese.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from numbers import Real

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent
from flask import Flask, current_app, g, has_app_context, has_request_context, request

from lms.time import VN_TZ

DATE_PATTERN = "dd/MM/yyyy"
TIME_PATTERN = "HH:mm"
DATETIME_PATTERN = f"{DATE_PATTERN} {TIME_PATTERN}"
MISSING = "—"


def current_locale() -> str:
    """The reader's locale: the one ``flask_babel.force_locale`` sets (an e-mail in its recipient's
    language), else the request's (``lms.select_locale``, looked up once per request and kept on the
    request object: Flask-Babel keeps it on ``g``, which outlives a request in tests and CLI
    commands), else Vietnamese."""
    if not has_app_context():
        return "vi"
    forced = getattr(getattr(g, "_flask_babel", None), "forced_babel_locale", None)
    if forced is not None:
        return str(forced)
    if not has_request_context():
        return "vi"
    req = request._get_current_object()
    locale = req.__dict__.get("_lms_locale")
    if locale is None:
        from flask_babel import get_babel

        selector = get_babel().locale_selector
        locale = req._lms_locale = str((selector() if selector else None) or "vi")
    return locale


def _pattern(digits: int | None, trim: bool, group: bool = True) -> str:
    whole = "#,##0" if group else "0"
    if digits is None:
        return whole + ".##"
    if digits <= 0:
        return whole
    return whole + "." + ("#" if trim else "0") * digits


@functools.lru_cache(maxsize=4096)
def _number(babel_format, value, _kind: type, pattern: str, locale: str) -> str:
    """A number formatted by Babel, remembered: a pure function of its arguments (``_kind``, the value's
    type, keeps ``1`` and ``1.0`` apart), and a result page formats 40 marks that are mostly the same
    few values at ~20 µs each."""
    return babel_format(value, format=pattern, locale=locale)


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def format_decimal(
    value, digits: int | None = None, *, trim: bool = False, group: bool = True, locale: str | None = None
) -> str:
    """``value`` with ``digits`` decimals (None: up to two, as needed; ``trim`` drops trailing zeros),
    the locale's decimal and grouping marks: ``format_decimal(85.0, 1)`` is ``85,0`` in Vietnamese.
    ``group=False`` for numbers read as they are typed (a quiz's numerical answer, a year). None is a dash."""
    if value is None:
        return MISSING
    if not _is_number(value):
        value = float(value)
    return _number(_babel_decimal, value, type(value), _pattern(digits, trim, group), locale or current_locale())


def format_percent(
    value, digits: int = 1, *, ratio: bool = False, trim: bool = False, locale: str | None = None
) -> str:
    """A percentage: ``value`` is in percent (85.5 -> ``85,5%``), or a share of one with ``ratio=True``
    (0.855 -> ``85,5%``). None is a dash."""
    if value is None:
        return MISSING
    share = float(value) if ratio else float(value) / 100
    return _number(_babel_percent, share, float, _pattern(digits, trim) + "%", locale or current_locale())


def _local(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime: the database gives aware UTC values")
        return value.astimezone(VN_TZ)
    return value


def format_date(value: date | datetime | None, *, locale: str | None = None) -> str:
    """``dd/mm/yyyy``; a moment is first put in Vietnam time (its Vietnamese calendar day)."""
    if value is None:
        return ""
    return _babel_date(_local(value), DATE_PATTERN, locale=locale or current_locale())


def format_datetime(value: datetime | None, pattern: str = DATETIME_PATTERN, *, locale: str | None = None) -> str:
    """An aware moment in Vietnam time, ``dd/mm/yyyy HH:mm`` (24-hour) unless another CLDR pattern is given."""
    if value is None:
        return ""
    return _babel_datetime(_local(value), pattern, tzinfo=VN_TZ, locale=locale or current_locale())


def format_time(value: datetime | None, *, locale: str | None = None) -> str:
    """``HH:mm`` (24-hour) in Vietnam time."""
    return format_datetime(value, TIME_PATTERN, locale=locale)


def _strftime_localtime(value, fmt: str | None = None) -> str:
    """The ``localtime`` filter: Vietnam time, ``dd/mm/yyyy HH:mm`` or a strftime pattern of digits
    (``"%H:%M"``, ``"%d/%m/%Y"``), which read the same in every language."""
    if value is None:
        return ""
    if fmt is None:
        return format_datetime(value)
    return _local(value).strftime(fmt)


_DOT_DECIMAL = re.compile(r"(?<![\w.,:/-])(\d+)\.(\d+)(?![\w.,:/-])")


def localize_numbers(text: str | None, *, locale: str | None = None) -> str:
    """Free text written by the system (an audit entry's "score=87.50") with its decimal numbers in
    the reader's marks; addresses, versions and codes (``127.0.0.1``, ``2026.1.3``, ``A-1.5``) stay."""
    if not text:
        return ""
    loc = locale or current_locale()

    def one(match: re.Match) -> str:
        digits = len(match.group(2))
        return format_decimal(float(match.group(0)), digits, group=False, locale=loc)

    return _DOT_DECIMAL.sub(one, text)


def ui_strings() -> dict[str, str]:
    """What the date picker and the checkbox lists say, in the page's language (``base.html`` puts
    them on a hidden element as ``data-*`` attributes; the scripts carry no text of their own).
    Built once per language and app (every page asks; the catalogs do not change while it runs)."""
    locale = current_locale()
    cache = current_app.extensions.setdefault("lms_ui_strings", {})
    strings = cache.get(locale)
    if strings is None:
        strings = cache[locale] = _ui_strings(locale)
    return dict(strings)


def _ui_strings(locale: str) -> dict[str, str]:
    from babel.dates import get_day_names, get_month_names
    from flask_babel import gettext as _

    months = get_month_names("wide", "stand-alone", locale=locale)
    short_days = get_day_names("short", "stand-alone", locale=locale)
    long_days = get_day_names("wide", "stand-alone", locale=locale)
    return {
        "data-months": "|".join(months[m] for m in range(1, 13)),
        "data-days-short": "|".join(short_days[d] for d in range(7)),  # Monday first
        "data-days-long": "|".join(long_days[d] for d in range(7)),
        "data-calendar-button": _("Lịch"),
        "data-open-calendar": _("Chọn ngày trên lịch"),
        "data-calendar": _("Lịch chọn ngày"),
        "data-prev-month": _("Tháng trước"),
        "data-next-month": _("Tháng sau"),
        "data-close": _("Đóng lịch"),
        "data-today": _("Hôm nay"),
        "data-calendar-help": _("Dùng phím mũi tên để đổi ngày, Enter để chọn, Esc để đóng."),
        "data-chosen": _("Đã chọn {n} trên {total}."),
        "data-shown": _("Đang hiện {shown} tên khớp với “{q}”."),
    }


FILTERS = {
    "decimal": format_decimal,
    "percent": format_percent,
    "vndate": format_date,
    "vndatetime": format_datetime,
    "vntime": format_time,
    "localtime": _strftime_localtime,
    "localize_numbers": localize_numbers,
}


def init_app(app: Flask) -> None:
    """The helpers as Jinja filters (``{{ x|decimal(1) }}``, ``{{ p|percent }}``, ``{{ d|vndate }}``)
    and globals of the same names (``format_decimal(...)``) for templates that prefer calls."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(
        format_decimal=format_decimal,
        format_percent=format_percent,
        format_date=format_date,
        format_datetime=format_datetime,
        format_time=format_time,
        ui_strings=ui_strings,
    )
