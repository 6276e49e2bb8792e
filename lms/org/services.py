"""Units and officials: queries and changes, as plain functions over a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lms import events
from lms.org.models import Category, Level, Official, Position, Unit, UnitKind, UnitSuccession
from lms.text import clean_text, fold


class OrgError(ValueError):
    """A user error with a message fit for the page."""


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
    if unit.valid_from and unit.valid_until and unit.valid_until <= unit.valid_from:
        raise OrgError(_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."))
    session.add(unit)
    session.flush()
    return unit


def save_official(session: Session, official: Official, *, notify: bool = True) -> Official:
    """Create or update an official (flush only).

    ``notify`` sends ``officials_changed`` for this one official; a bulk caller (the import) passes
    ``False`` and calls ``notify_officials_changed`` once with everybody it saved.
    """
    official.refresh_derived()
    if not official.given_name:
        raise OrgError(_("Cần có tên của cán bộ."))
    session.add(official)
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
) -> list[UnitSuccession]:
    """Record a merger (several -> one), a split (one -> several, call once per successor) or a rename.

    Predecessors stop being valid on ``effective_on`` but keep their history; the successor starts
    then. Active staff move to the successor when ``move_staff`` (a merger or rename).
    """
    if kind not in {"merge", "split", "rename"}:
        raise OrgError(_("Loại thay đổi không hợp lệ."))
    if successor in predecessors:
        raise OrgError(_("Đơn vị mới không thể đồng thời là đơn vị cũ."))
    successor.valid_from = successor.valid_from or effective_on
    save_unit(session, successor)
    links = []
    moved: list[Official] = []
    for old in predecessors:
        if kind != "split":
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
    session.flush()
    notify_officials_changed(session, moved)
    return links
