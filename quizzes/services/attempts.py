"""Attempts: who may start one (eligibility), drawing the questions, answering, submitting and grading
exactly once, closing overdue attempts."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, object_session

from lms import events
from lms.org.models import Official
from quizzes import qtypes
from quizzes.errors import AttemptClosed, QuizError
from quizzes.models import (
    SLOT_ANSWERED,
    SLOT_TODO,
    Attempt,
    AttemptSlot,
    AttemptState,
    Question,
    QuestionVersion,
    Quiz,
    QuizDraw,
)
from quizzes.services.results import attempts_of, quiz_grade_passed
from quizzes.services.settings import get_override

DEFAULT_GRACE_SECONDS = 30  # answers still accepted this long after the deadline (network latency)


@dataclass
class Eligibility:
    allowed: bool
    reason: str = ""
    attempts_used: int = 0
    attempts_left: int | None = None  # None = unlimited
    in_progress: Attempt | None = None
    next_start_at: datetime | None = None
    time_limit_minutes: int | None = None


def eligibility(
    session: Session, quiz: Quiz, official_id: int, now: datetime, attempts: list[Attempt] | None = None
) -> Eligibility:
    """May ``official_id`` start (or resume) an attempt now? With a reason in Vietnamese.
    ``attempts``: the official's ``attempts_of`` this quiz when the caller has read them already."""
    attempts = attempts_of(session, quiz.id, official_id) if attempts is None else attempts
    override = get_override(session, quiz.id, official_id)
    extra_minutes = override.extra_minutes if override else 0
    time_limit = quiz.time_limit_minutes + extra_minutes if quiz.time_limit_minutes else None
    used = len(attempts)
    left = None
    if quiz.attempts_allowed:
        left = max(0, quiz.attempts_allowed + (override.extra_attempts if override else 0) - used)
    current = next((a for a in attempts if a.in_progress), None)
    info = Eligibility(True, "", used, left, current, None, time_limit)
    if current is not None:
        return info
    if not quiz.published:
        info.allowed, info.reason = False, "Bài kiểm tra chưa được mở."
    elif quiz.open_at and now < quiz.open_at:
        info.allowed, info.reason = False, "Bài kiểm tra chưa đến giờ mở."
    elif quiz.close_at and now >= quiz.close_at:
        info.allowed, info.reason = False, "Bài kiểm tra đã đóng."
    elif left == 0:
        info.allowed, info.reason = False, "Bạn đã dùng hết số lần làm bài."
    elif quiz.delay_minutes and attempts:
        last_end = max((a.submitted_at or a.started_at) for a in attempts)
        next_start = last_end + timedelta(minutes=quiz.delay_minutes)
        if now < next_start:
            info.allowed, info.reason, info.next_start_at = False, "Bạn cần chờ trước khi làm lại.", next_start
    return info


# the questions a new attempt may draw: not archived, with content
_DRAWABLE = (Question.archived.is_(False), Question.current_version_id.is_not(None))


@dataclass(frozen=True)
class DrawShortfall:
    """One draw of a quiz that the bank can no longer fill (questions archived, or too few)."""

    category_path: str
    available: int
    wanted: int

    @property
    def message(self) -> str:
        return f"Danh mục «{self.category_path}» chỉ có {self.available} câu hỏi, không đủ {self.wanted} câu."


def draw_shortfalls(session: Session, quiz: Quiz) -> list[DrawShortfall]:
    """The quiz's draws that ``draw_questions`` would refuse now (same pool, one query), in draw order."""
    if not quiz.draws:
        return []
    available = dict(
        session.execute(
            select(Question.category_id, func.count())
            .where(Question.category_id.in_([d.category_id for d in quiz.draws]), *_DRAWABLE)
            .group_by(Question.category_id)
        ).all()
    )
    return [
        DrawShortfall(d.category.path, available.get(d.category_id, 0), d.count)
        for d in quiz.draws
        if available.get(d.category_id, 0) < d.count
    ]


def quizzes_short_of_questions(session: Session, category_id: int) -> list[Quiz]:
    """Quizzes drawing from ``category_id`` that can no longer be filled (after an archive)."""
    quizzes = session.scalars(
        select(Quiz).join(QuizDraw).where(QuizDraw.category_id == category_id).order_by(Quiz.title, Quiz.id)
    ).all()
    return [quiz for quiz in quizzes if draw_shortfalls(session, quiz)]


