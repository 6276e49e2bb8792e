"""Answer writes racing a submit: a graded attempt never changes afterwards (issue 12, point 1).

The storm of the outside attack test: 20 writer threads save answers (half through the JSON
autosave, half through the question page's form) while one submit runs (the summary page's button
in even rounds, the countdown's ``go=timeout`` form, which saves one more answer and submits, in odd
rounds), 50 rounds on a fresh attempt each. Every thread is a test client of its own (its own app
context, session and connection), so the requests go through the real views and commit as they do
in production. Runs against the test database: SQLite, or PostgreSQL with ``DATABASE_URL``.

After each round:
- every slot's mark (and state) is the grade of the answer stored in it: the answer it was graded on;
- no slot was answered after the attempt's ``graded_at``;
- every write acknowledged with 200 (or the form's redirect to the next page) is in the graded
  answers: writers 0-9 each own one slot and write it in turn, so that slot holds the value of its
  owner's last acknowledged write; writers 10-19 share one slot, which holds one of their
  acknowledged values (or nothing when none was acknowledged); the timeout POST's own answer is graded;
- a write that lost the race was refused: 409 ``closed`` with the message, or the form's redirect
  to the result.
"""

from __future__ import annotations

import random
import threading
import time

from lms.auth.models import Role
from lms.extensions import db
from lms.org.models import Official
from lms.time import utcnow
from quizzes import qtypes, services
from quizzes.models import Attempt, AttemptState, Quiz
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import make_bank, make_quiz

WRITERS = 20
OWNED = 10  # writers 0..9 write slots 1..10, one each; writers 10..19 share slot 11
SHARED_SLOT = OWNED + 1
TIMEOUT_SLOT = OWNED + 2  # written only by the timeout POST
ROUNDS = 50
SAVES = 2  # writes per writer per round (a writer stops at its first refusal)


def _options(slot) -> list[str]:
    """The right option and a wrong one (worth 0): alternating them changes the mark."""
    options = slot.question_version.config["options"]
    right = next(o["id"] for o in options if o["fraction"] >= 1)
    wrong = next(o["id"] for o in options if o["fraction"] == 0)
    return [right, wrong]


def _write(client, attempt_id: int, slot_no: int, option: str, json: bool) -> bool:
    """One answer write; True when acknowledged, False when refused as closed; anything else fails."""
    if json:
        r = client.post(f"/quizzes/attempts/{attempt_id}/autosave", data={"slot": slot_no, f"q{slot_no}": option})
        if r.status_code == 200 and r.json["ok"] is True:
            return True
        assert r.status_code == 409, (r.status_code, r.get_data(as_text=True)[:300])
        assert r.json["closed"] is True and r.json["message"] and r.json["redirect"].endswith(f"/{attempt_id}")
        return False
    # the question page's own form; "go" = this question number: stay on it
    r = client.post(f"/quizzes/attempts/{attempt_id}/q/{slot_no}", data={f"q{slot_no}": option, "go": str(slot_no)})
    assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[:300])
    if r.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}/q/{slot_no}"):
        return True
    assert r.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}"), r.headers["Location"]
    return False


def _check_round(attempt_id: int, acked: dict[int, list[str]], timeout_answer: str | None) -> list[str]:
    """What is wrong with the graded attempt after a round (empty when it holds)."""
    db.session.remove()
    attempt = db.session.get(Attempt, attempt_id)
    problems = []
    if attempt.state != AttemptState.SUBMITTED or attempt.graded_at is None:
        return [f"attempt {attempt_id} not graded: {attempt.state}"]
    total = 0.0
    for slot in attempt.slots:
        version = slot.question_version
        grade = qtypes.grade_answer(version.question.qtype, version.config, slot.answer)
        if slot.mark != round(grade.fraction * version.default_mark, 7) or slot.state != grade.state:
            problems.append(f"slot {slot.slot_no}: stored {slot.answer!r} graded {slot.mark} ({slot.state})")
        if slot.answered_at is not None and slot.answered_at > attempt.graded_at:
            problems.append(f"slot {slot.slot_no}: answered at {slot.answered_at}, after graded_at {attempt.graded_at}")
        total += slot.mark or 0.0
        if slot.slot_no <= OWNED:
            expected = acked[slot.slot_no][-1] if acked[slot.slot_no] else None
            if slot.answer != expected:
                problems.append(f"slot {slot.slot_no}: stored {slot.answer!r}, last acknowledged {expected!r}")
        elif slot.slot_no == SHARED_SLOT:
            allowed = set(acked[slot.slot_no]) if acked[slot.slot_no] else {None}
            if slot.answer not in allowed:
                problems.append(f"slot {slot.slot_no}: stored {slot.answer!r}, acknowledged {sorted(allowed)!r}")
        elif slot.slot_no == TIMEOUT_SLOT and timeout_answer is not None and slot.answer != timeout_answer:
            problems.append(f"slot {slot.slot_no}: the timeout POST's answer {timeout_answer!r} not graded")
    if abs(total - attempt.score) > 1e-6:
        problems.append(f"score {attempt.score} is not the sum of the marks {total}")
    return problems


