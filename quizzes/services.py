"""Quiz use cases: the question bank, attempts, grading and statistics.

Plain functions taking a session and values (and ``now``); they flush, never commit. The request
(or the CLI command) commits once, so answers, grading, the ``attempt_graded`` receivers and the
course completion commit together or not at all.

``final_quiz_requirement`` is one of the courses' completion requirements (registered with
``courses.api`` by ``quizzes.init_app``); a passed final quiz sends ``course_requirement_met``.
"""

from __future__ import annotations

import csv
import io
import random
import re
import secrets
import statistics as pystats
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, object_session, selectinload

from courses import api as courses_api
from lms import events
from lms.auth.services import audit
from lms.errors import UserError
from lms.org.models import Official
from lms.text import clean_text, fold
from lms.topics import Topic
from quizzes import gift, qtypes, stats, tabular
from quizzes.gift import GiftResult, ParseError, QuestionData
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
from quizzes.permissions import can_list_results

DEFAULT_GRACE_SECONDS = 30  # answers still accepted this long after the deadline (network latency)


class QuizError(UserError):
    """A quiz, attempt or question bank mistake, with a message in plain Vietnamese."""


class AttemptClosed(QuizError):
    pass


class QuestionImportError(QuizError):
    def __init__(self, errors: list[ParseError]) -> None:
        super().__init__(f"{len(errors)} lỗi")
        self.errors = errors


# --------------------------------------------------------------------------- question bank


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    categories: list[str] = field(default_factory=list)


