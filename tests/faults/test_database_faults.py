"""The database goes away for a moment: a SQLite lock held by another process, PostgreSQL backends
terminated under the running app. Requests wait and succeed (or fail with the friendly page), and the
app recovers without a restart."""

from __future__ import annotations

import re
import sqlite3
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from lms.extensions import db
from quizzes.models import AttemptSlot
from tests.faults.server import Browser, csrf, radio_values


def _start_attempt(browser, quiz) -> int:
    intro = browser.get(f"/quizzes/{quiz.id}")
    r = browser.post(f"/quizzes/{quiz.id}/start", data={"csrf_token": csrf(intro.text)})
    assert r.status_code == 302, r.text[:500]
    return int(re.search(r"/attempts/(\d+)/q/1", r.headers["Location"]).group(1))


def _hold_exclusive_lock(path: str, seconds: float, locked: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
    finally:
        conn.close()


def _sqlite_path(app) -> str:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite lock test: DATABASE_URL is not SQLite")
    return url.database


def test_sqlite_lock_makes_writes_wait_then_succeed(app, servers, exam, session):
    path = _sqlite_path(app)
    official, quiz = exam
    server = servers(workers=1, threads=4)
    browser = Browser(server, official)
    attempt_id = _start_attempt(browser, quiz)
    page = browser.get(f"/quizzes/attempts/{attempt_id}/q/1")
    choice = radio_values(page.text, 1)[0]

    locked = threading.Event()
    holder = threading.Thread(target=_hold_exclusive_lock, args=(path, 2.0, locked))
    holder.start()
    assert locked.wait(5)
    t = time.monotonic()
    saved = browser.post(
        f"/quizzes/attempts/{attempt_id}/autosave", data={"slot": 1, "q1": choice, "csrf_token": csrf(page.text)}
    )
    waited = time.monotonic() - t
    holder.join()
    assert saved.status_code == 200 and saved.json()["ok"], saved.text[:500]
    assert waited >= 1.0, "the write waited for the lock (busy timeout) instead of failing"
    db.session.remove()
    assert (
        session.scalar(select(AttemptSlot.answer).where(AttemptSlot.attempt_id == attempt_id, AttemptSlot.slot_no == 1))
        == choice
    )


def test_sqlite_lock_longer_than_busy_timeout_fails_cleanly_and_recovers(app, servers, exam, session):
    path = _sqlite_path(app)
    official, quiz = exam
    server = servers(workers=1, threads=4)
    browser = Browser(server, official)
    attempt_id = _start_attempt(browser, quiz)
    page = browser.get(f"/quizzes/attempts/{attempt_id}/q/1")
    choice = radio_values(page.text, 1)[0]

    locked = threading.Event()
    holder = threading.Thread(target=_hold_exclusive_lock, args=(path, 11.5, locked))  # busy timeout: 10 s
    holder.start()
    assert locked.wait(5)
    failed = browser.post(
        f"/quizzes/attempts/{attempt_id}/q/1", data={"q1": choice, "go": "next", "csrf_token": csrf(page.text)}
    )
    holder.join()
    # the friendly error page, no internals (a redirect would mean the answer was taken or dropped unsaid)
    assert failed.status_code == 500, (failed.status_code, failed.headers.get("Location"))
    assert failed.headers["Content-Type"].startswith("text/html")
    assert "Traceback" not in failed.text and "sqlite" not in failed.text.lower()
    assert failed.headers["X-Request-Id"] in failed.text
    assert "Đã có lỗi xảy ra" in failed.text and "Dữ liệu của bạn không bị mất" in failed.text
    # no restart: the next request works
    again = browser.post(
        f"/quizzes/attempts/{attempt_id}/autosave", data={"slot": 1, "q1": choice, "csrf_token": csrf(page.text)}
    )
    assert again.status_code == 200 and again.json()["ok"]
    assert browser.get(f"/quizzes/attempts/{attempt_id}/q/2").status_code == 200


def test_postgresql_backends_terminated_the_next_request_recovers(app, servers, exam, session):
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL: DATABASE_URL is not a PostgreSQL URL")
    official, quiz = exam
    server = servers(workers=1, threads=4)
    browser = Browser(server, official)
    attempt_id = _start_attempt(browser, quiz)
    for _ in range(6):  # fill the pool with several connections
        assert browser.get("/dashboard").status_code == 200
    db.session.remove()
    with db.engine.connect() as conn:
        others = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
        ).scalars()
        killed = [pid for pid in others if conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})]
        conn.commit()
        assert killed
        # pg_terminate_backend only signals: wait until the backends have ended (sent their last
        # words and closed their sockets), as after a database restart
        deadline = time.monotonic() + 10
        while conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"), {"p": killed}):
            assert time.monotonic() < deadline, "the terminated backends did not end"
            time.sleep(0.02)
            conn.commit()
    page = browser.get(f"/quizzes/attempts/{attempt_id}/q/1")
    assert page.status_code == 200, "a connection the server ended is replaced before use"
    answer = {"slot": 1, "q1": radio_values(page.text, 1)[0], "csrf_token": csrf(page.text)}
    saved = browser.post(f"/quizzes/attempts/{attempt_id}/autosave", data=answer)
    assert saved.status_code == 200 and saved.json()["ok"]
    for _ in range(4):
        assert browser.get("/dashboard").status_code == 200
    assert "Traceback" not in server.log_text()
