"""Numbers in the reader's way (``lms.formatting``, Babel): in Vietnamese ``1.234`` (thousands with a
dot), ``45,5%`` (decimal comma); in English ``1,234`` and ``45.5%``."""

from __future__ import annotations

from lms.formatting import format_decimal, format_percent


def vn_int(value) -> str:
    """``12345`` -> ``12.345`` (in the reader's locale: ``12,345`` in English); None -> ``—``."""
    if value is None:
        return "—"
    return format_decimal(int(value), 0)


def vn_num(value, digits: int = 1) -> str:
    """``1234.56`` -> ``1.234,6`` (the reader's marks, ``lms.formatting``); None -> ``—``."""
    if value is None:
        return "—"
    return format_decimal(float(value), digits)


def vn_pct(share, digits: int = 1) -> str:
    """A share 0..1 as a percentage: ``0.4551`` -> ``45,5%``; None -> ``—``."""
    if share is None:
        return "—"
    return format_percent(share, digits, ratio=True)


def vn_points(change, digits: int = 1) -> str:
    """A change in percentage points with its sign: ``+3,2`` / ``−1,0``."""
    if change is None:
        return "—"
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    return sign + vn_num(abs(change), digits)


def vn_date(day) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


def vn_long_date(day) -> str:
    """As official documents write a date (NĐ 30/2020, Phụ lục I): ``ngày 05 tháng 3 năm 2026``,
    days below 10 and months 1-2 with a leading zero."""
    from flask_babel import gettext as _

    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return _("ngày %(d)s tháng %(m)s năm %(y)s", d=f"{day.day:02d}", m=month, y=day.year)


FILTERS = {
    "vn_int": vn_int,
    "vn_num": vn_num,
    "vn_pct": vn_pct,
    "vn_points": vn_points,
    "vn_date": vn_date,
    "long_date": vn_long_date,
}