def category_name(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    return (last.replace("-", " ").strip() or path).capitalize()


def get_or_create_category(session: Session, topic: Topic, path: str, name: str | None = None) -> QuestionCategory:
    category = session.scalar(select(QuestionCategory).where(QuestionCategory.path == path))
    if category is None:
        category = QuestionCategory(topic=topic, path=path, name=name or category_name(path))
        session.add(category)
        session.flush()
    return category


def _category_path(data: QuestionData, topic: Topic) -> str:
    path = clean_text(data.category).strip("/ ") or f"{topic.value}/chung"
    if path.split("/", 1)[0] != topic.value:
        path = f"{topic.value}/{path}"
    return path[:200]


QUESTION_FILE_TYPES = ("gift", "txt", "csv", "xlsx")


def parse_question_file(data: bytes, ext: str) -> GiftResult:
    """Parse a GIFT (.gift/.txt), CSV or XLSX question file; nothing is written.

    Raises ``ValueError`` (with a message for the user) when the file cannot be read at all.
    """
    ext = ext.lower().lstrip(".")
    if ext not in QUESTION_FILE_TYPES:
        raise ValueError(f"Chỉ nhận tệp {', '.join('.' + e for e in QUESTION_FILE_TYPES)}.")
    if ext in ("gift", "txt"):
        return gift.parse_gift(gift.read_text_file(data))
    rows = tabular.read_xlsx(data) if ext == "xlsx" else tabular.read_csv(data)
    return tabular.parse_rows(rows)


# ----------------------------------------------------------------- uploaded import files (preview -> confirm)

IMPORT_DIR_NAME = "quiz-imports"  # under the instance folder
DEFAULT_IMPORT_MAX_AGE_HOURS = 24.0  # an upload never confirmed is removed after this long
IMPORT_TOKEN = re.compile(r"^[0-9a-f]{32}\.(gift|txt|csv|xlsx)$")  # the names the import page gives


def import_dir(instance_path: str | Path) -> Path:
    """Where uploaded question files wait for their confirmation."""
    return Path(instance_path) / IMPORT_DIR_NAME


def _upload_expired(path: Path, now: datetime, max_age_hours: float) -> bool:
    """Strictly older than the limit: a file of exactly ``max_age_hours`` (or younger) is kept."""
    return now.timestamp() - path.stat().st_mtime > max_age_hours * 3600


def purge_import_uploads(folder: Path, now: datetime, max_age_hours: float) -> int:
    """Remove the uploaded question files older than ``max_age_hours`` (never confirmed); returns
    how many. Younger files stay (someone may be looking at their preview); files the import page
    did not name (anything not ``<32 hex>.<ext>``) are left alone."""
    if max_age_hours <= 0:
        raise ValueError("max_age_hours must be positive")
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.iterdir():
        if not IMPORT_TOKEN.match(path.name) or not path.is_file():
            continue
        try:
            if _upload_expired(path, now, max_age_hours):
                path.unlink()
                removed += 1
        except FileNotFoundError:  # confirmed or purged meanwhile by another request
            continue
    return removed


def read_import_upload(folder: Path, token: str, now: datetime, max_age_hours: float) -> bytes | None:
    """The uploaded file ``token`` for its confirmation, or None when it is gone or expired (an
    expired file is removed now, as the next purge would)."""
    if not IMPORT_TOKEN.match(token):
        return None
    path = folder / token
    try:
        if _upload_expired(path, now, max_age_hours):
            path.unlink(missing_ok=True)
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _search_text(title: str, text: str) -> str:
    return fold(f"{title} {qtypes.plain_text(text)}")


def _version_values(data: QuestionData) -> dict[str, Any]:
    return {
        "text": gift.sanitize_html(data.text),
        "config": data.config,
        "general_feedback": gift.sanitize_html(data.general_feedback or ""),
        "default_mark": float(data.default_mark),
    }


def _same_version(version: QuestionVersion | None, values: Mapping[str, Any]) -> bool:
    return version is not None and all(getattr(version, k) == v for k, v in values.items())


def _title(data: QuestionData) -> str:
    return clean_text(data.title)[:200]


def _idnumber(data: QuestionData) -> str:
    return clean_text(data.idnumber)


def new_idnumber() -> str:
    """The idnumber of a question whose file gave none: 16 random hex digits (unique within the
    category by the database; a clash is as likely as guessing a 64-bit secret)."""
    return secrets.token_hex(8)


def validate_questions(questions: Iterable[QuestionData], topic: Topic) -> list[ParseError]:
    """The checks that need no database. Repeated titles are allowed (Moodle allows them); an
    idnumber may appear once per category of the file (it says which question of the bank it is)."""
    errors: list[ParseError] = []
    seen_ids: dict[tuple[str, str], int] = {}
    for data in questions:
        try:
            problems = qtypes.get_type(data.qtype).validate(data.config)
        except ValueError as exc:
            problems = [str(exc)]
        errors.extend(ParseError(data.line, f"Câu hỏi «{data.title}»: {p}") for p in problems)
        if not data.title.strip():
            errors.append(ParseError(data.line, "Câu hỏi chưa có tên (title)."))
        idnumber = _idnumber(data)
        if len(idnumber) > gift.IDNUMBER_MAX:
            message = f"Mã câu hỏi [id:{idnumber[:30]}...] dài quá {gift.IDNUMBER_MAX} ký tự."
            errors.append(ParseError(data.line, message))
        elif idnumber:
            key = (_category_path(data, topic), idnumber)
            if key in seen_ids:
                message = f"Mã câu hỏi [id:{idnumber}] đã dùng cho câu ở dòng {seen_ids[key]}, cùng danh mục."
                errors.append(ParseError(data.line, message))
            seen_ids.setdefault(key, data.line)
        if data.category and "/" in data.category and data.category.split("/", 1)[0] in {t.value for t in Topic}:
            if data.category.split("/", 1)[0] != topic.value:
                errors.append(ParseError(data.line, f"Danh mục «{data.category}» không thuộc chủ đề «{topic.label}»."))
    return errors


CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class PlannedQuestion:
    """What an import will do with one question of the file."""

    data: QuestionData
    path: str  # its category
    action: str = CREATE  # CREATE | UPDATE | UNCHANGED
    question: Question | None = None  # the bank's question it is, when found
    matched_by: str = ""  # "idnumber" | "content" | "title"
    same_title: int = 0  # a new question: how many of the category's questions already bear its title


@dataclass
class ImportPlan:
    items: list[PlannedQuestion] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)

    def _count(self, action: str) -> int:
        return sum(1 for item in self.items if item.action == action)

    @property
    def created(self) -> int:
        return self._count(CREATE)

    @property
    def updated(self) -> int:
        return self._count(UPDATE)

    @property
    def unchanged(self) -> int:
        return self._count(UNCHANGED)

    @property
    def new_beside_same_title(self) -> list[PlannedQuestion]:
        """New questions whose category already holds a question of that title (a possible double)."""
        return [item for item in self.items if item.action == CREATE and item.same_title]


