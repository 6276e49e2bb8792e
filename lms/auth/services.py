"""Authentication, passwords, roles and the audit log: plain functions over a session."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Boolean, bindparam, delete, exists, func, or_, select
from sqlalchemy.orm import Session, lazyload

from lms.auth.ldap import DirectoryUnavailable
from lms.auth.models import (
    AuditLog,
    LoginFailure,
    LoginSession,
    Role,
    RoleAssignment,
    User,
    dummy_password_hash,
    verify_password,
)
from lms.auth.passwords import MIN_LENGTH, PasswordRefused, check_password_rule
from lms.database import UTCDateTime
from lms.errors import UserError
from lms.org.models import Unit
from lms.text import clean_text
from lms.time import utcnow

MIN_PASSWORD_LENGTH = MIN_LENGTH
FAILURE_WINDOW = timedelta(minutes=15)
# a login session older than this ends (and its row is removed at a later login)
SESSION_MAX_AGE = timedelta(days=30)


class AuthError(UserError):
    """A login, password or role mistake, with a message fit for the page."""


class Throttled(AuthError):
    """Too many failed logins for this account or address."""


class DirectoryDown(AuthError):
    """The directory could not check the password (and no password kept here was right)."""


def audit(
    session: Session,
    actor: User | None,
    action: str,
    target: str = "",
    data: dict | None = None,
    ip: str = "",
) -> AuditLog:
    """Record ``action`` by ``actor`` (None: the system, or someone not logged in) on ``target``
    (``"kind:id"``, e.g. ``"certificate:12"``), with the facts in ``data`` (``{"official": 887, "source":
    "attempt:2360"}``; each key has its ``AuditField``). Values are JSON: numbers, text, lists."""
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else "",
        ip=ip or "",
        action=action,
        target=target[:255],
        data={k: v for k, v in (data or {}).items() if v is not None} or None,
        at=utcnow(),
    )
    session.add(entry)
    return entry


def find_user_by_login(session: Session, login: str) -> User | None:
    login = clean_text(login).lower()
    if not login:
        return None
    # one statement whether an account matches or not (roles are read later, if the password is right)
    return session.scalars(
        select(User)
        .options(lazyload(User.roles))
        .where(or_(func.lower(User.username) == login, func.lower(User.email) == login))
    ).first()


# -- throttling ------------------------------------------------------------------------------------
# Failed logins are counted twice: per account (5 in 15 minutes by default) and per client address
# (30). Only failures count: a right password takes its own rows back, and an attempt refused for
# the limit is not a failure. The address is the real client's once ``LMS_TRUSTED_PROXIES`` says how
# many reverse proxies stand in front (``ProxyFix`` in the app factory); without it, every official
# behind one proxy would share one counter.
def account_key(user: User | None, login: str) -> str:
    """The per-account counter's key: the account, however it was named (username or e-mail), so
    both spellings share one limit; for a login that matches no account, the text typed."""
    if user is not None:
        return f"account:{user.id}"
    return f"login:{clean_text(login).lower()[:250]}"


def _ip_key(ip: str) -> str:
    return f"ip:{ip}"


def failures_since(session: Session, key: str, since: datetime) -> int:
    return session.scalar(select(func.count()).where(LoginFailure.key == key, LoginFailure.at >= since)) or 0


@dataclass(frozen=True)
class ThrottleLimits:
    per_account: int = 5
    per_ip: int = 30
    window: timedelta = FAILURE_WINDOW


def is_throttled(session: Session, key: str, ip: str, now: datetime, limits: ThrottleLimits, pending: int = 0) -> bool:
    """Whether the failures before this attempt reach a limit, for the account counter ``key``
    (``account_key``) or the address; ``pending``: rows of this attempt already recorded (and so
    counted) by ``record_failure``."""
    since = now - limits.window
    return (
        failures_since(session, key, since) - pending >= limits.per_account
        or failures_since(session, _ip_key(ip), since) - pending >= limits.per_ip
    )


def record_failure(session: Session, key: str, ip: str, now: datetime) -> list[int]:
    """Record a failed attempt (account counter ``key`` and address); returns the ids of the two rows."""
    rows = [LoginFailure(key=key, at=now), LoginFailure(key=_ip_key(ip), at=now)]
    session.add_all(rows)
    session.flush()
    # keep the table small
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    return [row.id for row in rows]


def _throttled_error(limits: ThrottleLimits) -> Throttled:
    minutes = int(limits.window.total_seconds() // 60)
    return Throttled(
        _(
            "Bạn đã nhập sai quá nhiều lần. Vì an toàn, vui lòng đợi %(minutes)d phút rồi thử lại, "
            "hoặc liên hệ bộ phận CNTT để được hỗ trợ.",
            minutes=minutes,
        )
    )


def authenticate(
    session: Session,
    login: str,
    password: str,
    ip: str,
    now: datetime,
    limits: ThrottleLimits,
    *,
    directory: Callable[[str, str], User | None] | None = None,
    local_passwords: bool = True,
) -> User:
    """Return the user or raise ``AuthError`` with a message for the login page.

    Every attempt is first written (and committed) as a failure, then the failures are counted
    including it: parallel attempts, in any worker, each see at least the ones committed before
    theirs, so no more than ``limits.per_account`` of them reach the password check (counting
    first, then recording, let them all through). The row is taken back when the attempt is
    refused for the limit (a refused attempt is not a failure) or the password is right.

    A login that matches no account costs the same as one that does: one password check, against a
    hash with the same parameters (``dummy_password_hash``), and the same queries.

    With a ``directory`` (``lms.auth.sso.directory_login``: the account whose password the
    province's directory accepts, None, or ``DirectoryUnavailable``), the password is checked
    there first; then against the password kept here, which ``local_passwords=False`` allows to
    administrators only (the break-glass door). The same counters apply to both checks.
    """
    user = find_user_by_login(session, login)
    key = account_key(user, login)
    # read before the commit below (which expires the account): from here on, a known and an unknown
    # login run the same statements and one password check each
    # an account still waiting for activation has no password: checked against the dummy too
    password_hash = user.password_hash if user is not None and user.password_hash else dummy_password_hash()
    active = user is not None and user.active and bool(user.password_hash)
    # the ids are read before the commit: a parallel success may delete the rows
    attempt_ids = record_failure(session, key, ip, now)
    session.commit()
    if is_throttled(session, key, ip, now, limits, pending=1):
        session.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt_ids)))
        raise _throttled_error(limits)
    directory_down = False
    if directory is not None:
        try:
            known = directory(login, password)
        except DirectoryUnavailable:
            directory_down = True
        else:
            if known is not None:
                _forget_failures(session, [key, account_key(known, "")], attempt_ids)
                return known
    password_right = verify_password(password_hash, password)
    allowed = local_passwords or _is_admin(session, user)
    if password_right and allowed and active:
        _forget_failures(session, [key], attempt_ids)
        user.last_login_at = now
        return user
    if directory_down:
        if not allowed:  # no password was checked at all: not a failure
            session.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt_ids)))
        if local_passwords:
            raise DirectoryDown(
                _(
                    "Không kết nối được máy chủ thư công vụ để kiểm tra mật khẩu. Nếu bạn có mật khẩu riêng của "
                    "hệ thống học tập, hãy dùng mật khẩu đó; nếu không, vui lòng thử lại sau ít phút."
                )
            )
        raise DirectoryDown(
            _("Không kết nối được máy chủ thư công vụ để kiểm tra mật khẩu. Vui lòng thử lại sau ít phút.")
        )
    raise AuthError(_("Tên đăng nhập hoặc mật khẩu không đúng. Vui lòng kiểm tra và thử lại."))


def _is_admin(session: Session, user: User | None) -> bool:
    """One statement whether the login matched an account or not (as the password check)."""
    user_id = user.id if user is not None else -1
    return bool(
        session.scalar(select(func.count()).where(RoleAssignment.user_id == user_id, RoleAssignment.role == Role.ADMIN))
    )


def _forget_failures(session: Session, keys: list[str], attempt_ids: list[int]) -> None:
    """A right password takes back this attempt's rows and the account's earlier failures."""
    session.execute(delete(LoginFailure).where(or_(LoginFailure.key.in_(keys), LoginFailure.id.in_(attempt_ids))))


# -- login sessions --------------------------------------------------------------------------------
def start_session(session: Session, user: User, now: datetime) -> LoginSession:
    """A new login session for one browser (after the password, or any other way of logging in);
    ``user.get_id()`` then names it for Flask-Login's cookie."""
    login = LoginSession(user_id=user.id, created_at=now)
    session.add(login)
    session.flush()
    session.execute(delete(LoginSession).where(LoginSession.created_at < now - SESSION_MAX_AGE))
    user.login_session = login
    return login


@functools.cache
def _session_user_statement(options: tuple):
    """The query of ``load_session_user``, built once per loader options: building a statement (and
    its cache key) costs more Python than running it, on every request of every page."""
    return (
        select(User, LoginSession)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == bindparam("user_id"),
            LoginSession.token == bindparam("token"),
            LoginSession.created_at >= bindparam("since"),
        )
        .options(*options)
    )


