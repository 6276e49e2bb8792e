"""What other features may use of courses: everything else in the package is private.

``Course``: the model class, for type annotations and ORM relationships (objects come from the
functions below, and are written only through them).
Reading: ``get_course``, ``get_course_by_slug``, ``list_courses`` (model objects, for reading only),
``enrolled_course_ids``, ``enrolment_pairs``, and ``course_topics()`` for joins in read-only queries.
Acting: ``enrol``, ``add_enrolment`` (a past enrolment, for the demo's history).
Where an official stands: ``steps_left`` (the course's ``CourseRef``, lessons done, the next lesson,
complete or not), for the pages that tell them what comes next (a quiz's result); ``courses_of``
(every course they are enrolled in or were given, with due day and lessons done: the unit head's
page of one staff member).
Completion: another feature adds a requirement with ``register_completion_requirement`` (quizzes:
"the final quiz is passed"), and tells courses that one was met with the signal
``lms.events.course_requirement_met``; courses answers with ``lms.events.course_completed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from courses import services
from courses.models import Course, Enrolment, EnrolmentSource, Lesson, LessonProgress
from courses.services import Progress, RequirementResult, enrol, get_course_by_slug, register_completion_requirement

__all__ = [
    "Course",
    "EnrolmentSource",
    "CourseRef",
    "CourseSteps",
    "LessonStep",
    "RequirementResult",
    "OfficialCourse",
    "add_enrolment",
    "course_topics",
    "courses_of",
    "enrol",
    "enrolled_course_ids",
    "enrolment_pairs",
    "get_course",
    "get_course_by_slug",
    "list_courses",
    "register_completion_requirement",
    "steps_left",
]

_ORDERS = {"title": (Course.title, Course.id), "slug": (Course.slug,), "id": (Course.id,)}


def get_course(session: Session, course_id: int | None) -> Course | None:
    return session.get(Course, course_id) if course_id is not None else None


def list_courses(session: Session, order_by: str = "title") -> list[Course]:
    """Every course, drafts included (``order_by``: "title", "slug" or "id")."""
    return list(session.scalars(select(Course).order_by(*_ORDERS[order_by])))


def enrolled_course_ids(session: Session, official_id: int) -> set[int]:
    return set(session.scalars(select(Enrolment.course_id).where(Enrolment.official_id == official_id)))


def enrolment_pairs(session: Session) -> set[tuple[int, int]]:
    """Every (official id, course id) enrolled."""
    return {(o, c) for o, c in session.execute(select(Enrolment.official_id, Enrolment.course_id))}


def add_enrolment(session: Session, official_id: int, course_id: int, enrolled_at: datetime) -> None:
    """Record a self-enrolment made at ``enrolled_at`` (the demo's history), without the checks of
    ``enrol``: the caller knows the official is not enrolled yet."""
    session.add(Enrolment(official_id=official_id, course_id=course_id, enrolled_at=enrolled_at))


def course_topics() -> Select:
    """``(course_id, topic)`` of every course, to join in a read-only query (``.subquery()``)."""
    return select(Course.id.label("course_id"), Course.topic.label("topic"))


@dataclass(frozen=True)
class LessonStep:
    """A published lesson as a next step names it (its page's address and its title)."""

    id: int
    slug: str
    title: str


@dataclass(frozen=True)
class CourseRef:
    """A course as a next step names it (its page's address and its title)."""

    id: int
    slug: str
    title: str


@dataclass(frozen=True)
class CourseSteps:
    """Where an official stands in a course: ``progress`` over the published lessons, the
    ``next_lesson`` to open (None when every lesson is done), ``completed`` (the enrolment is)."""

    course: CourseRef
    progress: Progress
    next_lesson: LessonStep | None
    completed: bool


def _steps_query():
    """Built once: the course (id, slug, title) with the official's enrolment, and its published
    lessons in order, each with whether the official has done it (outer joins: one row per lesson,
    one row with no lesson for a course without published lessons; one enrolment and one progress
    row at most, by their unique keys)."""
    official = bindparam("official_id")
    return (
        select(
            Course.id,
            Course.slug,
            Course.title,
            Enrolment.last_lesson_id,
            Enrolment.completed_at,
            Enrolment.id,
            Lesson.id,
            Lesson.slug,
            Lesson.title,
            LessonProgress.id.is_not(None),
        )
        .select_from(Course)
        .outerjoin(Enrolment, (Enrolment.course_id == Course.id) & (Enrolment.official_id == official))
        .outerjoin(Lesson, (Lesson.course_id == Course.id) & Lesson.published.is_(True))
        .outerjoin(LessonProgress, (LessonProgress.lesson_id == Lesson.id) & (LessonProgress.official_id == official))
        .where(Course.id == bindparam("course_id"))
        .order_by(Lesson.position, Lesson.id)
    )


_STEPS = _steps_query()


def steps_left(session: Session, official_id: int, course_id: int | None) -> CourseSteps | None:
    """In one statement (the course pages' ``next_lesson`` reads the same in four: the quiz page and
    the result of a final quiz, which every official of an exam opens, ask it)."""
    if course_id is None:
        return None
    rows = session.execute(_STEPS, {"official_id": official_id, "course_id": course_id}).all()
    if not rows:
        return None
    course_id, slug, title, last_lesson_id, completed_at, enrolment_id = rows[0][:6]
    lessons, done = [], set()
    for *_course, lesson_id, lesson_slug, lesson_title, is_done in rows:
        if lesson_id is None:  # no published lesson
            continue
        lessons.append(LessonStep(lesson_id, lesson_slug, lesson_title))
        if is_done:
            done.add(lesson_id)
    progress = Progress(len(done), len(lessons))
    following = services.pick_next_lesson(lessons, done, last_lesson_id)
    completed = enrolment_id is not None and completed_at is not None
    return CourseSteps(CourseRef(course_id, slug, title), progress, following, completed)


@dataclass(frozen=True)
class OfficialCourse:
    """One course of an official: given by a manager (``assigned``, with ``due_on``) or chosen by them."""

    course_id: int
    slug: str
    title: str
    assigned: bool
    due_on: date | None
    enrolled_at: datetime
    completed_at: datetime | None
    progress: Progress
    overdue: bool


def courses_of(session: Session, official_id: int, today: date) -> list[OfficialCourse]:
    """The official's enrolments: open ones first (earliest due day first, no due day last), then the
    completed ones (latest first); then by title."""
    rows = session.execute(
        select(Enrolment, Course)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.official_id == official_id)
    ).all()
    progress = services.progress_by_course(session, official_id, [c.id for _e, c in rows])
    out = [
        OfficialCourse(
            course_id=course.id,
            slug=course.slug,
            title=course.title,
            assigned=enrolment.source == EnrolmentSource.ASSIGNED,
            due_on=enrolment.due_on,
            enrolled_at=enrolment.enrolled_at,
            completed_at=enrolment.completed_at,
            progress=progress[course.id],
            overdue=enrolment.is_overdue(today),
        )
        for enrolment, course in rows
    ]

    def key(c: OfficialCourse):
        if c.completed_at is None:
            return (0, c.due_on is None, c.due_on or date.max, c.title, c.course_id)
        return (1, False, date.max, -c.completed_at.timestamp(), c.course_id)

    return sorted(out, key=key)
