"""Accounts, role assignments and the audit log."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.database import UTCDateTime
from lms.enums import LabelledEnum, str_enum
from lms.extensions import db
from lms.org.models import Official, Unit
from lms.time import utcnow

PROVINCE_SCOPE = "province"

# werkzeug's scrypt (n=2^15, r=8, p=1 today): ~0.1-0.3 s of CPU per hash or check, on purpose
PASSWORD_METHOD = "scrypt"


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    """The one place a password is checked against a hash (tests count the calls)."""
    return check_password_hash(password_hash, password)


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def dummy_password_hash() -> str:
    """A hash of a random password with the accounts' parameters, made once per process: checking a
    password typed for an unknown login against it costs what checking a real account's costs, so the
    time of the answer does not tell who has an account."""
    return _dummy_hash(PASSWORD_METHOD)


class Role(LabelledEnum):
    """Roles above the learner.

    Every account linked to an active official is a learner ("official"); the assignments below
    add a scope: a unit head is tied to one unit; IT staff and admins act province-wide.
    """

    OFFICIAL = (
        "official",
        _l("Cán bộ (người học)"),
        _l(
            "Học các khóa học, làm bài kiểm tra, xem kết quả và chứng nhận của chính mình. "
            "Không xem được kết quả của người khác."
        ),
    )
    UNIT_HEAD = (
        "unit_head",
        _l("Thủ trưởng đơn vị"),
        _l(
            "Xem kết quả học tập của cán bộ trong đơn vị mình (và chỉ đơn vị mình), giao khóa học "
            "cho cán bộ của đơn vị, cử cán bộ đi tập huấn."
        ),
    )
    IT_STAFF = (
        "it_staff",
        _l("Cán bộ CNTT (Sở Khoa học và Công nghệ)"),
        _l(
            "Xem mọi đơn vị, soạn khóa học và ngân hàng câu hỏi, xếp hạng đơn vị, lên lịch tập huấn, "
            "nhập danh sách đơn vị và cán bộ, cấp và thu hồi chứng nhận."
        ),
    )
    ADMIN = (
        "admin",
        _l("Quản trị hệ thống"),
        _l("Quản lý tài khoản và phân quyền, xem nhật ký thay đổi quyền. Có mọi quyền của cán bộ CNTT."),
    )


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    official_id: Mapped[int | None] = mapped_column(
        ForeignKey("official.id", ondelete="SET NULL"), unique=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    preferences: Mapped[dict] = mapped_column(JSON, default=dict)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # accounts made for officials wait for activation: no password (``password_hash`` is ""), until the
    # official chooses one through an invitation link or an activation slip (``activated_at``)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last invitation or slip
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # why ``active`` is off: "left" (the official left: reactivating the official brings it back) or
    # "manual" (a unit head, IT staff or an admin turned it off)
    disabled_reason: Mapped[str | None] = mapped_column(String(16))

    official: Mapped[Official | None] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="RoleAssignment.user_id",
    )

    # The login session this object was loaded for (or just started), set by the user loader and by
    # ``start_session``; not a column.
    login_session = None

    # the same account (Flask-Login's UserMixin compares ``get_id()``, which names a login session here)
    def __eq__(self, other):
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__  # as UserMixin's (defining __eq__ would otherwise remove it)

    def get_id(self) -> str:
        """Flask-Login: what the session cookie carries, ``<user id>:<login session token>``."""
        if self.login_session is None:
            raise RuntimeError("no login session for this account: start one with auth.services.start_session")
        return self.login_session.login_id

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and verify_password(self.password_hash, password)

    @property
    def login_name(self) -> str:
        """What the official types to log in: the e-mail address when there is one, else the login
        (the official code for accounts made from the officials' list)."""
        return self.email or self.username

    @property
    def state(self) -> str:
        """``disabled``, ``active`` (a password is set), ``invited`` (an invitation or slip is out) or
        ``waiting`` (for activation: nothing sent yet)."""
        if not self.active:
            return "disabled"
        if self.password_hash:
            return "active"
        return "invited" if self.invited_at is not None else "waiting"

    # -- roles -----------------------------------------------------------------------------------
    def has_role(self, role: Role) -> bool:
        if role == Role.OFFICIAL:
            return self.official_id is not None
        return any(a.role == role for a in self.roles)

    @property
    def role_set(self) -> set[Role]:
        roles = {a.role for a in self.roles}
        if self.official_id is not None:
            roles.add(Role.OFFICIAL)
        return roles

    @property
    def headed_unit_ids(self) -> set[int]:
        return {a.unit_id for a in self.roles if a.role == Role.UNIT_HEAD and a.unit_id is not None}

    @property
    def is_province_wide(self) -> bool:
        return self.has_role(Role.IT_STAFF) or self.has_role(Role.ADMIN)

    @property
    def name(self) -> str:
        if self.official is not None:
            return self.official.full_name
        return self.display_name or self.username

    def pref(self, key: str, default=None):
        return (self.preferences or {}).get(key, default)


class LoginSession(db.Model):
    """One logged-in browser. The session cookie names it (``login_id``); deleting the row ends that
    browser's session only (logout), deleting every row of an account ends them all ("log out
    everywhere", a password change). Other ways of logging in (single sign-on...) start one the same way."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User] = relationship()

    @property
    def login_id(self) -> str:
        return f"{self.user_id}:{self.token}"


class TokenPurpose(LabelledEnum):
    # an e-mailed link to choose a first password (``LMS_INVITE_HOURS``)
    INVITE = "invite", _l("Thư mời kích hoạt")
    # "forgotten password": an e-mailed link, one hour
    RESET = "reset", _l("Liên kết đặt lại mật khẩu")
    # a short code printed on an activation slip, with the year of birth (``LMS_SLIP_DAYS``)
    SLIP = "slip", _l("Phiếu kích hoạt")


class AccountToken(db.Model):
    """A one-time secret that lets a person choose a password: only its SHA-256 is stored, so a copy
    of the database opens no account. Used once (``used_at``, set by an UPDATE that checks it is still
    unset), voided by a newer one of the same purpose, useless after ``expires_at``."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def usable_at(self, now: datetime) -> bool:
        return self.used_at is None and self.voided_at is None and now < self.expires_at


class RoleAssignment(db.Model):
    """One role per person per scope (a unit, or the whole province)."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(40))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    unit: Mapped[Unit | None] = relationship()

    @staticmethod
    def scope_for(unit_id: int | None) -> str:
        return f"unit:{unit_id}" if unit_id is not None else PROVINCE_SCOPE


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(String(255), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[str] = mapped_column(Text, default="")  # entries written before ``data``: free text
    # the facts, as ``{key: value}`` (numbers of the objects named, counts, reasons): the audit log shows
    # each with its label and a link (``lms.features.AuditField``, ``lms.auth.audit_view``)
    data: Mapped[dict | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship()


class LoginFailure(db.Model):
    """Failed logins, kept in the database so every worker sees the same counts."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
