"""Certificate-expiry reminders as e-mails, through the kernel's outbox.

``flask lms certificates remind`` queues the reminders (shown on the holder's dashboard); before
``flask lms mail send`` sends the outbox it sends ``lms.events.mail_sending``, and
``queue_reminder_mails`` hands the reminders not e-mailed yet over to the outbox.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates.models import Certificate, CertificateReminder, CertificateStatus
from certificates.services.reminders import renewed_clause
from lms.mail.compose import compose, external_url
from lms.mail.outbox import queue_message
from lms.time import utcnow


def queue_reminder_mails(session: Session, now: datetime | None = None) -> int:
    """Turn certificate-expiry reminders not yet e-mailed into outbox messages; stamps ``sent_at`` (handed over)."""
    now = now or utcnow()
    reminders = session.scalars(
        select(CertificateReminder)
        .join(Certificate, Certificate.id == CertificateReminder.certificate_id)
        .where(
            CertificateReminder.sent_at.is_(None),
            Certificate.status == CertificateStatus.VALID,
            ~renewed_clause(Certificate),  # re-certified since: no "take the quiz again" e-mail
        )
        .order_by(CertificateReminder.id)
    ).all()
    queued = 0
    for reminder in reminders:
        queued += bool(reminder_mail(session, reminder, now=now))
        reminder.sent_at = now
    session.flush()
    return queued


def reminder_mail(session, reminder_row, now=None) -> bool:
    """A certificate-expiry reminder as an e-mail (idempotent: one per reminder row)."""
    cert = reminder_row.certificate
    official = cert.official
    text, html = compose(
        _("Kính gửi đồng chí %(name)s,", name=official.full_name),
        [
            _(
                "Chứng nhận %(serial)s (%(course)s) của đồng chí sẽ hết hạn vào ngày %(day)s. "
                "Vui lòng học lại và làm bài kiểm tra để được cấp chứng nhận mới.",
                serial=cert.serial,
                course=cert.course_title,
                day=reminder_row.due_on.strftime("%d/%m/%Y"),
            )
        ],
        [],
        (_("Xem các khóa học"), external_url("courses.catalog")),
    )
    return queue_message(
        session,
        to_email=official.email,
        subject=_("Chứng nhận sắp hết hạn: %(course)s", course=cert.course_title),
        text_body=text,
        html_body=html,
        kind="certificate-reminder",
        dedupe_key=f"cert-reminder:{reminder_row.id}",
        now=now,
    )


def on_mail_sending(session, now=None, **_kw) -> int:
    """Receiver of ``lms.events.mail_sending``: returns how many reminders it queued."""
    return queue_reminder_mails(session, now)
