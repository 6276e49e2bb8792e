"""Certificates of course completion, their serial-number sequences and expiry reminders.

A certificate is identified to people by its *serial* (``VP-2026-000123-K``, see ``codes.py``) and
to machines by its *verification code* (≈137 random bits). A correction re-issues the certificate:
a new row with the same serial, ``revision + 1`` and a new verification code; the old row becomes
``superseded`` and points at the new one. Everything printed on the PDF is snapshotted on the row,
so later renames of the official, the unit or the course never change an issued certificate.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime
from lms.enums import str_enum
from lms.extensions import db
from lms.org.models import Official, Unit
from lms.time import utcnow

if TYPE_CHECKING:
    from courses.api import Course


class CertificateStatus(enum.StrEnum):
    """Stored status. *Expired* is not stored: it is computed from ``expires_on`` and a day."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class Certificate(db.Model):
    __tablename__ = "certificate"
    __table_args__ = (
        # A completion (source) issues once per revision: the idempotence key of the event receiver.
        UniqueConstraint("official_id", "course_id", "source", "revision", name="uq_certificate_completion"),
        UniqueConstraint("serial", "revision", name="uq_certificate_serial_revision"),
        UniqueConstraint("verification_code", name="uq_certificate_verification_code"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        Index("ix_certificate_official_course", "official_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("official.id", ondelete="RESTRICT"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"), index=True)
    #: The holder's unit when the certificate was issued (unit heads see it, see permissions.py).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    score_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)  # None = never expires

    serial: Mapped[str] = mapped_column(String(32), index=True)
    serial_prefix: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    sequence_number: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    verification_code: Mapped[str] = mapped_column(String(40))

    status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus), default=CertificateStatus.VALID, index=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id", ondelete="SET NULL"))
    #: The completion that caused the certificate: "attempt:123", "manual:<user id>:<uuid>".
    source: Mapped[str] = mapped_column(String(120))

    # -- snapshots: exactly what is printed -------------------------------------------------------
    holder_name: Mapped[str] = mapped_column(String(255))
    unit_name: Mapped[str] = mapped_column(String(255))
    course_title: Mapped[str] = mapped_column(String(255))
    issuer_parent: Mapped[str] = mapped_column(String(255))
    issuer_name: Mapped[str] = mapped_column(String(255))
    signer_title: Mapped[str] = mapped_column(String(255))
    signer_name: Mapped[str] = mapped_column(String(255))
    place: Mapped[str] = mapped_column(String(120))

    # -- the stored PDF ---------------------------------------------------------------------------
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_template_version: Mapped[str | None] = mapped_column(String(32))
    #: SHA-256 of earlier renders of this same revision (template upgrades), newest last.
    pdf_previous_sha256: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    official: Mapped[Official] = relationship()
    unit: Mapped[Unit | None] = relationship()
    course: Mapped[Course] = relationship()
    superseded_by: Mapped[Certificate | None] = relationship(remote_side="Certificate.id")
    reminders: Mapped[list[CertificateReminder]] = relationship(
        back_populates="certificate", cascade="all, delete-orphan", passive_deletes=True
    )

    # -- domain -----------------------------------------------------------------------------------
    def is_expired_on(self, day: date) -> bool:
        return self.expires_on is not None and self.expires_on < day

    def state_on(self, day: date) -> str:
        """``valid`` | ``expired`` | ``revoked`` | ``superseded`` as of the local calendar ``day``."""
        if self.status != CertificateStatus.VALID:
            return self.status.value
        return "expired" if self.is_expired_on(day) else "valid"

    @property
    def code_compact(self) -> str:
        return self.verification_code.replace("-", "")

    @property
    def pdf_filename(self) -> str:
        """ASCII file name for downloads, e.g. ``VP-2026-000123-K-r2.pdf``."""
        suffix = f"-r{self.revision}" if self.revision > 1 else ""
        return f"{self.serial}{suffix}.pdf"

    def __repr__(self) -> str:
        return f"<Certificate {self.serial} r{self.revision} {self.status}>"


class CertificateSequence(db.Model):
    """Last sequence number used per (serial prefix, year); rows are created on demand."""

    __tablename__ = "certificate_sequence"
    __table_args__ = (UniqueConstraint("prefix", "year", name="uq_certificate_sequence_prefix_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class CertificateReminder(db.Model):
    """A reminder shown on the holder's dashboard (and e-mailed) before a certificate expires."""

    __tablename__ = "certificate_reminder"
    __table_args__ = (UniqueConstraint("certificate_id", "kind", name="uq_certificate_reminder_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # "expiring-30d"
    due_on: Mapped[date] = mapped_column(Date)  # the expiry day the reminder is about
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # handed to the outbox (certificates/mail.py)

    certificate: Mapped[Certificate] = relationship(back_populates="reminders")
