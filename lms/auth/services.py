"""Authentication, passwords, roles and the audit log: plain functions over a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from lms.auth.models import AuditLog, LoginFailure, Role, RoleAssignment, User
from lms.errors import UserError
from lms.org.models import Unit
from lms.text import clean_text
from lms.time import utcnow

MIN_PASSWORD_LENGTH = 8
FAILURE_WINDOW = timedelta(minutes=15)


class AuthError(UserError):
    """A login, password or role mistake, with a message fit for the page."""


class Throttled(AuthError):
    """Too many failed logins for this account or address."""


def audit(
    session: Session, actor: User | None, action: str, target: str = "", details: str = "", ip: str = ""
) -> AuditLog:
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else "",
        ip=ip or "",
        action=action,
        target=target[:255],
        details=details,
        at=utcnow(),
    )
    session.add(entry)
    return entry


def find_user_by_login(session: Session, login: str) -> User | None:
    login = clean_text(login).lower()
    if not login:
        return None
    return session.scalars(
        select(User).where(or_(func.lower(User.username) == login, func.lower(User.email) == login))
    ).first()


# -- throttling ------------------------------------------------------------------------------------
def _failure_keys(login: str, ip: str) -> tuple[str, str]:
    return f"account:{clean_text(login).lower()}", f"ip:{ip}"


def failures_since(session: Session, key: str, since: datetime) -> int:
    return session.scalar(select(func.count()).where(LoginFailure.key == key, LoginFailure.at >= since)) or 0


@dataclass(frozen=True)
class ThrottleLimits:
    per_account: int = 5
    per_ip: int = 30
    window: timedelta = FAILURE_WINDOW


def is_throttled(
    session: Session, login: str, ip: str, now: datetime, limits: ThrottleLimits, pending: int = 0
) -> bool:
    """Whether the failures before this attempt reach a limit; ``pending``: rows of this attempt
    already recorded (and so counted) by ``record_failure``."""
    account_key, ip_key = _failure_keys(login, ip)
    since = now - limits.window
    return (
        failures_since(session, account_key, since) - pending >= limits.per_account
        or failures_since(session, ip_key, since) - pending >= limits.per_ip
    )


def record_failure(session: Session, login: str, ip: str, now: datetime) -> list[int]:
    """Record a failed attempt (account and IP); returns the ids of the two rows."""
    account_key, ip_key = _failure_keys(login, ip)
    rows = [LoginFailure(key=account_key, at=now), LoginFailure(key=ip_key, at=now)]
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


def authenticate(session: Session, login: str, password: str, ip: str, now: datetime, limits: ThrottleLimits) -> User:
    """Return the user or raise ``AuthError`` with a message for the login page.

    Every attempt is first written (and committed) as a failure, then the failures are counted
    including it: parallel attempts, in any worker, each see at least the ones committed before
    theirs, so no more than ``limits.per_account`` of them reach the password check (counting
    first, then recording, let them all through). The row is taken back when the attempt is
    refused for the limit (a refused attempt is not a failure) or the password is right.
    """
    # the ids are read before the commit: a parallel success may delete the rows
    attempt_ids = record_failure(session, login, ip, now)
    session.commit()
    if is_throttled(session, login, ip, now, limits, pending=1):
        session.execute(delete(LoginFailure).where(LoginFailure.id.in_(attempt_ids)))
        raise _throttled_error(limits)
    user = find_user_by_login(session, login)
    if user is None or not user.check_password(password) or not user.active:
        raise AuthError(_("Tên đăng nhập hoặc mật khẩu không đúng. Vui lòng kiểm tra và thử lại."))
    account_key, _ip_key = _failure_keys(login, ip)
    session.execute(delete(LoginFailure).where(or_(LoginFailure.key == account_key, LoginFailure.id.in_(attempt_ids))))
    user.last_login_at = now
    return user


def validate_new_password(user: User, new_password: str, confirm: str) -> None:
    if new_password != confirm:
        raise AuthError(_("Hai lần nhập mật khẩu mới không giống nhau."))
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise AuthError(_("Mật khẩu mới cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH))
    if new_password.lower() in {user.username.lower(), (user.email or "").lower()}:
        raise AuthError(_("Mật khẩu mới không được trùng với tên đăng nhập."))
    if user.check_password(new_password):
        raise AuthError(_("Mật khẩu mới phải khác mật khẩu cũ."))


def change_password(session: Session, user: User, current: str, new: str, confirm: str, ip: str = "") -> None:
    if not user.check_password(current):
        raise AuthError(_("Mật khẩu hiện tại không đúng."))
    validate_new_password(user, new, confirm)
    user.set_password(new)
    user.must_change_password = False
    user.rotate_session_token()  # other sessions of this account end
    audit(session, user, "password.change", target=f"user:{user.id}", ip=ip)


# -- roles -----------------------------------------------------------------------------------------


def assign_role(
    session: Session, actor: User, user: User, role: Role, unit: Unit | None = None, ip: str = ""
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
    old = existing.role.value if existing else "-"
    if role == Role.OFFICIAL:
        if existing is None:
            return None
        user.roles.remove(existing)
        result = None
    elif existing is not None:
        existing.role = role
        existing.granted_by_id = actor.id
        existing.granted_at = utcnow()
        result = existing
    else:
        result = RoleAssignment(role=role, unit_id=unit.id if unit else None, scope=scope, granted_by_id=actor.id)
        user.roles.append(result)
    user.rotate_session_token()
    audit(
        session,
        actor,
        "role.assign",
        target=f"user:{user.id} {user.username}",
        details=f"scope={scope} {old} -> {role.value}" + (f" unit={unit.code}" if unit else ""),
        ip=ip,
    )
    session.flush()
    return result


def revoke_role(session: Session, actor: User, assignment: RoleAssignment, ip: str = "") -> None:
    user = assignment.user
    user.roles.remove(assignment)
    user.rotate_session_token()
    audit(
        session,
        actor,
        "role.revoke",
        target=f"user:{user.id} {user.username}",
        details=f"scope={assignment.scope} {assignment.role.value} -> -",
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
