"""Demo step "practice": practice results for part of the demo province's officials.

The scenarios come with the bundled courses (the courses step loads them). About two officials in
five have practised one to four exercises over the last six weeks: most passed, some after a failed
check or two, some are still in progress (half of the steps done, a failed check). The demo official
``canbo`` has one exercise passed and one in progress; the demo unit head's unit has results to
show. Deterministic for the seed; states are the scenarios' own reference solutions (or their first
half), with the official's name on the learner's persona.
"""

from __future__ import annotations

import copy
import random
from datetime import timedelta

from sqlalchemy import select

from lms.org.models import Official
from lms.time import utcnow
from practice import services
from practice.loader import replay
from practice.models import PracticeRun, PracticeTry
from practice.replicas.base import evaluate_checks

SHARE = 0.4  # of active officials who have practised
PASS_RATE = 0.72


def _prepared(scenario):
    """(solved state, partial state, outcome of checking each), computed once per scenario."""
    replica = services.replica_of(scenario)
    setup, steps = scenario.spec["setup"], scenario.spec["solution"]
    solved = replay(replica, setup, steps)
    partial = replay(replica, setup, steps[: len(steps) // 2])
    checks = scenario.spec["checks"]
    return {
        "replica": replica,
        "solved": solved,
        "partial": partial,
        "steps": len(steps),
        "solved_result": _result(evaluate_checks(solved, checks, replica.checks)),
        "partial_outcomes": evaluate_checks(partial, checks, replica.checks),
    }


def _result(outcomes) -> list[dict]:
    return [
        {"label": o.label, "passed": o.passed, "hints": o.hints, "conditions": [f.condition for f in o.failures]}
        for o in outcomes
    ]


def _failed(outcomes) -> list[dict]:
    return [{"check": o.index, "condition": f.condition} for o in outcomes for f in o.failures]


def build_practice(ctx) -> None:
    session = ctx.session
    scenarios = services.published_scenarios(session)
    if not scenarios:
        ctx.echo("    no practice scenarios: practice skipped")
        return
    prepared = {s.id: _prepared(s) for s in scenarios}
    rng = random.Random(ctx.seed + 65)
    now = utcnow()
    officials = list(session.scalars(select(Official).where(Official.active.is_(True)).order_by(Official.id)))
    plans: list[tuple[Official, object, bool]] = []
    demo_official = ctx.accounts["canbo"].official_id if "canbo" in ctx.accounts else None
    for official in officials:
        if official.id == demo_official:
            plans += [(official, scenarios[0], True), (official, scenarios[-1], False)]
            continue
        if rng.random() >= SHARE:
            continue
        for scenario in rng.sample(scenarios, rng.choice((1, 1, 2, 2, 3, 4))):
            plans.append((official, scenario, rng.random() < PASS_RATE))
    runs, tries = [], []
    for official, scenario, passed in plans:
        info = prepared[scenario.id]
        state = copy.deepcopy(info["solved"] if passed else info["partial"])
        info["replica"].personalise(state, official.full_name, official.email)
        started = now - timedelta(days=rng.randint(1, 42), hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
        failed_first = rng.choice((0, 0, 1, 1, 2)) if passed else rng.choice((0, 1, 2))
        moments = [started + timedelta(minutes=6 * (i + 1) + rng.randint(0, 5)) for i in range(failed_first + passed)]
        run = PracticeRun(
            official_id=official.id,
            scenario_id=scenario.id,
            spec_hash=scenario.spec_hash,
            state=state,
            steps=info["steps"] if passed else info["steps"] // 2,
            tries=len(moments),
            last_passed=passed,
            last_result=info["solved_result"] if passed else (_result(info["partial_outcomes"]) if moments else []),
            first_passed_at=moments[-1] if passed else None,
            tries_to_pass=len(moments) if passed else None,
            started_at=started,
            updated_at=moments[-1] if moments else started + timedelta(minutes=4),
        )
        runs.append(run)
        tries.append((run, moments, passed, _failed(info["partial_outcomes"])))
    session.add_all(runs)
    session.flush()
    for run, moments, passed, failed in tries:
        for number, at in enumerate(moments, start=1):
            last = passed and number == len(moments)
            session.add(PracticeTry(run_id=run.id, number=number, at=at, passed=last, failed=[] if last else failed))
    session.flush()
    people = len({o.id for o, _s, _p in plans})
    ctx.echo(f"    {len(runs)} practice runs of {people} officials, {sum(p for _o, _s, p in plans)} passed")
