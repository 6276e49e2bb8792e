"""Demo step: the four question banks, one final quiz per course, a few attempts for ``canbo``."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from courses import api as courses_api
from lms.demo import DemoContext
from lms.time import utcnow
from lms.topics import Topic
from quizzes import gift, services
from quizzes.models import GradingMethod, QuestionCategory, Quiz, ReviewMode

BANKS = Path(__file__).resolve().parent / "banks"
FINAL_QUESTIONS = 20


def build_quizzes(ctx: DemoContext) -> None:
    session = ctx.session
    now = utcnow()
    total = 0
    for topic in Topic:
        path = BANKS / f"{topic.value}.gift"
        if not path.exists():
            continue
        result = gift.parse_gift(gift.read_text_file(path.read_bytes()))
        if result.errors:
            raise RuntimeError(f"{path.name}: {result.errors[0]}")
        total += services.import_questions(session, result.questions, topic, now).created
    ctx.echo(f"    {total} questions in the bank")

    quizzes = []
    for course in courses_api.list_courses(session, order_by="id"):
        categories = list(
            session.scalars(
                select(QuestionCategory).where(QuestionCategory.topic == course.topic).order_by(QuestionCategory.path)
            )
        )
        if not categories:
            continue
        quiz = Quiz(
            course_id=course.id,
            topic=course.topic,
            title=f"Kiểm tra cuối khóa: {course.title}",
            description="20 câu hỏi rút ngẫu nhiên từ các bài học của khóa. Đạt từ 70% điểm trở lên.",
            is_final=True,
            time_limit_minutes=30,
            attempts_allowed=3,
            pass_percent=70.0,
            grading_method=GradingMethod.HIGHEST,
            review_mode=ReviewMode.FULL,
            published=True,
        )
        session.add(quiz)
        session.flush()
        services.set_draws(session, quiz, _spread(categories, FINAL_QUESTIONS))
        quizzes.append(quiz)
    ctx.echo(f"    {len(quizzes)} final quizzes")
    _canbo_attempts(ctx, quizzes, now)


def _spread(categories: list[QuestionCategory], wanted: int) -> dict[int, int]:
    """``wanted`` questions spread evenly over the categories (no more than each one holds)."""
    counts = {c.id: 0 for c in categories}
    sizes = {c.id: len([q for q in c.questions if not q.archived]) for c in categories}
    left = min(wanted, sum(sizes.values()))
    while left:
        for c in categories:
            if left and counts[c.id] < sizes[c.id]:
                counts[c.id] += 1
                left -= 1
    return counts


def _canbo_attempts(ctx: DemoContext, quizzes: list[Quiz], now) -> None:
    user = ctx.accounts.get("canbo")
    if user is None or user.official is None or not quizzes:
        return
    session = ctx.session
    rng = random.Random(ctx.seed + 20)
    quiz = quizzes[0]
    courses_api.enrol(session, user.official_id, quiz.course_id)
    for days_ago, skill in ((6, 0.45), (3, 0.8)):
        started = now - timedelta(days=days_ago, minutes=40)
        attempt = services.start_attempt(session, quiz, user.official, started, seed=rng.randrange(2**31 - 1))
        for slot in attempt.slots:
            answer = _answer(slot, rng, skill)
            if answer is not None:
                services.save_answer(session, attempt, slot.slot_no, answer, started + timedelta(minutes=slot.slot_no))
        services.submit_attempt(session, attempt.id, started + timedelta(minutes=25))
    ctx.echo("    2 graded attempts for canbo")


def _answer(slot, rng: random.Random, skill: float) -> dict | None:
    """Form fields answering a single/multi/true-false slot, right with probability ``skill``."""
    version = slot.question_version
    qtype, config, prefix = version.question.qtype, version.config, services.slot_prefix(slot.slot_no)
    right = rng.random() < skill
    if qtype == "truefalse":
        return {prefix: "true" if config["correct"] == right else "false"}
    if qtype in ("single", "multi"):
        options = config["options"]
        good = [o["id"] for o in options if o["fraction"] > 0]
        bad = [o["id"] for o in options if o["fraction"] <= 0] or good
        chosen = good if right else [rng.choice(bad)]
        return {prefix: chosen if qtype == "multi" else chosen[0]}
    return None
