"""Reading certificates: the valid one of a course, a completion's current revision, the holder's list,
the IT staff's list and the exports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from certificates.codes import parse_serial
from certificates.models import Certificate, CertificateStatus
from lms.org.models import Official, Unit
from lms.text import clean_text, fold


def _valid_on(official_id: int, course_id: int, day: date, *columns) -> Select:
    """``columns`` of the holder's certificates of the course valid on ``day``, newest first."""
    return (
        select(*columns)
        .where(
            Certificate.official_id == official_id,
            Certificate.course_id == course_id,
            Certificate.status == CertificateStatus.VALID,
            or_(Certificate.expires_on.is_(None), Certificate.expires_on >= day),
        )
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    )


def current_valid_certificate(session: Session, official_id: int, course_id: int, day: date) -> Certificate | None:
    """The holder's certificate of the course that is valid on ``day`` (newest first), if any."""
    return session.scalars(_valid_on(official_id, course_id, day, Certificate)).first()


def current_valid_serial(session: Session, official_id: int, course_id: int, day: date):
    """The same certificate's ``id`` and ``serial`` only (a row), for a page that links it: not the whole
    certificate with its snapshot of names and texts."""
    return session.execute(_valid_on(official_id, course_id, day, Certificate.id, Certificate.serial).limit(1)).first()


def by_source(session: Session, official_id: int, course_id: int, source: str) -> Certificate | None:
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


def unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalars(select(Unit).where(Unit.code == clean_text(code).upper())).first()
