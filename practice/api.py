"""What other features may use of practice: everything else in the package is private.

Reading (competency counts practice in the records): ``passed_counts`` (exercises passed, per
official and topic, over the published exercises) and ``exercise_totals`` (published exercises per
topic). Signals: practice sends ``practice_passed`` (the first success of an exercise) and, when the
course asks for its exercises, ``course_requirement_met``; it listens to ``course_loaded`` (the
course folder's ``practice/`` scenarios) and adds a completion requirement to courses.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from lms.topics import Topic
from practice.models import PracticeRun, Scenario
from practice.services import topic_totals

__all__ = ["exercise_totals", "passed_counts"]


def passed_counts(session: Session, official_ids=None) -> dict[tuple[int, str], int]:
    """{(official_id, topic): exercises passed} for the officials who passed any (published ones only)."""
    query = (
        select(PracticeRun.official_id, Scenario.topic, func.count(PracticeRun.id))
        .join(Scenario, and_(Scenario.id == PracticeRun.scenario_id, Scenario.published.is_(True)))
        .where(PracticeRun.first_passed_at.is_not(None))
        .group_by(PracticeRun.official_id, Scenario.topic)
    )
    if official_ids is not None:
        query = query.where(PracticeRun.official_id.in_(list(official_ids)))
    return {(oid, Topic(topic).value): int(n) for oid, topic, n in session.execute(query)}


def exercise_totals(session: Session) -> dict[str, int]:
    """{topic: published exercises}, every topic present (0 when it has none)."""
    totals = topic_totals(session)
    return {t.value: totals.get(t.value, 0) for t in Topic}
