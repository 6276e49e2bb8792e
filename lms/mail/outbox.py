"""Writing e-mails to the outbox, in the transaction of the change they report.

``queue_message`` is idempotent by ``dedupe_key`` (a UNIQUE column, ``INSERT ... ON CONFLICT DO
NOTHING``): the same message is never queued twice, whoever calls it and however often.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lms.mail.models import OutboxMessage, OutboxState
from lms.time import utcnow


def _insert_ignore(session: Session):
    """The dialect's ``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING`` into the outbox (no values:
    one row with ``.values``, many as executemany)."""
    table = OutboxMessage.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return insert(table)  # pragma: no cover - other databases are not supported


def _row(m: dict, now: datetime) -> dict:
    return {
        "to_email": m["to_email"].strip(),
        "subject": m["subject"][:255],
        "text_body": m["text_body"],
        "html_body": m.get("html_body", ""),
        "ics": m.get("ics"),
        "kind": m["kind"],
        "dedupe_key": m["dedupe_key"][:200],
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "state": OutboxState.PENDING,
    }


def queue_message(
    session: Session,
    *,
    to_email: str | None,
    subject: str,
    text_body: str,
    html_body: str = "",
    ics: str | None = None,
    kind: str,
    dedupe_key: str,
    now: datetime | None = None,
) -> bool:
    """Queue one e-mail; ``False`` when the recipient has no address or the key was already queued."""
    if not to_email:
        return False
    now = now or utcnow()
    session.flush()
    message = {
        "to_email": to_email,
        "subject": subject,
        "text_body": text_body,
        "html_body": html_body,
        "ics": ics,
        "kind": kind,
        "dedupe_key": dedupe_key,
    }
    inserted = session.execute(
        _insert_ignore(session).values(**_row(message, now)).returning(OutboxMessage.__table__.c.id)
    ).scalar_one_or_none()
    return inserted is not None


def queue_messages(session: Session, messages: list[dict], now: datetime | None = None, chunk: int = 1_000) -> int:
    """Queue many e-mails at once (bulk INSERTs of ``chunk`` rows; ``ON CONFLICT DO NOTHING`` on the
    ``dedupe_key`` as ``queue_message``): each dict has ``to_email``, ``subject``, ``text_body``,
    ``kind``, ``dedupe_key`` and optionally ``html_body``. Messages without an address are skipped.
    Returns how many were given to the database (a repeated key is not counted apart)."""
    now = now or utcnow()
    rows = [_row(m, now) for m in messages if m.get("to_email")]
    if not rows:
        return 0
    session.flush()
    statement = _insert_ignore(session)
    for start in range(0, len(rows), chunk):
        session.execute(statement, rows[start : start + chunk])
    return len(rows)


@dataclass(frozen=True)
class SenderStatus:
    """What the outbox page says about the sender: when it last sent or took a message, and the
    messages due that it has not taken (``stalled`` when the oldest has waited over ``STALL``)."""

    last_activity: datetime | None
    due: int
    oldest_due: datetime | None
    stalled: bool


STALL = timedelta(minutes=15)  # cron runs the sender every minute (README, "Everyday commands")


def sender_status(session: Session, now: datetime | None = None) -> SenderStatus:
    now = now or utcnow()
    last = session.execute(select(func.max(OutboxMessage.sent_at), func.max(OutboxMessage.claimed_at))).one()
    activity = max((t for t in last if t is not None), default=None)
    due, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now
        )
    ).one()
    return SenderStatus(activity, due, oldest, oldest is not None and now - oldest > STALL)
