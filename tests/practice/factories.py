"""Practice builders for other features' tests: a scenario on any course, an exercise passed."""

from __future__ import annotations

import itertools
from pathlib import Path

from practice import services
from practice.loader import read_scenario, replay
from practice.models import PracticeApp, Scenario

CONTENT = Path(__file__).resolve().parents[2] / "courses" / "content"
#: one small bundled scenario per application, reused on any course
TEMPLATES = {
    "qlvb": CONTENT / "qlvb/practice/05-uy-quyen-khi-nghi-phep.md",
    "portal": CONTENT / "portal/practice/05-go-trang-thu-tuc-da-cu.md",
    "email": CONTENT / "email/practice/03-tra-loi-tu-dong-khi-nghi-phep.md",
}
_seq = itertools.count(1)


def make_scenario(session, course, app: str = "email", **overrides) -> Scenario:
    """A published scenario of ``course`` (its topic), with a bundled scenario's spec."""
    source = read_scenario(TEMPLATES[app])
    n = next(_seq)
    values = {
        "course_id": course.id,
        "course_title": course.title,
        "slug": f"bai-thu-{n}",
        "position": n,
        "app": PracticeApp(app),
        "topic": course.topic,
        "title": f"Bài thực hành thử {n}",
        "competency": source.competency,
        "task_md": source.task_md,
        "task_html": source.task_md,
        "spec": source.spec,
        "spec_hash": source.spec_hash,
        "published": True,
    }
    values.update(overrides)
    scenario = Scenario(**values)
    session.add(scenario)
    session.flush()
    return scenario


def pass_exercise(session, official, scenario, at=None):
    """The official does the scenario right and checks it (the signals are sent as in the app)."""
    run = services.start_run(session, official, scenario, now=at)
    run.state = replay(services.replica_of(scenario), scenario.spec["setup"], scenario.spec["solution"])
    report = services.check_run(session, run, now=at)
    assert report.passed
    return run
