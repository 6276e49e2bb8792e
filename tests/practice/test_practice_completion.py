"""The per-course setting: passing the course's practice exercises required to complete it."""

from __future__ import annotations

import pytest

from courses import services as course_services
from lms import events
from practice import services
from tests.courses.factories import make_course
from tests.factories import make_official
from tests.practice.factories import make_scenario, pass_exercise


@pytest.fixture
def completed(session):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    events.course_completed.connect(receiver)
    yield received
    events.course_completed.disconnect(receiver)


def test_without_the_setting_practice_does_not_hold_completion_back(session, completed):
    course = make_course(session, lessons=1)
    make_scenario(session, course)
    official = make_official(session)
    course_services.mark_lesson_done(session, official.id, course.lessons[0])
    assert course_services.completion_status(session, official.id, course).complete
    assert len(completed) == 1


def test_with_the_setting_the_course_completes_when_the_last_exercise_is_passed(session, completed):
    course = make_course(session, lessons=1)
    first, second = make_scenario(session, course), make_scenario(session, course, app="portal")
    services.set_course_requirement(session, course.id, True, None)
    official = make_official(session)
    course_services.mark_lesson_done(session, official.id, course.lessons[0])
    status = course_services.completion_status(session, official.id, course)
    assert not status.complete
    assert [r.label for r in status.missing] == ["Làm đạt các bài thực hành của khóa học (0/2)"]
    pass_exercise(session, official, first)
    assert completed == []
    assert [r.label for r in course_services.completion_status(session, official.id, course).missing] == [
        "Làm đạt các bài thực hành của khóa học (1/2)"
    ]
    pass_exercise(session, official, second)  # the first success sends course_requirement_met
    assert len(completed) == 1
    assert completed[0]["official_id"] == official.id and completed[0]["course_id"] == course.id
    assert completed[0]["source"] == f"practice:{official.id}:{course.id}"


def test_the_setting_on_a_course_without_exercises_changes_nothing(session, completed):
    course = make_course(session, lessons=1)
    services.set_course_requirement(session, course.id, True, None)
    official = make_official(session)
    course_services.mark_lesson_done(session, official.id, course.lessons[0])
    assert course_services.completion_status(session, official.id, course).complete
