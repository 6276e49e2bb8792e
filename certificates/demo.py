"""Demo step: certificates for a share of the officials, incl. the demo learner (one expiring soon)."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

from sqlalchemy import select

from certificates import services
from courses import api as courses_api
from lms.demo import DemoContext
from lms.demo_data import issuer_on
from lms.org.models import Official
from lms.time import local_today


def build_certificates(ctx: DemoContext) -> None:
    session = ctx.session
    courses = courses_api.list_courses(session, order_by="slug")
    if not courses:
        return
    # PDFs are rendered on first download (no public URL is known while the demo is built).
    settings = dataclasses.replace(services.get_settings(), render_on_issue=False)
    today = local_today()
    rng = random.Random(ctx.seed + 30)
    issued = 0
    learner = ctx.accounts.get("canbo")
    if learner is not None and learner.official is not None:
        first = courses[0]
        months = first.validity_months or 24
        # issued long enough ago that it expires in about three weeks: a reminder shows on the dashboard
        day = services.add_months(today + timedelta(days=20), -months)
        services.issue_certificate(
            session, learner.official, first, 86, "demo:canbo:1", day, settings=issuer_on(settings, day)
        )
        issued += 1
        if len(courses) > 1:
            services.issue_certificate(
                session,
                learner.official,
                courses[1],
                92.5,
                "demo:canbo:2",
                today - timedelta(days=12),
                settings=issuer_on(settings, today - timedelta(days=12)),
            )
            issued += 1
    officials = session.scalars(select(Official).where(Official.active.is_(True)).order_by(Official.id)).all()
    for official in officials:
        if rng.random() > 0.15:
            continue
        course = rng.choice(courses)
        day = today - timedelta(days=rng.randint(1, 900))
        score = rng.randint(70, 100)
        services.issue_certificate(
            session, official, course, score, f"demo:{official.id}", day, settings=issuer_on(settings, day)
        )
        issued += 1
    reminders = services.queue_expiry_reminders(session, today, 30)
    ctx.echo(f"    {issued} certificates, {len(reminders)} expiry reminders")
