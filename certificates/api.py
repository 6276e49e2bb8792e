"""What other features may use of certificates: everything else in the package is private.

Acting: ``issue_certificate`` (with ``get_settings`` to change how, e.g. no PDF while building the
demo). Reading: ``certificates_of`` (model objects, for reading only) and ``valid_status_certificates()``
for read-only aggregate queries (competency's records), ``first_issued_on`` (when each official first
completed a course: adoption's before/after comparison). ``RENEWAL_WINDOW_DAYS``: how long before its
expiry passing the final quiz again renews a certificate (the dashboards say "take the quiz again"
from then). Certificates listens to ``lms.events.course_completed`` (it issues) and tells the others
with ``certificate_changed``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from certificates.models import Certificate, CertificateStatus
from certificates.services import certificates_of, get_settings, issue_certificate
from certificates.services.issuing import RENEWAL_WINDOW_DAYS

__all__ = [
    "RENEWAL_WINDOW_DAYS",
    "certificates_of",
    "first_issued_on",
    "get_settings",
    "issue_certificate",
    "valid_status_certificates",
]


def valid_status_certificates(official_ids=None) -> Select:
    """Current certificates (status valid: neither revoked nor superseded; possibly expired), of
    ``official_ids`` when given: ``official_id, course_id, certificate_id, expires_on``. Use it as
    ``.subquery()``."""
    query = select(
        Certificate.official_id, Certificate.course_id, Certificate.id.label("certificate_id"), Certificate.expires_on
    ).where(Certificate.status == CertificateStatus.VALID)
    if official_ids is not None:
        query = query.where(Certificate.official_id.in_(list(official_ids)))
    return query


def first_issued_on(session: Session, course_id: int) -> dict[int, date]:
    """official id -> the day they first got ``course_id``'s certificate (still valid or superseded
    since, not revoked)."""
    return dict(
        session.execute(
            select(Certificate.official_id, func.min(Certificate.issued_on))
            .where(Certificate.course_id == course_id, Certificate.status != CertificateStatus.REVOKED)
            .group_by(Certificate.official_id)
        ).all()
    )
