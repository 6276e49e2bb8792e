"""Units of the province and their officials."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime
from lms.enums import LabelledEnum, str_enum
from lms.extensions import db
from lms.text import clean_text, fold, join_name
from lms.time import utcnow


class UnitKind(LabelledEnum):
    SO_BAN_NGANH = "so_ban_nganh", _l("Sở, ban, ngành")
    HUYEN = "huyen", _l("Huyện, thị xã, thành phố")
    XA = "xa", _l("Xã, phường, thị trấn")
    SU_NGHIEP = "su_nghiep", _l("Đơn vị sự nghiệp")


class Position(LabelledEnum):
    LEADER = "leader", _l("Lãnh đạo")
    SPECIALIST = "specialist", _l("Chuyên viên")
    CLERK = "clerk", _l("Văn thư")
    PORTAL_EDITOR = "portal_editor", _l("Biên tập viên cổng thông tin")
    IT_OFFICER = "it_officer", _l("Cán bộ phụ trách CNTT")


class Category(LabelledEnum):
    CAN_BO = "can_bo", _l("Cán bộ")
    CONG_CHUC = "cong_chuc", _l("Công chức")
    VIEN_CHUC = "vien_chuc", _l("Viên chức")
    HOP_DONG = "hop_dong", _l("Hợp đồng")


class Level(LabelledEnum):
    TINH = "tinh", _l("Cấp tỉnh")
    HUYEN = "huyen", _l("Cấp huyện")
    XA = "xa", _l("Cấp xã")


class Unit(db.Model):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    search_text: Mapped[str] = mapped_column(String(512), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")

    def refresh_derived(self) -> None:
        self.name = clean_text(self.name)
        self.code = clean_text(self.code).upper()
        self.search_text = fold(f"{self.code} {self.name}")

    def is_active_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day < self.valid_until
        )

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


SUCCESSION_KINDS = {
    "merge": _l("Sáp nhập"),
    "split": _l("Chia tách"),
    "rename": _l("Đổi tên"),
}


class UnitSuccession(db.Model):
    """A merger, split or rename: ``predecessor`` became (part of) ``successor`` on ``effective_on``."""

    __tablename__ = "unit_succession"
    __table_args__ = (UniqueConstraint("predecessor_id", "successor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    effective_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # merge | split | rename
    note: Mapped[str] = mapped_column(String(500), default="")

    @property
    def kind_label(self) -> str:
        return str(SUCCESSION_KINDS.get(self.kind, self.kind))

    predecessor: Mapped[Unit] = relationship(foreign_keys=[predecessor_id])
    successor: Mapped[Unit] = relationship(foreign_keys=[successor_id])


class Official(db.Model):
    __tablename__ = "official"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    family_name: Mapped[str] = mapped_column(String(80), default="")
    middle_name: Mapped[str] = mapped_column(String(80), default="")
    given_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    position: Mapped[Position] = mapped_column(str_enum(Position), default=Position.SPECIALIST)
    category: Mapped[Category] = mapped_column(str_enum(Category), default=Category.CONG_CHUC)
    level: Mapped[Level] = mapped_column(str_enum(Level), default=Level.TINH)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    search_text: Mapped[str] = mapped_column(String(512), default="", index=True)
    sort_key: Mapped[str] = mapped_column(String(1000), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()

    @property
    def full_name(self) -> str:
        return join_name(self.family_name, self.middle_name, self.given_name)

    def refresh_derived(self) -> None:
        from lms.text import collation_string

        self.family_name = clean_text(self.family_name)
        self.middle_name = clean_text(self.middle_name)
        self.given_name = clean_text(self.given_name)
        if self.email:
            self.email = clean_text(self.email).lower()
        self.search_text = fold(" ".join(filter(None, [self.full_name, self.email, self.code])))
        self.sort_key = collation_string(self.family_name, self.middle_name, self.given_name, self.birth_year)

    def __repr__(self) -> str:
        return f"<Official {self.code or self.id} {self.full_name}>"
