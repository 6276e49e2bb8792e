"""SIGKILL of the server while a submission is being written (not between requests).

The server is frozen (SIGSTOP) at a moment the database says the submission's transaction holds
uncommitted writes, checked again while frozen, then killed (SIGKILL): a power cut in the middle
of grading. Afterwards nothing is half-written: the attempt is still in progress with every saved
answer and no mark, no competency record; after a restart the same submission grades it once.

How "mid-write" is seen from outside:
* PostgreSQL: the test holds the official's competency summary row (``SELECT ... FOR UPDATE``), which
  the submission locks after it has graded the slots and written the record; the app's backend is
  then waiting on that lock with a transaction id (it has written), every time.
* SQLite: the test polls ``BEGIN IMMEDIATE`` with no busy timeout on its own connection; it fails
  exactly while another connection (the app's) holds the write transaction. The race (frozen after
  the commit) is detected by checking again while frozen; such a round is repeated.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time

import pytest
import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from lms.auth.models import Role
from lms.extensions import db
from lms.topics import Topic
from quizzes.models import Attempt, AttemptSlot, AttemptState
from tests.factories import make_unit, make_user
from tests.faults.server import Browser, csrf, radio_values
from tests.quizzes_app.factories import make_bank, make_quiz

QUESTIONS = 40
ROUNDS = 40  # SQLite: rounds tried until one freezes the server inside the transaction


@pytest.fixture
def long_exam(session):
    unit = make_unit(session)
    official = make_user(session, Role.OFFICIAL, unit=unit)
    quiz = make_quiz(
        session,
        make_bank(session, per_category={"email/chung": QUESTIONS}),
        topic=Topic.EMAIL,
        time_limit_minutes=None,
        attempts_allowed=0,
        delay_minutes=0,
        shuffle_questions=False,
    )
    session.commit()
    return official, quiz


def _committed(engine, attempt_id: int):
    """The attempt, its slots and the official's competency records as committed (a new connection)."""
    with engine.connect() as conn:
        attempt = conn.execute(select(Attempt.__table__).where(Attempt.id == attempt_id)).one()
        slots = conn.execute(
            select(AttemptSlot.slot_no, AttemptSlot.answer, AttemptSlot.mark)
            .where(AttemptSlot.attempt_id == attempt_id)
            .order_by(AttemptSlot.slot_no)
        ).all()
        records = conn.execute(
            text("SELECT attempts_count FROM competency_record WHERE official_id = :o"), {"o": attempt.official_id}
        ).all()
    return attempt, slots, records


def _start_and_answer(browser, quiz) -> tuple[int, dict[int, str], str]:
    intro = browser.get(f"/quizzes/{quiz.id}")
    r = browser.post(f"/quizzes/{quiz.id}/start", data={"csrf_token": csrf(intro.text)})
    assert r.status_code == 302, r.text[:300]
    attempt_id = int(re.search(r"/attempts/(\d+)/q/", r.headers["Location"]).group(1))
    chosen = {}
    page = browser.get(f"/quizzes/attempts/{attempt_id}/q/1")
    token = csrf(page.text)
    for slot in range(1, QUESTIONS + 1):
        if slot > 1:
            page = browser.get(f"/quizzes/attempts/{attempt_id}/q/{slot}")
        chosen[slot] = radio_values(page.text, slot)[-1]
        saved = browser.post(
            f"/quizzes/attempts/{attempt_id}/autosave",
            data={"slot": slot, f"q{slot}": chosen[slot], "csrf_token": token},
        )
        assert saved.status_code == 200 and saved.json()["ok"], saved.text[:300]
    return attempt_id, chosen, token


def _submit_in_background(browser, attempt_id: int, token: str) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run():
        try:
            outcome.append(browser.post(f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token}))
        except requests.RequestException as exc:  # the server died under it
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _signal(server, sig) -> None:
    os.killpg(server.proc.pid, sig)


