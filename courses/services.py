"""Course use cases: catalog, enrolment, progress, assignment, completion, authoring.

Plain functions over a session: they flush, never commit (the request or CLI command commits once).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from courses.loader import render_markdown
from courses.models import Course, CourseAssignment, Enrolment, EnrolmentSource, Lesson, LessonProgress
from courses.permissions import can_assign_to_unit, can_assign_with_subunits, can_see_assignment
from lms import events
from lms.errors import NotAllowed, UserError
from lms.org.models import Category, Level, Official, Unit
from lms.org.services import SuccessionImpact
from lms.text import fold
from lms.time import local_today, utcnow
from lms.topics import Topic

_L = TypeVar("_L")  # a lesson, or what stands for one (courses.api.LessonStep)


class CourseError(UserError):
    """A course, enrolment or assignment mistake, shown in the page (Vietnamese message)."""


class AssignmentForbidden(CourseError, NotAllowed):
    """The actor may not assign to that group (a unit head outside their unit): the view answers 403."""


# -- catalog -----------------------------------------------------------------------------------------
def catalog_query(q: str = "", topic: str = "", include_drafts: bool = False) -> Select:
    """Courses, searched with or without diacritics (``fold``), ordered by title then id."""
    stmt = select(Course)
    if not include_drafts:
        stmt = stmt.where(Course.published.is_(True))
    if topic in {t.value for t in Topic}:
        stmt = stmt.where(Course.topic == Topic(topic))
    for word in fold(q).split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Course.search_text.like(f"%{escaped}%", escape="\\"))
    return stmt.order_by(Course.title, Course.id)


def get_course_by_slug(session: Session, slug: str) -> Course | None:
    return session.scalar(select(Course).where(Course.slug == slug))


def get_lesson(session: Session, course: Course, lesson_slug: str) -> Lesson | None:
    return session.scalar(select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == lesson_slug))


# -- enrolment and progress --------------------------------------------------------------------------
def get_enrolment(session: Session, official_id: int, course_id: int) -> Enrolment | None:
    return session.scalar(
        select(Enrolment).where(Enrolment.official_id == official_id, Enrolment.course_id == course_id)
    )


def enrol(
    session: Session,
    official_id: int,
    course_id: int,
    source: EnrolmentSource = EnrolmentSource.SELF,
    due_on: date | None = None,
) -> Enrolment:
    """Enrol an official (idempotent: the unique (official, course) constraint decides).

    Enrolling again keeps the row; an assignment turns a self-enrolment into an assigned one and the
    earliest due date wins.
    """
    enrolment = get_enrolment(session, official_id, course_id)
    if enrolment is None:
        try:
            with session.begin_nested():
                enrolment = Enrolment(official_id=official_id, course_id=course_id, source=source, due_on=due_on)
                session.add(enrolment)
            return enrolment
        except IntegrityError:
            enrolment = get_enrolment(session, official_id, course_id)
            if enrolment is None:  # pragma: no cover - not a duplicate: a real integrity problem
                raise
    _merge_assignment(enrolment, source, due_on)
    session.flush()
    return enrolment


def _merge_assignment(enrolment: Enrolment, source: EnrolmentSource, due_on: date | None) -> None:
    if source == EnrolmentSource.ASSIGNED:
        enrolment.source = EnrolmentSource.ASSIGNED
        if due_on is not None and (enrolment.due_on is None or due_on < enrolment.due_on):
            enrolment.due_on = due_on


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def finished_lessons(self) -> bool:
        return self.total > 0 and self.done >= self.total


def done_lesson_ids(session: Session, official_id: int, course_id: int) -> set[int]:
    return set(
        session.scalars(
            select(LessonProgress.lesson_id)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.official_id == official_id, Lesson.course_id == course_id)
        )
    )


def progress_by_course(session: Session, official_id: int | None, course_ids: Iterable[int]) -> dict[int, Progress]:
    """Progress over the *published* lessons of each course, in two queries."""
    ids = list(course_ids)
    if not ids:
        return {}
    totals = dict(
        session.execute(
            select(Lesson.course_id, func.count(Lesson.id))
            .where(Lesson.course_id.in_(ids), Lesson.published.is_(True))
            .group_by(Lesson.course_id)
        ).all()
    )
    done: dict[int, int] = {}
    if official_id is not None:
        done = dict(
            session.execute(
                select(Lesson.course_id, func.count(LessonProgress.id))
                .join(Lesson, Lesson.id == LessonProgress.lesson_id)
                .where(LessonProgress.official_id == official_id, Lesson.course_id.in_(ids), Lesson.published.is_(True))
                .group_by(Lesson.course_id)
            ).all()
        )
    return {cid: Progress(done.get(cid, 0), totals.get(cid, 0)) for cid in ids}


def course_progress(session: Session, official_id: int, course: Course) -> Progress:
    return progress_by_course(session, official_id, [course.id])[course.id]


def next_lesson(session: Session, official_id: int, course: Course) -> Lesson | None:
    """Where "continue" leads: the first unfinished published lesson after the last one opened or
    finished, else the first unfinished one; ``None`` when every lesson is done."""
    done = done_lesson_ids(session, official_id, course.id)
    enrolment = get_enrolment(session, official_id, course.id)
    return pick_next_lesson(course.published_lessons, done, enrolment.last_lesson_id if enrolment else None)


def pick_next_lesson(lessons: list[_L], done: set[int], last_lesson_id: int | None) -> _L | None:
    """``next_lesson`` over what the caller has read already (``lessons``: anything with an ``id``;
    ``last_lesson_id``: the enrolment's last lesson, None without an enrolment)."""
    start = 0
    if last_lesson_id is not None:
        for i, lesson in enumerate(lessons):
            if lesson.id == last_lesson_id:
                start = i
                break
    for lesson in lessons[start:] + lessons[:start]:
        if lesson.id not in done:
            return lesson
    return None


def mark_lesson_done(session: Session, official_id: int, lesson: Lesson, now: datetime | None = None) -> Enrolment:
    """Record a finished lesson (idempotent), remember it as the last lesson, then check completion."""
    if not lesson.published or not lesson.course.published:
        raise CourseError(_("Bài học này chưa được phát hành."))
    enrolment = enrol(session, official_id, lesson.course_id)
    try:
        with session.begin_nested():
            session.add(LessonProgress(official_id=official_id, lesson_id=lesson.id, done_at=now or utcnow()))
    except IntegrityError:
        pass  # already done
    enrolment.last_lesson_id = lesson.id
    session.flush()
    check_completion(
        session, official_id, lesson.course_id, source=f"lessons:{official_id}:{lesson.course_id}", now=now
    )
    return enrolment


# -- completion --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RequirementResult:
    """What one completion requirement says for (official, course).

    ``source`` identifies what satisfied it (e.g. ``"attempt:123"``), ``score_percent`` the score;
    ``endpoint`` and ``endpoint_args`` (pairs) the page where the official meets it (the final quiz),
    so the course page can link there.
    """

    satisfied: bool
    label: str
    score_percent: float | None = None
    source: str | None = None
    endpoint: str | None = None
    endpoint_args: tuple[tuple[str, Any], ...] = ()

    @property
    def link_args(self) -> dict[str, Any]:
        return dict(self.endpoint_args)


Requirement = Callable[[Session, int, Course], RequirementResult | bool | None]
_REQUIREMENTS: list[Requirement] = []


def register_completion_requirement(fn: Requirement) -> Requirement:
    """Add a completion requirement (e.g. "final quiz passed"); usable as a decorator.

    ``fn(session, official_id, course)`` (``course`` is the ``Course``) returns a ``RequirementResult``
    (a plain bool is accepted too), or ``None`` when it does not apply to that course.
    """
    if fn not in _REQUIREMENTS:
        _REQUIREMENTS.append(fn)
    return fn


def unregister_completion_requirement(fn: Requirement) -> None:
    if fn in _REQUIREMENTS:
        _REQUIREMENTS.remove(fn)


@dataclass(frozen=True)
class CompletionStatus:
    progress: Progress
    requirements: list[RequirementResult] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.progress.finished_lessons and all(r.satisfied for r in self.requirements)

    @property
    def score_percent(self) -> float | None:
        return next((r.score_percent for r in self.requirements if r.score_percent is not None), None)

    @property
    def source(self) -> str | None:
        return next((r.source for r in self.requirements if r.source), None)

    @property
    def missing(self) -> list[RequirementResult]:
        return [r for r in self.requirements if not r.satisfied]


def completion_status(session: Session, official_id: int, course: Course) -> CompletionStatus:
    """Complete = every published lesson done AND every registered requirement satisfied."""
    results = []
    for requirement in list(_REQUIREMENTS):
        result = requirement(session, official_id, course)
        if isinstance(result, bool):
            result = RequirementResult(result, _("Điều kiện hoàn thành khác của khóa học"))
        if result is not None:
            results.append(result)
    return CompletionStatus(course_progress(session, official_id, course), results)


def check_completion(
    session: Session,
    official_id: int,
    course_id: int,
    source: str,
    now: datetime | None = None,
    *,
    passed_again: float | None = None,
) -> bool:
    """Complete the enrolment once, and send ``course_completed``. Returns True when it completed now.

    The event's ``source`` is the requirement's (e.g. the passing attempt) when one gives it, else
    ``source``; either way the same completion always carries the same source. ``passed_again`` (the
    score of a pass that met the requirement on its own, e.g. a final quiz attempt at or above its
    pass mark): when the enrolment was completed before, ``course_completed`` is sent again with
    ``again=True``, ``source`` and that score (a re-certification).
    """
    course = session.get(Course, course_id)
    if course is None:
        return False
    status = completion_status(session, official_id, course)
    if not status.complete:
        return False
    enrolment = enrol(session, official_id, course_id)
    if enrolment.completed_at is not None:
        if passed_again is not None:
            # completed long ago and the final quiz passed again: a completion of its own (its source
            # and score are this pass's), so certificates can renew one that is about to expire
            events.course_completed.send(
                session,
                official_id=official_id,
                course_id=course_id,
                score_percent=passed_again,
                completed_at=now or utcnow(),
                source=source,
                again=True,
            )
        return False
    enrolment.completed_at = now or utcnow()
    session.flush()
    events.course_completed.send(
        session,
        official_id=official_id,
        course_id=course_id,
        score_percent=status.score_percent,
        completed_at=enrolment.completed_at,
        source=status.source or source,
    )
    return True


def on_course_requirement_met(session, official_id, course_id, source, now=None, passed_score=None, **_kw) -> None:
    """Receiver of ``lms.events.course_requirement_met`` (a final quiz passed): complete the course if it
    now is, or tell a completed course's certificate it was passed again (``passed_score``)."""
    check_completion(session, official_id, course_id, source=source, now=now, passed_again=passed_score)


# -- assignment --------------------------------------------------------------------------------------
def unit_subtree_ids(session: Session, unit_id: int, today: date | None = None) -> set[int]:
    """``unit_id`` and every unit below it (``Unit.parent_id``) that is active on ``today``."""
    return _subtrees(session, [unit_id], today or local_today())[unit_id]


def _subtrees(session: Session, root_ids: Iterable[int], today: date) -> dict[int, set[int]]:
    """For each root: the root and its descendants active on ``today``, from one query over the tree.

    An inactive unit in between does not cut the tree: its active children still belong to it.
    """
    roots = set(root_ids)
    if not roots:
        return {}
    children: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for uid, parent_id, valid_from, valid_until in session.execute(
        select(Unit.id, Unit.parent_id, Unit.valid_from, Unit.valid_until).where(Unit.parent_id.is_not(None))
    ):
        active = (valid_from is None or valid_from <= today) and (valid_until is None or today < valid_until)
        children[parent_id].append((uid, active))
    out = {}
    for root in roots:
        found, seen, todo = {root}, {root}, [root]
        while todo:
            for child, active in children.get(todo.pop(), ()):
                if child not in seen:  # a parent_id cycle in imported data must not loop forever
                    seen.add(child)
                    todo.append(child)
                    if active:
                        found.add(child)
        out[root] = found
    return out


def matching_officials_query(
    unit_id: int | None,
    category: Category | None,
    level: Level | None,
    official_ids: list[int] | None,
    *,
    unit_ids: Collection[int] | None = None,
) -> Select:
    """Active officials matching every filter set; ``unit_ids`` (a unit and its sub-units) wins over
    ``unit_id``."""
    stmt = select(Official.id).where(Official.active.is_(True))
    if unit_ids is not None:
        stmt = stmt.where(Official.unit_id.in_(sorted(unit_ids)))
    elif unit_id is not None:
        stmt = stmt.where(Official.unit_id == unit_id)
    if category is not None:
        stmt = stmt.where(Official.category == category)
    if level is not None:
        stmt = stmt.where(Official.level == level)
    if official_ids:
        stmt = stmt.where(Official.id.in_(official_ids))
    return stmt


def assign_course(
    session: Session,
    actor,
    course: Course,
    due_on: date,
    *,
    unit_id: int | None = None,
    include_subunits: bool = False,
    category: Category | None = None,
    level: Level | None = None,
    official_ids: list[int] | None = None,
    note: str = "",
    today: date | None = None,
) -> CourseAssignment:
    """Assign ``course`` to the active officials matching every filter set, due ``due_on``.

    IT staff and admins: any unit (with ``include_subunits``, also every active unit below it),
    category, level (or the whole province). A unit head: only their own unit (``unit_id`` required,
    no sub-units), and only officials of that unit. Existing enrolments become assigned and keep the
    earliest due date; new ones are created. Officials who match later are enrolled by
    ``enrol_in_open_assignments`` while the assignment is open.
    """
    if not can_assign_to_unit(actor, unit_id):
        raise AssignmentForbidden(_("Bạn chỉ được giao khóa học cho cán bộ của đơn vị mình."))
    if include_subunits and not can_assign_with_subunits(actor):
        raise AssignmentForbidden(_("Bạn chỉ được giao khóa học trong đơn vị mình, không gồm các đơn vị trực thuộc."))
    today = today or local_today()
    include_subunits = bool(include_subunits and unit_id is not None)  # the whole province has no "below"
    unit_ids = unit_subtree_ids(session, unit_id, today) if include_subunits else None
    if official_ids and unit_id is not None:
        scope = unit_ids or {unit_id}
        outside = session.scalar(
            select(func.count())
            .select_from(Official)
            .where(Official.id.in_(official_ids), Official.unit_id.not_in(sorted(scope)))
        )
        if outside:
            raise AssignmentForbidden(_("Có cán bộ được chọn không thuộc đơn vị này."))
    if not course.published:
        raise CourseError(_("Khóa học này chưa được phát hành nên chưa giao được."), "course_id")
    if due_on < today:
        raise CourseError(_("Hạn hoàn thành phải từ hôm nay trở đi."), "due_on")
    ids = list(session.scalars(matching_officials_query(unit_id, category, level, official_ids, unit_ids=unit_ids)))
    if not ids:
        raise CourseError(_("Không có cán bộ đang công tác nào khớp với lựa chọn này."))
    assignment = CourseAssignment(
        course_id=course.id,
        due_on=due_on,
        unit_id=unit_id,
        include_subunits=include_subunits,
        category=category,
        level=level,
        official_ids=sorted(official_ids) if official_ids else None,
        created_by_id=actor.id,
        note=note,
        enrolled_count=len(ids),
    )
    session.add(assignment)
    existing = {
        e.official_id: e
        for chunk in _chunks(ids, 500)
        for e in session.scalars(
            select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.official_id.in_(chunk))
        )
    }
    for official_id in ids:
        if official_id in existing:
            _merge_assignment(existing[official_id], EnrolmentSource.ASSIGNED, due_on)
        else:
            session.add(
                Enrolment(official_id=official_id, course_id=course.id, source=EnrolmentSource.ASSIGNED, due_on=due_on)
            )
    session.flush()
    return assignment


