"""Builders for training tests: ``make_session(session, **overrides)``."""

from __future__ import annotations

import itertools
from datetime import timedelta

from lms.time import utcnow
from lms.topics import Topic
from training import services
from training.models import SessionKind

_seq = itertools.count(1)


def make_session(session, *, starts_in=timedelta(days=2), hours=3, actor=None, **overrides):
    """A scheduled classroom session starting ``starts_in`` from now (real clock: views use it too)."""
    n = next(_seq)
    start = (utcnow() + starts_in).replace(microsecond=0)
    values = {
        "title": f"Tập huấn thử {n}",
        "topic": Topic.EMAIL,
        "kind": SessionKind.CLASSROOM,
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "place": "Hội trường tầng 2",
        "capacity": 10,
    }
    values.update(overrides)
    training_session, _warnings = services.create_training_session(
        session, services.TrainingSessionInput(**values), actor
    )
    session.flush()
    return training_session
