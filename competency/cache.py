"""The result cache of the competency figures (rankings, breakdowns), stale-while-revalidate.

``cached(session, key, compute)`` returns ``Served(value, computed_at, stale)``. Each key (the
filters and settings of a figure, without the version) holds one entry: the value, the cache version
it was computed for (``records.cache_version``, read before computing) and when it was computed.

* The entry is for the current version: served (a fresh hit).
* It is for an older version (a competency write was committed since, in any process) and at most
  ``RANKING_STALE_SECONDS`` old: served at once, marked stale with its ``computed_at`` (the pages say
  when the ranking was computed), and recomputed in the background: a daemon thread with its own
  app context and its own session, at most one per key per process at a time; its errors are logged.
* Otherwise (nothing cached, too old, setting 0, no app context, a session bound to a connection):
  computed in the request, as before the setting existed.
* A session with uncommitted competency writes neither reads nor fills the cache: it computes.

``wait_for_refreshes()`` joins the running background recomputes (tests, benchmarks).
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lms.time import utcnow

log = logging.getLogger(__name__)
DIRTY_KEY = "competency_dirty"
CACHE_STRIPES = 8
_version = itertools.count(1)
CACHE_STATE = {"version": next(_version)}


# -- cache invalidation -----------------------------------------------------------------------------
# Two counters make up the cache version (``cache_version``):
# * this process's counter, bumped at once when a session of this process writes (and again at its
#   commit or rollback);
# * the shared one, ``competency_cache_version``: a session that wrote competency figures bumps it
#   as the last statement of its transaction (``before_commit``), so it commits with the writes and
#   every process (gunicorn worker, CLI) sees a new version on its next read. The counter is split
#   into ``CACHE_STRIPES`` rows, one picked at random per commit, so concurrent writers rarely wait
#   on one row lock; the version is their sum, which only grows.
_BUMP_SQL = text(
    "INSERT INTO competency_cache_version (id, version) VALUES (:stripe, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = competency_cache_version.version + 1"
)
_READ_SQL = text("SELECT coalesce(sum(version), 0) FROM competency_cache_version")


def mark_dirty(session: Session) -> None:
    """Call after writing records or snapshots: the cache is bypassed until commit, then bumped."""
    session.info[DIRTY_KEY] = True
    bump_version()


def bump_version() -> None:
    CACHE_STATE["version"] = next(_version)


def session_is_dirty(session: Session) -> bool:
    return bool(session.info.get(DIRTY_KEY))


def cache_version(session: Session) -> tuple[int, int]:
    """(this process's counter, the shared counter): read before computing a cached value."""
    shared = int(session.execute(_READ_SQL).scalar_one()) if _has_shared_version(session) else 0
    return CACHE_STATE["version"], shared


_SHARED_TABLE: dict[str, bool] = {}


def _has_shared_version(session: Session) -> bool:
    """Whether the database has the shared counter (a database migrated before it existed has not:
    then the cache is per process, as it used to be, rather than every commit failing)."""
    bind = session.get_bind()
    key = str(bind.url)
    found = _SHARED_TABLE.get(key)
    if found is None:
        from sqlalchemy import inspect

        found = _SHARED_TABLE[key] = inspect(bind).has_table("competency_cache_version")
        if not found:
            log.warning("no competency_cache_version table in %s: the rankings cache is per process", bind.url)
    return found


def _before_commit(session: Session) -> None:
    """Bump the shared version in the committing transaction, after the last flush (so the row lock
    is held only for the commit itself)."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush runs after this hook: mark what it would write now
    if session.info.get(DIRTY_KEY) and _has_shared_version(session):
        session.execute(_BUMP_SQL, {"stripe": random.randrange(CACHE_STRIPES)})


def _after_commit(session: Session) -> None:
    if session.info.pop(DIRTY_KEY, False):
        bump_version()


_WATCHED_TABLES = frozenset({"official", "unit", "competency_record", "unit_snapshot"})


def _after_flush(session: Session, flush_context) -> None:
    """Officials and units changed by other packages (moves, deactivation, imports) change rankings too."""
    if session.info.get(DIRTY_KEY):
        return
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in _WATCHED_TABLES:
            mark_dirty(session)
            return


def _on_bulk_write(orm_execute_state) -> None:
    """Bulk INSERT/UPDATE/DELETE statements on the watched tables (imports, bench data)."""
    if not (orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    table = getattr(orm_execute_state.statement, "table", None)
    if getattr(table, "name", None) in _WATCHED_TABLES:
        orm_execute_state.session.info[DIRTY_KEY] = True
        bump_version()


def _after_rollback(session: Session, previous_transaction) -> None:
    if session.info.pop(DIRTY_KEY, False):
        bump_version()


SESSION_LISTENERS = (
    ("before_commit", _before_commit),
    ("after_commit", _after_commit),
    ("after_flush", _after_flush),
    ("do_orm_execute", _on_bulk_write),
    ("after_soft_rollback", _after_rollback),
)


# -- the cache --------------------------------------------------------------------------------------
DEFAULT_STALE_SECONDS = 300
_LIMIT = 256
_LOCK = threading.Lock()
_SEQ = itertools.count(1)  # orders the version reads of this process: a later read wins the entry


@dataclass(frozen=True)
class Served:
    value: Any
    computed_at: datetime  # UTC: when the version it was computed for was read
    stale: bool = False  # computed for an older version (a newer one is being computed)


@dataclass(frozen=True)
class _Entry:
    value: Any
    version: tuple
    computed_at: datetime
    seq: int


_CACHE: dict[Hashable, _Entry] = {}
_REFRESHING: dict[Hashable, threading.Thread] = {}


def clear() -> None:
    with _LOCK:
        _CACHE.clear()


def stale_seconds() -> float:
    from flask import current_app, has_app_context

    if not has_app_context():
        return 0
    return float(current_app.config.get("RANKING_STALE_SECONDS", DEFAULT_STALE_SECONDS) or 0)


def cached(session: Session, key: Hashable, compute: Callable[[Session], Any]) -> Served:
    """``compute(session)`` cached under ``key`` (see the module docstring); ``compute`` must use
    nothing but the session it is given (it may run in a background thread)."""
    if session_is_dirty(session):
        return Served(compute(session), utcnow())
    key = (key, str(session.get_bind().url))
    seq, version, computed_at = next(_SEQ), cache_version(session), utcnow()  # before computing
    entry = _CACHE.get(key)
    if entry is not None:
        if entry.version == version:
            return Served(entry.value, entry.computed_at)
        limit = stale_seconds()
        if limit > 0 and (computed_at - entry.computed_at).total_seconds() <= limit and _refresh(session, key, compute):
            return Served(entry.value, entry.computed_at, stale=True)
    value = compute(session)
    _store(key, _Entry(value, version, computed_at, seq))
    return Served(value, computed_at)


def _store(key, entry: _Entry) -> None:
    with _LOCK:
        current = _CACHE.get(key)
        if current is not None and current.seq > entry.seq:
            return  # computed from a later read meanwhile
        if current is None and len(_CACHE) >= _LIMIT:
            _CACHE.clear()
        _CACHE[key] = entry


def _refresh(session: Session, key, compute) -> bool:
    """Make sure a background recompute of ``key`` runs; False when it cannot (then compute here)."""
    from flask import current_app

    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return False  # a session bound to a connection: another session would not see its data
    with _LOCK:
        if key in _REFRESHING:
            return True
        thread = threading.Thread(
            target=_recompute,
            args=(current_app._get_current_object(), bind, key, compute),
            name=f"competency-refresh-{len(_REFRESHING)}",
            daemon=True,
        )
        _REFRESHING[key] = thread
        thread.start()  # under the lock: a thread listed in ``_REFRESHING`` can be joined
    return True


def _recompute(app, engine: Engine, key, compute) -> None:
    try:
        with app.app_context(), Session(bind=engine) as session:
            seq, version, computed_at = next(_SEQ), cache_version(session), utcnow()
            value = compute(session)
            _store(key, _Entry(value, version, computed_at, seq))
    except Exception:
        log.exception("background recompute of the competency figures %r failed", key[0])
    finally:
        with _LOCK:
            _REFRESHING.pop(key, None)


def wait_for_refreshes(timeout: float = 60) -> bool:
    """Join the background recomputes running now; True when none is left running."""
    with _LOCK:
        threads = list(_REFRESHING.values())
    for thread in threads:
        thread.join(timeout)
    return not any(thread.is_alive() for thread in threads)
