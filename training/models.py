"""Training sessions, their trainers and target units, participants and calendar tokens."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.database import UTCDateTime
from lms.enums import LabelledEnum, str_enum
from lms.extensions import db
from lms.org.models import Official, Unit
from lms.time import utcnow
from lms.topics import Topic


class SessionKind(LabelledEnum):
    CLASSROOM = "classroom", _l("Lớp học tập trung")
    ONLINE = "online", _l("Trực tuyến")
    ONSITE = "onsite", _l("Hỗ trợ tại đơn vị")


class SessionStatus(LabelledEnum):
    SCHEDULED = "scheduled", _l("Đã lên lịch")
    CANCELLED = "cancelled", _l("Đã hủy")


class ParticipantState(LabelledEnum):
    INVITED = "invited", _l("Được mời, chưa trả lời")
    ACCEPTED = "accepted", _l("Đã nhận lời")
    DECLINED = "declined", _l("Đã từ chối")
    REGISTERED = "registered", _l("Đã đăng ký")
    WAITLISTED = "waitlisted", _l("Trong danh sách chờ")
    CANCELLED = "cancelled", _l("Đã hủy đăng ký")
    ATTENDED = "attended", _l("Có mặt")
    ABSENT = "absent", _l("Vắng mặt")


#: States that hold one of the session's places.
SEAT_STATES = (
    ParticipantState.ACCEPTED,
    ParticipantState.REGISTERED,
    ParticipantState.ATTENDED,
    ParticipantState.ABSENT,
)
#: States of people who still expect the session to happen (they are told about changes).
ACTIVE_STATES = (
    ParticipantState.INVITED,
    ParticipantState.ACCEPTED,
    ParticipantState.REGISTERED,
    ParticipantState.WAITLISTED,
)


class ParticipantSource(LabelledEnum):
    INVITED = "invited", _l("Được mời")
    SELF = "self", _l("Tự đăng ký")
    NOMINATED = "nominated", _l("Đơn vị cử")


class TrainingSession(db.Model):
    __tablename__ = "training_session"
    __table_args__ = (Index("ix_training_session_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"), index=True)
    topic: Mapped[Topic] = mapped_column(str_enum(Topic))
    kind: Mapped[SessionKind] = mapped_column(str_enum(SessionKind), default=SessionKind.CLASSROOM)
    title: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(255), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)  # None = no limit
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus), default=SessionStatus.SCHEDULED)
    open_registration: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: iCalendar SEQUENCE: raised on every change attendees must know about (time, place, cancellation).
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    course = relationship("Course")
    created_by: Mapped[User | None] = relationship()
    trainers: Mapped[list[SessionTrainer]] = relationship(
        back_populates="session", cascade="all, delete-orphan", lazy="selectin"
    )
    target_units: Mapped[list[SessionTargetUnit]] = relationship(
        back_populates="session", cascade="all, delete-orphan", lazy="selectin"
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Participant.id"
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def trainer_ids(self) -> set[int]:
        return {t.user_id for t in self.trainers}

    @property
    def target_unit_ids(self) -> set[int]:
        return {t.unit_id for t in self.target_units}

    @property
    def location(self) -> str:
        return self.link if self.kind == SessionKind.ONLINE and self.link else self.place

    def __repr__(self) -> str:
        return f"<TrainingSession {self.id} {self.title!r}>"


class SessionTrainer(db.Model):
    __tablename__ = "training_session_trainer"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_training_session_trainer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)

    session: Mapped[TrainingSession] = relationship(back_populates="trainers")
    user: Mapped[User] = relationship(lazy="joined")


class SessionTargetUnit(db.Model):
    """A unit the session is meant for (an on-site visit, or units invited as a whole)."""

    __tablename__ = "training_session_unit"
    __table_args__ = (UniqueConstraint("session_id", "unit_id", name="uq_training_session_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)

    session: Mapped[TrainingSession] = relationship(back_populates="target_units")
    unit: Mapped[Unit] = relationship(lazy="joined")


class Participant(db.Model):
    """One official's invitation to or registration for one session (one row per pair)."""

    __tablename__ = "training_participant"
    __table_args__ = (
        UniqueConstraint("session_id", "official_id", name="uq_training_participant_session_official"),
        Index("ix_training_participant_session_state", "session_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id", ondelete="CASCADE"))
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"), index=True)
    state: Mapped[ParticipantState] = mapped_column(str_enum(ParticipantState))
    source: Mapped[ParticipantSource] = mapped_column(str_enum(ParticipantSource))
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the official joined the waiting list: the list is served in this order (then by id).
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[TrainingSession] = relationship(back_populates="participants")
    official: Mapped[Official] = relationship(lazy="joined")
    nominated_by: Mapped[User | None] = relationship()

    @property
    def holds_seat(self) -> bool:
        return self.state in SEAT_STATES


class CalendarToken(db.Model):
    """The secret of a user's private calendar feed URL; revoking it kills the URL."""

    __tablename__ = "training_calendar_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