def draw_questions(session: Session, quiz: Quiz, rng: random.Random) -> list[QuestionVersion]:
    """The current versions drawn for one attempt: ``count`` per category, in draw order or shuffled."""
    if not quiz.draws:
        raise QuizError("Bài kiểm tra chưa có câu hỏi (chưa chọn số câu cho từng danh mục).")
    picked: list[int] = []  # current version ids, drawn from each category's questions in id order
    for draw in quiz.draws:
        pool = session.scalars(
            select(Question.current_version_id)
            .where(Question.category_id == draw.category_id, *_DRAWABLE)
            .order_by(Question.id)
        ).all()
        if len(pool) < draw.count:
            raise QuizError(DrawShortfall(draw.category.path, len(pool), draw.count).message)
        picked.extend(rng.sample(list(pool), draw.count))
    # only the drawn versions are loaded (with their questions), in one query
    versions = {v.id: v for v in session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(picked)))}
    chosen = [versions[version_id] for version_id in picked]
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def start_attempt(session: Session, quiz: Quiz, official: Official, now: datetime, seed: int | None = None) -> Attempt:
    """Start an attempt, or return the official's attempt in progress (two tabs share it).

    Checks publication, open/close dates, attempts allowed (with the override) and the delay
    between attempts; raises :class:`QuizError`. The attempt number is unique per (quiz,
    official): when a concurrent request inserted the same number first, its attempt is returned.
    """
    info = eligibility(session, quiz, official.id, now)
    if info.in_progress is not None:
        if not info.in_progress.is_overdue(now):
            return info.in_progress
        submit_attempt(session, info.in_progress.id, now)
        return start_attempt(session, quiz, official, now, seed)
    if not info.allowed:
        raise QuizError(info.reason)
    seed = secrets.randbelow(2**31 - 1) if seed is None else seed
    rng = random.Random(seed)
    versions = draw_questions(session, quiz, rng)
    deadline = now + timedelta(minutes=info.time_limit_minutes) if info.time_limit_minutes else None
    if quiz.close_at and (deadline is None or deadline > quiz.close_at):
        deadline = quiz.close_at
    attempt = Attempt(
        quiz_id=quiz.id,
        official_id=official.id,
        number=info.attempts_used + 1,
        state=AttemptState.IN_PROGRESS,
        started_at=now,
        deadline_at=deadline,
        seed=seed,
    )
    for slot_no, version in enumerate(versions, start=1):
        layout = qtypes.get_type(version.question.qtype).prepare(version.config, rng, quiz.shuffle_options)
        attempt.slots.append(
            AttemptSlot(
                slot_no=slot_no,
                question_version_id=version.id,
                layout=layout,
                max_mark=version.default_mark,
                state=SLOT_TODO,
            )
        )
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:
        # another request (second tab, double click) started this attempt number first
        existing = session.scalar(
            select(Attempt).where(
                Attempt.quiz_id == quiz.id,
                Attempt.official_id == official.id,
                Attempt.state == AttemptState.IN_PROGRESS,
            )
        )
        if existing is None:
            raise QuizError("Bạn vừa bắt đầu hoặc nộp một lần làm bài khác. Hãy tải lại trang.") from None
        return existing
    return attempt


_SLOT_WITH_VERSION = joinedload(AttemptSlot.question_version)  # built once, not per request


def get_slot(attempt: Attempt, slot_no: int) -> AttemptSlot | None:
    """The attempt's slot ``slot_no``, or None. When the attempt's slots are not loaded yet, only
    that row is read (with its question version), not the whole attempt."""
    session = object_session(attempt)
    if "slots" in attempt.__dict__ or session is None or attempt.id is None:
        return next((s for s in attempt.slots if s.slot_no == slot_no), None)
    return session.scalar(
        select(AttemptSlot)
        .where(AttemptSlot.attempt_id == attempt.id, AttemptSlot.slot_no == slot_no)
        .options(_SLOT_WITH_VERSION)
    )


@dataclass(frozen=True)
class SlotState:
    slot_no: int
    answered: bool


def slot_states(session: Session, attempt: Attempt) -> list[SlotState]:
    """Every slot's number and whether it is answered, in order (the question list, the summary),
    without loading the slots' layouts and answers."""
    if "slots" in attempt.__dict__:
        return [SlotState(s.slot_no, s.answered) for s in attempt.slots]
    rows = session.execute(
        select(AttemptSlot.slot_no, AttemptSlot.answer.is_not(None))
        .where(AttemptSlot.attempt_id == attempt.id)
        .order_by(AttemptSlot.slot_no)
    )
    return [SlotState(slot_no, bool(answered)) for slot_no, answered in rows]


