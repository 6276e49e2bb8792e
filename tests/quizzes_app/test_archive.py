"""Archiving and restoring questions: the bank's filter, new draws, attempts in progress, the audit
log, who may do it, and the warning on a quiz whose draw can no longer be filled."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from lms.auth.models import AuditLog, Role
from lms.org.models import Official
from quizzes import services
from quizzes.models import Attempt, AttemptState, Question
from tests.factories import login_as, make_unit, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_bank, make_quiz


@pytest.fixture
def staff(session):
    return make_user(session, Role.IT_STAFF)


def _questions(category) -> list[Question]:
    return sorted(category.questions, key=lambda q: q.id)


def _table(page: str) -> str:
    """The bank's question table only (a flash message may name the question too)."""
    return page.split('id="bank-table"', 1)[1].split("</table>", 1)[0]


def _audit_rows(session) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action.like("question.%")).order_by(AuditLog.id)))


def test_archive_hides_from_the_active_list_and_new_draws_restore_brings_it_back(client, session, staff):
    cats = make_bank(session, per_category={"email/a": 3})
    gone, *kept = _questions(cats["email/a"])
    session.commit()
    login_as(client, staff)

    r = client.post(f"/quizzes/bank/questions/{gone.id}/archive")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/quizzes/bank/questions/{gone.id}")
    session.expire_all()
    assert session.get(Question, gone.id).archived is True

    active = client.get("/quizzes/bank").get_data(as_text=True)
    assert gone.title not in _table(active) and all(q.title in _table(active) for q in kept)
    assert "Đang dùng (2)" in active and "Đã lưu trữ (1)" in active
    archived = client.get("/quizzes/bank?status=archived").get_data(as_text=True)
    assert gone.title in _table(archived) and not any(q.title in _table(archived) for q in kept)
    detail = client.get(f"/quizzes/bank/questions/{gone.id}").get_data(as_text=True)
    assert 'id="question-archived"' in detail and f"/quizzes/bank/questions/{gone.id}/restore" in detail

    # new draws take only the active questions: drawing 2 of the 2 left gives exactly those
    quiz = make_quiz(session, cats, counts={"email/a": 2})
    for seed in range(5):
        drawn = services.draw_questions(session, quiz, random.Random(seed))
        assert {v.question_id for v in drawn} == {q.id for q in kept}

    r = client.post(f"/quizzes/bank/questions/{gone.id}/restore")
    assert r.status_code == 302
    session.expire_all()
    assert session.get(Question, gone.id).archived is False
    active = client.get("/quizzes/bank").get_data(as_text=True)
    assert gone.title in _table(active) and "Đang dùng (3)" in active and "Đã lưu trữ (0)" in active
    quiz = make_quiz(session, cats, counts={"email/a": 3})
    drawn = services.draw_questions(session, quiz, random.Random(0))
    assert gone.id in {v.question_id for v in drawn}

    rows = _audit_rows(session)
    assert [(r.action, r.target, r.actor_id, r.actor_name) for r in rows] == [
        ("question.archive", f"question:{gone.id}", staff.id, staff.name),
        ("question.restore", f"question:{gone.id}", staff.id, staff.name),
    ]
    assert all(r.at is not None and r.data == {"category": gone.category.name} for r in rows)


def test_archiving_twice_writes_one_audit_row(client, session, staff):
    cats = make_bank(session, per_category={"email/a": 2})
    question = _questions(cats["email/a"])[0]
    session.commit()
    assert services.archive_question(session, staff, question, NOW) is True
    assert services.archive_question(session, staff, question, NOW) is False  # a double click, a second tab
    assert services.restore_question(session, staff, question, NOW) is True
    assert services.restore_question(session, staff, question, NOW) is False
    assert [r.action for r in _audit_rows(session)] == ["question.archive", "question.restore"]