@dataclass(frozen=True, slots=True)
class LoginRef:
    """A login session as the cookie names it (``<user id>:<token>``), not yet checked."""

    user_id: int
    token: str

    @classmethod
    def parse(cls, login_id) -> LoginRef | None:
        if not isinstance(login_id, str):
            return None
        raw_id, _sep, token = login_id.partition(":")
        if not raw_id.isdecimal() or not token or len(raw_id) > 18:
            return None
        return cls(int(raw_id), token)


def official_login_clause(official_id):
    """SQL, true when the login session of ``login_params`` is live and its account is one the user
    loader would accept (``lms._load_user``: started within ``SESSION_MAX_AGE``, the account active, a
    demo account only in demo mode) that may use a page for officials (``Role.OFFICIAL``: it is an
    official's) without first changing its password (``access.enforce_access``), and whose official
    is ``official_id`` (a column). For a write that checks the login in its own statement
    (``access.fast_path``); build it once, bind ``login_params`` at each run."""
    return exists(
        select(LoginSession.id)
        .join(User, User.id == LoginSession.user_id)
        .where(
            LoginSession.user_id == bindparam("login_user_id"),
            LoginSession.token == bindparam("login_token"),
            LoginSession.created_at >= bindparam("login_since", type_=UTCDateTime),
            User.active.is_(True),
            User.must_change_password.is_(False),
            or_(User.is_demo.is_(False), bindparam("login_demo_ok", type_=Boolean)),
            User.official_id == official_id,
        )
    )


