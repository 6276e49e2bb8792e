"""Authorization matrix entries of the practice blueprint."""

from __future__ import annotations

PUBLIC = "public"
ANY = "any"
STAFF = {"it_staff", "admin"}
MANAGERS = {"unit_head", "it_staff", "admin"}
LEARNERS = {"official", "unit_head"}  # accounts linked to an official practise (their own runs only)

EXPECTED: dict[str, object] = {
    "practice.index": LEARNERS,
    "practice.scenario": LEARNERS,
    "practice.start": LEARNERS,
    "practice.restart": LEARNERS,
    "practice.workspace": LEARNERS,
    "practice.act": LEARNERS,
    "practice.check": LEARNERS,
    "practice.result": LEARNERS,
    "practice.my_unit": MANAGERS,
    "practice.unit": MANAGERS,  # object rule: a unit head sees their own unit only (403 otherwise)
    "practice.units": STAFF,
    "practice.manage": STAFF,
    "practice.set_requirement": STAFF,
}


def values(session, users) -> dict:
    from practice import services
    from tests.practice.helpers import load_course_with_practice

    course, scenarios = load_course_with_practice(session, "email")
    official = users["official"].official
    services.start_run(session, official, scenarios[0])
    session.commit()
    return {"scenario_id": scenarios[0].id, "course_id": course.id, "action": "move"}
