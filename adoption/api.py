"""What other features may read of adoption (everything else in the package is private).

* ``unit_usage_scores``: each unit's usage score (0-100) in the latest month with data (the unit
  ranking's usage component);
* ``low_usage_units`` / ``low_usage_officials``: where use is lacking (training targeting: on-site
  support goes where use is lacking);
* ``usage_explanation``: one sentence for pages that show the usage component;
* ``ranking_scores`` / ``ranking_explanation``: the usage part of the unit ranking as competency's
  ``register_index_component`` takes it (registered by ``adoption.init_app``);
* ``targeting_units`` / ``targeting_officials`` / ``targeting_explanation``: low usage as a reason to
  target a training session, as training's ``register_need_source`` takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from adoption import indicators
from adoption.models import OfficialMonth, UnitMonth
from adoption.months import label, local_today
from lms.formatting import format_percent
from lms.org.models import Official, Unit
from lms.text import join_name

__all__ = [
    "LowUsageOfficial",
    "LowUsageUnit",
    "latest_month",
    "low_usage_officials",
    "low_usage_units",
    "ranking_explanation",
    "ranking_scores",
    "targeting_explanation",
    "targeting_officials",
    "targeting_units",
    "unit_usage_scores",
    "usage_explanation",
]

#: the person-level tool of a competency topic (portals are a unit's; security has no usage)
TOOL_OF_TOPIC = {"email": "email", "qlvb": "dms"}


def latest_month(session: Session) -> date | None:
    """The latest month with usage data (None before the first import)."""
    return indicators.latest_month(session)


def unit_usage_scores(session: Session, month: date | None = None) -> tuple[date | None, dict[int, float]]:
    """(month, {unit id: usage score 0-100}) for ``month`` (default: the latest month with data);
    units without staff that month are left out."""
    month = month or latest_month(session)
    if month is None:
        return None, {}
    rows = session.execute(
        select(UnitMonth.unit_id, UnitMonth.score).where(UnitMonth.month == month, UnitMonth.officials > 0)
    ).all()
    return month, {uid: float(score) for uid, score in rows}


@dataclass(frozen=True)
class LowUsageUnit:
    unit_id: int
    unit_name: str
    block: str
    score: float
    mail_share: float | None
    uses_dms: bool
    portal_stale: bool
    month: date


def low_usage_units(
    session: Session, *, below: float = 50.0, month: date | None = None, today: date | None = None
) -> list[LowUsageUnit]:
    """Units in operation whose usage score is below ``below`` in the month (default: the latest with
    data), lowest first, then by name."""
    today = today or local_today()
    month = month or latest_month(session)
    if month is None:
        return []
    out = [
        LowUsageUnit(
            unit_id=row.figures.unit_id,
            unit_name=row.unit_name,
            block=row.block,
            score=row.figures.score,
            mail_share=row.figures.mail_share,
            uses_dms=row.figures.uses_dms,
            portal_stale=row.figures.has_portal and not row.figures.portal_fresh,
            month=month,
        )
        for row in indicators.unit_table(session, month, today)
        if row.figures.score < below
    ]
    from lms.text import vi_sort_key

    return sorted(out, key=lambda u: (u.score, vi_sort_key(u.unit_name), u.unit_id))


@dataclass(frozen=True)
class LowUsageOfficial:
    official_id: int
    unit_id: int
    full_name: str
    unit_name: str
    tool: str  # email | dms
    month: date


def low_usage_officials(
    session: Session,
    topic: str,
    *,
    unit_ids=None,
    month: date | None = None,
    limit: int | None = None,
) -> list[LowUsageOfficial]:
    """Active officials who did not use the tool of ``topic`` (a competency topic: "email" or "qlvb")
    in the month (default: the latest with data); officials of units without data are not listed.
    In the official list order; empty for topics without a person-level tool."""
    tool = TOOL_OF_TOPIC.get(str(topic))
    month = month or latest_month(session)
    if tool is None or month is None:
        return []
    used = OfficialMonth.mail_used if tool == "email" else OfficialMonth.dms_used
    query = (
        select(
            Official.id, Official.unit_id, Official.family_name, Official.middle_name, Official.given_name, Unit.name
        )
        .join(OfficialMonth, OfficialMonth.official_id == Official.id)
        .join(Unit, Unit.id == Official.unit_id)
        .where(OfficialMonth.month == month, used.is_(False), Official.active.is_(True))
        .order_by(Official.sort_key, Official.id)
    )
    if unit_ids is not None:
        query = query.where(Official.unit_id.in_(list(unit_ids) or [-1]))
    if limit is not None:
        query = query.limit(limit)
    return [
        LowUsageOfficial(oid, uid, join_name(family, middle, given), unit_name, tool, month)
        for oid, uid, family, middle, given, unit_name in session.execute(query)
    ]


def ranking_scores(session: Session, month: date | None = None) -> dict[int, float]:
    """{unit id: usage score 0-100} (the ranking's usage part) of ``month``, or of the latest month with
    data before it (usage comes in after the month ends); None: the latest month with data."""
    latest = indicators.latest_month(session, up_to=month)
    return unit_usage_scores(session, latest)[1] if latest is not None else {}


def ranking_explanation(session: Session) -> str:
    """``usage_explanation`` and the month the ranking's usage part is taken from."""
    month = latest_month(session)
    if month is None:
        return usage_explanation() + " " + _("Chưa nhập số liệu sử dụng tháng nào.")
    return usage_explanation() + " " + _("Lấy số liệu tháng gần nhất đã nhập: %(m)s.", m=label(month))


def unit_usage_detail(unit: LowUsageUnit) -> str:
    """What is lacking in a unit's use, in words (the targeting page's "why")."""
    parts = []
    if unit.mail_share is not None:
        parts.append(_("%(p)s cán bộ dùng thư công vụ", p=format_percent(unit.mail_share, 0, ratio=True)))
    if not unit.uses_dms:
        parts.append(_("chưa xử lý văn bản trên phần mềm"))
    if unit.portal_stale:
        parts.append(_("cổng thông tin quá 30 ngày chưa cập nhật"))
    return "; ".join(parts)


def targeting_units(session: Session) -> dict[int, tuple[float, str]]:
    """{unit id: (usage score 0-100, what is lacking)} of every unit with figures in the latest month."""
    return {u.unit_id: (u.score, unit_usage_detail(u)) for u in low_usage_units(session, below=float("inf"))}


def targeting_officials(session: Session, topic: str, unit_ids=None) -> list[tuple[int, int, str, str, str]]:
    """(official id, unit id, full name, unit name, why) of the officials who did not use the topic's
    application in the latest month (e-mail, document software; none for the other topics)."""
    out = []
    for o in low_usage_officials(session, topic, unit_ids=unit_ids):
        why = (
            _("không dùng thư công vụ tháng %(m)s", m=label(o.month))
            if o.tool == "email"
            else _("không xử lý văn bản trên phần mềm tháng %(m)s", m=label(o.month))
        )
        out.append((o.official_id, o.unit_id, o.full_name, o.unit_name, why))
    return out


def targeting_explanation(session: Session) -> str:
    return ranking_explanation(session)


def usage_explanation() -> str:
    return _(
        "Điểm sử dụng của đơn vị (0–100) là trung bình của: tỷ lệ cán bộ dùng thư công vụ, tỷ lệ văn bản đến "
        "và đi được xử lý điện tử, và cổng thông tin có cập nhật (100) hay không (0), chỉ tính những ứng dụng "
        "đơn vị có."
    )