def login_params(login: LoginRef, now: datetime, demo_allowed: bool) -> dict:
    """The values ``official_login_clause`` is run with."""
    return {
        "login_user_id": login.user_id,
        "login_token": login.token,
        "login_since": now - SESSION_MAX_AGE,
        "login_demo_ok": bool(demo_allowed),
    }


def load_session_user(session: Session, login_id: str, now: datetime, options=()) -> User | None:
    """The account of a live login session named ``<user id>:<token>`` (the cookie), or None; one
    query. The account comes back with ``login_session`` set."""
    login = LoginRef.parse(login_id)
    if login is None:
        return None
    row = (
        session.execute(
            _session_user_statement(tuple(options)),
            {"user_id": login.user_id, "token": login.token, "since": now - SESSION_MAX_AGE},
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    user, login = row
    user.login_session = login
    return user


def end_session(session: Session, login: LoginSession | None) -> None:
    """Log out one browser: its cookie no longer names a session, even replayed."""
    if login is not None:
        session.execute(delete(LoginSession).where(LoginSession.id == login.id))


def end_all_sessions(session: Session, user: User) -> int:
    """Log the account out everywhere (every browser, this one included); returns how many ended."""
    return session.execute(delete(LoginSession).where(LoginSession.user_id == user.id)).rowcount or 0


def open_sessions(session: Session, user: User, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                LoginSession.user_id == user.id, LoginSession.created_at >= now - SESSION_MAX_AGE
            )
        )
        or 0
    )


