"""Getting in the first time, and again after forgetting: one-time tokens.

Three ways, one table (``AccountToken``), only hashes stored:
- an invitation e-mail (``invite_accounts``): a link valid ``LMS_INVITE_HOURS`` (72), queued to the
  outbox in the caller's transaction;
- an activation slip (``issue_slips``): a short code without look-alike characters, printed with a QR
  code of the activation URL, valid ``LMS_SLIP_DAYS`` (30); typing it asks for the year of birth;
- "forgotten password" (``request_reset``): a link valid one hour, the same answer whether the address
  is known or not, limited per address and per client.
A newer token of the same purpose voids the older ones; choosing a password uses the token (an UPDATE
that checks it is still unused, so a link works once even clicked twice at the same moment), voids
every other open token of the account and ends all its sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, joinedload

from lms.auth.models import AccountToken, LoginFailure, TokenPurpose, User
from lms.auth.services import (
    AuthError,
    Throttled,
    audit,
    end_all_sessions,
    failures_since,
    validate_new_password,
)
from lms.mail.compose import compose, external_url
from lms.mail.outbox import queue_messages
from lms.org.models import Official
from lms.text import clean_text, join_name

CHUNK = 1_000
# an activation code: 8 characters of 20 (about 35 bits), none that looks like another
# (0/O/Q/D? D kept: no O; 1/I/L, 2/Z, 5/S, 6/G, 8/B, U/V left out)
SLIP_ALPHABET = "ACDEFHJKMNPRTWXY3479"
SLIP_LENGTH = 8
RESET_LIFETIME = timedelta(hours=1)
# "forgotten password" requests per hour: per address typed, and per client address
RESET_LIMIT_ADDRESS = 3
RESET_LIMIT_CLIENT = 20
RESET_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class TokenSettings:
    invite_hours: int = 72
    slip_days: int = 30

    @classmethod
    def current(cls) -> TokenSettings:
        if not has_app_context():
            return cls()
        cfg = current_app.config
        return cls(invite_hours=int(cfg.get("INVITE_HOURS", 72)), slip_days=int(cfg.get("SLIP_DAYS", 30)))

    def lifetime(self, purpose: TokenPurpose) -> timedelta:
        if purpose == TokenPurpose.INVITE:
            return timedelta(hours=self.invite_hours)
        if purpose == TokenPurpose.SLIP:
            return timedelta(days=self.slip_days)
        return RESET_LIFETIME


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def new_slip_code() -> str:
    return "".join(secrets.choice(SLIP_ALPHABET) for _ in range(SLIP_LENGTH))


def normal_code(text: str) -> str:
    """What a person typed, as a code: capitals, without spaces and dashes."""
    return "".join(ch for ch in clean_text(text).upper() if ch.isalnum())


def show_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _slip_hash(code: str) -> str:
    return hash_token("slip:" + normal_code(code))


def _issue(
    session: Session, user_ids: Sequence[int], purpose: TokenPurpose, now: datetime, actor: User | None, raw_for
) -> dict[int, str]:
    """New tokens of ``purpose`` for these accounts (the earlier open ones of that purpose voided);
    returns the secret of each, which is never stored."""
    settings = TokenSettings.current()
    expires = now + settings.lifetime(purpose)
    secrets_by_user: dict[int, str] = {}
    for start in range(0, len(user_ids), CHUNK):
        chunk = list(user_ids[start : start + CHUNK])
        session.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id.in_(chunk),
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
                AccountToken.voided_at.is_(None),
            )
            .values(voided_at=now)
            .execution_options(synchronize_session=False)
        )
        rows = []
        for uid in chunk:
            raw = raw_for()
            secrets_by_user[uid] = raw
            token_hash = _slip_hash(raw) if purpose == TokenPurpose.SLIP else hash_token(raw)
            rows.append(
                {
                    "user_id": uid,
                    "purpose": purpose,
                    "token_hash": token_hash,
                    "created_at": now,
                    "expires_at": expires,
                    "created_by_id": actor.id if actor else None,
                }
            )
        if purpose == TokenPurpose.SLIP:  # 20^8 codes: a clash is unlikely, and refused by the UNIQUE index
            clash = set(
                session.scalars(
                    select(AccountToken.token_hash).where(AccountToken.token_hash.in_([r["token_hash"] for r in rows]))
                )
            )
            for row in rows:
                while row["token_hash"] in clash:
                    raw = raw_for()
                    secrets_by_user[row["user_id"]] = raw
                    row["token_hash"] = _slip_hash(raw)
        session.execute(insert(AccountToken.__table__), rows)
    return secrets_by_user


# -- invitations by e-mail --------------------------------------------------------------------------
@dataclass
class InviteReport:
    invited: int = 0
    no_email: int = 0
    already_active: int = 0
    disabled: int = 0


def invite_accounts(
    session: Session,
    user_ids: Sequence[int],
    now: datetime,
    *,
    actor: User | None = None,
    ip: str = "",
    new_accounts: bool = False,
) -> InviteReport:
    """Queue an invitation e-mail to each of these accounts that waits for activation, is on, and has
    an address (a re-invitation voids the earlier link). ``new_accounts``: called by
    ``provide_accounts`` (audited there). Works 1,000 accounts at a time (memory stays flat for a
    province's 30,000); the message is composed and translated once, then filled in per person."""
    report = InviteReport()
    letter = _InvitationLetter()
    for start in range(0, len(user_ids), CHUNK):
        chunk = list(user_ids[start : start + CHUNK])
        targets: list[tuple[int, str, str, str]] = []
        rows = session.execute(
            select(
                User.id,
                User.email,
                User.username,
                User.active,
                User.password_hash,
                Official.family_name,
                Official.middle_name,
                Official.given_name,
            )
            .outerjoin(Official, Official.id == User.official_id)
            .where(User.id.in_(chunk))
        ).all()
        for uid, email, username, active, password_hash, family, middle, given in rows:
            if not active:
                report.disabled += 1
            elif password_hash:
                report.already_active += 1
            elif not email:
                report.no_email += 1
            else:
                name = join_name(family, middle, given) if given else username
                targets.append((uid, email, username, name))
        if not targets:
            continue
        raws = _issue(session, [t[0] for t in targets], TokenPurpose.INVITE, now, actor, new_link_token)
        letter.queue(session, [(email, username, name, raws[uid]) for uid, email, username, name in targets], now)
        session.execute(update(User).where(User.id.in_([t[0] for t in targets])).values(invited_at=now))
        report.invited += len(targets)
    if not new_accounts:
        audit(
            session,
            actor,
            "account.invite",
            data={
                "chosen": len(user_ids),
                "invited": report.invited,
                "no_email": report.no_email,
                "already_active": report.already_active,
                "disabled": report.disabled,
            },
            ip=ip,
        )
    session.flush()
    return report


class _InvitationLetter:
    """The invitation, composed once with markers, then filled in for each person (composing and
    translating it 30,000 times took most of a big import's time)."""

    MARKS = ("\x00NAME\x00", "\x00LOGIN\x00", "\x00LINK\x00")

    def __init__(self) -> None:
        name, login, link = self.MARKS
        hours = TokenSettings.current().invite_hours
        self.prefix = external_url("auth.token_password", token="T")[:-1]
        self.subject = _("Mời kích hoạt tài khoản học tập chính quyền điện tử")
        self.text, self.html = compose(
            _("Kính gửi đồng chí %(name)s,", name=name),
            [
                _(
                    "Tài khoản của đồng chí trên Hệ thống học tập chính quyền điện tử đã được tạo. Để bắt đầu, "
                    "hãy mở liên kết dưới đây và tự chọn mật khẩu. Liên kết chỉ dùng được một lần, trong "
                    "%(h)d giờ.",
                    h=hours,
                ),
                _(
                    "Sau đó, đăng nhập tại %(url)s bằng địa chỉ thư điện tử này (hoặc tên đăng nhập %(u)s) và "
                    "mật khẩu vừa chọn. Nếu liên kết đã hết hạn, hãy dùng “Quên mật khẩu” trên trang đăng nhập.",
                    url=external_url("auth.login"),
                    u=login,
                ),
            ],
            [],
            (_("Chọn mật khẩu"), link),
        )

    def _fill(self, body: str, values: tuple[str, str, str], escape_html: bool) -> str:
        for mark, value in zip(self.MARKS, values, strict=True):
            body = body.replace(mark, str(escape(value)) if escape_html else value)
        return body

    def queue(self, session: Session, people: list[tuple[str, str, str, str]], now: datetime) -> None:
        """``people``: (e-mail, login, name, the link's secret)."""
        queued = []
        for email, login, name, raw in people:
            values = (name, login, self.prefix + raw)
            queued.append(
                {
                    "to_email": email,
                    "subject": self.subject,
                    "text_body": self._fill(self.text, values, False),
                    "html_body": self._fill(self.html, values, True),
                    "kind": "account_invite",
                    "dedupe_key": f"account:invite:{hash_token(raw)[:40]}",
                }
            )
        queue_messages(session, queued, now)


# -- activation slips -------------------------------------------------------------------------------
@dataclass
class Slip:
    user: User
    official: Official
    code: str

    @property
    def shown_code(self) -> str:
        return show_code(self.code)


@dataclass
class SlipBatch:
    slips: list[Slip] = field(default_factory=list)
    no_birth_year: list[Official] = field(default_factory=list)  # the second factor is missing: no slip
    disabled: int = 0


def issue_slips(session: Session, users: Sequence[User], now: datetime, actor: User | None, ip: str = "") -> SlipBatch:
    """New activation codes for these accounts (earlier slips voided), audited. An official with no
    year of birth gets no slip: the year is the second factor (the list says who to complete)."""
    batch = SlipBatch()
    ready = []
    for user in users:
        official = user.official
        if not user.active:
            batch.disabled += 1
        elif official is None or not official.birth_year:
            if official is not None:
                batch.no_birth_year.append(official)
        else:
            ready.append(user)
    if ready:
        codes = _issue(session, [u.id for u in ready], TokenPurpose.SLIP, now, actor, new_slip_code)
        batch.slips = [Slip(u, u.official, codes[u.id]) for u in ready]
        waiting = [u.id for u in ready if not u.password_hash]
        for start in range(0, len(waiting), CHUNK):
            session.execute(update(User).where(User.id.in_(waiting[start : start + CHUNK])).values(invited_at=now))
    audit(
        session,
        actor,
        "account.slips",
        data={
            "chosen": len(users),
            "slips": len(batch.slips),
            "no_birth_year": len(batch.no_birth_year),
            "disabled": batch.disabled,
            "users": [s.user.id for s in batch.slips[:200]],
        },
        ip=ip,
    )
    session.flush()
    return batch


# -- finding and using a token ----------------------------------------------------------------------
def find_link_token(session: Session, raw: str, now: datetime) -> AccountToken | None:
    """The usable invitation or reset token of this link, with its account, or None."""
    if not raw or len(raw) > 200:
        return None
    token = session.scalar(
        select(AccountToken)
        .options(joinedload(AccountToken.user))
        .where(AccountToken.token_hash == hash_token(raw), AccountToken.purpose != TokenPurpose.SLIP)
    )
    if token is None or not token.usable_at(now) or not token.user.active:
        return None
    return token


def find_slip(session: Session, code: str, now: datetime) -> AccountToken | None:
    code = normal_code(code)
    if len(code) != SLIP_LENGTH:
        return None
    token = session.scalar(
        select(AccountToken)
        .options(joinedload(AccountToken.user))
        .where(AccountToken.token_hash == _slip_hash(code), AccountToken.purpose == TokenPurpose.SLIP)
    )
    if token is None or not token.usable_at(now) or not token.user.active:
        return None
    return token


def check_birth_year(token: AccountToken, typed: str | int | None) -> bool:
    official = token.user.official
    try:
        year = int(str(typed).strip())
    except (TypeError, ValueError):
        return False
    return official is not None and official.birth_year is not None and official.birth_year == year


def set_password_with_token(
    session: Session, token: AccountToken, password: str, confirm: str, now: datetime, ip: str = ""
) -> User:
    """Choose a password through ``token`` (flush only; the caller starts this browser's session).

    The rule is checked first (a refused password leaves the link usable); then the token is used by
    an UPDATE that checks it is still unused, unexpired and not voided: of two clicks at once, one
    wins. Every other open token of the account is voided and every session ends."""
    user = token.user
    validate_new_password(user, password, confirm)
    used = session.execute(
        update(AccountToken)
        .where(
            AccountToken.id == token.id,
            AccountToken.used_at.is_(None),
            AccountToken.voided_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1 or not user.active:
        raise AuthError(_("Liên kết hoặc mã này đã được dùng hoặc đã hết hạn."))
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.id != token.id,
            AccountToken.used_at.is_(None),
            AccountToken.voided_at.is_(None),
        )
        .values(voided_at=now)
        .execution_options(synchronize_session=False)
    )
    first = not user.password_hash
    user.set_password(password)
    user.must_change_password = False
    if user.activated_at is None:
        user.activated_at = now
    ended = end_all_sessions(session, user)
    action = "account.activate" if first else "password.reset"
    audit(
        session,
        user,
        action,
        target=f"user:{user.id}",
        data={"via": token.purpose.value, "sessions_ended": ended},
        ip=ip,
    )
    session.flush()
    return user


# -- forgotten password ----------------------------------------------------------------------------
def _reset_keys(email: str, ip: str) -> tuple[str, str]:
    return f"reset:{email[:240]}", f"reset-ip:{ip}"


def request_reset(session: Session, email: str, now: datetime, ip: str = "") -> bool:
    """ "Forgotten password" for ``email``: when it is an account's address (on, any state), a new reset
    link is queued (the earlier one voided). Returns nothing the page may show: the page says the same
    whatever happened. Limited to ``RESET_LIMIT_ADDRESS`` requests an hour per address typed and
    ``RESET_LIMIT_CLIENT`` per client address (``Throttled``: as much for unknown addresses)."""
    email = clean_text(email).lower()[:255]
    key, ip_key = _reset_keys(email, ip)
    since = now - RESET_WINDOW
    if failures_since(session, key, since) >= RESET_LIMIT_ADDRESS or (
        failures_since(session, ip_key, since) >= RESET_LIMIT_CLIENT
    ):
        raise Throttled(
            _(
                "Đã có nhiều yêu cầu cho địa chỉ này hoặc từ máy này. Vui lòng kiểm tra hộp thư, "
                "hoặc thử lại sau một giờ."
            )
        )
    session.add_all([LoginFailure(key=key, at=now), LoginFailure(key=ip_key, at=now)])
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
    user = session.scalar(select(User).where(func.lower(User.email) == email)) if email else None
    if user is None or not user.active:
        session.flush()
        return False
    raw = _issue(session, [user.id], TokenPurpose.RESET, now, None, new_link_token)[user.id]
    text, html = compose(
        _("Kính gửi đồng chí %(name)s,", name=user.name),
        [
            _(
                "Có người (có thể là chính đồng chí) vừa yêu cầu đặt lại mật khẩu cho tài khoản %(u)s. "
                "Mở liên kết dưới đây để chọn mật khẩu mới. Liên kết chỉ dùng được một lần, trong một giờ.",
                u=user.username,
            ),
            _("Nếu đồng chí không yêu cầu, hãy bỏ qua thư này: mật khẩu hiện tại vẫn giữ nguyên."),
        ],
        [],
        (_("Đặt lại mật khẩu"), external_url("auth.token_password", token=raw)),
    )
    queue_messages(
        session,
        [
            {
                "to_email": user.email,
                "subject": _("Đặt lại mật khẩu học tập chính quyền điện tử"),
                "text_body": text,
                "html_body": html,
                "kind": "password_reset",
                "dedupe_key": f"account:reset:{hash_token(raw)[:40]}",
            }
        ],
        now,
    )
    audit(session, None, "password.reset_request", target=f"user:{user.id}", ip=ip)
    session.flush()
    return True