def enrol_in_open_assignments(session: Session, officials: Iterable[Official], today: date | None = None) -> int:
    """Enrol ``officials`` (new, moved, changed, reactivated) in every open assignment they now match.

    Open = due today or later. Assignments to an explicit list of officials are left alone. The
    enrolment is assigned with the assignment's due date; an existing one is merged as ``enrol`` does
    (it becomes assigned, the earliest due date wins). An assignment's ``enrolled_count`` grows by the
    officials it newly brought in: a new enrolment, or a self-enrolment turned into an assigned one
    (an official already assigned the course is not counted again, so saving twice changes nothing).

    Set-based for an import of thousands: one query for the open assignments, one for the unit tree
    (only when an open assignment includes sub-units), one per 500 matched officials for their
    enrolments, one bulk INSERT. Flushes, never commits. Returns the number of (official, course)
    pairs newly assigned.
    """
    people = {o.id: o for o in officials if o.active and o.id is not None}
    if not people:
        return 0
    today = today or local_today()
    open_assignments = [
        a
        for a in session.scalars(
            select(CourseAssignment).where(CourseAssignment.due_on >= today).order_by(CourseAssignment.id)
        )
        if not a.official_ids
    ]
    if not open_assignments:
        return 0
    subtrees = _subtrees(
        session, {a.unit_id for a in open_assignments if a.include_subunits and a.unit_id is not None}, today
    )

    def matches(a: CourseAssignment, unit_id: int, category, level) -> bool:
        if a.unit_id is not None:
            if a.include_subunits:
                if unit_id not in subtrees[a.unit_id]:
                    return False
            elif unit_id != a.unit_id:
                return False
        return (a.category is None or a.category == category) and (a.level is None or a.level == level)

    groups: dict[tuple, list[int]] = defaultdict(list)  # officials alike for every filter, matched once
    for o in people.values():
        groups[(o.unit_id, o.category, o.level)].append(o.id)
    wanted: dict[tuple[int, int], list[CourseAssignment]] = defaultdict(list)  # (official, course) -> assignments
    for key, official_ids in groups.items():
        for a in open_assignments:
            if matches(a, *key):
                for official_id in official_ids:
                    wanted[(official_id, a.course_id)].append(a)
    if not wanted:
        return 0
    course_ids = sorted({course_id for _o, course_id in wanted})
    matched = sorted({official_id for official_id, _c in wanted})
    existing = {
        (e.official_id, e.course_id): e
        for chunk in _chunks(matched, 500)
        for e in session.scalars(
            select(Enrolment).where(Enrolment.course_id.in_(course_ids), Enrolment.official_id.in_(chunk))
        )
    }
    rows, counts, newly = [], Counter(), 0
    for (official_id, course_id), assignments in wanted.items():
        due_on = min(a.due_on for a in assignments)
        enrolment = existing.get((official_id, course_id))
        if enrolment is None:
            rows.append(
                {
                    "official_id": official_id,
                    "course_id": course_id,
                    "source": EnrolmentSource.ASSIGNED,
                    "due_on": due_on,
                }
            )
        else:
            already_assigned = enrolment.source == EnrolmentSource.ASSIGNED
            _merge_assignment(enrolment, EnrolmentSource.ASSIGNED, due_on)
            if already_assigned:
                continue
        newly += 1
        counts.update(a.id for a in assignments)
    if rows:
        session.execute(insert(Enrolment), rows)
    for a in open_assignments:
        if counts[a.id]:
            a.enrolled_count = CourseAssignment.enrolled_count + counts[a.id]
    session.flush()
    return newly


