"""Practice scenarios (loaded from files), each official's run of a scenario, and its tries.

A ``PracticeRun`` holds the whole replica state of one official in one scenario as a JSON document
(documents, pages, messages...), written after every step, so closing the page loses nothing. The
tries (``PracticeTry``: one per "check my work") are kept; the first complete success and how many
tries it took stay on the run, even when the official practises the scenario again afterwards.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime
from lms.enums import LabelledEnum, str_enum
from lms.extensions import db
from lms.org.models import Official
from lms.time import utcnow
from lms.topics import Topic


class PracticeApp(LabelledEnum):
    """The replicas: the three core applications of provincial e-government."""

    QLVB = "qlvb", _l("Phần mềm quản lý văn bản và điều hành (bản thực hành)")
    PORTAL = "portal", _l("Trang quản trị cổng thông tin thành phần (bản thực hành)")
    EMAIL = "email", _l("Hộp thư điện tử công vụ (bản thực hành)")


class Scenario(db.Model):
    """One exercise: a starting state, a task in plain words and checks on the end state.

    ``spec`` is the validated header of the scenario file (setup, personas, checks, the reference
    solution the loader ran to prove the checks can be met); ``spec_hash`` changes when the file's
    meaning changes, and runs started on an older version start again from the new one.
    """

    __tablename__ = "practice_scenario"
    __table_args__ = (UniqueConstraint("course_id", "slug", name="uq_practice_scenario_course_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    course_title: Mapped[str] = mapped_column(String(255), default="")  # as of the last import, for grouping
    slug: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    app: Mapped[PracticeApp] = mapped_column(str_enum(PracticeApp))
    topic: Mapped[Topic] = mapped_column(str_enum(Topic), index=True)
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int] = mapped_column(Integer, default=10)
    competency: Mapped[list] = mapped_column(JSON, default=list)
    task_md: Mapped[str] = mapped_column(Text, default="")
    task_html: Mapped[str] = mapped_column(Text, default="")
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    spec_hash: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(500), default="")
    published: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Scenario {self.course_id}/{self.slug}>"


class PracticeRun(db.Model):
    """One official's work on one scenario (one row, kept across restarts)."""

    __tablename__ = "practice_run"
    __table_args__ = (UniqueConstraint("official_id", "scenario_id", name="uq_practice_run_official_scenario"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"), index=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("practice_scenario.id", ondelete="CASCADE"), index=True)
    spec_hash: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    steps: Mapped[int] = mapped_column(Integer, default=0)  # saved steps since the last (re)start
    tries: Mapped[int] = mapped_column(Integer, default=0)  # "check my work", all starts counted
    last_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_result: Mapped[list] = mapped_column(JSON, default=list)  # the last check's outcome per check
    first_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    tries_to_pass: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: optimistic lock: two tabs saving a step of the same run at once cannot lose one of them
    version: Mapped[int] = mapped_column(Integer, default=1)

    scenario: Mapped[Scenario] = relationship()
    official: Mapped[Official] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def passed(self) -> bool:
        return self.first_passed_at is not None


class PracticeTry(db.Model):
    """One "check my work": passed or not, and which checks failed with which condition."""

    __tablename__ = "practice_try"
    __table_args__ = (UniqueConstraint("run_id", "number", name="uq_practice_try_run_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("practice_run.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    failed: Mapped[list] = mapped_column(JSON, default=list)  # [{"check": i, "condition": "..."}]


class PracticeCourseSetting(db.Model):
    """Per-course setting: passing every practice exercise of the course is required to complete it."""

    __tablename__ = "practice_course_setting"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("course.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
