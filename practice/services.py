"""Practice runs: start, act, check, restart; results per official and per unit.

Plain functions taking a session and values; they flush, the request (or the CLI, or the demo)
commits once. One step of a replica is one transaction: the new state is saved at every step, so
closing the page halfway loses nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from lms import events
from lms.org.models import Official
from lms.time import utcnow
from lms.topics import Topic
from practice.models import PracticeCourseSetting, PracticeRun, PracticeTry, Scenario
from practice.replicas import REPLICAS
from practice.replicas.base import CheckOutcome, Outcome, evaluate_checks

# -- scenarios ---------------------------------------------------------------------------------------


def published_scenarios(session: Session, course_ids=None, topic: Topic | None = None) -> list[Scenario]:
    query = select(Scenario).where(Scenario.published.is_(True))
    if course_ids is not None:
        query = query.where(Scenario.course_id.in_(list(course_ids)))
    if topic is not None:
        query = query.where(Scenario.topic == topic)
    return list(session.scalars(query.order_by(Scenario.topic, Scenario.position, Scenario.id)))


def replica_of(scenario: Scenario):
    return REPLICAS[scenario.app.value]


def check_labels(scenario: Scenario) -> list[str]:
    """What will be checked, in words (the checks' labels, never the expected values)."""
    replica = replica_of(scenario)
    state = replica.initial_state(scenario.spec["setup"])
    return [o.label for o in evaluate_checks(state, scenario.spec["checks"], replica.checks)]


# -- runs --------------------------------------------------------------------------------------------


def get_run(session: Session, official_id: int, scenario_id: int, lock: bool = False) -> PracticeRun | None:
    query = select(PracticeRun).where(PracticeRun.official_id == official_id, PracticeRun.scenario_id == scenario_id)
    if lock:  # PostgreSQL: one step at a time per run (two tabs); SQLite serialises writes anyway
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).first()


def fresh_state(scenario: Scenario, official: Official) -> dict:
    """The scenario's starting state, with the official's own name on the learner's persona."""
    return replica_of(scenario).initial_state(scenario.spec["setup"], official.full_name, official.email)


def start_run(session: Session, official: Official, scenario: Scenario, now: datetime | None = None) -> PracticeRun:
    """The official's run of the scenario: created at the first visit, resumed afterwards.

    A run started on an older version of the scenario starts again from the new starting state
    (its tries and first success are kept)."""
    run = get_run(session, official.id, scenario.id)
    now = now or utcnow()
    if run is None:
        run = PracticeRun(
            official_id=official.id,
            scenario_id=scenario.id,
            spec_hash=scenario.spec_hash,
            state=fresh_state(scenario, official),
            steps=0,
            tries=0,
            last_result=[],
            started_at=now,
            updated_at=now,
        )
        session.add(run)
        session.flush()
    elif run.spec_hash != scenario.spec_hash:
        _reset(run, scenario, official, now)
        session.flush()
    return run


def _reset(run: PracticeRun, scenario: Scenario, official: Official, now: datetime) -> None:
    run.state = fresh_state(scenario, official)
    run.spec_hash = scenario.spec_hash
    run.steps = 0
    run.last_passed = False
    run.last_result = []
    run.started_at = now
    run.updated_at = now


def restart_run(session: Session, run: PracticeRun, now: datetime | None = None) -> PracticeRun:
    """Start the exercise again from the beginning (tries and the first success are kept)."""
    _reset(run, run.scenario, run.official, now or utcnow())
    session.flush()
    return run


def apply_action(session: Session, run: PracticeRun, action: str, data, now: datetime | None = None) -> Outcome:
    """One step in the replica: run the action on the saved state and save the new state.

    ``ActionError`` (a user error in the form) leaves the run unchanged; ``KeyError`` means the
    action does not exist in this replica (the view answers 404)."""
    replica = replica_of(run.scenario)
    if action not in replica.actions:
        raise KeyError(action)
    new_state, outcome = replica.act(run.state, action, data)
    run.state = new_state
    run.steps += 1
    run.updated_at = now or utcnow()
    session.flush()
    return outcome


@dataclass
class CheckReport:
    passed: bool
    first_success: bool
    outcomes: list[CheckOutcome]
    try_number: int


