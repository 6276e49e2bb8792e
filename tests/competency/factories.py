"""Builders for competency tests: a course and final quiz per topic, graded attempts, certificates."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from certificates import services as cert_services
from courses.models import Course
from lms import events
from lms.topics import Topic
from quizzes.models import Attempt, AttemptState, Quiz
from tests.factories import make_course

_seq = itertools.count(1)
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)


def make_final_quiz(session, course: Course, **overrides) -> Quiz:
    values = {
        "title": f"Kiểm tra cuối khóa {course.slug}",
        "course_id": course.id,
        "is_final": True,
        "published": True,
        "pass_percent": 70.0,
    }
    values.update(overrides)
    quiz = Quiz(**values)
    session.add(quiz)
    session.flush()
    return quiz


def topic_setup(session) -> dict[Topic, tuple[Course, Quiz]]:
    out = {}
    for topic in Topic:
        course = make_course(session, topic)
        out[topic] = (course, make_final_quiz(session, course))
    return out


def graded_attempt(session, quiz: Quiz, official, percent: float, at: datetime = NOW) -> Attempt:
    """A submitted, graded attempt (no questions), announced like ``submit_attempt`` does."""
    number = session.query(Attempt).filter_by(quiz_id=quiz.id, official_id=official.id).count() + 1
    attempt = Attempt(
        quiz_id=quiz.id,
        official_id=official.id,
        number=number,
        state=AttemptState.SUBMITTED,
        started_at=at,
        submitted_at=at,
        graded_at=at,
        score=percent,
        max_score=100.0,
        percent=percent,
        passed=percent >= quiz.pass_percent - 1e-9,
        seed=1,
    )
    session.add(attempt)
    session.flush()
    events.attempt_graded.send(session, attempt=attempt)
    return attempt


def certify(session, official, course: Course, issued_on: date = TODAY, score=90, source=None):
    settings = cert_services.get_settings()
    from dataclasses import replace

    settings = replace(settings, render_on_issue=False)
    cert = cert_services.issue_certificate(
        session, official, course, score, source or f"test:{next(_seq)}", issued_on, settings=settings
    )
    session.flush()
    return cert
