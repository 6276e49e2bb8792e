"""The official is told what comes next for the certificate (issue 16): the final quiz's page says
the lessons come first, the result of a passed quiz says how many lessons are left with a link to the
next one, or links the certificate just issued; the course page links its final quiz."""

from __future__ import annotations

import re

import pytest

from courses.models import Course, Lesson
from courses.services import mark_lesson_done
from lms.auth.models import Role
from lms.org.models import Official
from quizzes import services
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_quiz


@pytest.fixture
def setting(session):
    user = make_user(session, Role.OFFICIAL)
    official = session.get(Official, user.official_id)
    course = Course(slug="thu-cong-vu", topic="email", title="Thư công vụ", published=True)
    session.add(course)
    session.flush()
    lessons = [
        Lesson(course_id=course.id, slug=f"bai-{n}", title=f"Bài {n}", position=n, published=True) for n in (1, 2)
    ]
    session.add_all(lessons)
    session.flush()
    quiz = make_quiz(session, course_id=course.id, is_final=True)
    session.commit()
    return user, official, course, lessons, quiz


def _pass(session, quiz, official):
    attempt = make_attempt(session, quiz, official)
    for slot in attempt.slots:
        right = next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)
        services.save_answer(session, attempt, slot.slot_no, {f"q{slot.slot_no}": right}, NOW)
    services.submit_attempt(session, attempt.id, NOW)
    session.commit()
    return attempt


def _box(html: str) -> str:
    start = html.index('id="course-steps"')
    return html[start : html.index("</div>", start)]


def test_the_final_quiz_page_says_the_lessons_come_first(app, session, setting):
    user, _official, course, lessons, quiz = setting
    client = app.test_client()
    login_as(client, user)
    box = _box(client.get(f"/quizzes/{quiz.id}").text)
    assert "Đây là bài kiểm tra cuối khóa «Thư công vụ»" in box
    assert "Bạn còn 2 bài học chưa học xong." in box
    assert f'href="/courses/{course.slug}/lessons/{lessons[0].slug}"' in box


def test_a_passed_quiz_with_lessons_left_says_so_and_links_the_next_lesson(app, session, setting):
    user, official, course, lessons, quiz = setting
    mark_lesson_done(session, official.id, lessons[0], NOW)
    attempt = _pass(session, quiz, official)
    assert attempt.passed
    client = app.test_client()
    login_as(client, user)
    box = _box(client.get(f"/quizzes/attempts/{attempt.id}").text)
    assert "Bạn đã đạt bài kiểm tra, nhưng chưa được cấp chứng nhận." in box
    assert "Bạn còn 1 bài học chưa học xong." in box
    assert f'href="/courses/{course.slug}/lessons/{lessons[1].slug}"' in box
    assert 'id="certificate-link"' not in box
    with app.app_context():  # a fresh ``g``: Flask-Babel keeps the request's language there
        box = _box(client.get(f"/quizzes/attempts/{attempt.id}?lang=en").text)
    assert "You have 1 lesson left to finish." in box


def test_once_the_course_is_complete_the_result_and_the_course_page_link_the_certificate(app, session, setting):
    user, official, course, lessons, quiz = setting
    for lesson in lessons:
        mark_lesson_done(session, official.id, lesson, NOW)
    attempt = _pass(session, quiz, official)
    client = app.test_client()
    login_as(client, user)
    box = _box(client.get(f"/quizzes/attempts/{attempt.id}").text)
    assert "Bạn đã hoàn thành khóa học «Thư công vụ»." in box
    link = re.search(r'id="certificate-link" href="/certificates#cert-(\d+)"', box)
    assert link, box
    assert f'id="cert-{link.group(1)}"' in client.get("/certificates").text
    page = client.get(f"/courses/{course.slug}").text
    assert f'href="/certificates#cert-{link.group(1)}"' in page


def test_the_course_page_links_its_final_quiz_until_it_is_passed(app, session, setting):
    user, official, course, lessons, quiz = setting
    client = app.test_client()
    login_as(client, user)
    client.post(f"/courses/{course.slug}/enrol")
    page = client.get(f"/courses/{course.slug}").text
    requirements = page[page.index('id="course-requirements"') :]
    assert f'<a href="/quizzes/{quiz.id}">Đạt bài kiểm tra cuối khóa</a>' in requirements
    _pass(session, quiz, official)
    page = client.get(f"/courses/{course.slug}").text
    requirements = page[page.index('id="course-requirements"') :]
    assert "Đạt bài kiểm tra cuối khóa (đã xong)" in requirements
    assert f'href="/quizzes/{quiz.id}"' not in requirements.split("</ul>")[0]


def test_someone_elses_result_has_no_next_step_box(app, session, setting):
    _user, official, _course, _lessons, quiz = setting
    attempt = _pass(session, quiz, official)
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    client = app.test_client()
    login_as(client, staff)
    assert 'id="course-steps"' not in client.get(f"/quizzes/attempts/{attempt.id}").text
