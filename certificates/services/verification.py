"""Public verification: by code (the QR code), by serial and name, what the public page shows, and
comparing an uploaded PDF with the issued one."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates.codes import normalize_verification_code, parse_serial
from certificates.models import Certificate
from certificates.services.queries import current_revision
from lms.text import fold
from lms.time import local_day


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
