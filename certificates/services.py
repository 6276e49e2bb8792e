"""Issuing, revoking, re-issuing, rendering and verifying certificates (plain functions over a session).

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
* **Concurrency.** Issuing locks the holder's ``official`` row (``SELECT ... FOR UPDATE`` on
  PostgreSQL; on SQLite the first write takes the database write lock) before those checks, and
  the serial comes from ``certificate_sequence`` with one ``UPDATE ... RETURNING last_value`` whose
  row lock lasts until commit; the row is created with ``INSERT ... ON CONFLICT DO NOTHING``.
  Serial numbers are therefore unique and gap-free per (prefix, year) for committed certificates.
* **Corrections** re-issue: a new row, same serial, ``revision + 1``, new verification code and a
  fresh snapshot; the old row becomes ``superseded`` (``superseded_by`` points at the new one).
* Services flush, never commit; every action is audited and sends ``certificate_changed``.

PDFs are rendered right after the issuing transaction commits (``CERT_RENDER_ON_ISSUE``, default on;
never inside it, see ``_render_after_commit``), else on first download or by the CLI, and stored under
``CERT_STORAGE_DIR`` (default ``<instance>/certificates``)
as ``<verification code without dashes>-r<revision>.pdf``; a file is rendered again only when
``render.TEMPLATE_VERSION`` changed or the file is missing (the previous SHA-256 is kept so an
earlier download still verifies).
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context, has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from certificates.codes import make_serial, new_verification_code, normalize_verification_code, parse_serial
from certificates.models import Certificate, CertificateReminder, CertificateSequence, CertificateStatus
from certificates.render import TEMPLATE_VERSION
from courses import api as courses_api
from courses.api import Course
from lms.auth.services import audit
from lms.errors import UserError
from lms.events import certificate_changed
from lms.org.models import Official, Unit
from lms.text import clean_text, fold
from lms.time import local_day, utcnow

log = logging.getLogger("lms.certificates")

DEFAULTS: dict[str, Any] = {
    "CERT_SERIAL_PREFIX": "VP",
    "CERT_ISSUER_PARENT": "ỦY BAN NHÂN DÂN TỈNH VĨNH PHÚC",
    "CERT_ISSUER_NAME": "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    "CERT_SIGNER_TITLE": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
    "CERT_SIGNER_NAME": "Trần Văn Minh",
    "CERT_PLACE": "Vĩnh Phúc",
    "CERT_STORAGE_DIR": None,  # None: <instance>/certificates
    "CERT_RENDER_ON_ISSUE": True,
    "CERT_VERIFY_RATE_LIMIT": "30 per minute",
    "PUBLIC_BASE_URL": None,
}


class CertificateError(UserError):
    """A user error (message fit for the page)."""


# -- settings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CertificateSettings:
    serial_prefix: str
    issuer_parent: str
    issuer_name: str
    signer_title: str
    signer_name: str
    place: str
    storage_dir: Path
    render_on_issue: bool
    public_base_url: str | None

    def snapshot(self) -> dict[str, str]:
        return {
            "issuer_parent": self.issuer_parent,
            "issuer_name": self.issuer_name,
            "signer_title": self.signer_title,
            "signer_name": self.signer_name,
            "place": self.place,
        }


def _config_value(config, key: str):
    if config is not None and config.get(key) not in (None, ""):
        return config[key]
    if os.environ.get(key):
        return os.environ[key]
    return DEFAULTS[key]


def get_settings(config=None) -> CertificateSettings:
    """Settings from ``config`` (default: the current app's), then the environment, then DEFAULTS."""
    instance = None
    if config is None and has_app_context():
        config = current_app.config
        instance = current_app.instance_path
    storage = _config_value(config, "CERT_STORAGE_DIR")
    if not storage:
        base = (config or {}).get("INSTANCE_DIR") or instance or "instance"
        storage = Path(base) / "certificates"
    render_on_issue = _config_value(config, "CERT_RENDER_ON_ISSUE")
    if isinstance(render_on_issue, str):
        render_on_issue = render_on_issue.strip().lower() in {"1", "true", "yes", "on"}
    return CertificateSettings(
        serial_prefix=str(_config_value(config, "CERT_SERIAL_PREFIX")).upper(),
        issuer_parent=clean_text(_config_value(config, "CERT_ISSUER_PARENT")),
        issuer_name=clean_text(_config_value(config, "CERT_ISSUER_NAME")),
        signer_title=clean_text(_config_value(config, "CERT_SIGNER_TITLE")),
        signer_name=clean_text(_config_value(config, "CERT_SIGNER_NAME")),
        place=clean_text(_config_value(config, "CERT_PLACE")),
        storage_dir=Path(storage),
        render_on_issue=bool(render_on_issue),
        public_base_url=_config_value(config, "PUBLIC_BASE_URL"),
    )


# -- small helpers -------------------------------------------------------------------------------
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
    return f"certificate:{cert.id} {cert.serial} r{cert.revision}"


# -- serial allocation ---------------------------------------------------------------------------
def _insert_ignore(session: Session, table, values: dict, conflict_cols: list[str]):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_cols)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_cols)
    return insert(table).values(**values)  # pragma: no cover - other databases are not supported


