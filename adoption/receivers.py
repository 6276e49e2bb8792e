"""Signal receivers (connected by ``adoption.init_app``): officials changed elsewhere (imports, moves)
change the cached indicators.

The version is bumped once, when the transaction commits (an import of 30,000 officials, or the demo
saving them one by one, would otherwise update the version row for every call).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from adoption import cache

PENDING_KEY = "adoption_bump_pending"


def on_officials_changed(session, officials=(), **_kw) -> None:
    if officials:
        session.info[PENDING_KEY] = True


def _bump_before_commit(session: Session) -> None:
    if session.info.pop(PENDING_KEY, False):
        cache.bump(session)


def _forget(session: Session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(PENDING_KEY, None)


SESSION_LISTENERS = (("before_commit", _bump_before_commit), ("after_soft_rollback", _forget))
