"""Attempts: who may start one (eligibility), drawing the questions, answering, submitting and grading
exactly once, closing overdue attempts."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload, object_session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from lms import events
from lms.database import UTCDateTime
from lms.org.models import Official
from quizzes import qtypes
from quizzes.errors import AttemptClosed, QuizError
from quizzes.models import (
    SLOT_ANSWERED,
    SLOT_TODO,
    Attempt,
    AttemptSlot,
    AttemptState,
    GradingMethod,
    Question,
    QuestionCategory,
    QuestionVersion,
    Quiz,
    QuizDraw,
    QuizOverride,
)
from quizzes.services.answering import VersionKey, version_keys
from quizzes.services.results import attempts_of, grade_of, graded_percents
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


def _attempts_and_override_statement():
    """An official's attempts at a quiz by number (one row with none when there are none) and their
    override of its settings, if any."""
    official = bindparam("official_id")
    return (
        select(Attempt, QuizOverride)
        .select_from(Quiz)
        .outerjoin(Attempt, and_(Attempt.quiz_id == Quiz.id, Attempt.official_id == official))
        .outerjoin(QuizOverride, and_(QuizOverride.quiz_id == Quiz.id, QuizOverride.official_id == official))
        .where(Quiz.id == bindparam("quiz_id"))
        .order_by(Attempt.number)
    )


_ATTEMPTS_AND_OVERRIDE = _attempts_and_override_statement()  # built once


def eligibility(
    session: Session, quiz: Quiz, official_id: int, now: datetime, attempts: list[Attempt] | None = None
) -> Eligibility:
    """May ``official_id`` start (or resume) an attempt now? With a reason in Vietnamese.
    ``attempts``: the official's ``attempts_of`` this quiz when the caller has read them already."""
    if attempts is None:  # the attempts and the override in one query
        rows = session.execute(_ATTEMPTS_AND_OVERRIDE, {"quiz_id": quiz.id, "official_id": official_id}).all()
        attempts = [attempt for attempt, _override in rows if attempt is not None]
        override = rows[0][1] if rows else None
    else:
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


def _pool_sizes(session: Session, quiz: Quiz) -> dict[int, int]:
    """How many questions each of the quiz's categories can draw from now (one query)."""
    return dict(
        session.execute(
            select(Question.category_id, func.count())
            .where(Question.category_id.in_([d.category_id for d in quiz.draws]), *_DRAWABLE)
            .group_by(Question.category_id)
        ).all()
    )


def draw_shortfalls(session: Session, quiz: Quiz) -> list[DrawShortfall]:
    """The quiz's draws that ``draw_questions`` would refuse now (same pool, one query), in draw order."""
    if not quiz.draws:
        return []
    available = _pool_sizes(session, quiz)
    return [
        DrawShortfall(d.category.path, available.get(d.category_id, 0), d.count)
        for d in quiz.draws
        if available.get(d.category_id, 0) < d.count
    ]


@dataclass(frozen=True)
class KeyExposure:
    """What full review gives away: after ``attempts`` attempts one official has seen the key of about
    ``percent`` % of the ``pool`` questions the quiz draws ``drawn`` from each time."""

    drawn: int
    pool: int
    attempts: int
    percent: int


def key_exposure(session: Session, quiz: Quiz, unlimited_as: int = 3) -> KeyExposure | None:
    """The expected share of the quiz's question pool whose right answers one official has seen on
    the full review pages after as many attempts as the quiz allows (``unlimited_as`` when it allows
    any number): per category of ``n`` questions drawing ``k``, a question is never drawn in ``a``
    attempts with probability ``(1 - k/n)^a``. None when the quiz draws nothing."""
    if not quiz.draws:
        return None
    available = _pool_sizes(session, quiz)
    attempts = quiz.attempts_allowed or unlimited_as
    drawn = pool = 0
    seen = 0.0
    for draw in quiz.draws:
        n = available.get(draw.category_id, 0)
        k = min(draw.count, n)
        if n:
            drawn, pool = drawn + k, pool + n
            seen += n * (1 - (1 - k / n) ** attempts)
    return KeyExposure(drawn, pool, attempts, round(100 * seen / pool)) if pool else None


