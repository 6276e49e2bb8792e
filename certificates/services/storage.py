"""The PDFs: rendered right after the issuing transaction commits (``CERT_RENDER_ON_ISSUE``, default on;
never inside it, see ``render_after_commit``), else on first download or by the CLI, and stored under
``CERT_STORAGE_DIR`` (default ``<instance>/certificates``)
as ``<verification code without dashes>-r<revision>.pdf``; a file is rendered again only when
``render.TEMPLATE_VERSION`` changed or the file is missing (the previous SHA-256 is kept so an
earlier download still verifies).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context, has_request_context, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certificates.errors import CertificateError
from certificates.models import Certificate, CertificateStatus
from certificates.render import TEMPLATE_VERSION
from certificates.services.settings import CertificateSettings, get_settings
from lms.org.models import Official

log = logging.getLogger("lms.certificates")


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


def render_after_commit(session: Session, cert: Certificate) -> None:
    """Render the new certificate's PDF once the transaction has committed.

    Rendering takes ~0.1 s of CPU; doing it inside the issuing transaction would hold the serial
    sequence's row lock (and SQLite's write lock) that long and serialise every issue in the province.
    After the commit it runs in a short transaction of its own; if it fails, the PDF is rendered
    on first download or by ``flask lms certificates render``.
    """
    session.info.setdefault(_RENDER_QUEUE, set()).add(cert.id)


def render_queued(session: Session) -> None:
    """``after_commit`` listener of every session: render what ``render_after_commit`` queued."""
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
