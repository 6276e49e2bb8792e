"""SIGKILL of the server mid-attempt: saved answers survive, the attempt resumes, graded once."""

from __future__ import annotations

import re
import time

from sqlalchemy import select

from competency.models import CompetencyRecord
from lms.extensions import db
from lms.topics import Topic
from quizzes.models import Attempt, AttemptSlot, AttemptState
from tests.faults.server import Browser, csrf, radio_values


def _remaining(html: str) -> int:
    m = re.search(r'data-remaining="(\d+)"', html)
    assert m, "no remaining time on the attempt page"
    return int(m.group(1))


def test_answers_survive_sigkill_and_the_attempt_resumes(servers, exam, session):
    official, quiz = exam
    server = servers(workers=1, threads=2)
    browser = Browser(server, official)
    intro = browser.get(f"/quizzes/{quiz.id}")
    assert intro.status_code == 200
    r = browser.post(f"/quizzes/{quiz.id}/start", data={"csrf_token": csrf(intro.text)})
    attempt_id = int(re.search(r"/attempts/(\d+)/q/1", r.headers["Location"]).group(1))
    chosen = {}
    for slot in (1, 2, 3):
        page = browser.get(f"/quizzes/attempts/{attempt_id}/q/{slot}")
        remaining_before, killed_at = _remaining(page.text), time.monotonic()  # the page's countdown
        chosen[slot] = radio_values(page.text, slot)[-1]
        saved = browser.post(
            f"/quizzes/attempts/{attempt_id}/autosave",
            data={"slot": slot, f"q{slot}": chosen[slot], "csrf_token": csrf(page.text)},
        )
        assert saved.status_code == 200 and saved.json()["ok"] and saved.json()["answered"]

    server.kill()  # master and workers, no chance to flush anything

    db.session.remove()
    stored = dict(
        session.execute(
            select(AttemptSlot.slot_no, AttemptSlot.answer).where(AttemptSlot.attempt_id == attempt_id)
        ).all()
    )
    assert {slot: stored[slot] for slot in chosen} == chosen
    assert stored[4] is None and stored[5] is None

    server.start()
    page = browser.get(f"/quizzes/attempts/{attempt_id}/q/4")
    assert page.status_code == 200, "the attempt resumes after the restart"
    elapsed = time.monotonic() - killed_at
    assert abs(_remaining(page.text) - (remaining_before - elapsed)) <= 3
    back = browser.get(f"/quizzes/attempts/{attempt_id}/q/2")
    assert f'value="{chosen[2]}" checked' in back.text, "the saved answer is shown again"

    summary = browser.get(f"/quizzes/attempts/{attempt_id}/summary")
    token = csrf(summary.text)
    first = browser.post(f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert first.status_code == 302
    db.session.remove()
    graded_at = session.get(Attempt, attempt_id).graded_at
    server.kill()  # again, right after the submit
    server.start()
    again = browser.post(f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert again.status_code == 302
    assert browser.get(f"/quizzes/attempts/{attempt_id}").status_code == 200

    db.session.remove()
    attempt = session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED and attempt.graded_at == graded_at
    record = session.scalar(
        select(CompetencyRecord).where(
            CompetencyRecord.official_id == official.official_id, CompetencyRecord.topic == Topic.EMAIL
        )
    )
    assert record is not None and record.attempts_count == 1, "graded exactly once"
    assert "Traceback" not in server.log_text()
