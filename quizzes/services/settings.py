"""A quiz's settings: the draws (how many questions from each category) and one official's
override (extra time or attempts)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.text import clean_text
from quizzes.models import (
    Quiz,
    QuizDraw,
    QuizOverride,
)


def get_override(session: Session, quiz_id: int, official_id: int) -> QuizOverride | None:
    return session.scalar(
        select(QuizOverride).where(QuizOverride.quiz_id == quiz_id, QuizOverride.official_id == official_id)
    )


def set_draws(session: Session, quiz: Quiz, counts: Mapping[int, int]) -> None:
    """Replace the quiz's draws with ``{category_id: count}`` (counts <= 0 dropped)."""
    wanted = {cid: n for cid, n in counts.items() if n and n > 0}
    for draw in list(quiz.draws):
        if draw.category_id not in wanted:
            quiz.draws.remove(draw)
        else:
            draw.count = wanted.pop(draw.category_id)
    for cid, n in wanted.items():
        quiz.draws.append(QuizDraw(category_id=cid, count=n))
    session.flush()


def set_override(
    session: Session,
    quiz: Quiz,
    official_id: int,
    extra_minutes: int,
    extra_attempts: int,
    reason: str,
    granted_by_id: int | None,
    now: datetime,
) -> QuizOverride:
    override = get_override(session, quiz.id, official_id)
    if override is None:
        override = QuizOverride(quiz_id=quiz.id, official_id=official_id)
        session.add(override)
    override.extra_minutes, override.extra_attempts = max(0, extra_minutes), max(0, extra_attempts)
    override.reason, override.granted_by_id, override.granted_at = clean_text(reason)[:500], granted_by_id, now
    session.flush()
    return override
