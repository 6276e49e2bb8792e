"""Builders for the quizzes app tests: ``make_bank``, ``make_quiz``, ``make_attempt``."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime

from lms.topics import Topic
from quizzes import services
from quizzes.gift import QuestionData
from quizzes.models import Attempt, QuestionCategory, Quiz
from tests.quizzes.helpers import RAW, build

_seq = itertools.count(1)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
QTYPES = list(RAW)


def question(
    qtype: str = "single", title: str | None = None, category: str = "email/chung", **overrides
) -> QuestionData:
    n = next(_seq)
    values = {
        "qtype": qtype,
        "title": title or f"Q-{qtype}-{n}",
        "text": f"<p>Câu hỏi {qtype} số {n}?</p>",
        "category": category,
        "config": build(qtype),
        "general_feedback": "<p>GIAI-THICH-CHUNG</p>",
    }
    values.update(overrides)
    return QuestionData(**values)


def make_bank(
    session, topic: Topic = Topic.EMAIL, per_category: dict[str, int] | None = None, qtypes: list[str] | None = None
) -> dict[str, QuestionCategory]:
    """Questions in categories ``{path: count}``; types cycle through ``qtypes`` (default: single)."""
    per_category = per_category or {f"{topic.value}/chung": 5}
    kinds = itertools.cycle(qtypes or ["single"])
    data = [question(next(kinds), category=path) for path, count in per_category.items() for _ in range(count)]
    services.import_questions(session, data, topic, NOW)
    session.flush()
    return {path: session.query(QuestionCategory).filter_by(path=path).one() for path in per_category}


def make_quiz(
    session, categories: dict[str, QuestionCategory] | None = None, counts: dict[str, int] | None = None, **overrides
) -> Quiz:
    """A published quiz drawing ``counts[path]`` (default: all) questions from each category."""
    if categories is None:
        categories = make_bank(session)
    values = {
        "title": f"Bài kiểm tra {next(_seq)}",
        "published": True,
        "attempts_allowed": 3,
        "pass_percent": 70.0,
        "time_limit_minutes": 30,
    }
    values.update(overrides)
    quiz = Quiz(**values)
    session.add(quiz)
    session.flush()
    draws = {}
    for path, category in categories.items():
        draws[category.id] = (counts or {}).get(path) or len(category.questions)
    services.set_draws(session, quiz, draws)
    return quiz


def make_attempt(session, quiz: Quiz, official, now: datetime = NOW, seed: int | None = 7) -> Attempt:
    return services.start_attempt(session, quiz, official, now, seed=seed)


def raw_config(qtype: str) -> dict:
    return copy.deepcopy(RAW[qtype])
