"""The waiting room of a quiz that opens at a set time (a province-wide exam): officials log in and
open the quiz's page beforehand (logins spread over the minutes before, not the first seconds); the
page enables its start button at the opening time by itself. Each waiting page is a ``quiz_waiting``
row refreshed by the page now and then; IT staff see how many are waiting."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from quizzes.models import QuizWaiting

WAITING_FRESH = timedelta(minutes=15)  # a waiting page not heard from for this long has been left
HEARTBEAT_SECONDS = 240  # how often a waiting page says it is still open (with a random spread)


def note_waiting(session: Session, quiz_id: int, official_id: int, now: datetime) -> None:
    """The official has the quiz's waiting page open (one upsert)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(QuizWaiting)
    session.execute(
        insert.values(quiz_id=quiz_id, official_id=official_id, seen_at=now).on_conflict_do_update(
            index_elements=[QuizWaiting.quiz_id, QuizWaiting.official_id], set_={"seen_at": now}
        )
    )


_STOP_WAITING = delete(QuizWaiting).where(
    QuizWaiting.quiz_id == bindparam("quiz_id"), QuizWaiting.official_id == bindparam("official_id")
)  # built once: every start runs it


def stop_waiting(session: Session, quiz_id: int, official_id: int) -> None:
    session.execute(_STOP_WAITING, {"quiz_id": quiz_id, "official_id": official_id})


def waiting_count(session: Session, quiz_id: int, now: datetime) -> int:
    """Officials whose waiting page for the quiz was open in the last ``WAITING_FRESH``."""
    return session.scalar(
        select(func.count()).where(QuizWaiting.quiz_id == quiz_id, QuizWaiting.seen_at >= now - WAITING_FRESH)
    )


def opens_in(quiz, now: datetime) -> int | None:
    """Seconds until the quiz opens, when it is published and opens later; else None."""
    if not quiz.published or quiz.open_at is None or now >= quiz.open_at:
        return None
    return int((quiz.open_at - now).total_seconds()) + 1
