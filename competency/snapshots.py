"""Monthly unit snapshots: the figures and ranks at the end of a month, for trends and rank changes."""

from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from competency.models import UnitSnapshot
from competency.rankings import RankingFilters, rank_units
from competency.records import mark_dirty
from lms.time import local_today, utcnow


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def parse_month(text: str) -> date:
    """``"2026-11"`` -> ``date(2026, 11, 1)``; ValueError otherwise."""
    year, mon = text.strip().split("-")
    return date(int(year), int(mon), 1)


def take_snapshot(session: Session, month: date | None = None, today: date | None = None) -> int:
    """Store every unit's current figures and block rank as the snapshot of ``month``.

    Idempotent: taking the same month again replaces that month's rows (unique (unit, month)), so
    the last run of the month wins. Certificates are judged valid as of the month's last day, or
    today for the current month; the registered parts (adoption's usage) give that month's figures
    (or their latest before it), not a later month's. Returns the number of units stored.
    """
    today = today or local_today()
    month = month_start(month or today)
    as_of = min(month_end(month), today) if month <= today else month_end(month)
    ranked = rank_units(session, RankingFilters(), today=as_of, parts_month=month)  # usage of that month too
    session.execute(
        delete(UnitSnapshot).where(UnitSnapshot.month == month).execution_options(synchronize_session=False)
    )
    now = utcnow()
    rows = [
        {
            "unit_id": u.unit_id,
            "month": month,
            "block": u.block,
            "officials": u.officials,
            "participants": u.participants,
            "participation": round(u.participation, 6),
            "coverage": {t: round(v, 6) for t, v in u.coverage},
            "avg_best": round(u.avg_best, 4) if u.avg_best is not None else 0.0,
            "index": u.index,
            "rank": u.rank,
            "created_at": now,
        }
        for u in ranked
    ]
    if rows:
        session.execute(insert(UnitSnapshot), rows)
    session.flush()
    mark_dirty(session)
    return len(rows)


def snapshot_months(session: Session, limit: int = 12) -> list[date]:
    """The latest ``limit`` months that have snapshots, oldest first."""
    months = session.scalars(
        select(UnitSnapshot.month).distinct().order_by(UnitSnapshot.month.desc()).limit(limit)
    ).all()
    return sorted(months)


def trend(session: Session, unit_ids=None, limit: int = 12) -> dict[int, list[tuple[date, float, int | None]]]:
    """{unit_id: [(month, index, rank), ...]} over the last ``limit`` snapshot months."""
    months = snapshot_months(session, limit)
    if not months:
        return {}
    query = (
        select(UnitSnapshot.unit_id, UnitSnapshot.month, UnitSnapshot.index, UnitSnapshot.rank)
        .where(UnitSnapshot.month.in_(months))
        .order_by(UnitSnapshot.unit_id, UnitSnapshot.month)
    )
    if unit_ids is not None:
        query = query.where(UnitSnapshot.unit_id.in_(list(unit_ids)))
    out: dict[int, list] = {}
    for unit_id, month, index, rank in session.execute(query):
        out.setdefault(unit_id, []).append((month, index, rank))
    return out
