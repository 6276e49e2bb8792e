"""Builders for certificate tests: courses (directly with the courses model) and certificates."""

from __future__ import annotations

import itertools
from datetime import date

from certificates import services
from courses.models import Course
from lms.time import local_today
from lms.topics import Topic
from tests.factories import make_official

_seq = itertools.count(1)


def make_course(session, **overrides) -> Course:
    n = next(_seq)
    values = {
        "slug": f"khoa-hoc-{n}",
        "title": f"An toàn thông tin cơ bản {n}",
        "topic": Topic.SECURITY,
        "validity_months": 24,
        "published": True,
    }
    values.update(overrides)
    course = Course(**values)
    session.add(course)
    session.flush()
    if values["validity_months"] is None:  # an explicit None would otherwise take the column default
        course.validity_months = None
        session.flush()
    return course


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
