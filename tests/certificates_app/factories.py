"""Builders for certificate tests: courses (directly with the courses model) and certificates."""

from __future__ import annotations

import itertools
from datetime import date

from certificates import services
from lms.time import local_today
from tests.factories import make_course, make_official

_seq = itertools.count(1)


def make_certificate(session, official=None, course=None, *, score=85, issued_on=None, source=None, **kw):
    official = official or make_official(session)
    course = course or make_course(session)
    cert = services.issue_certificate(
        session,
        official,
        course,
        score,
        source or f"test:{next(_seq)}",
        issued_on or local_today(),
        **kw,
    )
    session.commit()  # the PDF is rendered after the commit
    return cert


def pdf_text(pdf: bytes) -> str:
    import io
    import unicodedata

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(unicodedata.normalize("NFC", " ".join(p.extract_text() for p in reader.pages)).split())


TODAY = date(2026, 3, 5)
