"""Demo step "history": six months of learning in the demo province, then monthly snapshots.

Deterministic for the seed. Participation varies by unit as the province's reports describe: most
units active, a few barely started (the units reported lowest), the IT department and the leading
district strongest; e-mail and the portal lag behind document management. Each month: graded final
-quiz attempts (bulk ORM inserts, scores around the unit's level, retakes after a failure), a
certificate through ``issue_certificate`` for each pass (PDFs not rendered), enrolments, then the
records rebuilt from the sources (``recompute_records``, the receivers' rules) and the month's
snapshot. A few certificates from an earlier campaign (2024) are expired or about to expire.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from certificates import api as certificates_api
from competency.records import recompute_records
from competency.snapshots import month_end, take_snapshot
from courses import api as courses_api
from lms.auth.models import User
from lms.demo import DemoContext
from lms.demo_data import issuer_on
from lms.org.models import Official, Unit
from lms.time import VN_TZ, local_day, local_today
from lms.topics import Topic
from quizzes import api as quizzes_api

MONTHS = 6
#: share of a unit's officials reaching a topic within the six months = unit level x topic factor
TOPIC_FACTOR = {"qlvb": 1.0, "security": 0.85, "portal": 0.6, "email": 0.55}
BARELY_STARTED = {"SCT": 0.06, "BQLKCN": 0.04, "H-TAMDUONG": 0.08, "X-DAIDINH": 0.0}
STRONG = {"STTTT": 0.97, "VPUBND": 0.9, "H-LAPTHACH": 0.92, "TTPVHCC": 0.9}


def _unit_rng(seed: int, code: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{code}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _months(today: date) -> list[date]:
    first = today.replace(day=1)
    out = []
    for back in range(MONTHS - 1, -1, -1):
        year, month = first.year, first.month - back
        while month < 1:
            year, month = year - 1, month + 12
        out.append(date(year, month, 1))
    return out


def _moment(rng: random.Random, month: date, today: date) -> datetime:
    last = min(month_end(month), today)
    day = month + timedelta(days=rng.randint(0, (last - month).days))
    local = datetime.combine(day, time(rng.randint(8, 16), rng.randint(0, 59)), VN_TZ)
    return local.astimezone(UTC)


def build_history(ctx: DemoContext) -> None:
    session = ctx.session
    today = local_today()
    finals: dict[str, tuple] = {}  # topic -> (final quiz, its course)
    for quiz in quizzes_api.final_quizzes(session):
        course = courses_api.get_course(session, quiz.course_id)
        finals.setdefault(Topic(course.topic).value, (quiz, course))
    if not finals:
        ctx.echo("    no final quizzes: history skipped")
        return
    # demo accounts keep the data their own steps gave them
    reserved = set(session.scalars(select(User.official_id).where(User.official_id.is_not(None))))
    people = session.execute(
        select(Official.id, Official.unit_id, Unit.code)
        .join(Unit, Unit.id == Official.unit_id)
        .where(Official.active.is_(True))
        .order_by(Official.id)
    ).all()
    levels, skills = {}, {}
    for code in sorted({p.code for p in people}):
        rng = _unit_rng(ctx.seed, code)
        level = BARELY_STARTED.get(code, STRONG.get(code, rng.uniform(0.45, 0.88)))
        levels[code] = level
        skills[code] = rng.gauss(74 if code not in BARELY_STARTED else 60, 6) + (6 if code in STRONG else 0)
    rng = random.Random(ctx.seed + 60)
    officials = {p.id: p for p in people if p.id not in reserved}
    person_skill = {oid: rng.gauss(skills[p.code], 11) for oid, p in officials.items()}
    state: dict[tuple[int, str], dict] = {}  # (official, topic) -> {"n": attempts, "passed": bool}
    settings = replace(certificates_api.get_settings(), render_on_issue=False)
    enrolled = courses_api.enrolment_pairs(session)
    totals = {"attempts": 0, "certificates": 0}
    months = _months(today)

    # an earlier campaign: some security certificates from 2024, now expired or expiring
    for oid in sorted(officials):
        if rng.random() < 0.05 and "security" in finals:
            issued = today - timedelta(days=rng.randint(680, 800))
            _quiz, course = finals["security"]
            official = session.get(Official, oid)
            certificates_api.issue_certificate(
                session,
                official,
                course,
                rng.choice([75, 80, 85, 90]),
                f"demo:2024:{oid}",
                issued,
                settings=issuer_on(settings, issued),
            )
            totals["certificates"] += 1

    for month in months:
        new_attempts: list[tuple] = []  # (attempt, course)
        for oid in sorted(officials):
            p = officials[oid]
            for topic, (quiz, course) in finals.items():
                key = (oid, topic)
                st = state.get(key)
                if st is None:
                    target = min(0.99, levels[p.code] * TOPIC_FACTOR[topic])
                    q = 1 - (1 - target) ** (1 / MONTHS) if target > 0 else 0.0
                    if rng.random() >= q:
                        continue
                    st = state[key] = {"n": 0, "passed": False}
                elif st["passed"] or st["n"] >= 3 or rng.random() > 0.6:
                    continue
                tries = 1 if rng.random() < 0.75 else 2
                for _ in range(tries):
                    if st["passed"] or st["n"] >= 3:
                        break
                    st["n"] += 1
                    raw = person_skill[oid] + rng.gauss(0, 9) + 5 * (st["n"] - 1)
                    percent = float(max(10, min(100, 5 * round(raw / 5))))
                    at = _moment(rng, month, today)
                    attempt = quizzes_api.add_graded_attempt(
                        session,
                        quiz,
                        oid,
                        number=st["n"],
                        started_at=at - timedelta(minutes=25),
                        deadline_at=at + timedelta(minutes=5),
                        submitted_at=at,
                        score=percent / 5,
                        max_score=20.0,
                        percent=percent,
                        passed=percent >= quiz.pass_percent,
                        seed=rng.randrange(2**31 - 1),
                    )
                    st["passed"] = bool(attempt.passed)
                    new_attempts.append((attempt, course))
                    if (oid, course.id) not in enrolled:
                        enrolled.add((oid, course.id))
                        courses_api.add_enrolment(session, oid, course.id, at - timedelta(days=rng.randint(1, 12)))
        session.flush()
        totals["attempts"] += len(new_attempts)
        for attempt, course in new_attempts:
            if not attempt.passed:
                continue
            official = session.get(Official, attempt.official_id)
            issued_on = local_day(attempt.graded_at)
            certificates_api.issue_certificate(
                session,
                official,
                course,
                attempt.percent,
                f"attempt:{attempt.id}",
                issued_on,
                settings=issuer_on(settings, issued_on),
            )
            totals["certificates"] += 1
        as_of = min(month_end(month), today)
        recompute_records(session, today=as_of)
        take_snapshot(session, month, today=as_of)
    recompute_records(session, today=today)
    ctx.echo(
        f"    {totals['attempts']} graded attempts, {totals['certificates']} certificates, "
        f"{len(months)} monthly snapshots ({months[0]:%m/%Y}–{months[-1]:%m/%Y})"
    )
