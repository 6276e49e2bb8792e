"""Units and officials: queries and changes, as plain functions over a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lms import events
from lms.errors import UserError
from lms.org.models import SUCCESSION_KINDS, Category, Level, Official, Position, Unit, UnitKind, UnitSuccession
from lms.text import clean_text, fold
from lms.time import local_today

# codes of the downloadable templates' example rows: no unit or official may have one
EXAMPLE_CODE_PREFIX = "VIDU-"
NAME_PART_MAX = 80  # characters of each of family, middle and given name (the columns' length)


class OrgError(UserError):
    """A unit or official mistake, with a message fit for the page."""


def _refuse_example_code(code: str | None) -> None:
    if code and code.upper().startswith(EXAMPLE_CODE_PREFIX):
        raise OrgError(_("Mã bắt đầu bằng %(p)s dành cho dòng ví dụ của tệp mẫu.", p=EXAMPLE_CODE_PREFIX))


@dataclass
class OfficialFilters:
    q: str = ""
    unit_id: int | None = None
    unit_ids: set[int] | None = None  # restrict to these (a unit head's scope)
    category: str = ""
    level: str = ""
    position: str = ""
    active: bool | None = True


def officials_query(filters: OfficialFilters) -> Select:
    """Officials matching ``filters``, in Vietnamese list order (tên, họ, đệm, năm sinh)."""
    stmt = select(Official)
    if filters.q:
        for word in fold(filters.q).split():
            stmt = stmt.where(Official.search_text.like(f"%{word}%"))
    if filters.unit_id is not None:
        stmt = stmt.where(Official.unit_id == filters.unit_id)
    if filters.unit_ids is not None:
        stmt = stmt.where(Official.unit_id.in_(filters.unit_ids or {-1}))
    if filters.category in Category._value2member_map_:
        stmt = stmt.where(Official.category == Category(filters.category))
    if filters.level in Level._value2member_map_:
        stmt = stmt.where(Official.level == Level(filters.level))
    if filters.position in Position._value2member_map_:
        stmt = stmt.where(Official.position == Position(filters.position))
    if filters.active is not None:
        stmt = stmt.where(Official.active == filters.active)
    return stmt.order_by(Official.sort_key, Official.id)


def units_query(q: str = "", kind: str = "", on: date | None = None) -> Select:
    stmt = select(Unit)
    if q:
        for word in fold(q).split():
            stmt = stmt.where(Unit.search_text.like(f"%{word}%"))
    if kind in UnitKind._value2member_map_:
        stmt = stmt.where(Unit.kind == UnitKind(kind))
    if on is not None:
        stmt = stmt.where((Unit.valid_from.is_(None)) | (Unit.valid_from <= on))
        stmt = stmt.where((Unit.valid_until.is_(None)) | (Unit.valid_until > on))
    return stmt.order_by(Unit.kind, Unit.name)


def staff_counts(session: Session, unit_ids: list[int]) -> dict[int, int]:
    if not unit_ids:
        return {}
    rows = session.execute(
        select(Official.unit_id, func.count())
        .where(Official.unit_id.in_(unit_ids), Official.active.is_(True))
        .group_by(Official.unit_id)
    )
    return dict(rows.all())


def get_unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == clean_text(code).upper()))


def save_unit(session: Session, unit: Unit) -> Unit:
    unit.refresh_derived()
    _refuse_example_code(unit.code)
    if unit.valid_from and unit.valid_until and unit.valid_until <= unit.valid_from:
        raise OrgError(_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."))
    session.add(unit)
    session.flush()
    return unit


def save_official(session: Session, official: Official, *, notify: bool = True, flush: bool = True) -> Official:
    """Create or update an official (flush only).

    ``notify`` sends ``officials_changed`` for this one official; a bulk caller (the import) passes
    ``False`` and calls ``notify_officials_changed`` once with everybody it saved, and may pass
    ``flush=False`` and flush every thousand rows (one INSERT per row and flush made most of the time
    of a 30,000-row import).
    """
    official.refresh_derived()
    if not official.given_name:
        raise OrgError(_("Cần có tên của cán bộ."))
    for part in ("family_name", "middle_name", "given_name"):  # PostgreSQL refuses longer (a 500 before)
        if len(getattr(official, part) or "") > NAME_PART_MAX:
            raise OrgError(_("Họ, tên đệm và tên: mỗi phần tối đa %(n)d ký tự.", n=NAME_PART_MAX))
    _refuse_example_code(official.code)
    session.add(official)
    if flush or notify:
        session.flush()
    if notify:
        notify_officials_changed(session, [official])
    return official


def notify_officials_changed(session: Session, officials: list[Official]) -> None:
    """Tell other packages (e.g. course assignments) that these officials were created or changed.

    Receivers run in this transaction and only flush.
    """
    if officials:
        session.flush()
        events.officials_changed.send(session, officials=list(officials))


def record_succession(
    session: Session,
    predecessors: list[Unit],
    successor: Unit,
    effective_on: date,
    kind: str = "merge",
    note: str = "",
    move_staff: bool = True,
    end_predecessors: bool | None = None,
) -> list[UnitSuccession]:
    """Record a merger (several -> one), a split (one -> several, call once per successor) or a rename.

    Predecessors stop being valid on ``effective_on`` but keep their history (a split ends its
    predecessor only with ``end_predecessors``, for the last part); a new successor starts then.
    For a merger or rename, active staff move to the successor when ``move_staff``, the active
    sub-units of the predecessors are placed under the successor, and a successor whose parent ends
    is placed under the nearest ancestor that goes on (``successor_parent``). A change that would
    make a loop in ``Unit.parent_id`` raises ``OrgError`` before anything is written.
    """
    if kind not in SUCCESSION_KINDS:
        raise OrgError(_("Loại thay đổi không hợp lệ."))
    if successor in predecessors:
        raise OrgError(_("Đơn vị mới không thể đồng thời là đơn vị cũ."))
    if end_predecessors is None:
        end_predecessors = kind != "split"
    old_ids = [u.id for u in predecessors]
    children, parent_id = [], successor.parent_id
    if kind != "split":
        children = _active_children(session, old_ids, effective_on, exclude=successor.id)
        if end_predecessors:
            above = successor_parent(session, successor, set(old_ids))
            parent_id = above.id if above else None
        loop = _first_ancestor_among(session, parent_id, children)
        if loop is not None:
            raise OrgError(_loop_message(loop))
    if successor.id is None:  # an existing successor keeps its own start date
        successor.valid_from = successor.valid_from or effective_on
    successor.parent_id = parent_id
    save_unit(session, successor)
    links = []
    moved: list[Official] = []
    for old in predecessors:
        if end_predecessors:
            old.valid_until = effective_on
        link = UnitSuccession(
            predecessor_id=old.id, successor_id=successor.id, effective_on=effective_on, kind=kind, note=note
        )
        session.add(link)
        links.append(link)
        if move_staff and kind != "split":
            for official in session.scalars(select(Official).where(Official.unit_id == old.id)):
                official.unit_id = successor.id
                moved.append(official)
    for child in children:
        child.parent_id = successor.id
    if children:  # their staff now sit below the successor (assignments that include sub-units)
        session.flush()
        seen = {o.id for o in moved}
        moved += [o for o in staff_below(session, [c.id for c in children]) if o.id not in seen]
    session.flush()
    notify_officials_changed(session, moved)
    return links


def successor_parent(session: Session, successor: Unit, ending_ids: set[int]) -> Unit | None:
    """Where a successor sits after a merger or rename: its parent, or, if that parent ends
    (``ending_ids``), the nearest ancestor that goes on (None: no parent left). Never the successor
    itself, even if old data holds a loop."""
    seen = {successor.id}
    parent_id = successor.parent_id
    while parent_id is not None and parent_id not in seen:
        parent = session.get(Unit, parent_id)
        if parent is None or parent.id not in ending_ids:
            return parent
        seen.add(parent_id)
        parent_id = parent.parent_id
    return None


def _first_ancestor_among(session: Session, parent_id: int | None, units: list[Unit]) -> Unit | None:
    """The first of ``units`` met going up from ``parent_id``: placing it under the unit below would make a loop."""
    by_id = {u.id: u for u in units}
    seen: set[int] = set()
    while parent_id is not None and parent_id not in seen:
        if parent_id in by_id:
            return by_id[parent_id]
        seen.add(parent_id)
        parent_id = session.scalar(select(Unit.parent_id).where(Unit.id == parent_id))
    return None


def _loop_message(child: Unit) -> str:
    return _("Đơn vị mới nằm dưới %(n)s, một đơn vị trực thuộc đơn vị cũ.", n=child.name)


def _active_children(session: Session, parent_ids: list[int], on: date, exclude: int | None = None) -> list[Unit]:
    """Sub-units of ``parent_ids`` (not among them) still active on ``on`` (not ended by then)."""
    if not parent_ids:
        return []
    stmt = select(Unit).where(
        Unit.parent_id.in_(parent_ids),
        Unit.id.not_in(parent_ids),
        (Unit.valid_until.is_(None)) | (Unit.valid_until > on),
    )
    if exclude is not None:
        stmt = stmt.where(Unit.id != exclude)
    return list(session.scalars(stmt.order_by(Unit.name, Unit.id)))


def staff_below(session: Session, roots: list[int]) -> list[Official]:
    """Active officials of ``roots`` and of every unit below them (``Unit.parent_id``)."""
    found, todo = set(roots), list(roots)
    while todo:
        batch, todo = todo, []
        for (child,) in session.execute(select(Unit.id).where(Unit.parent_id.in_(batch))):
            if child not in found:
                found.add(child)
                todo.append(child)
    if not found:
        return []
    return list(session.scalars(select(Official).where(Official.unit_id.in_(sorted(found)), Official.active.is_(True))))


# -- merger, split, rename from the web page: plan (validate + preview), then apply -----------------
@dataclass
class NewUnitSpec:
    code: str
    name: str
    kind: str
    parent_id: int | None = None


@dataclass
class SuccessionRequest:
    kind: str
    old_ids: list[int]
    effective_on: date
    successor_id: int | None = None  # an existing unit, or else ``new_unit``
    new_unit: NewUnitSpec | None = None
    note: str = ""
    move_heads: bool = False  # merger/rename: unit-head roles of the old units go to the new unit
    end_old: bool = False  # split: this is the last part, the old unit ends


class SuccessionInvalid(OrgError):
    """Errors by form field (``kind``, ``old_ids``, ``successor_id``, ``new_code`` ...)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(" ".join(m for msgs in errors.values() for m in msgs))
        self.errors = errors


