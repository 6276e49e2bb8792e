"""Courses, their lessons, enrolments, lesson progress and course assignments."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime
from lms.enums import LabelledEnum, str_enum
from lms.extensions import db
from lms.org.models import Category, Level, Official, Unit
from lms.text import fold
from lms.time import utcnow
from lms.topics import Topic


class EnrolmentSource(LabelledEnum):
    SELF = "self", _l("Tự đăng ký")
    ASSIGNED = "assigned", _l("Được giao")


class Course(db.Model):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    topic: Mapped[Topic] = mapped_column(str_enum(Topic))
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(255), default="")
    competency: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[str] = mapped_column(String(32), default="")
    intro_md: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    validity_months: Mapped[int | None] = mapped_column(Integer, default=24)
    search_text: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", order_by="Lesson.position", cascade="all, delete-orphan"
    )

    @property
    def published_lessons(self) -> list[Lesson]:
        return [lesson for lesson in self.lessons if lesson.published]

    def refresh_derived(self) -> None:
        self.search_text = fold(f"{self.title} {self.summary} {self.audience} {' '.join(self.competency or [])}")[:1000]

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class Lesson(db.Model):
    __tablename__ = "lesson"
    __table_args__ = (UniqueConstraint("course_id", "slug", name="uq_lesson_course_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(255))
    minutes: Mapped[int] = mapped_column(Integer, default=10)
    objectives: Mapped[list] = mapped_column(JSON, default=list)
    competency: Mapped[list] = mapped_column(JSON, default=list)
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    version_note: Mapped[str] = mapped_column(String(500), default="")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="lessons")

    def __repr__(self) -> str:
        return f"<Lesson {self.course_id}/{self.slug}>"


class Enrolment(db.Model):
    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("official_id", "course_id", name="uq_enrolment_official_course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    source: Mapped[EnrolmentSource] = mapped_column(str_enum(EnrolmentSource), default=EnrolmentSource.SELF)
    due_on: Mapped[date | None] = mapped_column(Date)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    official: Mapped[Official] = relationship()
    course: Mapped[Course] = relationship()
    last_lesson: Mapped[Lesson | None] = relationship()

    def is_overdue(self, today: date) -> bool:
        return self.completed_at is None and self.due_on is not None and self.due_on < today


class LessonProgress(db.Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("official_id", "lesson_id", name="uq_lesson_progress_official_lesson"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CourseAssignment(db.Model):
    """A course given to a group of officials with a due date.

    The group is the intersection of the filters that are set (unit, category, level, or an explicit
    list of officials). With ``include_subunits`` the unit filter covers the unit and every active unit
    below it (``Unit.parent_id``). Creating it materialises ``Enrolment`` rows for the matching active
    officials; while it is open (due today or later), officials who come to match it later (new, moved,
    changed, reactivated) are enrolled too, except for an explicit list.
    """

    __tablename__ = "course_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    include_subunits: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    category: Mapped[Category | None] = mapped_column(str_enum(Category))
    level: Mapped[Level | None] = mapped_column(str_enum(Level))
    official_ids: Mapped[list | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")
    enrolled_count: Mapped[int] = mapped_column(Integer, default=0)

    course: Mapped[Course] = relationship()
    unit: Mapped[Unit | None] = relationship()