def ensure_sequence_row(session: Session, prefix: str, year: int) -> None:
    """Create the (prefix, year) row if missing; safe under concurrency (ON CONFLICT DO NOTHING).

    On SQLite this write also takes the database write lock, which serialises issuing.
    """
    session.execute(
        _insert_ignore(
            session,
            CertificateSequence.__table__,
            {"prefix": prefix, "year": year, "last_value": 0},
            ["prefix", "year"],
        )
    )


def next_sequence_number(session: Session, prefix: str, year: int) -> int:
    """Increment and return the sequence of (prefix, year); the row stays locked until commit."""
    ensure_sequence_row(session, prefix, year)
    table = CertificateSequence.__table__
    value = session.execute(
        update(table)
        .where(table.c.prefix == prefix, table.c.year == year)
        .values(last_value=table.c.last_value + 1)
        .returning(table.c.last_value)
    ).scalar_one()
    return int(value)


def allocate_serial(session: Session, prefix: str, year: int) -> tuple[int, str]:
    seq = next_sequence_number(session, prefix, year)
    return seq, make_serial(prefix, year, seq)


def _lock_holder(session: Session, official_id: int, prefix: str, year: int) -> None:
    """Serialise issuing for one holder (see the module docstring)."""
    ensure_sequence_row(session, prefix, year)
    session.execute(select(Official.id).where(Official.id == official_id).with_for_update())


# -- queries -------------------------------------------------------------------------------------
def current_valid_certificate(session: Session, official_id: int, course_id: int, day: date) -> Certificate | None:
    """The holder's certificate of the course that is valid on ``day`` (newest first), if any."""
    return session.scalars(
        select(Certificate)
        .where(
            Certificate.official_id == official_id,
            Certificate.course_id == course_id,
            Certificate.status == CertificateStatus.VALID,
            or_(Certificate.expires_on.is_(None), Certificate.expires_on >= day),
        )
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    ).first()


def _by_source(session: Session, official_id: int, course_id: int, source: str) -> Certificate | None:
    """The current revision of the certificate issued for this completion."""
    first = session.scalars(
        select(Certificate).where(
            Certificate.official_id == official_id,
            Certificate.course_id == course_id,
            Certificate.source == source,
            Certificate.revision == 1,
        )
    ).first()
    return current_revision(session, first) if first is not None else None


def current_revision(session: Session, cert: Certificate) -> Certificate:
    """Follow ``superseded_by`` to the newest revision."""
    seen = {cert.id}
    while cert.superseded_by_id is not None and cert.superseded_by_id not in seen:
        cert = session.get(Certificate, cert.superseded_by_id)
        seen.add(cert.id)
    return cert