def quizzes_short_of_questions(session: Session, category_id: int) -> list[Quiz]:
    """Quizzes drawing from ``category_id`` that can no longer be filled (after an archive)."""
    quizzes = session.scalars(
        select(Quiz).join(QuizDraw).where(QuizDraw.category_id == category_id).order_by(Quiz.title, Quiz.id)
    ).all()
    return [quiz for quiz in quizzes if draw_shortfalls(session, quiz)]


def _draw_pools_statement():
    """Every draw of a quiz (in draw order) with the current version of each question it may draw
    now (in question id order): one row per question, one row with no version for an empty pool."""
    drawable = and_(Question.category_id == QuizDraw.category_id, *_DRAWABLE)
    return (
        select(QuizDraw.id, QuizDraw.category_id, QuizDraw.count, Question.current_version_id)
        .outerjoin(Question, drawable)
        .where(QuizDraw.quiz_id == bindparam("quiz_id"))
        .order_by(QuizDraw.id, Question.id)
    )


_DRAW_POOLS = _draw_pools_statement()  # built once, not per start


def draw_questions(session: Session, quiz: Quiz, rng: random.Random) -> list[VersionKey]:
    """The current versions drawn for one attempt: ``count`` per category, in draw order or shuffled.
    The draws and their pools are read in one query, the drawn versions from the per-process cache
    of (immutable) versions, which reads those it lacks in one more."""
    pools: dict[int, tuple[int, int, list[int]]] = {}  # draw id -> (category id, count, version ids)
    for draw_id, category_id, count, version_id in session.execute(_DRAW_POOLS, {"quiz_id": quiz.id}):
        pool = pools.setdefault(draw_id, (category_id, count, []))[2]
        if version_id is not None:
            pool.append(version_id)
    if not pools:
        raise QuizError("Bài kiểm tra chưa có câu hỏi (chưa chọn số câu cho từng danh mục).")
    picked: list[int] = []  # current version ids, drawn from each category's questions in id order
    for category_id, count, pool in pools.values():
        if len(pool) < count:
            category = session.get(QuestionCategory, category_id)
            raise QuizError(DrawShortfall(category.path, len(pool), count).message)
        picked.extend(rng.sample(pool, count))
    versions = version_keys.get_many(session, picked)
    chosen = [versions[version_id] for version_id in picked]
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def _insert_attempt_statement(dialect: str):
    """The attempt's INSERT, returning it; it inserts nothing when the official has an attempt of
    that number already (a concurrent start, a second tab): no error, no savepoint."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(Attempt)
    columns = ("quiz_id", "official_id", "number", "state", "started_at", "deadline_at", "seed")
    return (
        insert.values({name: bindparam(name, type_=Attempt.__table__.c[name].type) for name in columns})
        .on_conflict_do_nothing(index_elements=[Attempt.quiz_id, Attempt.official_id, Attempt.number])
        .returning(Attempt)
    )


_INSERT_ATTEMPT = {dialect: _insert_attempt_statement(dialect) for dialect in ("postgresql", "sqlite")}
_INSERT_SLOTS = insert(AttemptSlot.__table__)  # one executemany for the attempt's slots


def start_attempt(session: Session, quiz: Quiz, official: Official, now: datetime, seed: int | None = None) -> Attempt:
    """Start an attempt, or return the official's attempt in progress (two tabs share it).

    Checks publication, open/close dates, attempts allowed (with the override) and the delay
    between attempts; raises :class:`QuizError`. The attempt number is unique per (quiz,
    official): when a concurrent request inserted the same number first, its attempt is returned.

    An attempt in progress whose time ran out is graded first (with its saved answers, submitted at
    its deadline); then a new attempt starts if one may, else that graded attempt is returned (not
    in progress: the caller shows its result). When a concurrent request (a double click, the
    overdue-closing job) graded it first, the attempts are read again as stored, once: its new
    attempt, if it started one, is returned.

    The attempt is one INSERT (``ON CONFLICT DO NOTHING ... RETURNING``), its slots one executemany.
    """
    info = eligibility(session, quiz, official.id, now)
    overdue = info.in_progress
    if overdue is not None:
        if not overdue.is_overdue(now):
            return overdue
        submit_attempt(session, overdue.id, now, submitted_at=overdue.deadline_at)
        info = eligibility(session, quiz, official.id, now, attempts_of(session, quiz.id, official.id, reload=True))
        if info.in_progress is not None:  # started meanwhile by the concurrent request that graded it
            return info.in_progress
        if not info.allowed:
            return overdue
    elif not info.allowed:
        raise QuizError(info.reason)
    seed = secrets.randbelow(2**31 - 1) if seed is None else seed
    rng = random.Random(seed)
    versions = draw_questions(session, quiz, rng)
    deadline = now + timedelta(minutes=info.time_limit_minutes) if info.time_limit_minutes else None
    if quiz.close_at and (deadline is None or deadline > quiz.close_at):
        deadline = quiz.close_at
    slots = [
        {
            "slot_no": slot_no,
            "question_version_id": version.id,
            "layout": qtypes.get_type(version.qtype).prepare(version.config, rng, quiz.shuffle_options),
            "max_mark": version.default_mark,
            "state": SLOT_TODO,
        }
        for slot_no, version in enumerate(versions, start=1)
    ]
    attempt = session.scalar(
        _INSERT_ATTEMPT[session.get_bind().dialect.name],
        {
            "quiz_id": quiz.id,
            "official_id": official.id,
            "number": info.attempts_used + 1,
            "state": AttemptState.IN_PROGRESS,
            "started_at": now,
            "deadline_at": deadline,
            "seed": seed,
        },
    )
    if attempt is None:
        # another request (second tab, double click) started this attempt number first
        existing = session.scalar(
            select(Attempt).where(
                Attempt.quiz_id == quiz.id,
                Attempt.official_id == official.id,
                Attempt.state == AttemptState.IN_PROGRESS,
            )
        )
        if existing is None:
            raise QuizError("Bạn vừa bắt đầu hoặc nộp một lần làm bài khác. Hãy tải lại trang.")
        return existing
    for slot in slots:
        slot["attempt_id"] = attempt.id
    session.execute(_INSERT_SLOTS, slots)
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


def _review_slots_statement():
    """The columns the result page shows of each slot (its mark, state, layout and answer) and of its
    question version (text, options, feedback, type), in slot order: plain rows, no ORM object (the
    slots, versions and questions as entities were ~30 columns a row)."""
    slots, versions, questions = AttemptSlot.__table__, QuestionVersion.__table__, Question.__table__
    return (
        select(
            slots.c.slot_no,
            slots.c.layout,
            slots.c.answer,
            slots.c.mark,
            slots.c.max_mark,
            slots.c.state,
            questions.c.qtype,
            versions.c.text,
            versions.c.config,
            versions.c.general_feedback,
        )
        .join(versions, versions.c.id == slots.c.question_version_id)
        .join(questions, questions.c.id == versions.c.question_id)
        .where(slots.c.attempt_id == bindparam("attempt_id"))
        .order_by(slots.c.slot_no)
    )


_REVIEW_SLOTS = _review_slots_statement()  # built once


def review_slots(session: Session, attempt_id: int) -> list:
    """Every slot of the attempt in order as a row (``slot_no``, ``layout``, ``answer``, ``mark``,
    ``max_mark``, ``state``) with its version's ``qtype``, ``text``, ``config`` and
    ``general_feedback``: one query (the result page)."""
    return session.execute(_REVIEW_SLOTS, {"attempt_id": attempt_id}).all()


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


@dataclass(frozen=True, slots=True)
class AttemptHead:
    """What the summary page needs of an attempt: whose it is (``can_answer_attempt``), its state and
    deadline (``in_progress``, ``is_overdue``: the model's own rules) and its quiz's title."""

    id: int
    official_id: int
    state: AttemptState
    deadline_at: datetime | None
    quiz_title: str

    @property
    def in_progress(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS

    is_overdue = Attempt.is_overdue  # the same rule on the same fields


def _head_and_states_statement():
    """The attempt's head (with its quiz's title) on every row of its slots' numbers and whether each
    is answered, in slot order; one row with no slot for an attempt without slots, none for no attempt."""
    return (
        select(
            Attempt.id,
            Attempt.official_id,
            Attempt.state,
            Attempt.deadline_at,
            Quiz.title,
            AttemptSlot.slot_no,
            AttemptSlot.answer.is_not(None),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .outerjoin(AttemptSlot, AttemptSlot.attempt_id == Attempt.id)
        .where(Attempt.id == bindparam("attempt_id"))
        .order_by(AttemptSlot.slot_no)
    )


_HEAD_AND_STATES = _head_and_states_statement()  # built once


def head_and_states(session: Session, attempt_id: int) -> tuple[AttemptHead | None, list[SlotState]]:
    """The attempt's ``AttemptHead`` (None when there is no such attempt) and its ``slot_states``, in
    one query (the summary page: no ORM attempt, no whole quiz row). Says nothing about whose the
    attempt is: the caller checks ``can_answer_attempt`` on the head."""
    rows = session.execute(_HEAD_AND_STATES, {"attempt_id": attempt_id}).all()
    if not rows:
        return None, []
    head = AttemptHead(*rows[0][:5])
    return head, [SlotState(slot_no, bool(answered)) for *_head, slot_no, answered in rows if slot_no is not None]


CLOSED_MESSAGE = "Bài làm đã được nộp, không sửa được câu trả lời nữa."
OVERDUE_MESSAGE = "Đã hết giờ làm bài. Câu trả lời sau thời hạn không được ghi nhận."


def check_open(attempt: Attempt, now: datetime, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> None:
    """Refuse early, from the attempt as loaded (no SQL). Not a guarantee on its own: the write
    itself checks again in its statement (:func:`_still_open`), as a concurrent submit may commit
    between this read and the write."""
    if not attempt.in_progress:
        raise AttemptClosed(CLOSED_MESSAGE)
    if attempt.is_overdue(now, grace_seconds):
        raise AttemptClosed(OVERDUE_MESSAGE)


def _still_open(attempt_id: int, now: datetime, grace_seconds: float):
    """``EXISTS`` (the attempt is in progress and ``now`` is not past its deadline plus the grace),
    for the WHERE of an answer write. On PostgreSQL the attempt row is read ``FOR SHARE``: a submit
    (an UPDATE of that row) waits for the writes that got in to commit, then grades them; a write
    that comes while the submit holds the row waits, then finds it submitted and changes nothing.
    SQLite has no row locks and needs none: its writers take turns, and the statement reads the
    attempt as the last writer committed it."""
    cutoff = now - timedelta(seconds=grace_seconds)
    return (
        select(Attempt.id)
        .where(
            Attempt.id == attempt_id,
            Attempt.state == AttemptState.IN_PROGRESS,
            or_(Attempt.deadline_at.is_(None), Attempt.deadline_at >= cutoff),
        )
        .with_for_update(read=True)
        .exists()
    )


def _write_answer(session: Session, slot: AttemptSlot, form: Any, now: datetime, condition: Any | None = None) -> bool:
    """Parse the slot's answer from ``form`` and store it in one UPDATE (``WHERE`` ``condition``
    too, when given); False when ``condition`` left the row unchanged. The slot object is given the
    stored values without another statement."""
    version = slot.question_version
    answer = qtypes.get_type(version.question.qtype).parse(form, slot_prefix(slot.slot_no), version.config, slot.layout)
    values: dict[str, Any] = {"answer": answer, "state": SLOT_ANSWERED if answer is not None else SLOT_TODO}
    if answer != slot.answer:
        values["answered_at"] = now
    statement = update(AttemptSlot).where(AttemptSlot.id == slot.id).values(**values)
    if condition is not None:
        statement = statement.where(condition)
    if session.execute(statement.execution_options(synchronize_session=False)).rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(slot, key, value)
    return True


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
    ``slot``: that slot when the caller has it already (``get_slot``), to save reading it again.

    The write is one conditional UPDATE: "still in progress and before the deadline plus the grace"
    is checked in the statement that writes (:func:`_still_open`), not only on the attempt as it was
    read, so an answer never lands in an attempt a concurrent submit has graded."""
    check_open(attempt, now, grace_seconds)
    if slot is None or slot.attempt_id != attempt.id or slot.slot_no != slot_no:
        slot = get_slot(attempt, slot_no)
    if slot is None:
        raise QuizError("Không có câu hỏi này trong bài làm.")
    if not _write_answer(session, slot, form, now, _still_open(attempt.id, now, grace_seconds)):
        raise AttemptClosed(CLOSED_MESSAGE)
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


