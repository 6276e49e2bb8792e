"""Backup and restore of a database with attempts, answers and certificates (extends
``tests/test_backup.py``, which covers units and officials): counts of every table and a sample of
rows are the same after a restore over damaged data."""

from __future__ import annotations

from sqlalchemy import func, select, text

from certificates.models import Certificate
from lms.auth.models import Role
from lms.extensions import db
from quizzes import services as quiz_services
from quizzes.models import Attempt, AttemptSlot
from tests.certificates_app.factories import make_certificate, make_course
from tests.factories import make_unit, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_quiz


def _snapshot(session):
    counts = {t.name: session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
    attempts = [
        (a.id, a.official_id, a.number, a.state.value, a.score, a.percent, a.passed, a.graded_at)
        for a in session.scalars(select(Attempt).order_by(Attempt.id))
    ]
    slots = [
        (s.attempt_id, s.slot_no, s.question_version_id, s.answer, s.mark, s.state, s.layout)
        for s in session.scalars(select(AttemptSlot).order_by(AttemptSlot.id))
    ]
    certs = [
        (
            c.id,
            c.official_id,
            c.course_id,
            c.serial,
            c.verification_code,
            c.status.value,
            c.issued_on,
            c.expires_on,
            c.pdf_sha256,
        )
        for c in session.scalars(select(Certificate).order_by(Certificate.id))
    ]
    return counts, attempts, slots, certs


def test_backup_and_restore_keep_attempts_answers_and_certificates(runner, session, tmp_path):
    unit = make_unit(session, name="Huyện Lập Thạch")
    quiz = make_quiz(session)
    course = make_course(session)
    people = [make_user(session, Role.OFFICIAL, unit=unit) for _ in range(3)]
    for i, user in enumerate(people):
        attempt = make_attempt(session, quiz, user.official, seed=i)
        for slot in attempt.slots[: 2 + i]:
            option = slot.question_version.config["options"][i % 2]["id"]
            quiz_services.save_answer(session, attempt, slot.slot_no, {f"q{slot.slot_no}": option}, NOW)
        if i < 2:
            quiz_services.submit_attempt(session, attempt.id, NOW)
        session.commit()
        make_certificate(session, official=user.official, course=course, score=80 + i)
    session.commit()
    before = _snapshot(session)
    assert before[0]["attempt"] == 3 and before[0]["certificate"] == 3
    assert any(row[3] is not None for row in before[2]), "some answers are saved"

    path = tmp_path / "backup.bin"
    result = runner.invoke(args=["lms", "backup", str(path)])
    assert result.exit_code == 0, result.output

    # damage after the backup: answers lost, a certificate row gone
    session.execute(text("UPDATE attempt_slot SET answer = NULL"))
    session.execute(text("UPDATE competency_record SET certificate_id = NULL"))
    session.execute(text("DELETE FROM certificate WHERE id = :id"), {"id": before[3][0][0]})
    session.commit()
    assert _snapshot(session) != before

    db.session.remove()
    result = runner.invoke(args=["lms", "restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    after = _snapshot(db.session)
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert after[2] == before[2]
    assert after[3] == before[3]
