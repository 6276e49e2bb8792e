"""Question bank, quizzes and attempts.

- A :class:`Question` lives in a :class:`QuestionCategory` of one topic and has numbered
  :class:`QuestionVersion` rows. A version is immutable once created: editing a question adds a
  version and moves ``current_version_id``; attempt slots keep the version they were shown.
- A :class:`Quiz` draws its questions at random per category (:class:`QuizDraw`, "5 from each of
  4 categories"); :class:`QuizOverride` gives one official extra time or attempts.
- An :class:`Attempt` is numbered per (quiz, official) (unique: two tabs cannot both start attempt 2)
  and holds one :class:`AttemptSlot` per question with the option order fixed at start (``layout``).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime
from lms.enums import LabelledEnum, str_enum
from lms.extensions import db
from lms.org.models import Official
from lms.time import utcnow
from lms.topics import Topic


class GradingMethod(LabelledEnum):
    HIGHEST = "highest", _l("Lần cao nhất")
    LAST = "last", _l("Lần cuối cùng")
    AVERAGE = "average", _l("Trung bình các lần")
    FIRST = "first", _l("Lần đầu tiên")


class ReviewMode(LabelledEnum):
    SCORE = "score", _l("Chỉ xem điểm")
    RIGHTWRONG = "rightwrong", _l("Điểm và câu đúng/sai")
    FULL = "full", _l("Đầy đủ: đáp án đúng và giải thích")


class AttemptState(LabelledEnum):
    IN_PROGRESS = "in_progress", _l("Đang làm")
    SUBMITTED = "submitted", _l("Đã nộp")
    ABANDONED = "abandoned", _l("Bỏ dở")


#: How a question's difficulty (GIFT ``[tag:easy]``...) reads.
DIFFICULTY_LABELS = {"easy": _l("Dễ"), "medium": _l("Trung bình"), "hard": _l("Khó")}

# slot states: "todo", "answered" while in progress; a qtypes Grade state once graded
SLOT_TODO = "todo"
SLOT_ANSWERED = "answered"


class QuestionCategory(db.Model):
    __tablename__ = "question_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[Topic] = mapped_column(str_enum(Topic), index=True)
    path: Mapped[str] = mapped_column(String(200), unique=True)  # "email/bao-mat"
    name: Mapped[str] = mapped_column(String(255))

    questions: Mapped[list[Question]] = relationship(back_populates="category")


class Question(db.Model):
    """A question of the bank. Its ``title`` may repeat (Moodle allows it); its identity within the
    category is ``idnumber`` (Moodle's question idnumber, ``// [id:...]`` in GIFT): given by the
    imported file, else generated, and written into every export so a re-import finds it."""

    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("idnumber", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_category.id", ondelete="RESTRICT"), index=True)
    topic: Mapped[Topic] = mapped_column(str_enum(Topic), index=True)
    title: Mapped[str] = mapped_column(String(200))
    idnumber: Mapped[str] = mapped_column(String(100))
    qtype: Mapped[str] = mapped_column(String(24))
    difficulty: Mapped[str | None] = mapped_column(String(8))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    search_text: Mapped[str] = mapped_column(Text, default="")  # folded title + text, for search
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_version.id", ondelete="SET NULL", use_alter=True), index=True
    )
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[QuestionCategory] = relationship(back_populates="questions")
    current_version: Mapped[QuestionVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", foreign_keys="QuestionVersion.question_id", order_by="QuestionVersion.number"
    )


class QuestionVersion(db.Model):
    """One immutable state of a question (text, config, feedback, mark)."""

    __tablename__ = "question_version"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)  # sanitized HTML
    config: Mapped[dict] = mapped_column(JSON)
    general_feedback: Mapped[str] = mapped_column(Text, default="")
    default_mark: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    # a version is always used with its question's type: loaded in the same query
    question: Mapped[Question] = relationship(
        back_populates="versions", foreign_keys=[question_id], lazy="joined", innerjoin=True
    )


class Quiz(db.Model):
    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"), index=True)
    topic: Mapped[Topic | None] = mapped_column(str_enum(Topic))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    attempts_allowed: Mapped[int] = mapped_column(Integer, default=0)  # 0 = unlimited
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    pass_percent: Mapped[float] = mapped_column(Float, default=70.0)
    grading_method: Mapped[GradingMethod] = mapped_column(str_enum(GradingMethod), default=GradingMethod.HIGHEST)
    open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_mode: Mapped[ReviewMode] = mapped_column(str_enum(ReviewMode), default=ReviewMode.FULL)
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    draws: Mapped[list[QuizDraw]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan", order_by="QuizDraw.id"
    )

    @property
    def question_count(self) -> int:
        return sum(d.count for d in self.draws)

    def is_open(self, now: datetime) -> bool:
        return (
            self.published
            and (self.open_at is None or now >= self.open_at)
            and (self.close_at is None or now < self.close_at)
        )


class QuizDraw(db.Model):
    """``count`` questions drawn at random from ``category`` for every attempt."""

    __tablename__ = "quiz_draw"
    __table_args__ = (UniqueConstraint("quiz_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_category.id", ondelete="RESTRICT"), index=True)
    count: Mapped[int] = mapped_column(Integer)

    quiz: Mapped[Quiz] = relationship(back_populates="draws")
    category: Mapped[QuestionCategory] = relationship()


class QuizOverride(db.Model):
    """Extra time or attempts for one official (disability, outage during the test...)."""

    __tablename__ = "quiz_override"
    __table_args__ = (UniqueConstraint("quiz_id", "official_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"), index=True)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(500), default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    official: Mapped[Official] = relationship()


class Attempt(db.Model):
    __tablename__ = "attempt"
    __table_args__ = (UniqueConstraint("quiz_id", "official_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[AttemptState] = mapped_column(str_enum(AttemptState), default=AttemptState.IN_PROGRESS, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    seed: Mapped[int] = mapped_column(Integer)

    quiz: Mapped[Quiz] = relationship()
    official: Mapped[Official] = relationship()
    slots: Mapped[list[AttemptSlot]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="AttemptSlot.slot_no"
    )

    @property
    def in_progress(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS

    def is_overdue(self, now: datetime, grace_seconds: float = 0) -> bool:
        from datetime import timedelta

        return (
            self.in_progress
            and self.deadline_at is not None
            and now > self.deadline_at + timedelta(seconds=grace_seconds)
        )


class AttemptSlot(db.Model):
    __tablename__ = "attempt_slot"
    __table_args__ = (UniqueConstraint("attempt_id", "slot_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    slot_no: Mapped[int] = mapped_column(Integer)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id", ondelete="RESTRICT"), index=True)
    layout: Mapped[dict] = mapped_column(JSON, default=dict)
    answer: Mapped[object | None] = mapped_column(JSON(none_as_null=True))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mark: Mapped[float | None] = mapped_column(Float)
    max_mark: Mapped[float] = mapped_column(Float, default=1.0)
    state: Mapped[str] = mapped_column(String(16), default=SLOT_TODO)

    attempt: Mapped[Attempt] = relationship(back_populates="slots")
    question_version: Mapped[QuestionVersion] = relationship()

    @property
    def answered(self) -> bool:
        return self.answer is not None


class QuizWaiting(db.Model):
    """An official on a quiz's waiting room page before it opens (``seen_at``: the page's last sign of
    life); the row goes when the official starts. IT staff see how many are waiting."""

    __tablename__ = "quiz_waiting"

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
