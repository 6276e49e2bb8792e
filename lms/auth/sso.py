"""Accounts for people who proved an official e-mail address elsewhere: the province's directory
(``lms.auth.ldap``) or its OpenID Connect provider (``lms.auth.oidc``).

The address is matched to the official who has it (``Official.email``, kept NFC and lower case by
``lms.org``), and the login goes to the account linked to that official; an official without an
account gets one here (login = the address, no local password). A staff account that belongs to
no official (IT staff, administrators) is matched by its own ``User.email``. An address that
belongs to nobody, an official who has left or a disabled account: a plain message, no login.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.auth import ldap
from lms.auth.models import User
from lms.auth.services import AuthError, audit
from lms.org.models import Official
from lms.text import clean_text

# A password hash that no password matches (werkzeug reads "method$salt$hash"; this has no "$"):
# the account logs in through the directory or the provider only, until a password is chosen.
NO_LOCAL_PASSWORD_PREFIX = "!sso-only:"


class NoSuchOfficial(AuthError):
    """A proven address that no official (nor staff account) in the system has."""


def unusable_password_hash() -> str:
    return NO_LOCAL_PASSWORD_PREFIX + secrets.token_hex(8)


def normalized_email(email: str | None) -> str:
    return clean_text(email or "").lower()


def _free_username(session: Session, official: Official, email: str) -> str:
    """The address as the login, else the official's code, else the address with a number."""
    candidates = [email] + ([clean_text(official.code).lower()] if official.code else [])
    for candidate in candidates:
        if not session.scalar(select(User.id).where(func.lower(User.username) == candidate)):
            return candidate
    n = 2
    while session.scalar(select(User.id).where(func.lower(User.username) == f"{email}-{n}")):
        n += 1
    return f"{email}-{n}"


def account_for_email(session: Session, email: str, now: datetime, *, source: str, ip: str = "") -> User:
    """The account that logs in for the proven address ``email`` (created for its official when
    there is none), or ``AuthError`` with a message for the login page. ``source`` ("ldap",
    "oidc") goes into the audit log."""
    email = normalized_email(email)
    if not email:
        raise AuthError(_("Máy chủ thư công vụ không cho biết địa chỉ thư của bạn."))
    official = session.scalar(select(Official).where(func.lower(Official.email) == email))
    if official is None:
        user = session.scalar(select(User).where(func.lower(User.email) == email, User.official_id.is_(None)))
        if user is None:
            raise NoSuchOfficial(
                _(
                    "Địa chỉ thư %(email)s chưa có trong danh sách cán bộ của hệ thống học tập. "
                    "Vui lòng liên hệ bộ phận công nghệ thông tin của tỉnh để được bổ sung.",
                    email=email,
                )
            )
    else:
        if not official.active:
            raise AuthError(
                _("Hồ sơ cán bộ của bạn đã ngừng hoạt động trên hệ thống học tập. Vui lòng liên hệ bộ phận CNTT.")
            )
        user = session.scalar(select(User).where(User.official_id == official.id))
        if user is None:
            user = _link_or_create(session, official, email, source=source, ip=ip)
    if not user.active:
        raise _disabled()
    if user.must_change_password:
        # a temporary password set by someone else: the person proved who they are another way,
        # so that password is voided rather than asked for on every page
        user.password_hash = unusable_password_hash()
        user.must_change_password = False
        audit(session, user, "password.void", target=f"user:{user.id}", data={"via": source}, ip=ip)
    user.last_login_at = now
    return user


def _disabled() -> AuthError:
    return AuthError(_("Tài khoản của bạn đang bị khóa. Vui lòng liên hệ bộ phận CNTT."))


def _link_or_create(session: Session, official: Official, email: str, *, source: str, ip: str) -> User:
    """The official's account: an unlinked account with the same address is linked to them;
    otherwise a new one (login = the address, no local password)."""
    same_address = session.scalar(select(User).where(func.lower(User.email) == email))
    if same_address is not None:
        if same_address.official_id == official.id:  # made meanwhile by a parallel first login
            return same_address
        if same_address.official_id is not None:  # the address belongs to another official's account
            raise AuthError(
                _(
                    "Địa chỉ thư %(email)s đang gắn với một tài khoản khác. Vui lòng liên hệ bộ phận CNTT.",
                    email=email,
                )
            )
        if not same_address.active:
            raise _disabled()
        same_address.official = official
        session.flush()
        audit(
            session,
            same_address,
            "account.link",
            target=f"user:{same_address.id}",
            data={"official": official.id, "via": source},
            ip=ip,
        )
        return same_address
    user = User(
        username=_free_username(session, official, email),
        email=email,
        official=official,
        password_hash=unusable_password_hash(),
        must_change_password=False,
        preferences={},
    )
    try:
        with session.begin_nested():  # two first logins of one official at once: one account
            session.add(user)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(User).where(User.official_id == official.id))
        if existing is None:
            raise
        return existing
    audit(
        session,
        user,
        "account.create",
        target=f"user:{user.id}",
        data={"official": official.id, "via": source},
        ip=ip,
    )
    return user


def directory_login(
    session: Session, settings: ldap.DirectorySettings, login: str, password: str, now: datetime, ip: str = ""
) -> User | None:
    """The account of the person whose password the directory accepts for ``login``; None for an
    unknown login or a wrong password; ``ldap.DirectoryUnavailable`` or ``AuthError`` (no address
    in the directory, nobody here with that address ...) otherwise."""
    person = ldap.check_password(settings, login, password)
    if person is None:
        return None
    if not person.email:
        raise AuthError(
            _(
                "Tài khoản thư công vụ của bạn chưa có địa chỉ thư trong danh bạ của tỉnh, nên hệ thống "
                "học tập chưa biết bạn là ai. Vui lòng liên hệ bộ phận công nghệ thông tin của tỉnh."
            )
        )
    return account_for_email(session, person.email, now, source="ldap", ip=ip)