def test_archive_from_the_list_goes_back_to_the_same_filtered_page(client, session, staff):
    cats = make_bank(session, per_category={"email/a": 30})
    question = _questions(cats["email/a"])[0]
    session.commit()
    login_as(client, staff)
    listing = client.get("/quizzes/bank?topic=email&page=2").get_data(as_text=True)
    assert "Trang 2 / 2" in listing and 'class="archive-confirm"' in listing and "Đồng ý lưu trữ" in listing
    r = client.post(f"/quizzes/bank/questions/{question.id}/archive", data={"next": "/quizzes/bank?topic=email&page=2"})
    assert r.headers["Location"] == "/quizzes/bank?topic=email&page=2"
    # pagination of the archived list keeps its filter
    for q in _questions(cats["email/a"])[1:27]:
        services.archive_question(session, staff, q, NOW)
    session.commit()
    archived = client.get("/quizzes/bank?status=archived").get_data(as_text=True)
    assert "Trang 1 / 2" in archived and "status=archived" in archived.split('rel="next"')[0].rsplit("href=", 1)[1]
    # an off-site "next" is ignored
    other = _questions(cats["email/a"])[28]
    r = client.post(f"/quizzes/bank/questions/{other.id}/archive", data={"next": "https://evil.example/"})
    assert r.headers["Location"].endswith(f"/quizzes/bank/questions/{other.id}")


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.UNIT_HEAD])
def test_officials_and_unit_heads_cannot_archive_or_restore(client, session, staff, role):
    cats = make_bank(session, per_category={"email/a": 2})
    active, archived = _questions(cats["email/a"])
    services.archive_question(session, staff, archived, NOW)
    user = make_user(session, role, unit=make_unit(session))
    session.commit()
    login_as(client, user)
    assert client.post(f"/quizzes/bank/questions/{active.id}/archive").status_code == 403
    assert client.post(f"/quizzes/bank/questions/{archived.id}/restore").status_code == 403
    session.expire_all()
    assert session.get(Question, active.id).archived is False
    assert session.get(Question, archived.id).archived is True
    assert [r.action for r in _audit_rows(session)] == ["question.archive"]  # only the staff's own


def test_an_attempt_started_before_archiving_still_renders_saves_and_grades(client, session, staff):
    official_user = make_user(session, Role.OFFICIAL)
    official = session.get(Official, official_user.official_id)
    cats = make_bank(session, per_category={"email/a": 5})
    quiz = make_quiz(session, cats)
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, official)
        finished = make_attempt(session, make_quiz(session, cats), official)
        services.submit_attempt(session, finished.id, NOW)
        session.commit()
        slot = attempt.slots[0]
        right = next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)
        login_as(client, staff)
        for question in _questions(cats["email/a"]):  # every question the attempts drew
            assert client.post(f"/quizzes/bank/questions/{question.id}/archive").status_code == 302
    session.expire_all()
    assert session.scalar(select(func.count()).where(Question.archived.is_(False))) == 0

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        login_as(client, official_user)
        page = client.get(f"/quizzes/attempts/{attempt.id}/q/1")
        assert page.status_code == 200 and 'name="q1"' in page.get_data(as_text=True)
        r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data={"slot": "1", "q1": right})
        assert r.status_code == 200 and r.json["ok"] and r.json["answered"]
        r = client.post(f"/quizzes/attempts/{attempt.id}/submit")
        assert r.status_code == 302
        result = client.get(r.headers["Location"]).get_data(as_text=True)
        assert "1 / 5" in result and "20,0%" in result
        # the attempt finished before archiving still shows its review
        assert client.get(f"/quizzes/attempts/{finished.id}").status_code == 200
    session.expire_all()
    graded = session.get(Attempt, attempt.id)
    assert graded.state == AttemptState.SUBMITTED and graded.score == 1 and graded.max_score == 5
    assert graded.slots[0].mark == 1


def test_quiz_page_warns_staff_when_archiving_leaves_too_few_questions(client, session, staff):
    official_user = make_user(session, Role.OFFICIAL)
    cats = make_bank(session, per_category={"email/a": 5, "email/b": 2})
    quiz = make_quiz(session, cats, counts={"email/a": 5, "email/b": 1}, title="Kiểm tra thư công vụ")
    question = _questions(cats["email/a"])[0]
    session.commit()
    login_as(client, staff)
    assert 'id="draw-shortfall"' not in client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    assert services.draw_shortfalls(session, quiz) == []

    r = client.post(f"/quizzes/bank/questions/{question.id}/archive", follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "không còn đủ câu hỏi" in page and "Kiểm tra thư công vụ" in page  # told at once, by name

    settings = client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    assert 'id="draw-shortfall"' in settings
    assert "Danh mục «email/a»: cần 5 câu, chỉ còn 4 câu đang dùng." in settings
    assert "email/b»" not in settings.split('id="draw-shortfall"')[1].split("</div>")[0]  # only the short draw
    assert 'id="draw-shortfall"' in client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)  # staff's preview

    # an official's start is refused with the message, not a 500, and no attempt is written
    login_as(client, official_user)
    assert 'id="draw-shortfall"' not in client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    r = client.post(f"/quizzes/{quiz.id}/start")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/quizzes/{quiz.id}")
    assert "chỉ có 4 câu hỏi, không đủ 5 câu" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Attempt)) == 0

    # restoring the question clears the warning
    login_as(client, staff)
    client.post(f"/quizzes/bank/questions/{question.id}/restore")
    assert 'id="draw-shortfall"' not in client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