def certificates_of(session: Session, official_id: int) -> list[Certificate]:
    """The holder's certificates for "my certificates": current revisions, newest first."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.official_id == official_id, Certificate.status != CertificateStatus.SUPERSEDED)
            .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
        )
    )


@dataclass
class CertificateFilters:
    unit_id: int | None = None
    course_id: int | None = None
    state: str = ""  # valid | expired | revoked | superseded | "" (all but superseded)
    q: str = ""


def certificates_query(filters: CertificateFilters, today: date) -> Select:
    """IT staff management list, newest first (then serial, revision: deterministic)."""
    query = select(Certificate).join(Official, Official.id == Certificate.official_id)
    if filters.unit_id:
        query = query.where(Official.unit_id == filters.unit_id)
    if filters.course_id:
        query = query.where(Certificate.course_id == filters.course_id)
    not_expired = or_(Certificate.expires_on.is_(None), Certificate.expires_on >= today)
    if filters.state == "valid":
        query = query.where(Certificate.status == CertificateStatus.VALID, not_expired)
    elif filters.state == "expired":
        query = query.where(Certificate.status == CertificateStatus.VALID, Certificate.expires_on < today)
    elif filters.state in ("revoked", "superseded"):
        query = query.where(Certificate.status == CertificateStatus(filters.state))
    else:
        query = query.where(Certificate.status != CertificateStatus.SUPERSEDED)
    if filters.q:
        parsed = parse_serial(filters.q)
        if parsed is not None:
            query = query.where(Certificate.serial == parsed.serial)
        else:
            query = query.where(Official.search_text.contains(fold(filters.q)))
    return query.order_by(Certificate.issued_on.desc(), Certificate.serial.desc(), Certificate.revision.desc())


def valid_certificates_for_export(
    session: Session, today: date, unit_id: int | None = None, course_id: int | None = None
) -> Iterator[Certificate]:
    """Valid (not expired) certificates of a unit (the holder's current unit) or a course, by serial."""
    query = (
        select(Certificate)
        .join(Official, Official.id == Certificate.official_id)
        .where(
            Certificate.status == CertificateStatus.VALID,
            or_(Certificate.expires_on.is_(None), Certificate.expires_on >= today),
        )
        .order_by(Certificate.serial)
    )
    if unit_id is not None:
        query = query.where(Official.unit_id == unit_id)
    if course_id is not None:
        query = query.where(Certificate.course_id == course_id)
    yield from session.scalars(query.execution_options(yield_per=200))


# -- issuing -------------------------------------------------------------------------------------
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

    _lock_holder(session, official.id, prefix, year)
    existing = _by_source(session, official.id, course.id, source)
    if existing is not None:
        return existing
    still_valid = current_valid_certificate(session, official.id, course.id, issued_on)
    if still_valid is not None:
        return still_valid

    try:
        with session.begin_nested():
            seq, serial = allocate_serial(session, prefix, year)
            cert = Certificate(
                official_id=official.id,
                course_id=course.id,
                score_percent=score,
                issued_on=issued_on,
                expires_on=expiry_for(course, issued_on),
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
        existing = _by_source(session, official.id, course.id, source)
        if existing is None:
            raise
        return existing

    audit(
        session,
        actor,
        "certificate.issue",
        target=_target(cert),
        details=f"official={official.id} course={course.id} source={source} score={score}",
    )
    certificate_changed.send(session, certificate=cert)
    if settings.render_on_issue:
        _render_after_commit(session, cert)
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
        audit(session, actor, "certificate.issue.note", target=_target(cert), details=clean_text(note)[:2000])
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
    audit(session, actor, "certificate.revoke", target=_target(cert), details=reason[:2000])
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
        details=f"supersedes r{cert.revision} (id {cert.id}); changed: {', '.join(changed) or '-'}; {reason}"[:2000],
    )
    certificate_changed.send(session, certificate=cert)
    certificate_changed.send(session, certificate=new)
    if settings.render_on_issue:
        _render_after_commit(session, new)
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
        target=f"{len(result.done)} certificates",
        details=f"done={[c.id for c in result.done]} skipped={[i for i, _ in result.skipped]}; {clean_text(reason)}"[
            :4000
        ],
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


# -- reminders -----------------------------------------------------------------------------------
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


# -- verification --------------------------------------------------------------------------------
def find_by_code(session: Session, raw: object) -> Certificate | None:
    code = normalize_verification_code(raw)
    if code is None:
        return None
    return session.scalars(select(Certificate).where(Certificate.verification_code == code)).first()


def find_by_serial_and_name(session: Session, serial: object, name: str) -> Certificate | None:
    """Lookup for the public form: the serial's check character is validated first, the name is
    compared accent- and case-insensitively (``fold``). The newest matching revision wins."""
    parts = parse_serial(serial)
    wanted = fold(name)
    if parts is None or not wanted:
        return None
    for cert in session.scalars(
        select(Certificate).where(Certificate.serial == parts.serial).order_by(Certificate.revision.desc())
    ):
        if fold(cert.holder_name) == wanted:
            return cert
    return None


def public_record(session: Session, cert: Certificate, today: date) -> dict[str, Any]:
    """What the public verification page shows: the printed fields, the state and the PDF hash."""
    state = cert.state_on(today)
    current = current_revision(session, cert) if state == "superseded" else None
    return {
        "state": state,
        "serial": cert.serial,
        "revision": cert.revision,
        "holder_name": cert.holder_name,
        "unit_name": cert.unit_name,
        "course_title": cert.course_title,
        "score_percent": float(cert.score_percent),
        "issued_on": cert.issued_on.isoformat(),
        "expires_on": cert.expires_on.isoformat() if cert.expires_on else None,
        "issuer_parent": cert.issuer_parent,
        "issuer_name": cert.issuer_name,
        "signer_title": cert.signer_title,
        "signer_name": cert.signer_name,
        "place": cert.place,
        "revoked_on": local_day(cert.revoked_at).isoformat() if cert.revoked_at else None,
        "superseded_by": (
            {"serial": current.serial, "revision": current.revision, "verification_code": current.verification_code}
            if current is not None and current.id != cert.id
            else None
        ),
        "pdf_sha256": cert.pdf_sha256,
        "verification_code": cert.verification_code,
    }


PDF_HEADER = b"%PDF-"
PDF_HEADER_WINDOW = 1024  # readers accept the header anywhere in the first 1024 bytes
PDF_CONTENT_TYPES = frozenset(
    {"application/pdf", "application/x-pdf", "application/acrobat", "applications/vnd.pdf", "text/pdf", "text/x-pdf"}
)
# what browsers send when the system knows no type for the file: the header decides
GENERIC_CONTENT_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/unknown", "application/force-download"}
)