def check_open(attempt: Attempt, now: datetime, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> None:
    if not attempt.in_progress:
        raise AttemptClosed("Bài làm đã được nộp, không sửa được câu trả lời nữa.")
    if attempt.is_overdue(now, grace_seconds):
        raise AttemptClosed("Đã hết giờ làm bài. Câu trả lời sau thời hạn không được ghi nhận.")


def save_answer(
    session: Session,
    attempt: Attempt,
    slot_no: int,
    form: Any,
    now: datetime,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    slot: AttemptSlot | None = None,
) -> AttemptSlot:
    """Read the answer of slot ``slot_no`` from ``form`` (field names ``q<slot_no>...``) through the
    question type and store it. Saving the same form twice gives the same result. Raises
    :class:`AttemptClosed` when the attempt is submitted or past its deadline plus the grace period.
    ``slot``: that slot when the caller has it already (``get_slot``), to save reading it again."""
    check_open(attempt, now, grace_seconds)
    if slot is None or slot.attempt_id != attempt.id or slot.slot_no != slot_no:
        slot = get_slot(attempt, slot_no)
    if slot is None:
        raise QuizError("Không có câu hỏi này trong bài làm.")
    version = slot.question_version
    answer = qtypes.get_type(version.question.qtype).parse(form, slot_prefix(slot_no), version.config, slot.layout)
    if answer != slot.answer:
        slot.answer = answer
        slot.answered_at = now
    slot.state = SLOT_ANSWERED if answer is not None else SLOT_TODO
    session.flush()
    return slot


def describe_answer(qtype: str, config: Mapping[str, Any], layout: Any, answer: Any) -> str:
    """An answer as plain text for the review page ("" when unanswered)."""
    if answer is None:
        return ""
    view = qtypes.get_type(qtype).public_view(config, layout)
    if qtype in ("single", "multi", "truefalse"):
        chosen = answer if isinstance(answer, list) else [answer]
        if qtype == "truefalse":
            chosen = ["true" if a is True else "false" for a in chosen if isinstance(a, bool)]
        texts = {o["id"]: qtypes.plain_text(o["text"]) for o in view.get("options", [])}
        return "; ".join(texts.get(a, "") for a in chosen if a in texts)
    if qtype == "matching" and isinstance(answer, Mapping):
        choices = {c["id"]: c["text"] for c in view.get("choices", [])}
        return "; ".join(
            f"{qtypes.plain_text(s['text'])} → {choices.get(answer.get(s['id']), '—')}" for s in view["subquestions"]
        )
    if qtype == "ordering" and isinstance(answer, Mapping):
        items = sorted(view.get("items", []), key=lambda i: answer.get(i["id"], 999))
        return " → ".join(f"{answer.get(i['id'], '?')}. {qtypes.plain_text(i['text'])}" for i in items)
    return str(answer)


def slot_prefix(slot_no: int) -> str:
    return f"q{slot_no}"


def submit_attempt(session: Session, attempt_id: int, now: datetime, submitted_at: datetime | None = None) -> bool:
    """Submit and grade an attempt exactly once, even under concurrent requests.

    The state moves in one conditional UPDATE (``... WHERE state = 'in_progress'``); only the
    request whose UPDATE changed the row grades, sends ``attempt_graded`` and (for a course's final
    quiz, once passed) asks the courses package to check completion. Returns True for that request.
    """
    result = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.state == AttemptState.IN_PROGRESS)
        .values(state=AttemptState.SUBMITTED, submitted_at=submitted_at or now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    attempt = session.get(Attempt, attempt_id)
    session.refresh(attempt)
    grade_attempt(session, attempt, now)
    events.attempt_graded.send(session, attempt=attempt)
    quiz = attempt.quiz
    if quiz.is_final and quiz.course_id is not None and quiz_grade_passed(session, quiz, attempt.official_id):
        events.course_requirement_met.send(
            session, official_id=attempt.official_id, course_id=quiz.course_id, source=f"attempt:{attempt.id}", now=now
        )
    return True


def grade_attempt(session: Session, attempt: Attempt, now: datetime) -> None:
    score = max_score = 0.0
    _held = load_slot_versions(session, attempt.slots)  # held: the session only keeps weak references
    for slot in attempt.slots:
        version = slot.question_version
        grade = qtypes.grade_answer(version.question.qtype, version.config, slot.answer)
        slot.max_mark = version.default_mark
        slot.mark = round(grade.fraction * version.default_mark, 7)
        slot.state = grade.state
        score += slot.mark
        max_score += slot.max_mark
    attempt.score = round(score, 7)
    attempt.max_score = max_score
    attempt.percent = round(100.0 * score / max_score, 4) if max_score else 0.0
    attempt.passed = attempt.percent >= attempt.quiz.pass_percent - 1e-9
    attempt.graded_at = now
    session.flush()


def load_slot_versions(session: Session, slots: Iterable[AttemptSlot]) -> list[QuestionVersion]:
    """The slots' question versions (and questions) in one query, not one per slot (nor an
    autoflush of the previous slot's grade before each); ``slot.question_version`` then finds them
    in the session. Keep the returned list while using them."""
    ids = {s.question_version_id for s in slots}
    if not ids:
        return []
    return list(session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids))))


def close_overdue_attempts(session: Session, now: datetime, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> int:
    """Grade every attempt past its deadline (plus grace) with the answers saved; returns how many."""
    ids = session.scalars(
        select(Attempt.id).where(
            Attempt.state == AttemptState.IN_PROGRESS,
            Attempt.deadline_at.is_not(None),
            Attempt.deadline_at < now - timedelta(seconds=grace_seconds),
        )
    ).all()
    closed = 0
    for attempt_id in ids:
        deadline = session.scalar(select(Attempt.deadline_at).where(Attempt.id == attempt_id))
        closed += submit_attempt(session, attempt_id, now, submitted_at=deadline)
    return closed


def finish_if_overdue(session: Session, attempt: Attempt, now: datetime, grace_seconds: float) -> bool:
    """Viewing an overdue attempt grades it; True when it was graded now."""
    if attempt.is_overdue(now, grace_seconds):
        done = submit_attempt(session, attempt.id, now, submitted_at=attempt.deadline_at)
        session.refresh(attempt)
        return done
    return False
