"""Issuing (on ``course_completed`` or by hand), revoking and re-issuing certificates (plain functions
over a session).

Rules
-----
* **One certificate per completion.** ``issue_certificate`` is idempotent on
  ``(official, course, source)``: the first revision of a completion is unique in the database
  (``uq_certificate_completion``), the insert runs in a SAVEPOINT, and a duplicate (the event fired
  twice, or two workers at once) returns the certificate that already exists.
* **No duplicate while one is valid.** If the official already holds a certificate of the course
  that is valid (not revoked, not superseded, not expired) on the new issue day, that certificate is
  returned and nothing is issued, whatever the source. A new completion *after expiry* (or after a
  revocation) issues a new certificate with a new serial; the old ones stay, as history.
* **Re-certification.** Except when that valid certificate is in its renewal window (it expires
  within ``RENEWAL_WINDOW_DAYS`` of the issue day, or an expiry reminder was queued for it): the
  official was told to take the quiz again, so a new completion (a new source: the final quiz passed
  again) issues a new certificate whose validity runs on from the old expiry (expiry = old expiry +
  the course's validity), not from the issue day; the old one stays valid until it expires, and its
  reminders stop (``reminders.renewed_clause``).
* **Concurrency.** Issuing locks the holder's ``official`` row (``SELECT ... FOR UPDATE`` on
  PostgreSQL; on SQLite the first write takes the database write lock) before those checks, and
  the serial comes from ``certificate_sequence`` with one ``UPDATE ... RETURNING last_value`` whose
  row lock lasts until commit; the row is created with ``INSERT ... ON CONFLICT DO NOTHING``.
  Serial numbers are therefore unique and gap-free per (prefix, year) for committed certificates.
* **Corrections** re-issue: a new row, same serial, ``revision + 1``, new verification code and a
  fresh snapshot; the old row becomes ``superseded`` (``superseded_by`` points at the new one).
* Services flush, never commit; every action is audited and sends ``certificate_changed``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certificates.codes import new_verification_code
from certificates.errors import CertificateError
from certificates.models import Certificate, CertificateReminder, CertificateStatus
from certificates.services.queries import by_source, current_valid_certificate
from certificates.services.serials import allocate_serial, lock_holder
from certificates.services.settings import CertificateSettings, get_settings
from certificates.services.storage import render_after_commit
from courses import api as courses_api
from courses.api import Course
from lms.auth.services import audit
from lms.events import certificate_changed
from lms.org.models import Official
from lms.text import clean_text
from lms.time import local_day, utcnow

log = logging.getLogger("lms.certificates")

#: A valid certificate expiring within this many days may be renewed by passing the final quiz again
#: (the dashboards tell the holder to do so from then on: competency reads it through the api).
RENEWAL_WINDOW_DAYS = 60


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day (31/01 + 1 = 28/02)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def expiry_for(course: Course, issued_on: date) -> date | None:
    months = getattr(course, "validity_months", None)
    return add_months(issued_on, months) if months else None


def in_renewal_window(session: Session, cert: Certificate, day: date) -> bool:
    """``cert`` (valid on ``day``) expires soon enough to be renewed on ``day``: within
    ``RENEWAL_WINDOW_DAYS``, or an expiry reminder was queued for it (``remind --days`` may look further)."""
    if cert.expires_on is None:
        return False
    if (cert.expires_on - day).days <= RENEWAL_WINDOW_DAYS:
        return True
    return (
        session.scalar(select(CertificateReminder.id).where(CertificateReminder.certificate_id == cert.id)) is not None
    )


def _score(value) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise CertificateError(_("Cần có kết quả đánh giá (0-100%)."))
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        raise CertificateError(_("Kết quả đánh giá phải là một số từ 0 đến 100.")) from None
    if not score.is_finite() or not 0 <= score <= 100:
        raise CertificateError(_("Kết quả đánh giá phải là một số từ 0 đến 100."))
    return score.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _target(cert: Certificate) -> str:
    return f"certificate:{cert.id}"


def _snapshot(official: Official, course: Course, settings: CertificateSettings) -> dict[str, Any]:
    unit = official.unit
    return {
        "holder_name": clean_text(official.full_name),
        "unit_id": unit.id if unit else None,
        "unit_name": clean_text(unit.name) if unit else "",
        "course_title": clean_text(course.title),
        **settings.snapshot(),
    }


def issue_certificate(
    session: Session,
    official: Official,
    course: Course,
    score_percent,
    source: str,
    issued_on: date,
    *,
    actor=None,
    settings: CertificateSettings | None = None,
) -> Certificate:
    """Issue the certificate of ``course`` to ``official``, or return the one already there (the same
    ``source``, or one still valid on ``issued_on``): see the module rules."""
    settings = settings or get_settings()
    source = clean_text(source)[:120]
    if not source:
        raise CertificateError(_("Thiếu nguồn cấp chứng nhận."))
    score = _score(score_percent)
    if isinstance(issued_on, datetime) or not isinstance(issued_on, date):
        raise TypeError("issued_on must be a datetime.date (local day)")
    prefix, year = settings.serial_prefix, issued_on.year

    lock_holder(session, official.id, prefix, year)
    existing = by_source(session, official.id, course.id, source)
    if existing is not None:
        return existing
    still_valid = current_valid_certificate(session, official.id, course.id, issued_on)
    renews = None
    if still_valid is not None:
        if not in_renewal_window(session, still_valid, issued_on):
            return still_valid
        renews = still_valid
    # a renewal's validity runs on from the old expiry: no day is lost by passing early
    expires_on = expiry_for(course, renews.expires_on if renews is not None else issued_on)

    try:
        with session.begin_nested():
            seq, serial = allocate_serial(session, prefix, year)
            cert = Certificate(
                official_id=official.id,
                course_id=course.id,
                score_percent=score,
                issued_on=issued_on,
                expires_on=expires_on,
                serial=serial,
                serial_prefix=prefix,
                year=year,
                sequence_number=seq,
                revision=1,
                verification_code=new_verification_code(),
                status=CertificateStatus.VALID,
                source=source,
                pdf_previous_sha256=[],
                **_snapshot(official, course, settings),
            )
            session.add(cert)
            session.flush()
    except IntegrityError:
        existing = by_source(session, official.id, course.id, source)
        if existing is None:
            raise
        return existing

    data = {
        "official": official.id,
        "course": course.id,
        "source": source,
        "score": float(score) if score is not None else None,
    }
    if renews is None:
        audit(session, actor, "certificate.issue", target=_target(cert), data=data)
    else:
        data |= {"renews": renews.id, "until": renews.expires_on.isoformat()}
        audit(session, actor, "certificate.renew", target=_target(cert), data=data)
    certificate_changed.send(session, certificate=cert)
    if settings.render_on_issue:
        render_after_commit(session, cert)
    return cert


def issue_manual(
    session: Session, actor, official: Official, course: Course, score_percent, issued_on: date, note: str = ""
) -> Certificate:
    """IT staff issue a certificate by hand (e.g. after a classroom exam)."""
    if official is None or course is None:
        raise CertificateError(_("Hãy chọn cán bộ và khóa học."))
    existing = current_valid_certificate(session, official.id, course.id, issued_on)
    if existing is not None:
        message = _(
            "%(name)s đang có chứng nhận còn hiệu lực của khóa học này (%(serial)s).",
            name=official.full_name,
            serial=existing.serial,
        )
        raise CertificateError(message)
    source = f"manual:{actor.id if actor else 0}:{uuid.uuid4()}"
    cert = issue_certificate(session, official, course, score_percent, source, issued_on, actor=actor)
    if note and cert.source == source:  # a new source (a fresh uuid): issued now, not one already there
        audit(session, actor, "certificate.issue.note", target=_target(cert), data={"note": clean_text(note)[:2000]})
    return cert


def revoke_certificate(session: Session, actor, cert: Certificate, reason: str, now: datetime | None = None) -> None:
    reason = clean_text(reason)
    if not reason:
        raise CertificateError(_("Cần ghi rõ lý do thu hồi."))
    if cert.status != CertificateStatus.VALID:
        raise CertificateError(_("Chứng nhận %(s)s không còn hiệu lực nên không thể thu hồi.", s=cert.serial))
    cert.status = CertificateStatus.REVOKED
    cert.revoked_at = now or utcnow()
    cert.revoked_reason = reason[:2000]
    cert.revoked_by_id = actor.id if actor else None
    session.flush()
    audit(session, actor, "certificate.revoke", target=_target(cert), data={"reason": reason[:2000]})
    certificate_changed.send(session, certificate=cert)


REISSUE_FIELDS = ("holder_name", "unit_name", "course_title", "score_percent")


def reissue_certificate(
    session: Session, actor, cert: Certificate, reason: str, corrections: dict | None = None
) -> Certificate:
    """Re-issue after a correction: same serial, ``revision + 1``, new code; the old one superseded.

    The new snapshot is taken from the current official, unit and course records, then
    ``corrections`` (any of ``REISSUE_FIELDS``) win. Issue and expiry days are kept.
    """
    reason = clean_text(reason)
    if not reason:
        raise CertificateError(_("Cần ghi rõ lý do cấp lại."))
    if cert.status != CertificateStatus.VALID:
        raise CertificateError(
            _("Chỉ cấp lại được chứng nhận đang có hiệu lực (%(s)s lần %(r)d).", s=cert.serial, r=cert.revision)
        )
    settings = get_settings()
    snap = _snapshot(cert.official, cert.course, settings)
    score = cert.score_percent
    for key, value in (corrections or {}).items():
        if key not in REISSUE_FIELDS or value in (None, ""):
            continue
        if key == "score_percent":
            score = _score(value)
        else:
            snap[key] = clean_text(str(value))[:255]
    new = Certificate(
        official_id=cert.official_id,
        course_id=cert.course_id,
        score_percent=score,
        issued_on=cert.issued_on,
        expires_on=cert.expires_on,
        serial=cert.serial,
        serial_prefix=cert.serial_prefix,
        year=cert.year,
        sequence_number=cert.sequence_number,
        revision=cert.revision + 1,
        verification_code=new_verification_code(),
        status=CertificateStatus.VALID,
        source=cert.source,
        pdf_previous_sha256=[],
        **snap,
    )
    session.add(new)
    cert.status = CertificateStatus.SUPERSEDED
    session.flush()
    cert.superseded_by_id = new.id
    session.flush()
    changed = [k for k in REISSUE_FIELDS if getattr(new, k) != getattr(cert, k)]
    audit(
        session,
        actor,
        "certificate.reissue",
        target=_target(new),
        data={"supersedes": cert.id, "changed": changed, "reason": clean_text(reason)[:2000] or None},
    )
    certificate_changed.send(session, certificate=cert)
    certificate_changed.send(session, certificate=new)
    if settings.render_on_issue:
        render_after_commit(session, new)
    return new


@dataclass
class BatchResult:
    done: list[Certificate] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (certificate id, why)


def batch_action(
    session: Session,
    actor,
    action: str,
    ids: Iterable[int],
    reason: str,
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Revoke or re-issue many certificates in one transaction; invalid ones are skipped and listed."""
    if action not in ("revoke", "reissue"):
        raise CertificateError(_("Thao tác không hợp lệ."))
    if not clean_text(reason):
        raise CertificateError(_("Cần ghi rõ lý do."))
    result = BatchResult()
    for cert_id in ids:
        cert = session.get(Certificate, cert_id)
        if cert is None:
            result.skipped.append((cert_id, _("không tồn tại")))
        else:
            try:
                with session.begin_nested():
                    if action == "revoke":
                        revoke_certificate(session, actor, cert, reason)
                        result.done.append(cert)
                    else:
                        result.done.append(reissue_certificate(session, actor, cert, reason))
            except CertificateError as exc:
                result.skipped.append((cert_id, str(exc)))
        if progress:
            progress(1)
    audit(
        session,
        actor,
        f"certificate.batch_{action}",
        data={
            "certificates": [c.id for c in result.done],
            "skipped": [i for i, _ in result.skipped],
            "reason": clean_text(reason)[:2000],
        },
    )
    return result


# -- the completion event ------------------------------------------------------------------------
def on_course_completed(sender, **kwargs) -> None:
    """Receiver of ``lms.events.course_completed`` (sender = the session): issue the certificate.

    A completion without a score (``score_percent=None``) issues nothing: the certificate prints the
    final assessment result. It is logged; IT staff can issue one by hand.
    """
    session: Session = sender
    official = session.get(Official, kwargs["official_id"])
    course = courses_api.get_course(session, kwargs["course_id"])
    if official is None or course is None:
        log.warning("course_completed for unknown official/course %s", kwargs)
        return
    if kwargs.get("score_percent") is None:
        log.info("course_completed without a score (%s): no certificate", kwargs.get("source"))
        return
    completed_at = kwargs.get("completed_at") or utcnow()
    issued_on = local_day(completed_at)
    issue_certificate(session, official, course, kwargs["score_percent"], kwargs["source"], issued_on)