def _same_metadata(question: Question, data: QuestionData) -> bool:
    return (question.title, question.difficulty, list(question.tags or [])) == (
        _title(data),
        data.difficulty,
        list(data.tags),
    )


def plan_import(session: Session, questions: list[QuestionData], topic: Topic, lock: bool = False) -> ImportPlan:
    """Find, for each question of a file, the bank's question it is; reads only (the preview uses it).

    A question's identity within its category, in this order:

    1. its idnumber (``// [id:...]``, which our export writes and Moodle's too) when the file gives one:
       the bank's question with that idnumber, else a new question keeping it;
    2. else its content: a question of the category with the same type, title, text, answers,
       feedback and mark (identical questions pair off one to one, so a file holding the same
       question twice imports it twice, then finds both);
    3. else its title, when the title is borne by this one question in the file's category and by
       one question in the bank's: that question gets a new version (an edited hand-written file);
    4. else a new question. ``same_title`` then says whether the bank already has one of that title.

    A question found gets a new version when its content changed (attempts keep the version they
    showed), new title/tags/difficulty when only those changed, nothing otherwise. A question found
    with another type is an error (its attempts are graded with its type). ``lock`` locks the
    categories' rows until the commit, so two imports of one file (PostgreSQL) do not both create.
    """
    errors = validate_questions(questions, topic)
    if errors:
        return ImportPlan(errors=errors)
    items = [PlannedQuestion(data, _category_path(data, topic)) for data in questions]
    category_query = select(QuestionCategory).where(QuestionCategory.path.in_({item.path for item in items}))
    if lock:
        category_query = category_query.with_for_update()
    paths = {category.id: category.path for category in session.scalars(category_query)}
    bank: dict[str, list[Question]] = defaultdict(list)
    if paths:
        rows = session.scalars(
            select(Question)
            .where(Question.category_id.in_(paths))
            .options(selectinload(Question.current_version))
            .order_by(Question.id)
        )
        for row in rows:
            bank[paths[row.category_id]].append(row)
    claimed: set[int] = set()

    def claim(item: PlannedQuestion, question: Question, how: str) -> None:
        claimed.add(question.id)
        item.question, item.matched_by = question, how
        if question.qtype != item.data.qtype:
            what = f"mã [id:{question.idnumber}]" if how == "idnumber" else f"tên «{question.title}»"
            errors.append(
                ParseError(
                    item.data.line,
                    f"Câu hỏi «{_title(item.data)}»: ngân hàng đã có câu hỏi {what} với loại khác "
                    f"({qtypes.get_type(question.qtype).label}); không đổi được loại của câu hỏi đã có.",
                )
            )

    for item in items:  # 1. idnumber
        idnumber = _idnumber(item.data)
        found = next((q for q in bank[item.path] if idnumber and q.idnumber == idnumber), None)
        if found is not None:
            claim(item, found, "idnumber")
    for item in items:  # 2. content
        if item.question is not None or _idnumber(item.data):
            continue
        values, title = _version_values(item.data), _title(item.data)
        found = next(
            (
                q
                for q in bank[item.path]
                if q.id not in claimed
                and q.qtype == item.data.qtype
                and q.title == title
                and _same_version(q.current_version, values)
            ),
            None,
        )
        if found is not None:
            claim(item, found, "content")
    in_file = Counter((item.path, _title(item.data)) for item in items)
    in_bank = Counter((path, q.title) for path, rows in bank.items() for q in rows)
    for item in items:  # 3. a title unique on both sides
        key = (item.path, _title(item.data))
        if item.question is not None or _idnumber(item.data) or in_file[key] != 1 or in_bank[key] != 1:
            continue
        found = next(q for q in bank[item.path] if q.title == key[1])
        if found.id not in claimed:
            claim(item, found, "title")
    for item in items:
        if item.question is None:
            item.same_title = in_bank[(item.path, _title(item.data))]
        elif _same_version(item.question.current_version, _version_values(item.data)) and _same_metadata(
            item.question, item.data
        ):
            item.action = UNCHANGED
        else:
            item.action = UPDATE
    return ImportPlan(items=items, errors=errors)


