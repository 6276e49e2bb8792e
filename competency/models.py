"""Maintained summary rows: one ``CompetencyRecord`` per (official, topic), one ``UnitSnapshot``
per (unit, month).

Records are written by the receivers in ``records.py`` (connected by ``competency.init_app``) in the
same transaction as the attempt or certificate change.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime
from lms.enums import LabelledEnum, str_enum
from lms.extensions import db
from lms.org.models import Official, Unit
from lms.time import utcnow
from lms.topics import Topic


class RecordStatus(LabelledEnum):
    NOT_STARTED = "not_started", _l("Chưa bắt đầu")
    IN_PROGRESS = "in_progress", _l("Đang học, chưa đạt")
    PASSED = "passed", _l("Đã đạt, chưa có chứng nhận")
    CERT_VALID = "cert_valid", _l("Có chứng nhận còn hiệu lực")
    CERT_EXPIRED = "cert_expired", _l("Chứng nhận đã hết hạn")


class CompetencyRecord(db.Model):
    """Where one official stands on one topic.

    ``status`` is stored as of the last write; a ``cert_valid`` record whose ``cert_expires_on`` has
    passed reads as ``cert_expired`` (see ``records.effective_status``), so no nightly job is needed.
    """

    __tablename__ = "competency_record"
    __table_args__ = (
        UniqueConstraint("official_id", "topic", name="uq_competency_record_official_topic"),
        Index("ix_competency_record_topic_status", "topic", "status"),
        # covering index of the per-official GROUP BYs (rankings, breakdowns, staff table): the
        # records of an official in one index range, no table lookups
        Index(
            "ix_competency_record_official_figures",
            "official_id",
            "topic",
            "status",
            "cert_expires_on",
            "attempts_count",
            "best_percent",
            "practice_passed",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="CASCADE"))
    topic: Mapped[Topic] = mapped_column(str_enum(Topic))
    status: Mapped[RecordStatus] = mapped_column(str_enum(RecordStatus), default=RecordStatus.NOT_STARTED)
    best_percent: Mapped[float | None] = mapped_column(Float)
    attempts_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id", ondelete="SET NULL"))
    cert_expires_on: Mapped[date | None] = mapped_column(Date)
    #: practice exercises of the topic the official has passed (``practice.api``; the practical component)
    practice_passed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    official: Mapped[Official] = relationship()

    def status_on(self, day: date) -> RecordStatus:
        if (
            self.status in (RecordStatus.CERT_VALID, RecordStatus.CERT_EXPIRED)
            and self.cert_expires_on is not None
            and self.cert_expires_on < day
        ):
            return RecordStatus.CERT_EXPIRED
        return self.status

    def __repr__(self) -> str:
        return f"<CompetencyRecord {self.official_id}/{self.topic} {self.status}>"


class CompetencySummary(db.Model):
    """One official's records folded into one row, so the unfiltered ranking and the breakdowns are
    a single GROUP BY over officials (the records are per topic: four rows per official).

    Maintained from the records in the same transaction (``records.refresh_summaries``, run after
    every flush that wrote records and by ``recompute_records``); it is derived data only: rebuilt by
    ``flask lms competency recompute`` with the records. Columns: whether any attempt counted
    (``participated``); the count and sum of the best final scores over the topics (``n_best``,
    ``sum_best``); per topic, the last day its certificate is valid (``cert_until_<topic>``: the
    expiry, ``NO_EXPIRY`` for a certificate without one, NULL when there is no valid certificate), so
    "valid on day D" is ``cert_until_<topic> >= D`` whatever D is; the practice exercises passed over
    the topics (``practice_passed``).
    """

    __tablename__ = "competency_summary"

    official_id: Mapped[int] = mapped_column(
        ForeignKey("official.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    participated: Mapped[int] = mapped_column(Integer, default=0)  # 0 / 1, summed by the ranking
    n_best: Mapped[int] = mapped_column(Integer, default=0)
    sum_best: Mapped[float | None] = mapped_column(Float)
    cert_until_qlvb: Mapped[date | None] = mapped_column(Date)
    cert_until_portal: Mapped[date | None] = mapped_column(Date)
    cert_until_email: Mapped[date | None] = mapped_column(Date)
    cert_until_security: Mapped[date | None] = mapped_column(Date)
    practice_passed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


NO_EXPIRY = date(9999, 12, 31)


def cert_until_column(topic: str):
    """The summary column of a topic's certificate validity (one per ``Topic``; a test checks)."""
    return getattr(CompetencySummary, f"cert_until_{topic}")


class UnitSnapshot(db.Model):
    """A unit's figures at the end of a month (``month`` = its first day), for trends and rank changes."""

    __tablename__ = "unit_snapshot"
    __table_args__ = (UniqueConstraint("unit_id", "month", name="uq_unit_snapshot_unit_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    block: Mapped[str] = mapped_column(String(16))
    officials: Mapped[int] = mapped_column(Integer, default=0)
    participants: Mapped[int] = mapped_column(Integer, default=0)
    participation: Mapped[float] = mapped_column(Float, default=0.0)
    coverage: Mapped[dict] = mapped_column(JSON, default=dict)  # {"qlvb": 0.42, ...}
    avg_best: Mapped[float] = mapped_column(Float, default=0.0)  # 0..100
    index: Mapped[float] = mapped_column(Float, default=0.0)  # 0..100
    rank: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()


class CompetencyCacheVersion(db.Model):
    """The shared version of the cached rankings (``records.cache_version``): a few counter rows
    (stripes), one bumped by each committing transaction that changed competency figures."""

    __tablename__ = "competency_cache_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the stripe
    version: Mapped[int] = mapped_column(BigInteger, default=0)
