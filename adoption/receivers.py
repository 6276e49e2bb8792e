"""Signal receivers: officials changed elsewhere (imports, moves) change the cached indicators.

The version is bumped once, when the transaction commits (an import of 30,000 officials, or the demo
saving them one by one, would otherwise update the version row for every call).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from adoption import cache
from lms import events

PENDING_KEY = "adoption_bump_pending"


@events.officials_changed.connect
def _officials_changed(session, officials=(), **_kw) -> None:
    if officials:
        session.info[PENDING_KEY] = True


@event.listens_for(Session, "before_commit")
def _bump_before_commit(session: Session) -> None:
    if session.info.pop(PENDING_KEY, False):
        cache.bump(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(PENDING_KEY, None)