def import_questions(
    session: Session,
    questions: list[QuestionData],
    topic: Topic,
    now: datetime,
    author_id: int | None = None,
) -> ImportSummary:
    """Store ``questions`` in ``topic``, all or none (raises :class:`QuestionImportError` first).

    Each question is matched with the bank as :func:`plan_import` says: a new question, a new
    version of the one it is, or nothing when it is unchanged. Flushes only.
    """
    plan = plan_import(session, questions, topic, lock=True)
    if plan.errors:
        raise QuestionImportError(plan.errors)
    summary = ImportSummary(created=plan.created, updated=plan.updated, unchanged=plan.unchanged)
    categories: dict[str, QuestionCategory] = {}
    for item in plan.items:
        if item.path not in categories:
            categories[item.path] = get_or_create_category(session, topic, item.path)
            summary.categories.append(item.path)
        data, question = item.data, item.question
        title, values = _title(data), _version_values(data)
        if item.action == UNCHANGED:
            continue
        if question is None:
            question = Question(
                category=categories[item.path],
                topic=topic,
                title=title,
                idnumber=_idnumber(data) or new_idnumber(),
                qtype=data.qtype,
                difficulty=data.difficulty,
                tags=list(data.tags),
                search_text=_search_text(title, values["text"]),
                created_at=now,
                updated_at=now,
            )
            session.add(question)
            _add_version(session, question, values, now, author_id)
            continue
        question.title, question.difficulty, question.tags = title, data.difficulty, list(data.tags)
        question.search_text = _search_text(title, values["text"])
        question.updated_at = now
        if not _same_version(question.current_version, values):
            question.archived = False
            _add_version(session, question, values, now, author_id)
    session.flush()
    return summary


def _add_version(
    session: Session, question: Question, values: Mapping[str, Any], now: datetime, author_id: int | None
) -> QuestionVersion:
    number = 1
    if question.id is not None:
        number = (
            session.scalar(select(func.max(QuestionVersion.number)).where(QuestionVersion.question_id == question.id))
            or 0
        ) + 1
    version = QuestionVersion(question=question, number=number, created_at=now, created_by_id=author_id, **values)
    session.add(version)
    session.flush()
    question.current_version = version
    question.updated_at = now
    session.flush()
    return version


def question_data(question: Question, version: QuestionVersion | None = None) -> QuestionData:
    version = version or question.current_version
    return QuestionData(
        qtype=question.qtype,
        title=question.title,
        text=version.text,
        category=question.category.path,
        config=version.config,
        default_mark=version.default_mark,
        general_feedback=version.general_feedback,
        difficulty=question.difficulty,
        tags=list(question.tags or []),
        idnumber=question.idnumber,
    )


def _bank_filters(topic: str | None, category_id: int | None, q: str) -> list:
    conditions = []
    if topic:
        conditions.append(Question.topic == topic)
    if category_id:
        conditions.append(Question.category_id == category_id)
    for word in fold(q).split() if q else ():
        conditions.append(Question.search_text.contains(word, autoescape=True))
    return conditions


def bank_query(topic: str | None = None, category_id: int | None = None, q: str = "", archived: bool = False):
    """The question bank list, by category path then title."""
    query = (
        select(Question)
        .join(QuestionCategory)
        .where(Question.archived.is_(archived), *_bank_filters(topic, category_id, q))
        .options(selectinload(Question.current_version), selectinload(Question.category))
    )
    return query.order_by(QuestionCategory.path, Question.title, Question.id)


