"""Demo step: load the four bundled courses, enrol a share of officials, mark a few lessons done."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from courses.loader import load_all
from courses.models import EnrolmentSource
from courses.services import assign_course, enrol, mark_lesson_done
from lms.demo import DemoContext
from lms.org.models import Official
from lms.time import local_today


def build_courses(ctx: DemoContext) -> None:
    session = ctx.session
    courses = load_all(session)
    ctx.echo(f"    {len(courses)} courses, {sum(len(c.lessons) for c in courses)} lessons")
    rng = random.Random(ctx.seed + 10)
    official_ids = list(session.scalars(select(Official.id).where(Official.active.is_(True)).order_by(Official.id)))
    enrolled = 0
    for official_id in official_ids:
        if rng.random() > 0.3:
            continue
        course = rng.choice(courses)
        enrol(session, official_id, course.id, EnrolmentSource.SELF)
        enrolled += 1
        for lesson in course.published_lessons[: rng.randint(0, 3)]:
            mark_lesson_done(session, official_id, lesson)
    head = ctx.accounts.get("truongdonvi")
    if head is not None and head.official is not None:
        security = next((c for c in courses if c.slug == "security"), None)
        if security is not None:
            assign_course(
                session,
                head,
                security,
                local_today() + timedelta(days=30),
                unit_id=head.official.unit_id,
                note="Giao trong dữ liệu mẫu",
            )
    ctx.echo(f"    {enrolled} self-enrolments, one unit assignment")
