"""What adoption reads from other features, in one place (their public doors only).

Ranking blocks come from competency (units are ranked and reported per block everywhere), the
"certified" state of an official from competency's summaries.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session


def block_of(kind) -> str:
    from lms.competency.rankings import block_of as competency_block_of

    return competency_block_of(kind)


def block_label(block: str) -> str:
    from lms.competency.rankings import block_label as competency_block_label

    return competency_block_label(block)


def blocks() -> tuple[str, ...]:
    from lms.competency.rankings import BLOCKS

    return BLOCKS


def certified_topics(session: Session, official_ids, today: date) -> dict[int, set[str]]:
    """official id -> the topics ("qlvb", "portal", "email", "security") of their valid certificates."""
    from sqlalchemy import select

    from lms.competency.models import CompetencySummary, cert_until_column
    from lms.topics import Topic

    ids = list(official_ids)
    out: dict[int, set[str]] = {oid: set() for oid in ids}
    if not ids:
        return out
    topics = [t.value for t in Topic]
    columns = [cert_until_column(t) for t in topics]
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        for oid, *untils in session.execute(
            select(CompetencySummary.official_id, *columns).where(CompetencySummary.official_id.in_(chunk))
        ):
            out[oid] = {t for t, until in zip(topics, untils, strict=True) if until is not None and until >= today}
    return out