# --------------------------------------------------------------------------- how to see a write in flight
def _sqlite_writer_active(path: str) -> bool:
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True  # another connection holds the write transaction
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def _freeze_inside_sqlite_write(server, path: str, browser, attempt_id: int, token: str) -> bool:
    """Submit, freeze the server while it holds the write transaction, confirm, kill. False: missed."""
    thread, outcome = _submit_in_background(browser, attempt_id, token)
    while thread.is_alive():
        if _sqlite_writer_active(path):
            _signal(server, signal.SIGSTOP)
            if _sqlite_writer_active(path):  # still inside the transaction while frozen
                server.kill()
                thread.join(30)
                return True
            _signal(server, signal.SIGCONT)
    thread.join(30)
    return False


def _freeze_inside_postgresql_write(server, url: str, official_id: int, browser, attempt_id: int, token: str):
    """Hold the summary row the submission locks after grading, wait until the app's backend waits
    for it with a transaction id (it has written), kill the server, then let go."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as holder:
            holder.execute(text("BEGIN"))
            holder.execute(
                text(
                    "INSERT INTO competency_summary (official_id, participated, n_best) VALUES (:o, 0, 0) "
                    "ON CONFLICT (official_id) DO UPDATE SET n_best = competency_summary.n_best"
                ),
                {"o": official_id},
            )
            holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar()
            thread, outcome = _submit_in_background(browser, attempt_id, token)
            deadline = time.monotonic() + 30
            waiting = None
            with engine.connect() as probe:
                while waiting is None and time.monotonic() < deadline:
                    waiting = probe.execute(
                        text(
                            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid NOT IN (pg_backend_pid(), :h) AND wait_event_type = 'Lock' "
                            "AND backend_xid IS NOT NULL"
                        ),
                        {"h": holder_pid},
                    ).scalar()
                    time.sleep(0.02)
                assert waiting is not None, "the submission never reached the summary row"
                server.kill()
                thread.join(30)
                holder.execute(text("ROLLBACK"))
                while probe.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": waiting}
                ).scalar():
                    time.sleep(0.05)  # the orphaned backend finds its client gone and rolls back
            return True
    finally:
        engine.dispose()


def test_sigkill_while_a_submission_is_written_leaves_nothing_half_done(app, servers, long_exam, session):
    official, quiz = long_exam
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    backend = make_url(url).get_backend_name()
    engine = create_engine(url)
    server = servers(workers=1, threads=2)
    browser = Browser(server, official)
    try:
        for round_no in range(1, ROUNDS + 1):
            attempt_id, chosen, token = _start_and_answer(browser, quiz)
            if backend == "postgresql":
                caught = _freeze_inside_postgresql_write(server, url, official.official_id, browser, attempt_id, token)
            else:
                caught = _freeze_inside_sqlite_write(server, make_url(url).database, browser, attempt_id, token)
            if caught:
                print(f"frozen inside the submission's transaction in round {round_no}")
                break
        else:
            pytest.fail(f"no round out of {ROUNDS} froze the server inside the submission's transaction")

        # nothing half-written: the attempt is as before the submission
        attempt, slots, records = _committed(engine, attempt_id)
        assert attempt.state == AttemptState.IN_PROGRESS.value or attempt.state == AttemptState.IN_PROGRESS
        assert attempt.graded_at is None and attempt.score is None
        assert {n: a for n, a, _m in slots} == chosen, "every saved answer is kept"
        assert all(m is None for _n, _a, m in slots), "no slot is marked"
        graded_before = sum(r.attempts_count for r in records)
        assert graded_before == round_no - 1, "no competency record for the killed submission"

        # after a restart the same submission grades it, once
        server.start()
        again = browser.post(f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token})
        assert again.status_code == 302
        assert browser.post(f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token}).status_code == 302
        attempt, slots, records = _committed(engine, attempt_id)
        assert attempt.graded_at is not None and all(m is not None for _n, _a, m in slots)
        assert attempt.score == pytest.approx(sum(m for _n, _a, m in slots))
        assert sum(r.attempts_count for r in records) == round_no, "graded exactly once"
        assert "Traceback" not in server.log_text()
    finally:
        engine.dispose()
        db.session.remove()
