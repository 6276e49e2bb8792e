"""What the official's attempt pages read: the attempt's slots with their questions, as plain rows.

One Core query (slot, question version, question type), no ORM object: the one-page attempt reads
the 20 slots of an exam in it, where loading 60 ORM objects (slots, versions, questions with their
search text) cost ~1 ms of CPU. Read only; the key (a version's ``config``) is read to lay the
question out (``QuestionType.public_view``) and never leaves the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from quizzes.models import AttemptSlot, Question, QuestionVersion


@dataclass(frozen=True, slots=True)
class SheetSlot:
    """One slot of an attempt as its pages show it: the question version, its layout, the answer."""

    slot_no: int
    question_version_id: int
    qtype: str
    text: str
    config: Any
    layout: Any
    answer: Any

    @property
    def answered(self) -> bool:
        return self.answer is not None


def _sheet_query(one_slot: bool):
    """Built once (building the select costs more than SQLAlchemy's cached compile of it)."""
    query = (
        select(
            AttemptSlot.slot_no,
            AttemptSlot.question_version_id,
            Question.qtype,
            QuestionVersion.text,
            QuestionVersion.config,
            AttemptSlot.layout,
            AttemptSlot.answer,
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptSlot.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(AttemptSlot.attempt_id == bindparam("attempt_id"))
    )
    if one_slot:
        return query.where(AttemptSlot.slot_no == bindparam("slot_no"))
    return query.order_by(AttemptSlot.slot_no)


_ALL_SLOTS = _sheet_query(one_slot=False)
_ONE_SLOT = _sheet_query(one_slot=True)


def attempt_sheet(session: Session, attempt_id: int) -> list[SheetSlot]:
    """Every slot of the attempt, in order (the whole attempt in one page). Says nothing about whose
    the attempt is: the caller has checked that."""
    return [SheetSlot(*row) for row in session.execute(_ALL_SLOTS, {"attempt_id": attempt_id})]


def sheet_slot(session: Session, attempt_id: int, slot_no: int) -> SheetSlot | None:
    """Slot ``slot_no`` of the attempt, or None (one question per page)."""
    row = session.execute(_ONE_SLOT, {"attempt_id": attempt_id, "slot_no": slot_no}).first()
    return SheetSlot(*row) if row is not None else None