def on_officials_changed(session, officials=(), **_kw) -> None:
    """Receiver of ``lms.events.officials_changed``: enrol them in the open assignments they now match."""
    enrol_in_open_assignments(session, officials)


def on_units_changing(session, unit_ids=(), today=None, **_kw):
    """Receiver of ``lms.events.units_changing``: the open assignments aimed at the old units (they do
    not follow a merger: the preview says so)."""
    assignments = session.scalars(
        select(CourseAssignment)
        .where(CourseAssignment.unit_id.in_(list(unit_ids)), CourseAssignment.due_on >= (today or local_today()))
        .order_by(CourseAssignment.due_on, CourseAssignment.id)
    ).all()
    return SuccessionImpact(
        title=_("Đợt giao khóa học còn hạn"),
        intro=_(
            "Các đợt giao khóa học dưới đây nhắm vào đơn vị cũ. Chúng không tự chuyển sang đơn vị mới: người đã "
            "được giao vẫn giữ khóa học, nhưng người về đơn vị mới sau này sẽ không được giao. Nếu cần, hãy giao "
            "lại khóa học cho đơn vị mới."
        ),
        none=_("Không có đợt giao khóa học nào còn hạn cho đơn vị cũ."),
        items=tuple(
            _("%(c)s, giao cho %(u)s, hạn %(d)s", c=a.course.title, u=a.unit.name, d=a.due_on.strftime("%d/%m/%Y"))
            for a in assignments
        ),
        key=("course_assignments", *(a.id for a in assignments)),
    )


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def assignments_query(actor) -> Select:
    """Assignments the actor may see (``can_see_assignment``): all for province-wide staff, their unit's
    for a unit head."""
    return can_see_assignment.scope(actor, select(CourseAssignment)).order_by(
        CourseAssignment.created_at.desc(), CourseAssignment.id.desc()
    )