def _submit_statement():
    """The submission: in progress -> submitted in one conditional UPDATE."""
    return (
        update(Attempt)
        .where(Attempt.id == bindparam("p_attempt"), Attempt.state == AttemptState.IN_PROGRESS)
        .values(state=AttemptState.SUBMITTED, submitted_at=bindparam("p_submitted", type_=UTCDateTime))
        .execution_options(synchronize_session=False)
    )


_SLOTS = AttemptSlot.__table__
_SUBMIT = _submit_statement()  # the statements of submitting and grading, built once
_SLOTS_TO_GRADE = (
    select(_SLOTS.c.id, _SLOTS.c.slot_no, _SLOTS.c.question_version_id, _SLOTS.c.answer, _SLOTS.c.answered_at)
    .where(_SLOTS.c.attempt_id == bindparam("p_attempt"))
    .order_by(_SLOTS.c.slot_no)
)
_LAST_ANSWER = (
    update(_SLOTS)
    .where(_SLOTS.c.id == bindparam("p_id"))
    .values(
        answer=bindparam("p_answer", type_=_SLOTS.c.answer.type),
        state=bindparam("p_state"),
        answered_at=bindparam("p_answered_at", type_=UTCDateTime),
    )
)
_SLOT_GRADES = (
    update(_SLOTS)
    .where(_SLOTS.c.id == bindparam("p_id"))
    .values(mark=bindparam("p_mark"), max_mark=bindparam("p_max_mark"), state=bindparam("p_state"))
)
_ATTEMPT_GRADE = (
    update(Attempt.__table__)
    .where(Attempt.__table__.c.id == bindparam("p_attempt"))
    .values(
        score=bindparam("p_score"),
        max_score=bindparam("p_max_score"),
        percent=bindparam("p_percent"),
        passed=bindparam("p_passed"),
        graded_at=bindparam("p_graded_at", type_=UTCDateTime),
    )
)