def bank_counts(session: Session, topic: str | None = None, category_id: int | None = None, q: str = "") -> dict:
    """``{"active": n, "archived": m}``: the questions ``bank_query`` lists with the same filters
    (one statement), for the bank's "Đang dùng / Đã lưu trữ" filter."""
    rows = session.execute(
        select(Question.archived, func.count()).where(*_bank_filters(topic, category_id, q)).group_by(Question.archived)
    ).all()
    by_state = {bool(archived): count for archived, count in rows}
    return {"active": by_state.get(False, 0), "archived": by_state.get(True, 0)}


def _set_archived(session: Session, actor, question: Question, archived: bool, now: datetime, ip: str) -> bool:
    # the state check is in the UPDATE itself: a double click or two tabs write one audit row, not two
    result = session.execute(
        update(Question)
        .where(Question.id == question.id, Question.archived.is_(not archived))
        .values(archived=archived, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(question, ["archived", "updated_at"])
    if result.rowcount != 1:
        return False
    audit(
        session,
        actor,
        "question.archive" if archived else "question.restore",
        target=f"question:{question.id}",
        details=f"{question.category.path} / {question.title}",
        ip=ip,
    )
    session.flush()
    return True


def archive_question(session: Session, actor, question: Question, now: datetime, ip: str = "") -> bool:
    """Take a question out of the draws of new attempts (audited). Attempts that drew it, in
    progress or finished, keep its version: they render, save and grade as before. Returns False
    (and writes nothing) when it was archived already."""
    return _set_archived(session, actor, question, True, now, ip)


def restore_question(session: Session, actor, question: Question, now: datetime, ip: str = "") -> bool:
    """Put an archived question back in the draws (audited); False when it was not archived."""
    return _set_archived(session, actor, question, False, now, ip)


def export_questions(session: Session, topic: str | None = None, category_id: int | None = None) -> str:
    """GIFT text of a topic's (or one category's) current questions."""
    questions = session.scalars(bank_query(topic, category_id)).all()
    return gift.export_gift([question_data(q) for q in questions if q.current_version is not None])


def edit_question(
    session: Session, question: Question, gift_text: str, now: datetime, author_id: int | None = None
) -> QuestionVersion | None:
    """Replace a question's content with one GIFT question; adds a version (None when unchanged).

    The type cannot change (past attempts are graded with it); the title and category stay.
    """
    result = gift.parse_gift(gift_text)
    if result.errors:
        raise QuestionImportError(result.errors)
    if len(result.questions) != 1 or result.unsupported:
        raise QuizError("Hãy nhập đúng một câu hỏi ở định dạng GIFT.")
    data = result.questions[0]
    if data.qtype != question.qtype:
        raise QuizError(
            f"Không đổi được loại câu hỏi ({qtypes.get_type(question.qtype).label} → "
            f"{qtypes.get_type(data.qtype).label}); hãy tạo câu hỏi mới."
        )
    values = _version_values(data)
    question.difficulty = data.difficulty or question.difficulty
    question.tags = list(data.tags) or list(question.tags or [])
    if _same_version(question.current_version, values):
        return None
    question.search_text = _search_text(question.title, values["text"])
    return _add_version(session, question, values, now, author_id)


def question_gift(question: Question) -> str:
    data = question_data(question)
    data.category = data.idnumber = ""  # the edit page changes the content only
    return gift.export_gift([data]).strip() + "\n"


# --------------------------------------------------------------------------- quizzes and attempts


def get_override(session: Session, quiz_id: int, official_id: int) -> QuizOverride | None:
    return session.scalar(
        select(QuizOverride).where(QuizOverride.quiz_id == quiz_id, QuizOverride.official_id == official_id)
    )


def attempts_of(session: Session, quiz_id: int, official_id: int) -> list[Attempt]:
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.quiz_id == quiz_id, Attempt.official_id == official_id)
            .order_by(Attempt.number)
        )
    )


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


# --------------------------------------------------------------------------- results


