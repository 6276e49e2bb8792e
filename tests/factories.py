"""Test data builders: ``make_*(session, **overrides)`` with sensible defaults."""

from __future__ import annotations

import itertools

from courses.loader import render_markdown
from courses.models import Course, Lesson
from lms.auth.models import Role, User
from lms.auth.services import assign_role, create_user, start_session
from lms.org.models import Category, Level, Official, Position, Unit, UnitKind
from lms.org.services import save_official, save_unit
from lms.time import utcnow
from lms.topics import Topic

_seq = itertools.count(1)
PASSWORD = "Secret-pass-123"


def make_unit(session, **overrides) -> Unit:
    n = next(_seq)
    values = {"code": f"U{n:04d}", "name": f"Đơn vị thử {n}", "kind": UnitKind.SO_BAN_NGANH}
    values.update(overrides)
    return save_unit(session, Unit(**values))


def make_official(session, unit: Unit | None = None, **overrides) -> Official:
    n = next(_seq)
    unit = unit or make_unit(session)
    values = {
        "code": f"T-{n:06d}",
        "family_name": "Nguyễn",
        "middle_name": "Văn",
        "given_name": f"Thử{n}",
        "email": f"nguoi{n}@example.gov.vn",
        "unit_id": unit.id,
        "position": Position.SPECIALIST,
        "category": Category.CONG_CHUC,
        "level": Level.TINH,
        "birth_year": 1980,
    }
    values.update(overrides)
    return save_official(session, Official(**values))


def make_user(session, role: Role = Role.OFFICIAL, unit: Unit | None = None, *, official=True, **overrides) -> User:
    """An account; officials and unit heads get an Official record in ``unit``."""
    n = next(_seq)
    person = None
    if official and role in (Role.OFFICIAL, Role.UNIT_HEAD):
        person = make_official(session, unit=unit)
        unit = person.unit
    user = create_user(
        session,
        overrides.pop("username", f"user{n}"),
        overrides.pop("password", PASSWORD),
        official=person,
        must_change_password=overrides.pop("must_change_password", False),
        **overrides,
    )
    if role != Role.OFFICIAL:
        assign_role(session, user, user, role, unit if role == Role.UNIT_HEAD else None)
    session.commit()
    return user


def make_course(session, topic: Topic = Topic.EMAIL, *, lessons: int = 0, **overrides) -> Course:
    """A published course of ``topic`` with ``lessons`` published lessons; its certificates are valid
    24 months unless ``validity_months`` says otherwise (None: they never expire)."""
    n = next(_seq)
    values = {
        "slug": f"khoa-thu-{n}",
        "topic": topic,
        "title": f"Khóa học thử {n}",
        "summary": "Tóm tắt khóa học thử",
        "published": True,
        "competency": ["IU06"],
        "validity_months": 24,
        "lessons": [],
    }
    values.update(overrides)
    course = Course(**values)
    course.refresh_derived()
    session.add(course)
    for i in range(1, lessons + 1):
        body = f"## Mục {i}\n\nNội dung bài {i}."
        course.lessons.append(
            Lesson(
                slug=f"bai-{i}",
                position=i,
                title=f"Bài {i}",
                minutes=10,
                objectives=[],
                competency=[],
                body_md=body,
                body_html=render_markdown(body, course.slug),
                published=True,
            )
        )
    session.flush()
    if values["validity_months"] is None:  # an explicit None would otherwise take the column default
        course.validity_months = None
        session.flush()
    return course


def login_as(client, user: User) -> None:
    """Log the test client in as ``user`` without going through the form: a new login session
    (committed), named in the client's cookie."""
    from lms.extensions import db

    login = start_session(db.session, user, utcnow())
    db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = login.login_id
        sess["_fresh"] = True
