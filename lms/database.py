"""Database helpers: the UTC timestamp column type and SQLite's pragmas (times in Vietnam: ``lms.time``)."""

from __future__ import annotations

import select
from datetime import UTC

from sqlalchemy import DateTime, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def listen_once(target, identifier: str, fn) -> None:
    """``sqlalchemy.event.listen``, doing nothing when ``fn`` already listens (``init_app`` may run
    once per app, and the targets are classes shared by every app of the process)."""
    if not event.contains(target, identifier, fn):
        event.listen(target, identifier, fn)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):  # pragma: no cover - trivial
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def server_closed(dbapi_connection) -> bool:
    """Whether the database server has ended this idle psycopg connection, found without a round
    trip: a connection the server ends (``pg_terminate_backend``, a restart, an idle timeout) gets
    the server's last message and the end of the stream, so its socket turns readable, while an
    idle connection that is alive has nothing to read. False for another driver (SQLite)."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return False
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    try:
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except (OSError, ValueError, Exception):  # noqa: BLE001 - psycopg raises OperationalError on a bad socket
        return True
    return bool(readable)


def _replace_closed_connection(dbapi_connection, connection_record, connection_proxy):
    """A pooled PostgreSQL connection the server has ended is replaced before a request uses it
    (the pool retries the checkout on ``DisconnectionError``), at the cost of one ``select()`` call,
    not of a ``SELECT 1`` round trip per request as ``pool_pre_ping`` (``LMS_DB_PRE_PING=1`` brings
    that back, for a network that drops connections without closing them)."""
    if server_closed(dbapi_connection):
        raise exc.DisconnectionError("the database server closed this pooled connection")


def init_app(app) -> None:
    """Connected by the app factory: every pool replaces a connection its server ended
    (``_replace_closed_connection``) when it hands it out."""
    listen_once(Pool, "checkout", _replace_closed_connection)