def upload_problem(filename: str, content_type: str, stream) -> str | None:
    """Why an uploaded file is no PDF (a message for the page), or ``None``.

    The name may have no extension, but another one is refused; the content type the browser sent
    may be any PDF type or a generic one; the bytes must hold ``%PDF-`` near the start. The stream
    is left at its start for ``compare_pdf``.
    """
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    head = stream.read(PDF_HEADER_WINDOW)
    stream.seek(0)
    if not head:
        return _("Tệp bạn chọn trống, không có nội dung. Hãy chọn tệp PDF giấy chứng nhận bạn nhận được.")
    if ext not in ("", "pdf") or mimetype not in PDF_CONTENT_TYPES | GENERIC_CONTENT_TYPES or PDF_HEADER not in head:
        return _(
            "Tệp bạn chọn không phải tệp PDF. Chỉ kiểm tra được tệp PDF giấy chứng nhận (tên tệp có đuôi .pdf), "
            "không nhận ảnh chụp, ảnh quét hay tệp khác."
        )
    return None


def compare_pdf(cert: Certificate, stream, chunk_size: int = 64 * 1024) -> tuple[bool, str]:
    """Hash an uploaded PDF (read in chunks, not stored) and compare it with the issued one(s)."""
    digest = hashlib.sha256()
    while chunk := stream.read(chunk_size):
        digest.update(chunk)
    sha = digest.hexdigest()
    known = {cert.pdf_sha256, *(cert.pdf_previous_sha256 or [])} - {None}
    return sha in known, sha


