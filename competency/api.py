"""What other features may use of competency: everything else in the package is private.

``lagging_units`` and ``lagging_officials``: who most needs training on a topic (training proposes
them as the targets of a session).
Blocks: ``BLOCKS``, ``block_of(kind)``, ``block_label(block)``: units are ranked and reported per block.
Per official (adoption sets usage beside them): ``certified_topics`` (topics of the valid
certificates on a day), ``started`` (attempted any quiz), ``topic_standing`` (status and best score
per topic). Drawing and printing like competency's pages: ``trend_chart``, ``report_font_css``.
A part of the unit index from another feature (adoption's usage), registered by its ``init_app``:
``register_index_component(app, name, label, scores, explain)``; ``index_inputs_changed(session)``
when that part's figures change (the rankings are recomputed once the transaction commits).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from competency import cache
from competency.charts import trend_chart
from competency.exports import font_face_css as report_font_css
from competency.index import register_index_component
from competency.lagging import LaggingOfficial, LaggingUnit, lagging_officials, lagging_units
from competency.models import CompetencyRecord, CompetencySummary, RecordStatus, cert_until_column
from competency.rankings import BLOCKS, block_label, block_of
from lms.topics import Topic

__all__ = [
    "BLOCKS",
    "LaggingOfficial",
    "LaggingUnit",
    "block_label",
    "block_of",
    "certified_topics",
    "index_inputs_changed",
    "lagging_officials",
    "lagging_units",
    "register_index_component",
    "report_font_css",
    "started",
    "topic_standing",
    "trend_chart",
]

_CHUNK = 2000  # ids per IN (...) list


def index_inputs_changed(session: Session) -> None:
    """The figures of a registered part of the index changed in this transaction: the cached
    rankings are bypassed by this session and recomputed by every process after it commits."""
    cache.mark_dirty(session)


def certified_topics(session: Session, official_ids, today: date) -> dict[int, set[str]]:
    """official id -> the topics ("qlvb", "portal", "email", "security") of their certificates valid on ``today``."""
    ids = list(official_ids)
    out: dict[int, set[str]] = {oid: set() for oid in ids}
    topics = [t.value for t in Topic]
    columns = [cert_until_column(t) for t in topics]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for oid, *untils in session.execute(
            select(CompetencySummary.official_id, *columns).where(CompetencySummary.official_id.in_(chunk))
        ):
            out[oid] = {t for t, until in zip(topics, untils, strict=True) if until is not None and until >= today}
    return out


def started(session: Session, official_ids) -> set[int]:
    """The officials of ``official_ids`` who attempted any quiz (the rankings' "participated")."""
    ids = list(official_ids)
    out: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        out.update(
            session.scalars(
                select(CompetencySummary.official_id).where(
                    CompetencySummary.official_id.in_(ids[start : start + _CHUNK]), CompetencySummary.participated > 0
                )
            )
        )
    return out


def topic_standing(session: Session, official_id: int, today: date) -> list[tuple[str, str, float | None]]:
    """(topic, status label, best score in %) of an official on ``today``, the four topics in order."""
    records = {
        r.topic.value: r
        for r in session.scalars(select(CompetencyRecord).where(CompetencyRecord.official_id == official_id))
    }
    out = []
    for topic in Topic:
        record = records.get(topic.value)
        status = record.status_on(today) if record else RecordStatus.NOT_STARTED
        out.append((topic.value, status.label, record.best_percent if record else None))
    return out