def submit_attempt(
    session: Session,
    attempt_id: int,
    now: datetime,
    submitted_at: datetime | None = None,
    last_answer: tuple[int, Any] | None = None,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> bool:
    """Submit and grade an attempt exactly once, even under concurrent requests.

    The state moves in one conditional UPDATE (``... WHERE state = 'in_progress'``); only the
    request whose UPDATE changed the row grades, sends ``attempt_graded`` and (for a course's final
    quiz, once passed) asks the courses package to check completion. Returns True for that request.

    The answers are graded as they are at this transaction's commit: the UPDATE holds the attempt's
    row (PostgreSQL: after the answer writes that got in have committed; SQLite: the database's
    write lock) and no answer write passes :func:`_still_open` after it, and the slots are read
    afresh after it (not from objects the request loaded before).

    ``last_answer``: ``(slot_no, form)``, the answer the countdown's form sends with the submission
    at the deadline, stored after the UPDATE (so it takes the attempt's row first, as a plain
    submit does, and two tabs timing out at once cannot deadlock) when within the grace period.

    The attempt is not read again after the UPDATE when the session holds it; the slots are read in
    one query and graded with the per-process cache of question versions; the grades are one
    executemany and one UPDATE.
    """
    submitted_at = submitted_at or now
    if session.execute(_SUBMIT, {"p_attempt": attempt_id, "p_submitted": submitted_at}).rowcount != 1:
        return False
    # The attempt as the session holds it (read only when it holds none): an attempt in progress
    # changes by this UPDATE alone, whose values are set on it; the rest of its row does not change.
    attempt = session.get(Attempt, attempt_id)
    set_committed_value(attempt, "state", AttemptState.SUBMITTED)
    set_committed_value(attempt, "submitted_at", submitted_at)
    slots = [row._asdict() for row in session.execute(_SLOTS_TO_GRADE, {"p_attempt": attempt_id})]
    versions = version_keys.get_many(session, {slot["question_version_id"] for slot in slots})
    if last_answer is not None:
        slot_no, form = last_answer
        slot = next((s for s in slots if s["slot_no"] == slot_no), None)
        in_time = attempt.deadline_at is None or now <= attempt.deadline_at + timedelta(seconds=grace_seconds)
        if slot is not None and in_time:
            _store_last_answer(session, slot, versions[slot["question_version_id"]], form, now)
    _grade(session, attempt, slots, versions, now)
    events.attempt_graded.send(session, attempt=attempt)
    quiz = attempt.quiz
    if quiz.is_final and quiz.course_id is not None and _grade_passed(session, quiz, attempt):
        events.course_requirement_met.send(
            session,
            official_id=attempt.official_id,
            course_id=quiz.course_id,
            source=f"attempt:{attempt.id}",
            now=now,
            passed_score=attempt.percent if attempt.passed else None,  # this attempt passed on its own
        )
    return True


def _grade_passed(session: Session, quiz: Quiz, attempt: Attempt) -> bool:
    """Is the official's quiz grade a pass now that ``attempt`` is graded? Without reading the
    official's other attempts when they cannot change the answer: by the highest attempt (the
    default), a passed attempt passes; a first attempt is the only one (attempt ``n + 1`` is
    inserted only once attempt ``n`` is no longer in progress, and this one was until now)."""
    if attempt.number == 1:
        return bool(attempt.passed)
    if quiz.grading_method == GradingMethod.HIGHEST and attempt.passed:
        return True
    grade = grade_of(graded_percents(session, quiz.id, attempt.official_id), quiz.grading_method)
    return grade is not None and grade >= quiz.pass_percent - 1e-9


def _store_last_answer(session: Session, slot: dict, version: VersionKey, form: Any, now: datetime) -> None:
    """The answer sent with the submission at the deadline, written to ``slot`` (a row of
    ``_SLOTS_TO_GRADE``, updated in place for the grading)."""
    answer = qtypes.get_type(version.qtype).parse(form, slot_prefix(slot["slot_no"]), version.config, None)
    if answer != slot["answer"]:
        slot["answered_at"] = now
    slot["answer"] = answer
    session.execute(
        _LAST_ANSWER,
        {
            "p_id": slot["id"],
            "p_answer": answer,
            "p_state": SLOT_ANSWERED if answer is not None else SLOT_TODO,
            "p_answered_at": slot["answered_at"],
        },
    )


def _grade(
    session: Session, attempt: Attempt, slots: list[dict], versions: Mapping[int, VersionKey], now: datetime
) -> None:
    """Mark every slot (rows of ``_SLOTS_TO_GRADE``) from its stored answer and write the grades: the
    slots in one executemany, the attempt in one UPDATE. ``graded_at`` is ``now``, or the last
    answer's time when that is later (a save whose request started after the submit's but committed
    before it): an attempt is never graded before an answer it was graded on. The attempt object
    and the slot objects the session holds are given the stored values."""
    score = max_score = 0.0
    graded_at = now
    grades = []
    for slot in slots:
        version = versions[slot["question_version_id"]]
        grade = qtypes.grade_answer(version.qtype, version.config, slot["answer"])
        mark = round(grade.fraction * version.default_mark, 7)
        grades.append({"p_id": slot["id"], "p_mark": mark, "p_max_mark": version.default_mark, "p_state": grade.state})
        score += mark
        max_score += version.default_mark
        if slot["answered_at"] is not None and slot["answered_at"] > graded_at:
            graded_at = slot["answered_at"]
    if grades:
        session.execute(_SLOT_GRADES, grades)
    percent = round(100.0 * score / max_score, 4) if max_score else 0.0
    values = {
        "score": round(score, 7),
        "max_score": max_score,
        "percent": percent,
        "passed": percent >= attempt.quiz.pass_percent - 1e-9,
        "graded_at": graded_at,
    }
    session.execute(_ATTEMPT_GRADE, {"p_attempt": attempt.id, **{f"p_{k}": v for k, v in values.items()}})
    for key, value in values.items():
        set_committed_value(attempt, key, value)
    for slot, grade in zip(slots, grades, strict=True):
        held = session.identity_map.get(identity_key(AttemptSlot, slot["id"]))
        if held is not None:
            for key, value in (
                ("answer", slot["answer"]),
                ("answered_at", slot["answered_at"]),
                ("mark", grade["p_mark"]),
                ("max_mark", grade["p_max_mark"]),
                ("state", grade["p_state"]),
            ):
                set_committed_value(held, key, value)


def grade_attempt(session: Session, attempt: Attempt, now: datetime) -> None:
    """Grade ``attempt`` from its slots' stored answers (see :func:`submit_attempt`, which does this
    after moving it to submitted)."""
    slots = [row._asdict() for row in session.execute(_SLOTS_TO_GRADE, {"p_attempt": attempt.id})]
    _grade(session, attempt, slots, version_keys.get_many(session, {s["question_version_id"] for s in slots}), now)


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
