"""The exam's two writes every official makes once, statement by statement: starting (the draw in
one query, the attempt one INSERT, its slots one executemany) and submitting (the conditional
UPDATE, the slots read once, the grades written in two statements, the attempt and its quiz not
read again). Counts, not times: a statement more is a round trip more for each of 2,000 officials."""

from __future__ import annotations

import time_machine
from sqlalchemy import event, func, select

from lms.auth.models import Role
from lms.extensions import db
from lms.org.models import Official
from lms.topics import Topic
from quizzes import services
from quizzes.models import Attempt, AttemptSlot, AttemptState
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_bank, make_quiz


def _statements(fn) -> list[str]:
    """The SQL statements ``fn()`` sends, one line each (an executemany counts once), without the
    pool's pre-ping."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return [s for s in sent if s != "SELECT 1"]


def _exam(session):
    """A topic quiz drawing every question of four categories (so one attempt puts every version
    in the cache), two officials."""
    cats = make_bank(session, topic=Topic.EMAIL, per_category={f"email/c{i}": 5 for i in range(4)})
    quiz = make_quiz(session, cats, topic=Topic.EMAIL, shuffle_questions=True)
    first, second = (make_user(session, Role.OFFICIAL) for _ in range(2))
    return quiz, first, second


def test_start_is_seven_statements_with_the_versions_cached(client, session):
    quiz, first, user = _exam(session)
    quiz_id, official_id = quiz.id, user.official_id
    with time_machine.travel(NOW, tick=False):
        make_attempt(session, quiz, session.get(Official, first.official_id))  # the versions are cached now
        session.commit()
        login_as(client, user)
        client.get("/healthz")
        session.remove()  # the request starts with an empty session, as in production
        sent = _statements(lambda: client.post(f"/quizzes/{quiz_id}/start"))
    starts = [
        "SELECT user_account.",  # the account of the login session
        "SELECT quiz.",
        "SELECT attempt.",  # the official's attempts and override (eligibility)
        "SELECT quiz_draw.id, quiz_draw.category_id, quiz_draw.count, question.current_version_id FROM quiz_draw",
        "INSERT INTO attempt (",
        "INSERT INTO attempt_slot (",
        "DELETE FROM quiz_waiting",
    ]
    assert len(sent) == len(starts), sent
    assert all(s.startswith(prefix) for s, prefix in zip(sent, starts, strict=True)), sent
    assert "quiz_override" in sent[2]
    assert "ON CONFLICT (quiz_id, official_id, number) DO NOTHING RETURNING" in sent[4]
    attempt = session.scalars(select(Attempt).where(Attempt.official_id == official_id)).one()
    assert attempt.in_progress and len(attempt.slots) == 20
    assert [s.slot_no for s in attempt.slots] == list(range(1, 21))
    assert all(s.answer is None and s.mark is None and s.layout["order"] for s in attempt.slots)


def test_start_reads_only_the_versions_it_lacks(client, session):
    quiz, _first, user = _exam(session)
    quiz_id = quiz.id
    services.answering.version_keys.clear()
    with time_machine.travel(NOW, tick=False):
        session.commit()
        login_as(client, user)
        client.get("/healthz")
        session.remove()  # the request starts with an empty session, as in production
        sent = _statements(lambda: client.post(f"/quizzes/{quiz_id}/start"))
    assert len(sent) == 8, sent
    assert sent[4].startswith("SELECT question_version.id, question.id") and sent[4].count("?") in (0, 20)


def test_submit_writes_the_grades_in_two_statements(client, session):
    quiz, _first, user = _exam(session)
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, session.get(Official, user.official_id))
        slot = attempt.slots[0]
        right = next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)
        services.save_answer(session, attempt, 1, {"q1": right}, NOW)
        attempt_id = attempt.id
        session.commit()
        login_as(client, user)
        client.get("/healthz")
        session.remove()  # the request starts with an empty session, as in production
        sent = _statements(lambda: client.post(f"/quizzes/attempts/{attempt_id}/submit"))
    quizzes_part = [
        "SELECT user_account.",
        "SELECT attempt.",  # the attempt with its quiz
        "UPDATE attempt SET state=",
        "SELECT attempt_slot.id, attempt_slot.slot_no",
        "UPDATE attempt_slot SET mark=",
        "UPDATE attempt SET ",
    ]
    assert all(s.startswith(prefix) for s, prefix in zip(sent, quizzes_part, strict=False)), sent
    assert "JOIN quiz AS" in sent[1] and "RETURNING" not in sent[2]
    # then the competency record (the attempt_graded receiver: one upsert), the official's summary
    # (lock, rewrite) and the cache version at commit
    competency_part = [
        "INSERT INTO competency_record",
        "INSERT INTO competency_summary",
        "INSERT INTO competency_summary",
        "INSERT INTO competency_cache_version",
    ]
    assert len(sent) == len(quizzes_part) + len(competency_part), sent
    rest = sent[len(quizzes_part) :]
    assert all(s.startswith(prefix) for s, prefix in zip(rest, competency_part, strict=True)), sent
    assert "ON CONFLICT (official_id, topic) DO UPDATE" in rest[0]
    session.expire_all()
    graded = session.get(Attempt, attempt_id)
    assert graded.state == AttemptState.SUBMITTED and graded.graded_at == NOW
    assert (graded.score, graded.max_score, graded.percent, graded.passed) == (1, 20, 5.0, False)
    marks = session.scalars(select(AttemptSlot.mark).where(AttemptSlot.attempt_id == attempt_id)).all()
    assert sorted(marks) == [0.0] * 19 + [1.0]
    assert session.scalar(select(func.count()).select_from(Attempt)) == 1
