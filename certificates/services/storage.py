"""The PDFs: rendered right after the issuing transaction commits (``CERT_RENDER_ON_ISSUE``, default on;
never inside it, see ``render_after_commit``), else on first download or by the CLI, and stored in
the certificates' store (``lms.storage``: the folder ``CERT_STORAGE_DIR``, default
``<instance>/certificates``, or the bucket of ``LMS_STORAGE_URL``)
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
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certificates.errors import CertificateError
from certificates.models import Certificate, CertificateStatus
from certificates.render import TEMPLATE_VERSION
from certificates.services.settings import CertificateSettings, get_settings
from lms.org.models import Official
from lms.storage import Store
from lms.urls import BaseUrlMissing, absolute_url

log = logging.getLogger("lms.certificates")


def verify_url_for(code: str, settings: CertificateSettings | None = None) -> str:
    """Absolute public verification URL, by the app's one rule (``lms.urls``: ``LMS_BASE_URL``, or
    ``PUBLIC_BASE_URL``, else the request's address, else ``SERVER_NAME``)."""
    settings = settings or get_settings()
    if settings.public_base_url:  # a configuration given to get_settings() (benchmarks, tests)
        return f"{settings.public_base_url.rstrip('/')}/verify/{code}"
    try:
        return absolute_url("certificates.verify", code=code, development_default=False)
    except BaseUrlMissing as exc:
        raise CertificateError(str(exc)) from None


def status_url_for(code: str) -> str:
    """Where a credential's revocation status is published: the verification JSON of ``code``."""
    return absolute_url("certificates.verify_json", code=code)


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


def storage_key(cert: Certificate) -> str:
    """The PDF's name in the store."""
    return f"{cert.code_compact}-r{cert.revision}.pdf"


def stored_pdf(cert: Certificate, settings: CertificateSettings | None = None) -> bytes | None:
    """The PDF as stored now (None when it is not there), without rendering it."""
    return (settings or get_settings()).store.read(storage_key(cert))


def needs_render(cert: Certificate, store: Store) -> bool:
    return (
        cert.pdf_sha256 is None
        or cert.pdf_template_version != TEMPLATE_VERSION
        or store.modified(storage_key(cert)) is None
    )


def write_pdf(data: dict[str, Any], store: Store, key: str) -> tuple[bytes, str]:
    """Render ``data`` and store it under ``key``; return the PDF and its SHA-256 (pure: no database)."""
    from certificates.render import render_certificate_pdf

    pdf = render_certificate_pdf(data)
    store.write(key, pdf)
    return pdf, hashlib.sha256(pdf).hexdigest()


def record_render(cert: Certificate, sha: str) -> None:
    if cert.pdf_sha256 and cert.pdf_sha256 != sha:
        cert.pdf_previous_sha256 = [*(cert.pdf_previous_sha256 or []), cert.pdf_sha256][-10:]
    cert.pdf_sha256 = sha
    cert.pdf_template_version = TEMPLATE_VERSION


def ensure_pdf(session: Session, cert: Certificate, settings: CertificateSettings | None = None) -> bytes:
    """The stored PDF of ``cert``, rendered now if missing or made with an older template (one read of
    the store when it is there)."""
    settings = settings or get_settings()
    key = storage_key(cert)
    if cert.pdf_sha256 is not None and cert.pdf_template_version == TEMPLATE_VERSION:
        pdf = settings.store.read(key)
        if pdf is not None:
            return pdf
    pdf, sha = write_pdf(render_data(cert, verify_url_for(cert.verification_code, settings)), settings.store, key)
    record_render(cert, sha)
    session.flush()
    return pdf


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


def _worker_render(job: tuple[int, dict, Store, str]) -> tuple[int, str | None, str]:
    cert_id, data, store, key = job
    try:
        return cert_id, write_pdf(data, store, key)[1], ""
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
                    if not force and not needs_render(cert, settings.store):
                        stats.up_to_date += 1
                        if progress:
                            progress(1)
                        continue
                    url = verify_url_for(cert.verification_code, settings)
                    jobs.append((cert.id, render_data(cert, url), settings.store, storage_key(cert)))
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