def quiz_grade(session: Session, quiz: Quiz, official_id: int, attempts: list[Attempt] | None = None) -> float | None:
    """The official's grade (percent) for the quiz by its grading method; None before any graded attempt.
    ``attempts``: the official's ``attempts_of`` this quiz when the caller has read them already."""
    percents = [
        a.percent
        for a in (attempts_of(session, quiz.id, official_id) if attempts is None else attempts)
        if a.state == AttemptState.SUBMITTED and a.percent is not None
    ]
    if not percents:
        return None
    method = quiz.grading_method
    if method == GradingMethod.LAST:
        return percents[-1]
    if method == GradingMethod.FIRST:
        return percents[0]
    if method == GradingMethod.AVERAGE:
        return pystats.fmean(percents)
    return max(percents)


def quiz_grade_passed(session: Session, quiz: Quiz, official_id: int) -> bool:
    grade = quiz_grade(session, quiz, official_id)
    return grade is not None and grade >= quiz.pass_percent - 1e-9


def _deciding_attempt(session: Session, quiz: Quiz, official_id: int) -> Attempt | None:
    """The graded attempt that gives the quiz grade (the first best one for highest/average)."""
    graded = [
        a
        for a in attempts_of(session, quiz.id, official_id)
        if a.state == AttemptState.SUBMITTED and a.percent is not None
    ]
    if not graded:
        return None
    if quiz.grading_method == GradingMethod.LAST:
        return graded[-1]
    if quiz.grading_method == GradingMethod.FIRST:
        return graded[0]
    best = max(a.percent for a in graded)
    return next(a for a in graded if a.percent == best)


def final_quiz_requirement(session: Session, official_id: int, course) -> Any:
    """Completion requirement registered with courses: the course's published final quiz is passed
    by its grading method. ``None`` (does not apply) when the course has no final quiz."""
    finals = session.scalars(
        select(Quiz)
        .where(Quiz.course_id == course.id, Quiz.is_final.is_(True), Quiz.published.is_(True))
        .order_by(Quiz.id)
    ).all()
    if not finals:
        return None
    satisfied, score, source = True, None, None
    for quiz in finals:
        grade = quiz_grade(session, quiz, official_id)
        passed = grade is not None and grade >= quiz.pass_percent - 1e-9
        satisfied = satisfied and passed
        if score is None:
            score = grade
            deciding = _deciding_attempt(session, quiz, official_id) if passed else None
            source = f"attempt:{deciding.id}" if deciding is not None else None
    return courses_api.RequirementResult(
        satisfied=satisfied,
        label="Đạt bài kiểm tra cuối khóa",
        score_percent=score,
        source=source if satisfied else None,
    )


def history_query(official_id: int):
    """An official's attempts, newest first."""
    return (
        select(Attempt)
        .where(Attempt.official_id == official_id)
        .options(selectinload(Attempt.quiz))
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    )


def results_query(quiz_id: int, user):
    """Graded attempts of a quiz the user may list (``permissions.can_list_results``: a unit head, their
    units' officials), best first then by name."""
    query = (
        select(Attempt)
        .join(Official, Attempt.official_id == Official.id)
        .where(Attempt.quiz_id == quiz_id, Attempt.state == AttemptState.SUBMITTED)
        .options(selectinload(Attempt.official))
    )
    query = can_list_results.scope(user, query)
    return query.order_by(Attempt.percent.desc(), Official.given_name, Official.family_name, Attempt.id)


def available_quizzes(session: Session, official_id: int, now: datetime) -> list[Quiz]:
    """Published quizzes an official may see: those of the courses they are enrolled in, plus
    practice quizzes (no course)."""
    query = select(Quiz).where(Quiz.published.is_(True)).order_by(Quiz.title, Quiz.id)
    quizzes = session.scalars(query).all()
    enrolled = courses_api.enrolled_course_ids(session, official_id)
    quizzes = [q for q in quizzes if q.course_id is None or q.course_id in enrolled]
    return [q for q in quizzes if q.close_at is None or q.close_at > now]


# --------------------------------------------------------------------------- statistics


@dataclass
class QuestionRow:
    question: Question
    stats: stats.QuestionStats


