"""Writing e-mails to the outbox, in the transaction of the change they report.

``queue_message`` is idempotent by ``dedupe_key`` (a UNIQUE column, ``INSERT ... ON CONFLICT DO
NOTHING``): the same message is never queued twice, whoever calls it and however often.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from lms.mail.models import OutboxMessage, OutboxState
from lms.time import utcnow


def _insert_ignore(session: Session, values: dict):
    table = OutboxMessage.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return insert(table).values(**values)  # pragma: no cover - other databases are not supported


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
    inserted = session.execute(
        _insert_ignore(
            session,
            {
                "to_email": to_email.strip(),
                "subject": subject[:255],
                "text_body": text_body,
                "html_body": html_body,
                "ics": ics,
                "kind": kind,
                "dedupe_key": dedupe_key[:200],
                "created_at": now,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "state": OutboxState.PENDING,
            },
        ).returning(OutboxMessage.__table__.c.id)
    ).scalar_one_or_none()
    return inserted is not None
