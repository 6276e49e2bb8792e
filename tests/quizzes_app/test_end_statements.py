"""The end of an exam, statement by statement: the summary (the account, then the attempt's head with
its slots' states in one query), the submit (the account without its roles: a redirect has no
layout) and the result of the official's own final-quiz attempt (its slots as plain rows, the grade
from the percents, the course steps in one query). Counts, not times: a statement more is a round
trip more for each of 2,000 officials finishing within a minute or two."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from certificates.models import Certificate
from courses import api as courses_api
from courses.models import Course, Enrolment, Lesson, LessonProgress
from courses.services import mark_lesson_done
from lms.auth.models import Role
from lms.org.models import Official
from quizzes import services
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_quiz
from tests.quizzes_app.test_write_statements import _statements


@pytest.fixture
def setting(session):
    """An official, a course with two published lessons and a draft one, its final quiz."""
    user = make_user(session, Role.OFFICIAL)
    course = Course(slug="thu-cong-vu", topic="email", title="Thư công vụ", published=True)
    session.add(course)
    session.flush()
    session.add_all(
        Lesson(course_id=course.id, slug=f"bai-{n}", title=f"Bài {n}", position=n, published=n < 3) for n in (1, 2, 3)
    )
    quiz = make_quiz(session, course_id=course.id, is_final=True, title="Kiểm tra cuối khóa")
    session.commit()
    return user, course, quiz


def _answer_first(session, attempt) -> None:
    slot = attempt.slots[0]
    right = next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)
    services.save_answer(session, attempt, 1, {"q1": right}, NOW)


def test_summary_is_two_statements(client, session, setting):
    user, _course, quiz = setting
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, session.get(Official, user.official_id))
        _answer_first(session, attempt)
        attempt_id = attempt.id
        session.commit()
        login_as(client, user)
        client.get("/healthz")
        session.remove()  # the request starts with an empty session, as in production
        pages = []
        sent = _statements(lambda: pages.append(client.get(f"/quizzes/attempts/{attempt_id}/summary")))
    assert len(sent) == 2, sent
    assert sent[0].startswith("SELECT user_account."), sent
    assert sent[1].startswith(
        "SELECT attempt.id, attempt.official_id, attempt.state, attempt.deadline_at, quiz.title, "
        "attempt_slot.slot_no, attempt_slot.answer IS NOT NULL"
    ), sent
    page = pages[0]
    assert page.status_code == 200
    assert "<title>Xem lại trước khi nộp — Kiểm tra cuối khóa</title>" in page.text
    assert "Bạn còn 4 câu chưa trả lời:" in page.text  # the factory's quiz: 5 questions, 1 answered
    assert f'action="/quizzes/attempts/{attempt_id}/submit"' in page.text
    assert page.text.count("<strong>Chưa trả lời</strong>") == 4
    assert page.text.count("<td>Đã trả lời</td>") == 1


def test_summary_refuses_what_it_refused_before(client, session, setting):
    """No attempt: 404; another official's: 403; submitted, or past its deadline: to the result (the
    overdue one graded on the way)."""
    user, _course, quiz = setting
    other = make_user(session, Role.OFFICIAL)
    with time_machine.travel(NOW, tick=False):
        theirs = make_attempt(session, quiz, session.get(Official, other.official_id))
        mine = make_attempt(session, quiz, session.get(Official, user.official_id))
        ids = theirs.id, mine.id
        session.commit()
        login_as(client, user)
        assert client.get(f"/quizzes/attempts/{max(ids) + 1}/summary").status_code == 404
        assert client.get(f"/quizzes/attempts/{ids[0]}/summary").status_code == 403
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):  # 30 minutes allowed
        response = client.get(f"/quizzes/attempts/{ids[1]}/summary")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/quizzes/attempts/{ids[1]}")
        session.expire_all()
        assert session.get(type(mine), ids[1]).state.value == "submitted"
        response = client.get(f"/quizzes/attempts/{ids[1]}/summary")  # graded: to the result again
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/quizzes/attempts/{ids[1]}")


def test_submit_reads_the_account_without_its_roles(client, session, setting):
    user, _course, quiz = setting
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, session.get(Official, user.official_id))
        attempt_id = attempt.id
        session.commit()
        login_as(client, user)
        client.get("/healthz")
        session.remove()
        full = _statements(lambda: client.get(f"/quizzes/attempts/{attempt_id}/summary"))[0]
        sent = _statements(lambda: client.post(f"/quizzes/attempts/{attempt_id}/submit"))
    assert "JOIN role_assignment" in full and "JOIN official" in full, full
    assert sent[0].startswith("SELECT user_account.") and "role_assignment" not in sent[0], sent[0]
    assert "JOIN official" not in sent[0], sent[0]
    assert sent[2].startswith("UPDATE attempt SET state=")


def test_result_of_the_own_final_quiz_is_five_statements(client, session, setting):
    user, course, quiz = setting
    slug = course.slug
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, session.get(Official, user.official_id))
        _answer_first(session, attempt)
        attempt_id = attempt.id
        services.submit_attempt(session, attempt_id, NOW)
        session.commit()
        login_as(client, user)
        client.get("/healthz")
        session.remove()
        pages = []
        sent = _statements(lambda: pages.append(client.get(f"/quizzes/attempts/{attempt_id}")))
    expected = [
        "SELECT user_account.",
        "SELECT attempt.",  # the attempt with its quiz
        "SELECT attempt_slot.slot_no, attempt_slot.layout, attempt_slot.answer, attempt_slot.mark, "
        "attempt_slot.max_mark, attempt_slot.state, question.qtype, question_version.text, question_version.config, "
        "question_version.general_feedback FROM attempt_slot",
        "SELECT attempt.percent FROM attempt",  # the quiz grade
        "SELECT course.id, course.slug, course.title, enrolment.last_lesson_id",  # the course steps
    ]
    assert len(sent) == len(expected), sent
    assert all(s.startswith(prefix) for s, prefix in zip(sent, expected, strict=True)), sent
    page = pages[0].text
    assert pages[0].status_code == 200
    assert page.count('class="review-q state-') == 5
    assert page.count("Chưa trả lời") == 4  # state of the four unanswered questions
    assert "Bạn còn 2 bài học chưa học xong." in page  # the draft lesson does not count
    assert f'href="/courses/{slug}/lessons/bai-1"' in page


def test_steps_left_counts_published_lessons_and_the_enrolment(session, setting):
    user, course, _quiz = setting
    official_id = user.official_id
    steps = courses_api.steps_left(session, official_id, course.id)  # not enrolled, nothing done
    assert (steps.course.id, steps.course.slug, steps.course.title) == (course.id, "thu-cong-vu", "Thư công vụ")
    assert (steps.progress.done, steps.progress.total, steps.completed) == (0, 2, False)
    assert steps.next_lesson.slug == "bai-1"
    lessons = {lesson.slug: lesson for lesson in session.query(Lesson).filter_by(course_id=course.id)}
    session.add(Enrolment(official_id=official_id, course_id=course.id, last_lesson_id=lessons["bai-2"].id))
    session.add_all(LessonProgress(official_id=official_id, lesson_id=lessons[s].id) for s in ("bai-2", "bai-3"))
    session.flush()
    steps = courses_api.steps_left(session, official_id, course.id)
    assert (steps.progress.done, steps.progress.total, steps.completed) == (1, 2, False)  # bai-3 is a draft
    assert steps.next_lesson.slug == "bai-1"
    assert courses_api.steps_left(session, official_id, course.id + 1) is None
    assert courses_api.steps_left(session, official_id, None) is None


def test_steps_left_of_a_course_without_published_lessons(session, setting):
    user, _course, _quiz = setting
    bare = Course(slug="khong-bai", topic="email", title="Không bài", published=True)
    session.add(bare)
    session.flush()
    session.add(Lesson(course_id=bare.id, slug="nhap", title="Nháp", position=1, published=False))
    session.add(Enrolment(official_id=user.official_id, course_id=bare.id, completed_at=NOW))
    session.flush()
    steps = courses_api.steps_left(session, user.official_id, bare.id)
    assert (steps.progress.done, steps.progress.total, steps.next_lesson, steps.completed) == (0, 0, None, True)


def test_the_result_of_a_completed_course_reads_only_the_certificates_serial(client, session, setting):
    user, _course, quiz = setting
    official = session.get(Official, user.official_id)
    for lesson in session.query(Lesson).filter_by(published=True):
        mark_lesson_done(session, official.id, lesson, NOW)
    attempt = make_attempt(session, quiz, official)
    for slot in attempt.slots:
        right = next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)
        services.save_answer(session, attempt, slot.slot_no, {f"q{slot.slot_no}": right}, NOW)
    services.submit_attempt(session, attempt.id, NOW)
    session.commit()
    attempt_id = attempt.id
    serial = session.scalars(select(Certificate.serial).where(Certificate.official_id == official.id)).one()
    login_as(client, user)
    client.get("/healthz")
    session.remove()
    pages = []
    sent = _statements(lambda: pages.append(client.get(f"/quizzes/attempts/{attempt_id}")))
    reads = [s for s in sent if "FROM certificate" in s]
    assert len(reads) == 1 and reads[0].startswith("SELECT certificate.id, certificate.serial FROM certificate"), sent
    assert f"Chứng nhận số {serial} đã được cấp cho bạn." in pages[0].text