def _storm(clients, attempt_id: int, options: dict[int, list[str]], by_timeout: bool, delay: float) -> dict:
    """One round: the writers and the submitter released together; what each write got."""
    acked: dict[int, list[str]] = {n: [] for n in options}
    out = {"acked": acked, "refused": 0, "timeout_answer": None, "errors": []}
    lock = threading.Lock()
    barrier = threading.Barrier(WRITERS + 1)

    def writer(i: int, client) -> None:
        try:
            slot_no = i + 1 if i < OWNED else SHARED_SLOT
            barrier.wait()
            for k in range(SAVES):
                option = options[slot_no][(i + k) % 2]
                if not _write(client, attempt_id, slot_no, option, json=i % 2 == 0):
                    with lock:
                        out["refused"] += 1
                    return
                with lock:
                    acked[slot_no].append(option)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                out["errors"].append(f"writer {i}: {exc!r}")

    def submitter(client) -> None:
        try:
            barrier.wait()
            time.sleep(delay)
            if by_timeout:  # the countdown at zero: saves this question's answer, then submits
                option = options[TIMEOUT_SLOT][0]
                r = client.post(
                    f"/quizzes/attempts/{attempt_id}/q/{TIMEOUT_SLOT}",
                    data={f"q{TIMEOUT_SLOT}": option, "go": "timeout"},
                )
                out["timeout_answer"] = option
            else:
                r = client.post(f"/quizzes/attempts/{attempt_id}/submit")
            assert r.status_code == 302 and r.headers["Location"].endswith(f"/quizzes/attempts/{attempt_id}")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            with lock:
                out["errors"].append(f"submit: {exc!r}")

    threads = [threading.Thread(target=writer, args=(i, clients[i])) for i in range(WRITERS)]
    threads.append(threading.Thread(target=submitter, args=(clients[WRITERS],)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return out


def test_answer_writes_racing_a_submit_never_change_the_graded_attempt(app, session):
    user = make_user(session, Role.OFFICIAL)
    official = session.get(Official, user.official_id)
    quiz = make_quiz(session, make_bank(session, per_category={"email/chung": TIMEOUT_SLOT}), attempts_allowed=0)
    quiz_id, official_id = quiz.id, official.id
    session.commit()
    clients = [app.test_client() for _ in range(WRITERS + 1)]
    for client in clients:
        login_as(client, user)
    rng = random.Random(12)
    failures: list[str] = []
    refused_rounds = acked_rounds = 0

    for round_no in range(ROUNDS):
        db.session.remove()
        attempt = services.start_attempt(
            db.session, db.session.get(Quiz, quiz_id), db.session.get(Official, official_id), utcnow()
        )
        options = {slot.slot_no: _options(slot) for slot in attempt.slots}
        attempt_id = attempt.id
        db.session.commit()
        # the submit comes after 0-80 ms: among the writes, before them or after them
        result = _storm(clients, attempt_id, options, by_timeout=round_no % 2 == 1, delay=rng.uniform(0, 0.08))
        assert result["errors"] == [], result["errors"]
        problems = _check_round(attempt_id, result["acked"], result["timeout_answer"])
        failures.extend(f"round {round_no}: {p}" for p in problems)
        refused_rounds += result["refused"] > 0
        acked_rounds += any(result["acked"].values())

    print(
        f"{ROUNDS} rounds: {len({f.split(':')[0] for f in failures})} with a changed grade; writes refused in "
        f"{refused_rounds} rounds, acknowledged in {acked_rounds}"
    )
    assert failures == [], "\n".join(failures)