# -- PDF storage ---------------------------------------------------------------------------------
def verify_url_for(code: str, settings: CertificateSettings | None = None) -> str:
    """Absolute public verification URL (``PUBLIC_BASE_URL`` wins over the request's host)."""
    settings = settings or get_settings()
    if settings.public_base_url:
        return f"{settings.public_base_url.rstrip('/')}/verify/{code}"
    if has_request_context() or (has_app_context() and current_app.config.get("SERVER_NAME")):
        return url_for("certificates.verify", code=code, _external=True)
    raise CertificateError("Set PUBLIC_BASE_URL (or SERVER_NAME) to render certificates outside a request.")


def render_data(cert: Certificate, verify_url: str) -> dict[str, Any]:
    """The plain dict ``render_certificate_pdf`` takes."""
    return {
        "holder_name": cert.holder_name,
        "unit_name": cert.unit_name,
        "course_title": cert.course_title,
        "score_percent": Decimal(cert.score_percent),
        "issued_on": cert.issued_on,
        "expires_on": cert.expires_on,
        "serial": cert.serial,
        "verify_url": verify_url,
        "issuer_parent": cert.issuer_parent,
        "issuer_name": cert.issuer_name,
        "signer_title": cert.signer_title,
        "signer_name": cert.signer_name,
        "place": cert.place,
    }


def storage_path(cert: Certificate, settings: CertificateSettings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.storage_dir / f"{cert.code_compact}-r{cert.revision}.pdf"


def needs_render(cert: Certificate, path: Path) -> bool:
    return cert.pdf_sha256 is None or cert.pdf_template_version != TEMPLATE_VERSION or not path.is_file()


def write_pdf(data: dict[str, Any], path: str | os.PathLike) -> str:
    """Render ``data`` and write it atomically to ``path``; return the SHA-256 (pure: no database)."""
    from certificates.render import render_certificate_pdf

    pdf = render_certificate_pdf(data)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pdf)
    os.replace(tmp, path)
    return hashlib.sha256(pdf).hexdigest()


def record_render(cert: Certificate, sha: str) -> None:
    if cert.pdf_sha256 and cert.pdf_sha256 != sha:
        cert.pdf_previous_sha256 = [*(cert.pdf_previous_sha256 or []), cert.pdf_sha256][-10:]
    cert.pdf_sha256 = sha
    cert.pdf_template_version = TEMPLATE_VERSION


def ensure_pdf(session: Session, cert: Certificate, settings: CertificateSettings | None = None) -> Path:
    """The stored PDF of ``cert``, rendered now if missing or made with an older template."""
    settings = settings or get_settings()
    path = storage_path(cert, settings)
    if needs_render(cert, path):
        sha = write_pdf(render_data(cert, verify_url_for(cert.verification_code, settings)), path)
        record_render(cert, sha)
        session.flush()
    return path


_RENDER_QUEUE = "certificates.render_after_commit"


def _render_after_commit(session: Session, cert: Certificate) -> None:
    """Render the new certificate's PDF once the transaction has committed.

    Rendering takes ~0.1 s of CPU; doing it inside the issuing transaction would hold the serial
    sequence's row lock (and SQLite's write lock) that long and serialise every issue in the province.
    After the commit it runs in a short transaction of its own; if it fails, the PDF is rendered
    on first download or by ``flask lms certificates render``.
    """
    session.info.setdefault(_RENDER_QUEUE, set()).add(cert.id)


def render_queued(session: Session) -> None:
    """``after_commit`` listener of every session: render what ``_render_after_commit`` queued."""
    ids = session.info.pop(_RENDER_QUEUE, None)
    if not ids:
        return
    try:
        settings = get_settings()
        with Session(session.get_bind(), expire_on_commit=False) as own:
            for cert in own.scalars(select(Certificate).where(Certificate.id.in_(sorted(ids)))):
                ensure_pdf(own, cert, settings)
            own.commit()
    except Exception:  # never fail the request that issued the certificate
        log.exception("certificates %s not rendered after commit", sorted(ids))


