"""Who needs training on a topic: lagging officials and lagging units (used by ``training``).

An active official lags on a topic when they have not started it, are failing it (best final score
below ``threshold_percent``, or no final score yet), or their certificate has expired or expires
within ``expiring_within_days``. ``need`` (0-100, higher = more need):

* not started: 100;
* expired certificate: 80;
* failing: 50 + 40 x (threshold - best) / threshold (90 with no final score yet);
* certificate expiring: 40 x (1 - days left / window), at least 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from competency.index import Weights, competency_index
from competency.models import CompetencyRecord, RecordStatus
from competency.records import effective_status_expr, valid_cert_expr
from lms.org.models import Official, Unit
from lms.text import vi_sort_key
from lms.time import local_today
from lms.topics import Topic


@dataclass(frozen=True)
class LaggingOfficial:
    official_id: int
    unit_id: int
    full_name: str
    unit_name: str
    status: str
    best_percent: float | None
    cert_expires_on: date | None
    need: float  # higher = more need


@dataclass(frozen=True)
class LaggingUnit:
    unit_id: int
    unit_name: str
    block: str
    officials: int
    lagging: int
    share_lagging: float
    index: float


def _lagging_condition(today: date, threshold_percent: float, expiring_within_days: int):
    status = func.coalesce(effective_status_expr(CompetencyRecord, today), RecordStatus.NOT_STARTED.value)
    cutoff = today + timedelta(days=expiring_within_days)
    return or_(
        CompetencyRecord.id.is_(None),
        status == "not_started",
        status == "cert_expired",
        and_(
            status.in_(("in_progress", "passed")),
            or_(CompetencyRecord.best_percent.is_(None), CompetencyRecord.best_percent < threshold_percent),
        ),
        and_(
            status == "cert_valid",
            CompetencyRecord.cert_expires_on.is_not(None),
            CompetencyRecord.cert_expires_on <= cutoff,
        ),
    ), status


def _need(status: str, best: float | None, expires: date | None, threshold: float, window: int, today: date) -> float:
    if status == "not_started":
        return 100.0
    if status == "cert_expired":
        return 80.0
    if status in ("in_progress", "passed"):
        if best is None:
            return 90.0
        return 50.0 + 40.0 * max(0.0, threshold - best) / threshold if threshold else 50.0
    days_left = (expires - today).days if expires else window
    return max(1.0, 40.0 * (1 - days_left / window)) if window > 0 else 40.0


def lagging_officials(
    session: Session,
    topic: Topic,
    *,
    threshold_percent: float = 70.0,
    expiring_within_days: int = 60,
    unit_ids=None,
    today: date | None = None,
    limit: int | None = None,
) -> list[LaggingOfficial]:
    """Active officials lagging on ``topic``, most need first, then by name (Vietnamese order)."""
    today = today or local_today()
    topic = Topic(topic)
    condition, status = _lagging_condition(today, threshold_percent, expiring_within_days)
    query = (
        select(
            Official.id,
            Official.unit_id,
            Official.family_name,
            Official.middle_name,
            Official.given_name,
            Official.sort_key,
            Unit.name,
            status.label("status"),
            CompetencyRecord.best_percent,
            CompetencyRecord.cert_expires_on,
        )
        .join(Unit, Unit.id == Official.unit_id)
        .outerjoin(
            CompetencyRecord,
            and_(CompetencyRecord.official_id == Official.id, CompetencyRecord.topic == topic),
        )
        .where(Official.active.is_(True), condition)
    )
    if unit_ids is not None:
        query = query.where(Official.unit_id.in_(list(unit_ids)))
    rows = []
    for row in session.execute(query):
        need = _need(row.status, row.best_percent, row.cert_expires_on, threshold_percent, expiring_within_days, today)
        rows.append((row, round(need, 4)))
    rows.sort(key=lambda item: (-item[1], item[0].sort_key, item[0].id))
    if limit is not None:
        rows = rows[:limit]
    from lms.text import join_name

    return [
        LaggingOfficial(
            official_id=row.id,
            unit_id=row.unit_id,
            full_name=join_name(row.family_name, row.middle_name, row.given_name),
            unit_name=row.name,
            status=str(row.status),
            best_percent=row.best_percent,
            cert_expires_on=row.cert_expires_on,
            need=need,
        )
        for row, need in rows
    ]


def lagging_units(
    session: Session,
    topic: Topic,
    *,
    threshold_share: float = 0.5,
    today: date | None = None,
    threshold_percent: float = 70.0,
    expiring_within_days: int = 60,
) -> list[LaggingUnit]:
    """Units where at least ``threshold_share`` of active officials lag on ``topic``; most need first
    (share lagging desc, then more lagging people, then lower index, then name). One GROUP BY."""
    from competency.rankings import block_of

    today = today or local_today()
    topic = Topic(topic)
    condition, _status = _lagging_condition(today, threshold_percent, expiring_within_days)
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    query = (
        select(
            Unit.id,
            Unit.name,
            Unit.kind,
            func.count(Official.id).label("officials"),
            one(condition).label("lagging"),
            one(valid_cert_expr(CompetencyRecord, today)).label("certified"),
            one(CompetencyRecord.attempts_count > 0).label("participants"),
            func.avg(CompetencyRecord.best_percent).label("avg_best"),
        )
        .join(Official, Official.unit_id == Unit.id)
        .outerjoin(
            CompetencyRecord,
            and_(CompetencyRecord.official_id == Official.id, CompetencyRecord.topic == topic),
        )
        .where(Official.active.is_(True))
        .group_by(Unit.id, Unit.name, Unit.kind)
    )
    weights = Weights.from_config().competency_only()  # the topic's competency alone
    result = []
    for row in session.execute(query):
        officials = int(row.officials or 0)
        if not officials:
            continue
        lagging = int(row.lagging or 0)
        share = lagging / officials
        if share + 1e-12 < threshold_share:
            continue
        index = competency_index(
            (row.certified or 0) / officials,
            float(row.avg_best) if row.avg_best is not None else None,
            (row.participants or 0) / officials,
            weights,
        )
        result.append(
            LaggingUnit(
                unit_id=row.id,
                unit_name=row.name,
                block=block_of(row.kind),
                officials=officials,
                lagging=lagging,
                share_lagging=round(share, 6),
                index=round(index, 2),
            )
        )
    result.sort(key=lambda u: (-u.share_lagging, -u.lagging, u.index, vi_sort_key(u.unit_name), u.unit_id))
    return result
