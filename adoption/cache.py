"""The indicators' result cache, shared-version invalidation like the rankings'.

``cached(session, key, compute)`` returns the value computed for the current version of the usage
data, or computes and keeps it. The version is one row (``adoption_version``) that every write of
usage data bumps in its own transaction (``bump``): every worker process sees the change on its next
read. A session with uncommitted usage writes neither reads nor fills the cache. Entries older than
``MAX_AGE_SECONDS`` are recomputed too (unit renames do not bump the version). The session listeners
are added by ``adoption.init_app``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from adoption.models import AdoptionVersion

DIRTY_KEY = "adoption_dirty"
MAX_AGE_SECONDS = 300
_LIMIT = 128
_LOCK = threading.Lock()
_CACHE: dict[Hashable, tuple[int, float, Any]] = {}


def version(session: Session) -> int:
    return int(session.scalar(select(AdoptionVersion.version).where(AdoptionVersion.id == 1)) or 0)


def bump(session: Session) -> None:
    """Mark the usage data changed, in the caller's transaction (the unit ranking's usage part too)."""
    from adoption.links import index_inputs_changed

    session.info[DIRTY_KEY] = True
    index_inputs_changed(session)
    done = session.execute(
        update(AdoptionVersion).where(AdoptionVersion.id == 1).values(version=AdoptionVersion.version + 1)
    )
    if not done.rowcount:
        session.execute(
            text(
                "INSERT INTO adoption_version (id, version) VALUES (1, 1) "
                "ON CONFLICT (id) DO UPDATE SET version = adoption_version.version + 1"
            )
        )


def clear() -> None:
    with _LOCK:
        _CACHE.clear()


def cached(session: Session, key: Hashable, compute: Callable[[Session], Any]) -> Any:
    if session.info.get(DIRTY_KEY):
        return compute(session)
    full_key = (key, str(session.get_bind().url))
    current = version(session)
    entry = _CACHE.get(full_key)
    now = time.monotonic()
    if entry is not None and entry[0] == current and now - entry[1] <= MAX_AGE_SECONDS:
        return entry[2]
    value = compute(session)
    with _LOCK:
        if len(_CACHE) >= _LIMIT:
            _CACHE.clear()
        _CACHE[full_key] = (current, now, value)
    return value


def _after_commit(session: Session) -> None:
    session.info.pop(DIRTY_KEY, None)


def _after_rollback(session: Session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(DIRTY_KEY, None)


#: added by ``adoption.init_app`` (``lms.database.listen_once``): a session's uncommitted usage writes
#: stop counting once it commits or rolls back
SESSION_LISTENERS = (("after_commit", _after_commit), ("after_soft_rollback", _after_rollback))
