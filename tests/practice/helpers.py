"""Loading the bundled courses with their practice scenarios."""

from __future__ import annotations

from sqlalchemy import select

from courses.loader import content_root, load_course_dir
from practice.models import Scenario


def load_course_with_practice(session, slug: str):
    """One bundled course; its scenarios come with it (``course_loaded``), as with ``flask lms import-course``."""
    course = load_course_dir(session, content_root() / slug)
    scenarios = session.scalars(
        select(Scenario)
        .where(Scenario.course_id == course.id, Scenario.published.is_(True))
        .order_by(Scenario.position)
    ).all()
    return course, list(scenarios)


def load_all_practice(session) -> list[Scenario]:
    out = []
    for slug in ("qlvb", "portal", "email", "security"):
        out += load_course_with_practice(session, slug)[1]
    return out
