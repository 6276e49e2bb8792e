"""Authorization matrix entries of the quizzes blueprint."""

from __future__ import annotations

ANY = "any"
STAFF = {"it_staff", "admin"}
MANAGERS = {"unit_head", "it_staff", "admin"}
OWNER = {"official"}  # route gate: anyone with an official record; object check: only the attempt's owner

EXPECTED: dict[str, object] = {
    "quizzes.my_quizzes": ANY,
    "quizzes.quiz_intro": ANY,
    "quizzes.start": {"official", "unit_head"},
    "quizzes.still_waiting": {"official", "unit_head"},  # the waiting room page says it is open
    "quizzes.attempt_page": OWNER,
    "quizzes.autosave": OWNER,
    "quizzes.summary": OWNER,
    "quizzes.submit": OWNER,
    "quizzes.review": ANY,  # the owner, the head of the owner's unit, IT staff, admins
    "quizzes.bank": STAFF,
    "quizzes.question_detail": STAFF,
    "quizzes.edit_question": STAFF,
    "quizzes.archive_question": STAFF,  # an official and a unit head get 403
    "quizzes.restore_question": STAFF,
    "quizzes.import_questions": STAFF,
    "quizzes.import_template": STAFF,
    "quizzes.export_gift": STAFF,
    "quizzes.manage_quizzes": STAFF,
    "quizzes.quiz_settings": STAFF,
    "quizzes.save_draws": STAFF,
    "quizzes.add_override": STAFF,
    "quizzes.quiz_results": MANAGERS,
    "quizzes.quiz_stats": STAFF,
    "quizzes.quiz_stats_csv": STAFF,
}


def values(session, users) -> dict:
    from lms.org.models import Official
    from tests.quizzes_app.factories import make_attempt, make_quiz

    quiz = make_quiz(session)
    official = session.get(Official, users["official"].official_id)
    attempt = make_attempt(session, quiz, official)
    question_id = attempt.slots[0].question_version.question_id
    session.commit()
    return {"quiz_id": quiz.id, "attempt_id": attempt.id, "slot_no": 1, "question_id": question_id}
