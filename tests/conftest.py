"""Shared fixtures.

The schema is built once per test session by running the Alembic migrations (so they are tested
too); every test that uses ``app`` gets empty tables afterwards. ``DATABASE_URL`` switches the
suite to PostgreSQL; otherwise a temporary SQLite file is used.
"""

from __future__ import annotations

import os
import shutil

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.extensions import db

# CI runs are reproducible: Hypothesis explores the same examples every time, without deadlines.
settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _database_url(tmp_path_factory, worker_id: str) -> str:
    """SQLite in a temporary folder, or the PostgreSQL server of ``DATABASE_URL``.

    Under pytest-xdist every worker gets its own PostgreSQL database (``<name>_gw0`` ...).
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    if worker_id in (None, "master"):
        return url
    base = make_url(url)
    name = f"{base.database}_{worker_id}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """pytest-xdist's worker name ("gw0"...), or "master" when the suite runs in one process."""
    return getattr(request.config, "workerinput", {}).get("workerid", "master")


class Client(FlaskClient):
    """Tests keep an app context pushed, so ``g`` outlives a request; forget the cached user and the
    cached CSRF token (Flask-WTF keeps it on ``g``: another client's session would get it)."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _app(tmp_path_factory, worker_id):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "TESTING": True,
            "LMS_ENV": "testing",
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory, worker_id),
            "WTF_CSRF_ENABLED": False,
            "DEMO_MODE": True,
            "SERVER_NAME": "localhost",
            "INSTANCE_DIR": str(instance),
        }
    )
    app.test_client_class = Client
    with app.app_context():
        from flask_migrate import downgrade, upgrade

        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            downgrade(revision="base")
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # close pooled connections before the interpreter does (ResourceWarning)


def clean_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for t in tables:
                    conn.execute(t.delete())


@pytest.fixture
def app(_app):
    from quizzes.services.answering import version_keys

    version_keys.clear()  # the tables are emptied between tests: ids of question versions are reused
    ctx = _app.app_context()
    ctx.push()
    try:
        yield _app
    finally:
        db.session.remove()
        ctx.pop()
        clean_tables(_app)
        _app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# -- an S3-compatible bucket: moto's S3 server, run in this process and spoken to over HTTP by boto3 ---------
S3_BUCKET = "lms-test"


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server):
    """An empty bucket; ``bucket.objects()`` lists its keys, read straight from the server."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=S3_BUCKET)

    class Bucket:
        name = S3_BUCKET
        endpoint = s3_server

        @staticmethod
        def objects() -> list[str]:
            return sorted(o["Key"] for o in client.list_objects_v2(Bucket=S3_BUCKET).get("Contents", []))

        @staticmethod
        def get(key: str) -> bytes:
            return client.get_object(Bucket=S3_BUCKET, Key=key)["Body"].read()

    yield Bucket
    for key in Bucket.objects():
        client.delete_object(Bucket=S3_BUCKET, Key=key)
    client.delete_bucket(Bucket=S3_BUCKET)
    client.close()


# -- browser tests (pytest-playwright) -------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
