"""The question bank: categories, importing GIFT / CSV / XLSX files (plan, then write), versions,
archiving, export and editing one question."""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from lms.auth.services import audit
from lms.text import clean_text, fold
from lms.topics import Topic
from quizzes import gift, qtypes, tabular
from quizzes.errors import QuestionImportError, QuizError
from quizzes.gift import GiftResult, ParseError, QuestionData
from quizzes.models import (
    Question,
    QuestionCategory,
    QuestionVersion,
)


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


def questions_per_category(session: Session) -> dict[int, int]:
    """``{category id: active questions}``: what a category can give to a quiz's draw."""
    return dict(
        session.execute(
            select(Question.category_id, func.count())
            .where(Question.archived.is_(False))
            .group_by(Question.category_id)
        ).all()
    )


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
        data={"category": question.category.name},
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