@dataclass(frozen=True)
class SuccessionImpact:
    """What a merger, split or rename touches of one feature's data, for the preview (a receiver of
    ``lms.events.units_changing`` returns one): a heading, the items (or ``none`` when there are
    none, with ``intro`` before them) and ``key`` (their ids: a confirmation must match the preview)."""

    title: str
    intro: str
    none: str
    items: tuple[str, ...]
    key: tuple


@dataclass
class SuccessionPlan:
    """What a change will do, computed without writing anything (the preview)."""

    request: SuccessionRequest
    olds: list[Unit]
    successor: Unit | None  # None: a new unit from ``request.new_unit``
    new_parent: Unit | None
    ending: list[Unit]
    staff: dict[int, int]  # active officials per old unit
    heads: list  # unit-head RoleAssignments on the old units
    impacts: list[SuccessionImpact]  # what the features say the change touches of theirs
    children: list[Unit]  # active sub-units placed under the successor
    successor_move: tuple[Unit, Unit | None] | None = None  # (its parent that ends, where it goes instead)

    @property
    def moves_staff(self) -> bool:
        return self.request.kind != "split"

    @property
    def staff_total(self) -> int:
        return sum(self.staff.values())

    @property
    def successor_name(self) -> str:
        return self.successor.name if self.successor else clean_text(self.request.new_unit.name)

    @property
    def successor_code(self) -> str:
        return self.successor.code if self.successor else clean_text(self.request.new_unit.code).upper()

    def digest(self) -> str:
        """Fingerprint of the input and the preview's figures: a confirmation must match what was shown."""
        import hashlib

        r = self.request
        parts = (
            r.kind,
            tuple(sorted(u.id for u in self.olds)),
            r.effective_on.isoformat(),
            r.successor_id,
            (r.new_unit.code, r.new_unit.name, r.new_unit.kind, r.new_unit.parent_id) if r.new_unit else None,
            r.note,
            r.move_heads,
            r.end_old,
            tuple(sorted(self.staff.items())),
            tuple(sorted(a.id for a in self.heads)),
            tuple(impact.key for impact in self.impacts),
            tuple(sorted(c.id for c in self.children)),
            tuple(u.id if u else None for u in self.successor_move) if self.successor_move else None,
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _ended_message(unit: Unit) -> str:
    return _("Đơn vị %(n)s đã chấm dứt hoạt động từ ngày %(d)s.", n=unit.name, d=unit.valid_until.strftime("%d/%m/%Y"))


def plan_succession(session: Session, req: SuccessionRequest) -> SuccessionPlan:
    """Validate a merger/split/rename and list what it will change; raises ``SuccessionInvalid``."""
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if req.kind not in SUCCESSION_KINDS:
        err("kind", _("Hãy chọn loại thay đổi: sáp nhập, chia tách hoặc đổi tên."))
    ids = list(dict.fromkeys(req.old_ids))
    olds = list(session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.name, Unit.id))) if ids else []
    if not ids:
        err("old_ids", _("Hãy chọn ít nhất một đơn vị cũ."))
    elif len(olds) != len(ids):
        err("old_ids", _("Không tìm thấy một số đơn vị cũ đã chọn. Hãy tải lại trang và chọn lại."))
    elif req.kind in ("split", "rename") and len(olds) > 1:
        err("old_ids", _("Chia tách hoặc đổi tên: chỉ chọn một đơn vị cũ."))
    for old in olds:
        if old.valid_until is not None:
            err("old_ids", _ended_message(old))
        elif old.valid_from is not None and req.effective_on <= old.valid_from:
            err(
                "effective_on",
                _(
                    "Ngày hiệu lực phải sau ngày đơn vị %(n)s bắt đầu hoạt động (%(d)s).",
                    n=old.name,
                    d=old.valid_from.strftime("%d/%m/%Y"),
                ),
            )
    old_ids = {u.id for u in olds}

    successor = new_parent = None
    if req.successor_id is not None:
        successor = session.get(Unit, req.successor_id)
        if successor is None:
            err("successor_id", _("Không tìm thấy đơn vị mới đã chọn."))
        elif successor.id in old_ids:
            err("successor_id", _("Đơn vị mới không thể đồng thời là đơn vị cũ."))
        elif successor.valid_until is not None:
            err("successor_id", _ended_message(successor))
        elif successor.valid_from is not None and successor.valid_from > req.effective_on:
            err("successor_id", _("Đơn vị %(n)s chỉ bắt đầu hoạt động sau ngày hiệu lực.", n=successor.name))
        elif olds:
            already = session.scalar(
                select(UnitSuccession).where(
                    UnitSuccession.predecessor_id.in_(old_ids), UnitSuccession.successor_id == successor.id
                )
            )
            if already is not None:
                err(
                    "old_ids",
                    _(
                        "Thay đổi từ %(o)s sang %(n)s đã được ghi trước đây.",
                        o=already.predecessor.name,
                        n=successor.name,
                    ),
                )
    elif req.new_unit is None:
        err("successor_id", _("Hãy chọn đơn vị mới, hoặc nhập thông tin đơn vị mới."))
    else:
        spec = req.new_unit
        code = clean_text(spec.code).upper()
        if not code:
            err("new_code", _("Hãy nhập mã của đơn vị mới."))
        elif len(code) > 32:
            err("new_code", _("Mã đơn vị dài tối đa 32 ký tự."))
        else:
            same = get_unit_by_code(session, code)
            if same is not None:
                err(
                    "new_code",
                    _(
                        "Mã %(c)s đã có (đơn vị %(n)s). Hãy dùng mã khác, hoặc chọn “đơn vị đã có”.",
                        c=code,
                        n=same.name,
                    ),
                )
        if not clean_text(spec.name):
            err("new_name", _("Hãy nhập tên của đơn vị mới."))
        if spec.kind not in UnitKind._value2member_map_:
            err("new_kind", _("Hãy chọn khối của đơn vị mới."))
        if spec.parent_id is not None:
            new_parent = session.get(Unit, spec.parent_id)
            if new_parent is None:
                err("new_parent_id", _("Không tìm thấy đơn vị cấp trên đã chọn."))
            elif new_parent.id in old_ids:
                err("new_parent_id", _("Đơn vị cấp trên không thể là một đơn vị cũ (đơn vị này sẽ chấm dứt)."))
            elif new_parent.valid_until is not None:
                err("new_parent_id", _ended_message(new_parent))

    ends = req.kind != "split" or req.end_old
    children = []
    successor_move = None
    if req.kind != "split" and olds:
        children = _active_children(
            session, list(old_ids), req.effective_on, exclude=successor.id if successor else None
        )
        if successor is not None:
            parent_id = successor.parent_id
            above = successor_parent(session, successor, old_ids)
            if (above.id if above else None) != parent_id:
                successor_move = (session.get(Unit, parent_id), above)
                parent_id = above.id if above else None
        else:
            parent_id = new_parent.id if new_parent else None
        loop = _first_ancestor_among(session, parent_id, children)  # a sub-unit under its own descendant
        if loop is not None:
            err("successor_id" if successor is not None else "new_parent_id", _loop_message(loop))
    if errors:
        raise SuccessionInvalid(errors)

    from lms.auth.models import Role, RoleAssignment

    heads = list(
        session.scalars(
            select(RoleAssignment)
            .where(RoleAssignment.role == Role.UNIT_HEAD, RoleAssignment.unit_id.in_(old_ids))
            .order_by(RoleAssignment.unit_id, RoleAssignment.id)
        )
    )
    answers = events.units_changing.send(session, unit_ids=sorted(old_ids), today=local_today())
    return SuccessionPlan(
        request=req,
        olds=olds,
        successor=successor,
        new_parent=new_parent,
        ending=olds if ends else [],
        staff=staff_counts(session, list(old_ids)),
        heads=heads,
        impacts=[impact for _receiver, impact in answers if impact is not None],
        children=children,
        successor_move=successor_move,
    )


