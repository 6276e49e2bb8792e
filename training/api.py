"""What other features may use of training: everything else in the package is private.

Reading: ``past_sessions`` (held sessions that took attendance, with their target units and who
attended: adoption compares usage before and after them). Acting: ``record_past_session`` (a class
held before the platform, written as it happened: the demo's history). Hook:
``register_need_source(app, name, label, units, officials, explain)``: another feature's reason to
target units and officials (adoption: low usage), listed on the targeting page beside competency
(``training.targeting``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.time import VN_TZ
from lms.topics import Topic
from training.models import (
    Participant,
    ParticipantSource,
    ParticipantState,
    SessionKind,
    SessionStatus,
    SessionTargetUnit,
    SessionTrainer,
    TrainingSession,
)
from training.targeting import register_need_source

__all__ = ["PastSession", "past_sessions", "record_past_session", "register_need_source"]


@dataclass(frozen=True)
class PastSession:
    id: int
    title: str
    topic: str
    day: date  # the local day it started
    unit_ids: frozenset[int]  # its target units
    attendee_ids: frozenset[int]


def past_sessions(session: Session, today: date, session_id: int | None = None) -> list[PastSession]:
    """Held (not cancelled) training sessions that started before ``today`` and took attendance,
    newest first (only ``session_id`` when given)."""
    query = (
        select(TrainingSession)
        .where(TrainingSession.status == SessionStatus.SCHEDULED)
        .order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc())
    )
    attended_query = select(Participant.session_id, Participant.official_id).where(
        Participant.state == ParticipantState.ATTENDED
    )
    if session_id is not None:
        query = query.where(TrainingSession.id == session_id)
        attended_query = attended_query.where(Participant.session_id == session_id)
    attended: dict[int, set[int]] = {}
    for sid, oid in session.execute(attended_query):
        attended.setdefault(sid, set()).add(oid)
    out = []
    for training_session in session.scalars(query):
        day = training_session.starts_at.astimezone(VN_TZ).date()
        if day >= today or training_session.id not in attended:
            continue
        out.append(
            PastSession(
                training_session.id,
                training_session.title,
                training_session.topic.value,
                day,
                frozenset(training_session.target_unit_ids),
                frozenset(attended[training_session.id]),
            )
        )
    return out


def record_past_session(
    session: Session, *, title: str, topic: str, kind: str, day: date, place: str, unit_ids, attendee_ids, trainer
) -> int:
    """A training session held on ``day`` (8:00-11:30), with who attended: written as it happened, no
    invitations or e-mails (a province's records of earlier classes). Returns its id."""
    starts = datetime.combine(day, time(8, 0), VN_TZ)
    ends = datetime.combine(day, time(11, 30), VN_TZ)
    training_session = TrainingSession(
        topic=Topic(topic),
        kind=SessionKind(kind),
        title=title,
        starts_at=starts,
        ends_at=ends,
        place=place,
        created_by_id=trainer.id if trainer else None,
        created_at=starts,
        updated_at=ends,
    )
    session.add(training_session)
    session.flush()
    if trainer is not None:
        session.add(SessionTrainer(session_id=training_session.id, user_id=trainer.id))
    for unit_id in sorted(set(unit_ids)):
        session.add(SessionTargetUnit(session_id=training_session.id, unit_id=unit_id))
    for official_id in sorted(set(attendee_ids)):
        session.add(
            Participant(
                session_id=training_session.id,
                official_id=official_id,
                state=ParticipantState.ATTENDED,
                source=ParticipantSource.INVITED,
                created_at=starts,
                responded_at=starts,
                attendance_marked_at=ends,
            )
        )
    session.flush()
    return training_session.id