@dataclass
class QuizStatistics:
    quiz: stats.QuizStats
    questions: list[QuestionRow]


def quiz_statistics(session: Session, quiz: Quiz) -> QuizStatistics:
    """Item analysis over the graded attempts (``quizzes.stats.analyse``).

    Questions are drawn at random, so each question is analysed over the attempts that saw it:
    its mark against the rest of that attempt's score. The quiz-level figures use the slot marks.
    """
    attempts = session.scalars(
        select(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.SUBMITTED)
        .options(selectinload(Attempt.slots).selectinload(AttemptSlot.question_version))
        .order_by(Attempt.id)
    ).all()
    by_slot = [{s.slot_no: s.mark or 0.0 for s in a.slots} for a in attempts]
    max_by_slot: dict[int, float] = {}
    for a in attempts:
        for s in a.slots:
            max_by_slot[s.slot_no] = max(max_by_slot.get(s.slot_no, 0.0), s.max_mark)
    max_total = sum(max_by_slot.values())
    overall = stats.analyse(by_slot, max_by_slot, pass_mark=max_total * quiz.pass_percent / 100 if max_total else None)
    seen: dict[int, list[tuple[float, float, float, float]]] = defaultdict(list)  # qid -> (mark, max, total, max_total)
    for a in attempts:
        total = sum(s.mark or 0.0 for s in a.slots)
        total_max = sum(s.max_mark for s in a.slots)
        for s in a.slots:
            seen[s.question_version.question_id].append((s.mark or 0.0, s.max_mark, total, total_max))
    questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(list(seen))))}
    rows = []
    for qid, marks in seen.items():
        max_mark = max(m[1] for m in marks)
        rest_max = max(m[3] - m[1] for m in marks)
        result = stats.analyse([{"q": m[0], "rest": m[2] - m[0]} for m in marks], {"q": max_mark, "rest": rest_max})
        rows.append(QuestionRow(questions[qid], result.questions[0]))
    rows.sort(key=lambda r: (r.question.category.path, r.question.title))
    return QuizStatistics(overall, rows)


STATS_COLUMNS = [
    "question_id",
    "category",
    "title",
    "type",
    "attempts",
    "mean_mark",
    "max_mark",
    "facility",
    "sd",
    "discrimination",
    "flags",
]


def statistics_csv(result: QuizStatistics) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATS_COLUMNS)

    def num(value: float | None) -> str:
        return "" if value is None else f"{value:.4f}"

    for row in result.questions:
        s = row.stats
        writer.writerow(
            [
                row.question.id,
                row.question.category.path,
                row.question.title,
                row.question.qtype,
                s.count,
                num(s.mean),
                num(s.max_mark),
                num(s.facility),
                num(s.sd),
                num(s.discrimination),
                " ".join(s.flags),
            ]
        )
    return out.getvalue()


# --------------------------------------------------------------------------- quiz settings


def set_draws(session: Session, quiz: Quiz, counts: Mapping[int, int]) -> None:
    """Replace the quiz's draws with ``{category_id: count}`` (counts <= 0 dropped)."""
    wanted = {cid: n for cid, n in counts.items() if n and n > 0}
    for draw in list(quiz.draws):
        if draw.category_id not in wanted:
            quiz.draws.remove(draw)
        else:
            draw.count = wanted.pop(draw.category_id)
    for cid, n in wanted.items():
        quiz.draws.append(QuizDraw(category_id=cid, count=n))
    session.flush()


def set_override(
    session: Session,
    quiz: Quiz,
    official_id: int,
    extra_minutes: int,
    extra_attempts: int,
    reason: str,
    granted_by_id: int | None,
    now: datetime,
) -> QuizOverride:
    override = get_override(session, quiz.id, official_id)
    if override is None:
        override = QuizOverride(quiz_id=quiz.id, official_id=official_id)
        session.add(override)
    override.extra_minutes, override.extra_attempts = max(0, extra_minutes), max(0, extra_attempts)
    override.reason, override.granted_by_id, override.granted_at = clean_text(reason)[:500], granted_by_id, now
    session.flush()
    return override