def validate_new_password(user: User, new_password: str, confirm: str) -> None:
    """The rule of ``lms.auth.passwords`` (length, not a common password, not the login), and not the
    password the account has now."""
    try:
        check_password_rule(new_password, confirm, avoid=(user.username, user.email))
    except PasswordRefused as exc:
        raise AuthError(str(exc)) from None
    if user.check_password(new_password):
        raise AuthError(_("Mật khẩu mới phải khác mật khẩu cũ."))


def change_password(session: Session, user: User, current: str, new: str, confirm: str, ip: str = "") -> None:
    """Set a new password and end every login session of the account (whoever knew the old password
    is logged out); the caller starts a new one for the browser that changed it."""
    if not user.check_password(current):
        raise AuthError(_("Mật khẩu hiện tại không đúng."))
    validate_new_password(user, new, confirm)
    user.set_password(new)
    user.must_change_password = False
    ended = end_all_sessions(session, user)
    audit(session, user, "password.change", target=f"user:{user.id}", data={"sessions_ended": ended}, ip=ip)


# -- roles -----------------------------------------------------------------------------------------
def assign_role(
    session: Session, actor: User | None, user: User, role: Role, unit: Unit | None = None, ip: str = ""
) -> RoleAssignment | None:
    """Give ``user`` the role in its scope (a unit for unit heads, else the province).

    One role per scope: an existing assignment in the same scope is replaced. ``Role.OFFICIAL``
    removes the elevated roles held in that scope (learning needs no assignment).
    """
    if role == Role.UNIT_HEAD and unit is None:
        raise AuthError(_("Hãy chọn đơn vị mà người này làm thủ trưởng."))
    if role in (Role.IT_STAFF, Role.ADMIN):
        unit = None
    scope = RoleAssignment.scope_for(unit.id if unit else None)
    existing = next((a for a in user.roles if a.scope == scope), None)
    old = existing.role.value if existing else Role.OFFICIAL.value
    if role == Role.OFFICIAL:
        if existing is None:
            return None
        user.roles.remove(existing)
        result = None
    elif existing is not None:
        existing.role = role
        existing.granted_by_id = actor.id if actor else None
        existing.granted_at = utcnow()
        result = existing
    else:
        result = RoleAssignment(
            role=role, unit_id=unit.id if unit else None, scope=scope, granted_by_id=actor.id if actor else None
        )
        user.roles.append(result)
    end_all_sessions(session, user)  # a change of rights ends the account's open sessions
    audit(
        session,
        actor,
        "role.assign",
        target=f"user:{user.id}",
        data={"role": role.value, "before": old, "unit": unit.id if unit else None, "province": unit is None or None},
        ip=ip,
    )
    session.flush()
    return result


def revoke_role(session: Session, actor: User | None, assignment: RoleAssignment, ip: str = "") -> None:
    user = assignment.user
    user.roles.remove(assignment)
    end_all_sessions(session, user)  # a change of rights ends the account's open sessions
    audit(
        session,
        actor,
        "role.revoke",
        target=f"user:{user.id}",
        data={
            "role": assignment.role.value,
            "unit": assignment.unit_id,
            "province": assignment.unit_id is None or None,
        },
        ip=ip,
    )
    session.flush()


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    email: str | None = None,
    official=None,
    display_name: str = "",
    must_change_password: bool = True,
    is_demo: bool = False,
) -> User:
    username = clean_text(username).lower()
    if not username:
        raise AuthError(_("Tên đăng nhập không được để trống."))
    if session.scalar(select(User.id).where(func.lower(User.username) == username)):
        raise AuthError(_("Tên đăng nhập %(u)s đã có người dùng.", u=username))
    user = User(
        username=username,
        email=(clean_text(email).lower() or None) if email else None,
        official=official,
        display_name=clean_text(display_name),
        must_change_password=must_change_password,
        is_demo=is_demo,
        preferences={},
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    return user