# -- dashboard -----------------------------------------------------------------------------------------
def my_enrolments_query(official_id: int, today: date) -> Select:
    """My courses: overdue first, then by due date (none last), then in progress, finished last."""
    overdue = and_(Enrolment.completed_at.is_(None), Enrolment.due_on.is_not(None), Enrolment.due_on < today)
    rank = case((overdue, 0), (Enrolment.completed_at.is_not(None), 2), else_=1)
    return (
        select(Enrolment)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.official_id == official_id, Course.published.is_(True))
        .order_by(rank, Enrolment.due_on.is_(None), Enrolment.due_on, Course.title, Course.id)
    )


@dataclass
class DashboardItem:
    enrolment: Enrolment
    course: Course
    progress: Progress
    next_lesson: Lesson | None
    overdue: bool

    @property
    def completed(self) -> bool:
        return self.enrolment.completed_at is not None


def dashboard_items(session: Session, enrolments: list[Enrolment], today: date) -> list[DashboardItem]:
    progress = progress_by_course(
        session, enrolments[0].official_id if enrolments else None, [e.course_id for e in enrolments]
    )
    return [
        DashboardItem(
            enrolment=e,
            course=e.course,
            progress=progress[e.course_id],
            next_lesson=None if e.completed_at else next_lesson(session, e.official_id, e.course),
            overdue=e.is_overdue(today),
        )
        for e in enrolments
    ]


