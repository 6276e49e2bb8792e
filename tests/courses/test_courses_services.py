"""Enrolment, progress and resume, assignment, dashboard order, completion."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from courses import services
from courses.models import Enrolment, EnrolmentSource, LessonProgress
from lms import events
from lms.auth.models import Role
from lms.org.models import Category, Level
from tests.courses.factories import make_course
from tests.factories import make_official, make_unit, make_user

TODAY = date(2026, 6, 1)


def test_enrol_is_idempotent(session):
    course = make_course(session)
    official = make_official(session)
    first = services.enrol(session, official.id, course.id)
    again = services.enrol(session, official.id, course.id)
    assert first.id == again.id and again.source == EnrolmentSource.SELF
    assert session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_progress_and_resume_where_i_left_off(session):
    course = make_course(session, lessons=4)
    official = make_official(session)
    l1, l2, l3, l4 = course.lessons
    assert services.next_lesson(session, official.id, course) == l1
    services.mark_lesson_done(session, official.id, l1)
    services.mark_lesson_done(session, official.id, l2)
    services.mark_lesson_done(session, official.id, l2)  # idempotent
    assert session.scalar(select(func.count()).select_from(LessonProgress)) == 2
    progress = services.course_progress(session, official.id, course)
    assert (progress.done, progress.total, progress.percent) == (2, 4, 50)
    assert services.next_lesson(session, official.id, course) == l3
    services.mark_lesson_done(session, official.id, l4)  # skipped ahead: l3 is still to do
    assert services.next_lesson(session, official.id, course) == l3
    enrolment = services.get_enrolment(session, official.id, course.id)
    assert enrolment.last_lesson_id == l4.id and enrolment.completed_at is None


def test_unpublished_lessons_do_not_count(session):
    course = make_course(session, lessons=3)
    official = make_official(session)
    course.lessons[2].published = False
    services.mark_lesson_done(session, official.id, course.lessons[0])
    assert services.course_progress(session, official.id, course).total == 2


# -- completion ------------------------------------------------------------------------------------------
@pytest.fixture
def completed_events():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    events.course_completed.connect(receiver)
    yield received
    events.course_completed.disconnect(receiver)


def test_completion_with_lessons_only(session, completed_events):
    course = make_course(session, lessons=2)
    official = make_official(session)
    services.mark_lesson_done(session, official.id, course.lessons[0])
    assert not services.completion_status(session, official.id, course).complete
    assert completed_events == []
    services.mark_lesson_done(session, official.id, course.lessons[1])
    status = services.completion_status(session, official.id, course)
    assert status.complete and status.score_percent is None
    enrolment = services.get_enrolment(session, official.id, course.id)
    assert enrolment.completed_at is not None
    assert len(completed_events) == 1
    event = completed_events[0]
    assert event["official_id"] == official.id and event["course_id"] == course.id
    assert event["score_percent"] is None and event["completed_at"] == enrolment.completed_at
    assert event["source"] == f"lessons:{official.id}:{course.id}"
    # marking again or checking again does not complete twice
    services.mark_lesson_done(session, official.id, course.lessons[1])
    assert services.check_completion(session, official.id, course.id, source="again") is False
    assert len(completed_events) == 1


def test_completion_waits_for_a_registered_requirement(session, completed_events):
    course = make_course(session, lessons=1)
    official = make_official(session)
    passed: set[int] = set()

    def final_quiz(session_, official_id, course_):
        if course_.id != course.id:
            return None
        ok = official_id in passed
        return services.RequirementResult(
            ok, "Đạt bài kiểm tra cuối khóa", 85.0 if ok else None, "attempt:7" if ok else None
        )

    services.register_completion_requirement(final_quiz)
    try:
        services.mark_lesson_done(session, official.id, course.lessons[0])
        status = services.completion_status(session, official.id, course)
        assert status.progress.finished_lessons and not status.complete
        assert [r.label for r in status.missing] == ["Đạt bài kiểm tra cuối khóa"]
        assert completed_events == []
        passed.add(official.id)
        assert services.check_completion(session, official.id, course.id, source="attempt:7") is True
        assert completed_events[0]["score_percent"] == 85.0 and completed_events[0]["source"] == "attempt:7"
    finally:
        services.unregister_completion_requirement(final_quiz)


# -- assignment ------------------------------------------------------------------------------------------
def test_it_staff_assign_by_unit_category_level(session):
    course = make_course(session)
    unit_a, unit_b = make_unit(session), make_unit(session)
    a_cc = make_official(session, unit_a, category=Category.CONG_CHUC, level=Level.HUYEN)
    a_vc = make_official(session, unit_a, category=Category.VIEN_CHUC, level=Level.HUYEN)
    b_cc = make_official(session, unit_b, category=Category.CONG_CHUC, level=Level.XA)
    make_official(session, unit_a, category=Category.CONG_CHUC, active=False)
    staff = make_user(session, Role.IT_STAFF)

    due = TODAY + timedelta(days=30)
    a = services.assign_course(session, staff, course, due, unit_id=unit_a.id, category=Category.CONG_CHUC, today=TODAY)
    assert a.enrolled_count == 1
    assert {e.official_id for e in session.scalars(select(Enrolment))} == {a_cc.id}
    services.assign_course(session, staff, course, due + timedelta(days=5), level=Level.HUYEN, today=TODAY)
    enrolled = {e.official_id: e for e in session.scalars(select(Enrolment))}
    assert set(enrolled) == {a_cc.id, a_vc.id}
    assert enrolled[a_cc.id].due_on == due  # the earliest due date wins
    assert enrolled[a_vc.id].due_on == due + timedelta(days=5)
    services.assign_course(session, staff, course, due + timedelta(days=60), today=TODAY)  # whole province
    assert b_cc.id in {e.official_id for e in session.scalars(select(Enrolment))}


def test_assignment_turns_self_enrolment_into_assigned(session):
    course = make_course(session)
    unit = make_unit(session)
    official = make_official(session, unit)
    services.enrol(session, official.id, course.id)
    staff = make_user(session, Role.IT_STAFF)
    services.assign_course(session, staff, course, TODAY + timedelta(days=3), unit_id=unit.id, today=TODAY)
    enrolment = services.get_enrolment(session, official.id, course.id)
    assert enrolment.source == EnrolmentSource.ASSIGNED and enrolment.due_on == TODAY + timedelta(days=3)


def test_assignment_mistakes_are_explained(session):
    course = make_course(session)
    unit = make_unit(session)
    staff = make_user(session, Role.IT_STAFF)
    with pytest.raises(services.CourseError, match="Hạn hoàn thành") as err:
        services.assign_course(session, staff, course, TODAY - timedelta(days=1), unit_id=unit.id, today=TODAY)
    assert err.value.field == "due_on"
    with pytest.raises(services.CourseError, match="Không có cán bộ"):
        services.assign_course(session, staff, course, TODAY, unit_id=unit.id, today=TODAY)


def test_unit_head_assigns_only_within_their_unit(session):
    course = make_course(session)
    mine, other = make_unit(session), make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=mine)
    colleague = make_official(session, mine)
    stranger = make_official(session, other)
    with pytest.raises(services.AssignmentForbidden):
        services.assign_course(session, head, course, TODAY, unit_id=other.id, today=TODAY)
    with pytest.raises(services.AssignmentForbidden):
        services.assign_course(session, head, course, TODAY, today=TODAY)  # whole province
    with pytest.raises(services.AssignmentForbidden):
        services.assign_course(session, head, course, TODAY, unit_id=mine.id, official_ids=[stranger.id], today=TODAY)
    a = services.assign_course(session, head, course, TODAY, unit_id=mine.id, official_ids=[colleague.id], today=TODAY)
    assert a.enrolled_count == 1
    assert services.get_enrolment(session, stranger.id, course.id) is None


def test_dashboard_lists_overdue_first(session):
    official = make_official(session)
    late = make_course(session, title="Z quá hạn")
    soon = make_course(session, title="A sắp tới hạn")
    free = make_course(session, title="B tự học")
    done = make_course(session, title="C đã xong", lessons=1)
    services.enrol(session, official.id, free.id)
    services.enrol(session, official.id, soon.id, EnrolmentSource.ASSIGNED, TODAY + timedelta(days=10))
    services.enrol(session, official.id, late.id, EnrolmentSource.ASSIGNED, TODAY - timedelta(days=2))
    services.enrol(session, official.id, done.id, EnrolmentSource.ASSIGNED, TODAY - timedelta(days=5))
    services.mark_lesson_done(session, official.id, done.lessons[0])
    data = services.dashboard_data(session, official.id, today=TODAY)
    assert [item.course.title for item in data["items"]] == ["Z quá hạn", "A sắp tới hạn", "B tự học", "C đã xong"]
    first = data["items"][0]
    assert first.overdue and first.next_lesson == late.lessons[0] and first.progress.total == 3
    assert not data["items"][3].overdue and data["items"][3].completed


def test_catalog_search_with_or_without_diacritics(session):
    make_course(session, title="Thư điện tử công vụ")
    make_course(session, title="An toàn thông tin")
    make_course(session, title="Bản nháp điện tử", published=False)
    for q in ("thư điện tử", "thu dien tu", "THU DIEN"):
        titles = [c.title for c in session.scalars(services.catalog_query(q))]
        assert titles == ["Thư điện tử công vụ"], q
    assert len(session.scalars(services.catalog_query("dien tu", include_drafts=True)).all()) == 2
    assert session.scalars(services.catalog_query("100%_")).all() == []


def test_editing_a_published_lesson_keeps_progress(session):
    course = make_course(session, lessons=2)
    official = make_official(session)
    lesson = course.lessons[0]
    services.mark_lesson_done(session, official.id, lesson)
    lesson.body_md = "## Sửa\n\nNội dung đã sửa <script>x</script>"
    lesson.version_note = "Cập nhật quy định mới"
    services.save_lesson(session, course, lesson)
    assert "<script" not in lesson.body_html
    assert services.course_progress(session, official.id, course).done == 1


def test_move_lesson_reorders(session):
    course = make_course(session, lessons=3)
    l1, l2, l3 = course.lessons
    services.move_lesson(session, l3, "up")
    session.refresh(course)
    assert [x.slug for x in course.lessons] == ["bai-1", "bai-3", "bai-2"]
    services.move_lesson(session, l1, "up")  # already first: nothing moves
    session.refresh(course)
    assert [x.slug for x in course.lessons] == ["bai-1", "bai-3", "bai-2"]