def forget_queued(session: Session) -> None:
    """``after_rollback`` listener: what was queued was not issued."""
    session.info.pop(_RENDER_QUEUE, None)


# -- parallel batch render -----------------------------------------------------------------------
@dataclass
class RenderStats:
    rendered: int = 0
    up_to_date: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def _worker_init() -> None:
    from certificates.render import get_renderer

    get_renderer()  # build Jinja, fonts and CSS once per worker


def _worker_render(job: tuple[int, dict, str]) -> tuple[int, str | None, str]:
    cert_id, data, path = job
    try:
        return cert_id, write_pdf(data, path), ""
    except Exception as exc:  # reported back, the batch goes on
        return cert_id, None, f"{type(exc).__name__}: {exc}"


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for cert_id in ids:
        chunk.append(cert_id)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def render_missing(
    session_factory: Callable[[], Session],
    ids: Iterable[int],
    workers: int | None = None,
    *,
    settings: CertificateSettings | None = None,
    chunk_size: int = 256,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RenderStats:
    """Render the PDFs of certificates ``ids`` that are missing or outdated, in a process pool.

    ``ids`` may be a generator: it is consumed ``chunk_size`` at a time, and each chunk is loaded,
    turned into plain dicts, rendered by the workers (which never touch the database) and recorded
    with one commit per chunk, so memory stays flat however many certificates there are.
    ``session_factory()`` must return a new Session (used as a context manager).
    """
    settings = settings or get_settings()
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    stats = RenderStats()
    pool = None
    if workers > 1:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_worker_init)
    try:
        for chunk in _chunks(ids, chunk_size):
            with session_factory() as session:
                certs = {c.id: c for c in session.scalars(select(Certificate).where(Certificate.id.in_(chunk)))}
                jobs = []
                for cert in certs.values():
                    path = storage_path(cert, settings)
                    if not force and not needs_render(cert, path):
                        stats.up_to_date += 1
                        if progress:
                            progress(1)
                        continue
                    url = verify_url_for(cert.verification_code, settings)
                    jobs.append((cert.id, render_data(cert, url), str(path)))
                results = (
                    pool.imap_unordered(_worker_render, jobs, chunksize=max(1, len(jobs) // (workers * 4)))
                    if pool is not None
                    else map(_worker_render, jobs)
                )
                for cert_id, sha, error in results:
                    if sha is None:
                        stats.failed.append((cert_id, error))
                    else:
                        record_render(certs[cert_id], sha)
                        stats.rendered += 1
                    if progress:
                        progress(1)
                session.commit()
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return stats


def render_selection_ids(session: Session, unit_id: int | None = None, course_id: int | None = None) -> Iterator[int]:
    """Ids of current valid certificates (holder's current unit / course), streamed in id order.

    Whether each one needs a render (missing file, older template) is decided by ``render_missing``.
    """
    query = (
        select(Certificate.id)
        .join(Official, Official.id == Certificate.official_id)
        .where(Certificate.status == CertificateStatus.VALID)
        .order_by(Certificate.id)
    )
    if unit_id is not None:
        query = query.where(Official.unit_id == unit_id)
    if course_id is not None:
        query = query.where(Certificate.course_id == course_id)
    yield from session.scalars(query.execution_options(yield_per=1000))


def count_selection(session: Session, unit_id: int | None = None, course_id: int | None = None) -> int:
    query = (
        select(func.count(Certificate.id))
        .join(Official, Official.id == Certificate.official_id)
        .where(Certificate.status == CertificateStatus.VALID)
    )
    if unit_id is not None:
        query = query.where(Official.unit_id == unit_id)
    if course_id is not None:
        query = query.where(Certificate.course_id == course_id)
    return session.scalar(query) or 0


def unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalars(select(Unit).where(Unit.code == clean_text(code).upper())).first()
