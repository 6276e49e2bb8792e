"""A pooled PostgreSQL connection that the server has ended is replaced before a request uses it,
without the ``SELECT 1`` round trip per request that SQLAlchemy's ``pool_pre_ping`` costs
(``lms.database.server_closed``, a pool ``checkout`` listener)."""

import time

import psycopg
import pytest
from sqlalchemy import text

from lms.database import server_closed
from lms.extensions import db
from tests.factories import login_as, make_user


def _postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a connection the server ends needs a database server: DATABASE_URL is not PostgreSQL")


def _terminate(pid: int) -> None:
    """End backend ``pid`` from a connection of its own (outside the app's pool)."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


def _wait_until_closed(raw, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server_closed(raw):
            return True
        time.sleep(0.02)
    return False


def test_an_ended_connection_is_replaced_at_checkout_without_a_ping(app, monkeypatch):
    _postgresql_only(app)
    pings = []
    monkeypatch.setattr(type(db.engine.dialect), "do_ping", lambda self, dbapi_connection: pings.append(1) or True)
    db.session.remove()
    with db.engine.connect() as conn:
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
        raw = conn.connection.dbapi_connection
    assert not server_closed(raw), "an idle live connection has nothing to read"
    _terminate(pid)
    assert _wait_until_closed(raw), "the server's last message makes the idle socket readable"
    with db.engine.connect() as conn:  # the same pooled connection would fail: it is replaced
        assert conn.scalar(text("SELECT pg_backend_pid()")) != pid
        assert conn.scalar(text("SELECT 1")) == 1
    assert pings == [], "no SELECT 1 round trip at checkout"


def test_a_request_after_the_backends_were_ended_succeeds(app, client, session):
    _postgresql_only(app)
    login_as(client, make_user(session))
    db.session.remove()
    with db.engine.connect() as conn:
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
        raw = conn.connection.dbapi_connection
    _terminate(pid)
    assert _wait_until_closed(raw)
    response = client.get("/dashboard")  # the account is read from the database
    assert response.status_code == 200


def test_sqlite_connections_are_never_taken_for_closed(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite case: DATABASE_URL is PostgreSQL")
    db.session.remove()
    with db.engine.connect() as conn:
        assert not server_closed(conn.connection.dbapi_connection)
        assert conn.scalar(text("SELECT 1")) == 1
