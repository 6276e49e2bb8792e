"""A unit's staff table: each active official's four topics, filterable, sortable, paginated."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.competency.models import CompetencyRecord
from lms.competency.records import effective_status_expr, local_today
from lms.org.models import Official
from lms.topics import Topic

STAFF_FILTERS = ("not_started", "failing", "passed", "expiring")
STAFF_SORTS = ("name", "status", "score")
PAGE_SIZE = 25
_STATUS_ORDER = {"not_started": 0, "in_progress": 1, "passed": 2, "cert_expired": 1, "cert_valid": 3}


class TopicCell(NamedTuple):
    topic: str
    status: str
    best_percent: float | None
    attempts: int
    cert_expires_on: date | None
    last_activity_at: datetime | None


class StaffRow(NamedTuple):
    official_id: int
    full_name: str
    code: str
    position: str
    sort_key: str
    cells: tuple[TopicCell, ...]
    overall: str  # not_started | failing | passed | in_progress
    certified: int
    avg_best: float | None
    expiring: bool


def _overall(cells, expiring: bool) -> str:
    statuses = [c.status for c in cells]
    if all(s == "not_started" for s in statuses):
        return "not_started"
    if all(s in ("passed", "cert_valid") for s in statuses):
        return "passed"
    if any(s == "in_progress" for s in statuses):
        return "failing"
    return "in_progress"


def staff_rows(session: Session, unit_id: int, today: date | None = None, expiring_days: int = 60) -> list[StaffRow]:
    """Every active official of the unit with their four topic cells, in name order."""
    today = today or local_today()
    officials = session.execute(
        select(
            Official.id,
            Official.family_name,
            Official.middle_name,
            Official.given_name,
            Official.code,
            Official.position,
            Official.sort_key,
        )
        .where(Official.unit_id == unit_id, Official.active.is_(True))
        .order_by(Official.sort_key, Official.id)
    ).all()
    records: dict[tuple[int, str], tuple] = {}
    status = effective_status_expr(CompetencyRecord, today)
    for row in session.execute(
        select(
            CompetencyRecord.official_id,
            CompetencyRecord.topic,
            status.label("status"),
            CompetencyRecord.best_percent,
            CompetencyRecord.attempts_count,
            CompetencyRecord.cert_expires_on,
            CompetencyRecord.last_activity_at,
        )
        .join(Official, Official.id == CompetencyRecord.official_id)
        .where(Official.unit_id == unit_id, Official.active.is_(True))
    ):
        records[(row.official_id, Topic(row.topic).value)] = row
    soon = today + timedelta(days=expiring_days)
    rows = []
    for o in officials:
        cells = []
        for topic in Topic:
            r = records.get((o.id, topic.value))
            cells.append(
                TopicCell(
                    topic=topic.value,
                    status=str(r.status) if r else "not_started",
                    best_percent=r.best_percent if r else None,
                    attempts=r.attempts_count if r else 0,
                    cert_expires_on=r.cert_expires_on if r else None,
                    last_activity_at=r.last_activity_at if r else None,
                )
            )
        expiring = any(
            c.status == "cert_expired" or (c.status == "cert_valid" and c.cert_expires_on and c.cert_expires_on <= soon)
            for c in cells
        )
        scores = [c.best_percent for c in cells if c.best_percent is not None]
        rows.append(
            StaffRow(
                official_id=o.id,
                full_name=" ".join(p for p in (o.family_name, o.middle_name, o.given_name) if p),  # stored clean
                code=o.code or "",
                position=str(getattr(o.position, "value", o.position)),
                sort_key=o.sort_key,
                cells=tuple(cells),
                overall=_overall(cells, expiring),
                certified=sum(1 for c in cells if c.status == "cert_valid"),
                avg_best=sum(scores) / len(scores) if scores else None,
                expiring=expiring,
            )
        )
    return rows


def filter_and_sort(rows: list[StaffRow], show: str = "", sort: str = "name", desc: bool = False) -> list[StaffRow]:
    if show == "not_started":
        rows = [r for r in rows if r.overall == "not_started"]
    elif show == "failing":
        rows = [r for r in rows if r.overall == "failing"]
    elif show == "passed":
        rows = [r for r in rows if r.overall == "passed"]
    elif show == "expiring":
        rows = [r for r in rows if r.expiring]
    if sort == "status":
        key = lambda r: (r.certified, _STATUS_ORDER.get(r.overall, 1), r.sort_key)  # noqa: E731
    elif sort == "score":
        key = lambda r: (r.avg_best if r.avg_best is not None else -1, r.sort_key)  # noqa: E731
    else:
        key = lambda r: (r.sort_key, r.official_id)  # noqa: E731
    return sorted(rows, key=key, reverse=desc)
