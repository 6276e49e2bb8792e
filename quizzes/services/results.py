"""Grades and results: the grade by the quiz's grading method, the final-quiz completion requirement,
an official's history, the marks per topic of one attempt, a quiz's results, the quizzes an
official may take."""

from __future__ import annotations

import statistics as pystats
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session, selectinload

from courses import api as courses_api
from lms.org.models import Official
from quizzes import qtypes
from quizzes.models import (
    Attempt,
    AttemptSlot,
    AttemptState,
    GradingMethod,
    Question,
    QuestionCategory,
    QuestionVersion,
    Quiz,
)
from quizzes.permissions import can_list_results


def attempts_of(session: Session, quiz_id: int, official_id: int, reload: bool = False) -> list[Attempt]:
    """The official's attempts at the quiz by number; ``reload``: as stored now, also for attempts
    the session holds already (their state may have been changed by another request)."""
    query = (
        select(Attempt).where(Attempt.quiz_id == quiz_id, Attempt.official_id == official_id).order_by(Attempt.number)
    )
    if reload:
        query = query.execution_options(populate_existing=True)
    return list(session.scalars(query))


def quiz_grade(session: Session, quiz: Quiz, official_id: int, attempts: list[Attempt] | None = None) -> float | None:
    """The official's grade (percent) for the quiz by its grading method; None before any graded attempt.
    ``attempts``: the official's ``attempts_of`` this quiz when the caller has read them already;
    else only the graded attempts' percents are read (``graded_percents``: one column, no attempt
    loaded: the result page and the completion check ask this)."""
    if attempts is None:
        return grade_of(graded_percents(session, quiz.id, official_id), quiz.grading_method)
    percents = [a.percent for a in attempts if a.state == AttemptState.SUBMITTED and a.percent is not None]
    return grade_of(percents, quiz.grading_method)


_GRADED_PERCENTS = (
    select(Attempt.percent)
    .where(
        Attempt.quiz_id == bindparam("quiz_id"),
        Attempt.official_id == bindparam("official_id"),
        Attempt.state == AttemptState.SUBMITTED,
        Attempt.percent.is_not(None),
    )
    .order_by(Attempt.number)
)  # built once


def graded_percents(session: Session, quiz_id: int, official_id: int) -> list[float]:
    """The percents of the official's graded attempts at the quiz, by number (no attempt loaded)."""
    return list(session.scalars(_GRADED_PERCENTS, {"quiz_id": quiz_id, "official_id": official_id}))


def grade_of(percents: list[float], method: GradingMethod) -> float | None:
    """The quiz grade from the graded attempts' percents (by number) by the grading method."""
    if not percents:
        return None
    if method == GradingMethod.LAST:
        return percents[-1]
    if method == GradingMethod.FIRST:
        return percents[0]
    if method == GradingMethod.AVERAGE:
        return pystats.fmean(percents)
    return max(percents)


def quiz_grade_passed(session: Session, quiz: Quiz, official_id: int) -> bool:
    grade = quiz_grade(session, quiz, official_id)
    return grade is not None and grade >= quiz.pass_percent - 1e-9


def _deciding_attempt(session: Session, quiz: Quiz, official_id: int) -> Attempt | None:
    """The graded attempt that gives the quiz grade (the first best one for highest/average)."""
    graded = [
        a
        for a in attempts_of(session, quiz.id, official_id)
        if a.state == AttemptState.SUBMITTED and a.percent is not None
    ]
    if not graded:
        return None
    if quiz.grading_method == GradingMethod.LAST:
        return graded[-1]
    if quiz.grading_method == GradingMethod.FIRST:
        return graded[0]
    best = max(a.percent for a in graded)
    return next(a for a in graded if a.percent == best)


def final_quiz_requirement(session: Session, official_id: int, course) -> Any:
    """Completion requirement registered with courses: the course's published final quiz is passed
    by its grading method. ``None`` (does not apply) when the course has no final quiz."""
    finals = session.scalars(
        select(Quiz)
        .where(Quiz.course_id == course.id, Quiz.is_final.is_(True), Quiz.published.is_(True))
        .order_by(Quiz.id)
    ).all()
    if not finals:
        return None
    satisfied, score, source, to_take = True, None, None, None
    for quiz in finals:
        grade = quiz_grade(session, quiz, official_id)
        passed = grade is not None and grade >= quiz.pass_percent - 1e-9
        satisfied = satisfied and passed
        if not passed and to_take is None:
            to_take = quiz
        if score is None:
            score = grade
            deciding = _deciding_attempt(session, quiz, official_id) if passed else None
            source = f"attempt:{deciding.id}" if deciding is not None else None
    return courses_api.RequirementResult(
        satisfied=satisfied,
        label=_l("Đạt bài kiểm tra cuối khóa"),
        score_percent=score,
        source=source if satisfied else None,
        endpoint="quizzes.quiz_intro",
        endpoint_args=(("quiz_id", (to_take or finals[0]).id),),
    )


@dataclass(frozen=True)
class TopicResult:
    """One question category of a graded attempt: how many questions, how many right, the marks."""

    category: str
    questions: int
    correct: int
    mark: float
    max_mark: float


def topic_results(session: Session, attempt_id: int) -> list[TopicResult]:
    """A graded attempt's marks per question category, by category path (one statement). Says nothing
    of the questions, the answers or the key."""
    rows = session.execute(
        select(
            QuestionCategory.name,
            func.count(AttemptSlot.id),
            func.sum(case((AttemptSlot.state == qtypes.STATE_CORRECT, 1), else_=0)),
            func.sum(func.coalesce(AttemptSlot.mark, 0.0)),
            func.sum(AttemptSlot.max_mark),
        )
        .select_from(AttemptSlot)
        .join(QuestionVersion, AttemptSlot.question_version_id == QuestionVersion.id)
        .join(Question, QuestionVersion.question_id == Question.id)
        .join(QuestionCategory, Question.category_id == QuestionCategory.id)
        .where(AttemptSlot.attempt_id == attempt_id)
        .group_by(QuestionCategory.id, QuestionCategory.path, QuestionCategory.name)
        .order_by(QuestionCategory.path)
    )
    return [
        TopicResult(name, count, int(right or 0), float(mark or 0), float(top or 0))
        for name, count, right, mark, top in rows
    ]


def history_query(official_id: int):
    """An official's attempts, newest first."""
    return (
        select(Attempt)
        .where(Attempt.official_id == official_id)
        .options(selectinload(Attempt.quiz))
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    )


def results_query(quiz_id: int, user):
    """Graded attempts of a quiz the user may list (``permissions.can_list_results``: a unit head, their
    units' officials), best first then by name."""
    query = (
        select(Attempt)
        .join(Official, Attempt.official_id == Official.id)
        .where(Attempt.quiz_id == quiz_id, Attempt.state == AttemptState.SUBMITTED)
        .options(selectinload(Attempt.official))
    )
    query = can_list_results.scope(user, query)
    return query.order_by(Attempt.percent.desc(), Official.given_name, Official.family_name, Attempt.id)


def available_quizzes(session: Session, official_id: int, now: datetime) -> list[Quiz]:
    """Published quizzes an official may see: those of the courses they are enrolled in, plus
    practice quizzes (no course)."""
    query = select(Quiz).where(Quiz.published.is_(True)).order_by(Quiz.title, Quiz.id)
    quizzes = session.scalars(query).all()
    enrolled = courses_api.enrolled_course_ids(session, official_id)
    quizzes = [q for q in quizzes if q.course_id is None or q.course_id in enrolled]
    return [q for q in quizzes if q.close_at is None or q.close_at > now]
