"""What adoption reads from other features, in one place (their public doors only).

Ranking blocks come from competency (units are ranked and reported per block everywhere), the
"certified" state of an official from competency's summaries.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def started(session: Session, official_ids) -> set[int]:
    """The officials who attempted any quiz (competency's "participated")."""
    from sqlalchemy import select

    from lms.competency.models import CompetencySummary

    ids = list(official_ids)
    out: set[int] = set()
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        out.update(
            session.scalars(
                select(CompetencySummary.official_id).where(
                    CompetencySummary.official_id.in_(chunk), CompetencySummary.participated > 0
                )
            )
        )
    return out


def competency_of(session: Session, official_id: int, today: date) -> list[tuple[str, str, float | None]]:
    """(topic, status label, best score) of an official, the four topics in order."""
    from sqlalchemy import select

    from lms.competency.models import CompetencyRecord, RecordStatus
    from lms.topics import Topic

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


def topic_label(topic: str) -> str:
    from lms.topics import Topic

    return Topic(topic).label


def trend_chart(series, months, *, title: str, desc: str):
    from lms.competency.charts import trend_chart as competency_trend_chart

    return competency_trend_chart(series, months, title=title, desc=desc)


def report_font_css() -> str:
    """The @font-face rules of the reports' embedded Vietnamese font (shared with competency's report)."""
    from lms.competency.exports import font_face_css

    return font_face_css()


def record_past_session(
    session: Session, *, title: str, topic: str, kind: str, day: date, place: str, unit_ids, attendee_ids, trainer
) -> int:
    """A training session held in the past, with who attended (a province's records of earlier
    classes): written as it happened, no invitations or e-mails. Returns the session id."""
    from datetime import datetime, time

    from lms.database import VN_TZ
    from lms.topics import Topic
    from lms.training.models import (
        Participant,
        ParticipantSource,
        ParticipantState,
        SessionKind,
        SessionTargetUnit,
        SessionTrainer,
        TrainingSession,
    )

    starts = datetime.combine(day, time(8, 0), VN_TZ)
    ends = datetime.combine(day, time(11, 30), VN_TZ)
    ts = TrainingSession(
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
    session.add(ts)
    session.flush()
    if trainer is not None:
        session.add(SessionTrainer(session_id=ts.id, user_id=trainer.id))
    for unit_id in sorted(set(unit_ids)):
        session.add(SessionTargetUnit(session_id=ts.id, unit_id=unit_id))
    for oid in sorted(set(attendee_ids)):
        session.add(
            Participant(
                session_id=ts.id,
                official_id=oid,
                state=ParticipantState.ATTENDED,
                source=ParticipantSource.INVITED,
                created_at=starts,
                responded_at=starts,
                attendance_marked_at=ends,
            )
        )
    session.flush()
    return ts.id


# -- training sessions and course completions (the "did training work?" comparison) ---------------------
@dataclass(frozen=True)
class PastSession:
    id: int
    title: str
    topic: str
    day: date  # local day it started
    unit_ids: frozenset[int]  # its target units
    attendee_ids: frozenset[int]


def past_sessions(session: Session, today: date, session_id: int | None = None) -> list[PastSession]:
    """Held (not cancelled) training sessions before ``today`` that took attendance, newest first."""
    from sqlalchemy import select

    from lms.database import VN_TZ
    from lms.training.models import Participant, ParticipantState, SessionStatus, TrainingSession

    query = (
        select(TrainingSession)
        .where(TrainingSession.status == SessionStatus.SCHEDULED)
        .order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc())
    )
    if session_id is not None:
        query = query.where(TrainingSession.id == session_id)
    attended: dict[int, set[int]] = {}
    for sid, oid in session.execute(
        select(Participant.session_id, Participant.official_id).where(Participant.state == ParticipantState.ATTENDED)
    ):
        attended.setdefault(sid, set()).add(oid)
    out = []
    for ts in session.scalars(query):
        day = ts.starts_at.astimezone(VN_TZ).date()
        if day >= today or ts.id not in attended:
            continue
        out.append(
            PastSession(ts.id, ts.title, ts.topic.value, day, frozenset(ts.target_unit_ids), frozenset(attended[ts.id]))
        )
    return out


@dataclass(frozen=True)
class CourseInfo:
    id: int
    title: str
    topic: str


def courses(session: Session) -> list[CourseInfo]:
    from sqlalchemy import select

    from courses.models import Course

    return [CourseInfo(c.id, c.title, c.topic.value) for c in session.scalars(select(Course).order_by(Course.title))]


def completions(session: Session, course_id: int) -> dict[int, date]:
    """official id -> the day they first got the course's certificate (valid or since superseded)."""
    from sqlalchemy import func, select

    from certificates.models import Certificate, CertificateStatus

    return dict(
        session.execute(
            select(Certificate.official_id, func.min(Certificate.issued_on))
            .where(Certificate.course_id == course_id, Certificate.status != CertificateStatus.REVOKED)
            .group_by(Certificate.official_id)
        ).all()
    )


# -- the e-mail outbox ------------------------------------------------------------------------------------
def queue_mail(
    session: Session, *, to_email: str, subject: str, text_body: str, html_body: str, kind: str, dedupe_key: str
) -> bool:
    """Write one e-mail to the outbox in the caller's transaction; False when the key was queued before."""
    from lms.training.outbox import queue_message

    return queue_message(
        session,
        to_email=to_email,
        subject=subject,
        text_body=text_body,
        html_body=html_body,
        kind=kind,
        dedupe_key=dedupe_key,
    )


def outbox_states(session: Session, keys) -> dict[str, str]:
    """dedupe key -> the state label of its outbox message (waiting, sent, failed ...)."""
    from sqlalchemy import select

    from lms.training.models import OutboxMessage

    keys = list(keys)
    out: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        for key, state in session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.state).where(
                OutboxMessage.dedupe_key.in_(keys[start : start + 500])
            )
        ):
            out[key] = state.label
    return out


def external_url(endpoint: str, **values) -> str:
    """An absolute link for e-mails, built without a request (``LMS_BASE_URL``)."""
    from lms.training.messages import external_url as training_external_url

    return training_external_url(endpoint, **values)
