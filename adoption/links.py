"""What adoption reads from other features, in one place: their ``api`` modules and the kernel's mail.

Ranking blocks and the "certified" / "started" state of officials come from ``competency.api``;
training sessions from ``training.api``; course completions from ``certificates.api``; courses from
``courses.api``; e-mails go through the kernel's outbox (``lms.mail``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates.api import first_issued_on as completions
from competency.api import (
    BLOCKS,
    block_label,
    block_of,
    certified_topics,
    index_inputs_changed,
    register_index_component,
    report_font_css,
    started,
    trend_chart,
)
from competency.api import topic_standing as competency_of
from courses.api import list_courses
from lms.mail.compose import external_url
from lms.mail.models import OutboxMessage
from lms.mail.outbox import queue_message
from lms.topics import Topic
from training.api import PastSession, past_sessions, record_past_session, register_need_source

__all__ = [
    "CourseInfo",
    "PastSession",
    "block_label",
    "block_of",
    "blocks",
    "certified_topics",
    "competency_of",
    "completions",
    "courses",
    "external_url",
    "index_inputs_changed",
    "outbox_states",
    "past_sessions",
    "queue_mail",
    "record_past_session",
    "register_index_component",
    "register_need_source",
    "report_font_css",
    "started",
    "topic_label",
    "trend_chart",
]


def blocks() -> tuple[str, ...]:
    return BLOCKS


def topic_label(topic: str) -> str:
    return Topic(topic).label


@dataclass(frozen=True)
class CourseInfo:
    id: int
    title: str
    topic: str


def courses(session: Session) -> list[CourseInfo]:
    return [CourseInfo(c.id, c.title, c.topic.value) for c in list_courses(session, order_by="title")]


def queue_mail(
    session: Session, *, to_email: str, subject: str, text_body: str, html_body: str, kind: str, dedupe_key: str
) -> bool:
    """Write one e-mail to the outbox in the caller's transaction; False when the key was queued before."""
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
