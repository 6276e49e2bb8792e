"""Template data for the dashboard panels, and the receivers of the kernel's signals."""

from __future__ import annotations

from pathlib import Path

from lms.extensions import db
from lms.org.models import Unit
from practice import services
from practice.permissions import can_practise, heads_a_unit


def panel_data(user) -> dict:
    """The officials' panel (exercises passed, the next one) and the unit heads' panel (their units)."""
    out: dict = {}
    if can_practise(user):
        scenarios = services.published_scenarios(db.session)
        runs = services.runs_by_scenario(db.session, user.official_id)
        passed = [s for s in scenarios if s.id in runs and runs[s.id].passed]
        in_progress = [s for s in scenarios if s.id in runs and not runs[s.id].passed]
        todo = [s for s in scenarios if s.id not in runs]
        out.update(
            total=len(scenarios),
            passed=len(passed),
            in_progress=in_progress[:3],
            next=(in_progress or todo or [None])[0],
        )
    if heads_a_unit(user):
        figures = services.unit_figures(db.session, user.headed_unit_ids)
        out["units"] = [(db.session.get(Unit, uid), figures.get(uid)) for uid in sorted(user.headed_unit_ids)]
        out["exercises"] = sum(services.topic_totals(db.session).values())
    return out


def on_course_loaded(session, course=None, folder=None, **_kw) -> None:
    """A course was (re)loaded from its folder: load its scenarios from ``<folder>/practice/`` (a
    missing folder unpublishes the course's scenarios). Errors name the file and the field and
    propagate, so the whole import is rolled back."""
    from practice.loader import load_practice_dir

    codes = set(course.competency or [])
    for lesson in course.lessons:
        codes.update(lesson.competency or [])
    load_practice_dir(session, course.id, course.topic, Path(folder) / "practice", codes, course.title)


def practice_requirement(session, official_id: int, course):
    """The courses' completion requirement "every practice exercise of the course passed", for the
    courses whose setting asks for it (and that have exercises); None otherwise."""
    from flask_babel import gettext as _

    from courses import api as courses_api

    if not services.course_requires_practice(session, course.id):
        return None
    passed, total = services.course_progress(session, official_id, course.id)
    if not total:
        return None
    return courses_api.RequirementResult(
        passed >= total,
        _("Làm đạt các bài thực hành của khóa học (%(p)d/%(t)d)", p=passed, t=total),
        source=f"practice:{official_id}:{course.id}" if passed >= total else None,
    )