def check_run(session: Session, run: PracticeRun, now: datetime | None = None) -> CheckReport:
    """ "Check my work": evaluate every check on the current state and record the try.

    The first complete success is kept on the run with the number of tries it took, and sent once as
    ``practice_passed`` (competency and course completion react to it in the same transaction)."""
    now = now or utcnow()
    scenario = run.scenario
    replica = replica_of(scenario)
    outcomes = evaluate_checks(run.state, scenario.spec["checks"], replica.checks)
    passed = all(o.passed for o in outcomes)
    run.tries += 1
    run.last_passed = passed
    run.last_result = [
        {"label": o.label, "passed": o.passed, "hints": o.hints, "conditions": [f.condition for f in o.failures]}
        for o in outcomes
    ]
    run.updated_at = now
    session.add(
        PracticeTry(
            run_id=run.id,
            number=run.tries,
            at=now,
            passed=passed,
            failed=[{"check": o.index, "condition": f.condition} for o in outcomes for f in o.failures],
        )
    )
    first = passed and run.first_passed_at is None
    if first:
        run.first_passed_at = now
        run.tries_to_pass = run.tries
    session.flush()
    if first:
        events.practice_passed.send(
            session,
            official_id=run.official_id,
            scenario_id=scenario.id,
            course_id=scenario.course_id,
            topic=Topic(scenario.topic).value,
            passed_at=now,
            tries=run.tries,
        )
        if course_requires_practice(session, scenario.course_id):
            events.course_requirement_met.send(
                session,
                official_id=run.official_id,
                course_id=scenario.course_id,
                source=f"practice:{run.official_id}:{scenario.course_id}",
                now=now,
            )
    return CheckReport(passed, first, outcomes, run.tries)


# -- results -----------------------------------------------------------------------------------------


def runs_by_scenario(session: Session, official_id: int) -> dict[int, PracticeRun]:
    return {
        r.scenario_id: r for r in session.scalars(select(PracticeRun).where(PracticeRun.official_id == official_id))
    }


@dataclass(frozen=True)
class Figures:
    """Practice figures of one official in one topic (or a group, summed)."""

    passed: int = 0
    started: int = 0
    total: int = 0
    tries: int = 0

    @property
    def percent(self) -> float:
        return round(100.0 * self.passed / self.total, 1) if self.total else 0.0


def topic_totals(session: Session) -> dict[str, int]:
    """Published scenarios per topic."""
    rows = session.execute(
        select(Scenario.topic, func.count(Scenario.id)).where(Scenario.published.is_(True)).group_by(Scenario.topic)
    )
    return {Topic(t).value: n for t, n in rows}


def figures_by_official(
    session: Session, official_ids=None, topic: Topic | None = None
) -> dict[tuple[int, str], Figures]:
    """{(official_id, topic): Figures} over published scenarios, from one GROUP BY."""
    passed = case((PracticeRun.first_passed_at.is_not(None), 1), else_=0)
    query = (
        select(
            PracticeRun.official_id,
            Scenario.topic,
            func.sum(passed),
            func.count(PracticeRun.id),
            func.coalesce(func.sum(PracticeRun.tries), 0),
        )
        .join(Scenario, and_(Scenario.id == PracticeRun.scenario_id, Scenario.published.is_(True)))
        .group_by(PracticeRun.official_id, Scenario.topic)
    )
    if official_ids is not None:
        query = query.where(PracticeRun.official_id.in_(list(official_ids)))
    if topic is not None:
        query = query.where(Scenario.topic == topic)
    totals = topic_totals(session)
    out = {}
    for official_id, scenario_topic, n_passed, n_started, n_tries in session.execute(query):
        key = Topic(scenario_topic).value
        out[(official_id, key)] = Figures(int(n_passed or 0), int(n_started), totals.get(key, 0), int(n_tries))
    return out


@dataclass
class StaffRow:
    official: Official
    by_topic: dict[str, Figures]
    passed: int
    total: int
    tries: int
    last_activity: datetime | None


def _has_passed():
    """Official has passed at least one published exercise: the ``passing`` of ``unit_figures``."""
    return (
        select(PracticeRun.id)
        .join(Scenario, and_(Scenario.id == PracticeRun.scenario_id, Scenario.published.is_(True)))
        .where(PracticeRun.official_id == Official.id, PracticeRun.first_passed_at.is_not(None))
        .exists()
    )


