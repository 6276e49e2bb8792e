"""Expiry reminders: queued for certificates expiring soon (shown on the holder's dashboard, and
e-mailed by ``certificates/mail.py``), seen, dismissed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from certificates.models import Certificate, CertificateReminder, CertificateStatus
from lms.time import utcnow


def queue_expiry_reminders(session: Session, today: date, days: int = 30) -> list[CertificateReminder]:
    """Queue an ``expiring-<days>d`` reminder for every valid certificate expiring within ``days``.

    Idempotent (unique per certificate and kind). Certificates whose holder already has a newer
    valid certificate of the same course (re-certified) are skipped. ``certificates/mail.py`` e-mails them.
    """
    kind = f"expiring-{days}d"
    _Outer = aliased(Certificate, name="outer_certificate")
    horizon = date.fromordinal(today.toordinal() + days)
    newer = (
        select(Certificate.id)
        .where(
            Certificate.official_id == _Outer.official_id,
            Certificate.course_id == _Outer.course_id,
            Certificate.status == CertificateStatus.VALID,
            Certificate.issued_on > _Outer.issued_on,
        )
        .exists()
    )
    candidates = session.scalars(
        select(_Outer)
        .where(
            _Outer.status == CertificateStatus.VALID,
            _Outer.expires_on.is_not(None),
            _Outer.expires_on >= today,
            _Outer.expires_on <= horizon,
            ~newer,
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
    return list(
        session.scalars(
            select(CertificateReminder)
            .join(Certificate, Certificate.id == CertificateReminder.certificate_id)
            .where(
                Certificate.official_id == official_id,
                Certificate.status == CertificateStatus.VALID,
                CertificateReminder.seen_at.is_(None),
            )
            .order_by(CertificateReminder.due_on, CertificateReminder.id)
        )
    )


def mark_reminder_seen(session: Session, reminder: CertificateReminder, now: datetime | None = None) -> None:
    if reminder.seen_at is None:
        reminder.seen_at = now or utcnow()
        session.flush()
