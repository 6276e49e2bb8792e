"""Fault tests: a real gunicorn against the test database (SQLite file or ``DATABASE_URL``)."""

from __future__ import annotations

import pytest

from lms.auth.models import Role
from lms.topics import Topic
from tests.factories import make_unit, make_user
from tests.faults.server import Server
from tests.quizzes_app.factories import make_bank, make_quiz


@pytest.fixture
def servers(app, tmp_path):
    """Start servers with ``servers(workers=..., threads=...)``; all are killed at the end."""
    started: list[Server] = []

    def start(**kwargs) -> Server:
        server = Server(app.config["SQLALCHEMY_DATABASE_URI"], log_dir=tmp_path, **kwargs)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.kill()


@pytest.fixture
def exam(session):
    """An official and a published 5-question quiz (single choice, 30 minutes, topic e-mail)."""
    unit = make_unit(session)
    official = make_user(session, Role.OFFICIAL, unit=unit)
    quiz = make_quiz(
        session,
        make_bank(session, per_category={"email/chung": 5}),
        topic=Topic.EMAIL,
        time_limit_minutes=30,
        shuffle_questions=False,
    )
    session.commit()
    return official, quiz