def unit_staff_results(session: Session, unit_id: int, page: int = 1, per_page: int = 25, passed_only: bool = False):
    """The active officials of one unit with their practice figures per topic (paginated by name);
    ``passed_only``: only those who passed at least one exercise (the ``passing`` count's list)."""
    base = select(Official).where(Official.unit_id == unit_id, Official.active.is_(True))
    if passed_only:
        base = base.where(_has_passed())
    total_rows = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    officials = list(
        session.scalars(base.order_by(Official.sort_key, Official.id).limit(per_page).offset((page - 1) * per_page))
    )
    ids = [o.id for o in officials]
    figures = figures_by_official(session, ids) if ids else {}
    last = (
        dict(
            session.execute(
                select(PracticeRun.official_id, func.max(PracticeRun.updated_at))
                .where(PracticeRun.official_id.in_(ids))
                .group_by(PracticeRun.official_id)
            ).all()
        )
        if ids
        else {}
    )
    totals = topic_totals(session)
    rows = []
    for official in officials:
        by_topic = {t.value: figures.get((official.id, t.value), Figures(total=totals.get(t.value, 0))) for t in Topic}
        rows.append(
            StaffRow(
                official=official,
                by_topic=by_topic,
                passed=sum(f.passed for f in by_topic.values()),
                total=sum(totals.values()),
                tries=sum(f.tries for f in by_topic.values()),
                last_activity=_aware(last.get(official.id)),
            )
        )
    return rows, total_rows


def _aware(value):
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class UnitFigures:
    officials: int
    practising: int  # officials with at least one run
    passing: int  # officials with at least one exercise passed
    passes: int  # exercises passed, all officials
    mean_percent: float  # mean over active officials of their share of exercises passed


def unit_figures(session: Session, unit_ids=None) -> dict[int, UnitFigures]:
    """Per unit: how many of its active officials practise and pass (the unit heads' and IT staff's view)."""
    per_official = (
        select(
            PracticeRun.official_id.label("official_id"),
            func.sum(case((PracticeRun.first_passed_at.is_not(None), 1), else_=0)).label("passed"),
        )
        .join(Scenario, and_(Scenario.id == PracticeRun.scenario_id, Scenario.published.is_(True)))
        .group_by(PracticeRun.official_id)
        .subquery()
    )
    query = (
        select(
            Official.unit_id,
            func.count(Official.id),
            func.count(per_official.c.official_id),
            func.sum(case((per_official.c.passed > 0, 1), else_=0)),
            func.coalesce(func.sum(per_official.c.passed), 0),
        )
        .outerjoin(per_official, per_official.c.official_id == Official.id)
        .where(Official.active.is_(True))
        .group_by(Official.unit_id)
    )
    if unit_ids is not None:
        query = query.where(Official.unit_id.in_(list(unit_ids)))
    total = sum(topic_totals(session).values())
    out = {}
    for unit_id, officials, practising, passing, passes in session.execute(query):
        mean = 100.0 * int(passes) / (total * officials) if total and officials else 0.0
        out[unit_id] = UnitFigures(int(officials), int(practising), int(passing or 0), int(passes), round(mean, 1))
    return out


# -- the per-course requirement ----------------------------------------------------------------------


def course_requires_practice(session: Session, course_id: int) -> bool:
    setting = session.get(PracticeCourseSetting, course_id)
    return bool(setting and setting.required)


def set_course_requirement(session: Session, course_id: int, required: bool, user_id: int | None) -> None:
    setting = session.get(PracticeCourseSetting, course_id)
    if setting is None:
        setting = PracticeCourseSetting(course_id=course_id)
        session.add(setting)
    setting.required = bool(required)
    setting.updated_by_id = user_id
    setting.updated_at = utcnow()
    session.flush()


def course_progress(session: Session, official_id: int, course_id: int) -> tuple[int, int]:
    """(exercises of the course passed by the official, published exercises of the course)."""
    scenario_ids = [s.id for s in published_scenarios(session, [course_id])]
    if not scenario_ids:
        return 0, 0
    passed = session.scalar(
        select(func.count(PracticeRun.id)).where(
            PracticeRun.official_id == official_id,
            PracticeRun.scenario_id.in_(scenario_ids),
            PracticeRun.first_passed_at.is_not(None),
        )
    )
    return int(passed or 0), len(scenario_ids)


def scenarios_by_course(session: Session) -> dict[int, list[Scenario]]:
    out: dict[int, list[Scenario]] = defaultdict(list)
    for scenario in published_scenarios(session):
        out[scenario.course_id].append(scenario)
    return out
