"""Expiry reminders: queued for certificates expiring soon (shown on the holder's dashboard, and
e-mailed by ``certificates/mail.py``), seen, dismissed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from certificates.models import Certificate, CertificateReminder, CertificateStatus
from lms.time import utcnow


def renewed_clause(outer) -> ColumnElement[bool]:
    """SQL: the holder of ``outer`` (``Certificate`` or an alias of it) has another valid certificate of
    the same course that lasts longer (re-certified): ``outer``'s reminders are over."""
    newer = aliased(Certificate, name="newer_certificate")
    return (
        select(newer.id)
        .where(
            newer.official_id == outer.official_id,
            newer.course_id == outer.course_id,
            newer.status == CertificateStatus.VALID,
            newer.id != outer.id,
            or_(newer.expires_on.is_(None), newer.expires_on > outer.expires_on),
        )
        .exists()
    )


def queue_expiry_reminders(session: Session, today: date, days: int = 30) -> list[CertificateReminder]:
    """Queue an ``expiring-<days>d`` reminder for every valid certificate expiring within ``days``.

    Idempotent (unique per certificate and kind). Certificates whose holder already has a longer-lasting
    valid certificate of the same course (re-certified) are skipped. ``certificates/mail.py`` e-mails them.
    """
    kind = f"expiring-{days}d"
    _Outer = aliased(Certificate, name="outer_certificate")
    horizon = date.fromordinal(today.toordinal() + days)
    candidates = session.scalars(
        select(_Outer)
        .where(
            _Outer.status == CertificateStatus.VALID,
            _Outer.expires_on.is_not(None),
            _Outer.expires_on >= today,
            _Outer.expires_on <= horizon,
            ~renewed_clause(_Outer),
            ~select(CertificateReminder.id)
            .where(CertificateReminder.certificate_id == _Outer.id, CertificateReminder.kind == kind)
            .exists(),
        )
        .order_by(_Outer.id)
    ).all()
    created = []
    for cert in candidates:
        try:
            with session.begin_nested():
                reminder = CertificateReminder(certificate_id=cert.id, kind=kind, due_on=cert.expires_on)
                session.add(reminder)
                session.flush()
        except IntegrityError:
            continue
        created.append(reminder)
    return created


def pending_reminders(session: Session, official_id: int) -> list[CertificateReminder]:
    """The holder's reminders not seen yet, of certificates still valid and not renewed since."""
    return list(
        session.scalars(
            select(CertificateReminder)
            .join(Certificate, Certificate.id == CertificateReminder.certificate_id)
            .where(
                Certificate.official_id == official_id,
                Certificate.status == CertificateStatus.VALID,
                CertificateReminder.seen_at.is_(None),
                ~renewed_clause(Certificate),
            )
            .order_by(CertificateReminder.due_on, CertificateReminder.id)
        )
    )


def mark_reminder_seen(session: Session, reminder: CertificateReminder, now: datetime | None = None) -> None:
    if reminder.seen_at is None:
        reminder.seen_at = now or utcnow()
        session.flush()
