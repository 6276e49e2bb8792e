"""What other features may use of quizzes: everything else in the package is private.

Reading: ``graded_attempts()`` for read-only aggregate queries (competency's records), ``final_quiz``
and ``final_quizzes`` (model objects, for reading only). Writing: ``add_graded_attempt`` (an attempt
graded elsewhere: the demo's history). Quizzes tells the others through ``lms.events``:
``attempt_graded`` (every graded attempt) and ``course_requirement_met`` (a course's final quiz passed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from quizzes.models import Attempt, AttemptState, Quiz

__all__ = ["add_graded_attempt", "final_quiz", "final_quizzes", "graded_attempts"]


def graded_attempts(official_ids=None) -> Select:
    """Every submitted and graded attempt (of ``official_ids``, when given), one row each:
    ``attempt_id, official_id, quiz_topic, course_id, is_final, percent, passed, graded_at``.
    ``quiz_topic`` is None for a quiz that takes its course's topic. Use it as ``.subquery()``."""
    query = (
        select(
            Attempt.id.label("attempt_id"),
            Attempt.official_id,
            Quiz.topic.label("quiz_topic"),
            Quiz.course_id,
            Quiz.is_final,
            Attempt.percent,
            Attempt.passed,
            Attempt.graded_at,
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.state == AttemptState.SUBMITTED, Attempt.percent.is_not(None))
    )
    if official_ids is not None:
        query = query.where(Attempt.official_id.in_(list(official_ids)))
    return query


def final_quiz(session: Session, course_id: int | None) -> Quiz | None:
    """The course's published final quiz (the first one, when there are several)."""
    if course_id is None:
        return None
    return session.scalars(
        select(Quiz)
        .where(Quiz.course_id == course_id, Quiz.is_final.is_(True), Quiz.published.is_(True))
        .order_by(Quiz.id)
        .limit(1)
    ).first()


def final_quizzes(session: Session) -> list[Quiz]:
    """Every final quiz of a course, published or not, in id order."""
    return list(
        session.scalars(select(Quiz).where(Quiz.is_final.is_(True), Quiz.course_id.is_not(None)).order_by(Quiz.id))
    )


def add_graded_attempt(
    session: Session,
    quiz: Quiz,
    official_id: int,
    *,
    number: int,
    started_at: datetime,
    deadline_at: datetime | None,
    submitted_at: datetime,
    score: float,
    max_score: float,
    percent: float,
    passed: bool,
    seed: int,
) -> Attempt:
    """An attempt graded elsewhere, stored as submitted and graded at ``submitted_at`` with no
    questions (the demo's history of past exams). Added to the session, not flushed; no event is sent."""
    attempt = Attempt(
        quiz_id=quiz.id,
        official_id=official_id,
        number=number,
        state=AttemptState.SUBMITTED,
        started_at=started_at,
        deadline_at=deadline_at,
        submitted_at=submitted_at,
        graded_at=submitted_at,
        score=score,
        max_score=max_score,
        percent=percent,
        passed=passed,
        seed=seed,
    )
    session.add(attempt)
    return attempt