def apply_succession(session: Session, plan: SuccessionPlan, actor, ip: str = "") -> Unit:
    """Write a planned change in the caller's transaction (flush only): the new unit, the succession
    links, ended units, moved staff and sub-units, moved unit-head roles (when asked), an audit entry."""
    from lms.auth.models import Role
    from lms.auth.services import assign_role, audit, revoke_role

    req = plan.request
    successor = plan.successor
    if successor is None:
        spec = req.new_unit
        successor = Unit(code=spec.code, name=spec.name, kind=UnitKind(spec.kind), parent_id=spec.parent_id)
    record_succession(
        session,
        plan.olds,
        successor,
        req.effective_on,
        kind=req.kind,
        note=clean_text(req.note),
        move_staff=plan.moves_staff,
        end_predecessors=bool(plan.ending),
    )
    moved_under = None
    if plan.successor_move:
        above = plan.successor_move[1]
        moved_under = above.id if above else "province"
    heads_moved = 0
    if req.move_heads and req.kind != "split":
        for assignment in list(plan.heads):
            assign_role(session, actor, assignment.user, Role.UNIT_HEAD, successor, ip=ip)
            revoke_role(session, actor, assignment, ip=ip)
            heads_moved += 1
    audit(
        session,
        actor,
        f"unit.{req.kind}",
        target=f"unit:{successor.id}",
        data={
            "from_units": [u.id for u in plan.olds],
            "on": req.effective_on.isoformat(),
            "ended": len(plan.ending),
            "staff_moved": plan.staff_total if plan.moves_staff else 0,
            "subunits": len(plan.children),
            "heads_moved": heads_moved,
            "moved_under": moved_under,
            "note": clean_text(req.note) or None,
        },
        ip=ip,
    )
    session.flush()
    return successor