def dashboard_data(session: Session, official_id: int, today: date | None = None, limit: int = 6) -> dict:
    today = today or local_today()
    stmt = my_enrolments_query(official_id, today)
    enrolments = list(session.scalars(stmt.limit(limit)))
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return {"items": dashboard_items(session, enrolments, today), "total": total, "today": today}


# -- authoring ---------------------------------------------------------------------------------------
RESERVED_SLUGS = {"manage", "mine", "assignments", "new", "preview", "static", "img"}


def save_course(session: Session, course: Course) -> Course:
    if course.slug in RESERVED_SLUGS:
        raise CourseError(_("Tên rút gọn này đã dành cho hệ thống, hãy chọn tên khác."), "slug")
    duplicate = session.scalar(select(Course.id).where(Course.slug == course.slug, Course.id != (course.id or -1)))
    if duplicate:
        raise CourseError(_("Đã có khóa học khác dùng tên rút gọn này."), "slug")
    course.intro_html = render_markdown(course.intro_md, course.slug)
    course.refresh_derived()
    if course.id is None:
        session.add(course)
    session.flush()
    return course


def save_lesson(session: Session, course: Course, lesson: Lesson) -> Lesson:
    """Create or edit a lesson. Editing never touches progress (it is keyed by the lesson id)."""
    duplicate = session.scalar(
        select(Lesson.id).where(
            Lesson.course_id == course.id, Lesson.slug == lesson.slug, Lesson.id != (lesson.id or -1)
        )
    )
    if duplicate:
        raise CourseError(_("Trong khóa học đã có bài khác dùng tên rút gọn này."), "slug")
    lesson.body_html = render_markdown(lesson.body_md, course.slug)
    if lesson.id is None:
        lesson.position = (max((x.position for x in course.lessons), default=0)) + 1
        course.lessons.append(lesson)
    session.flush()
    return lesson


def move_lesson(session: Session, lesson: Lesson, direction: str) -> None:
    """Swap a lesson with its neighbour ("up" or "down"); positions are renumbered 1..n."""
    lessons = sorted(lesson.course.lessons, key=lambda x: (x.position, x.id))
    i = lessons.index(lesson)
    j = i - 1 if direction == "up" else i + 1 if direction == "down" else i
    if 0 <= j < len(lessons) and j != i:
        lessons[i], lessons[j] = lessons[j], lessons[i]
    for n, item in enumerate(lessons, start=1):
        item.position = n
    session.flush()
