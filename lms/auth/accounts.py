"""Accounts follow the officials: every official gets an account, and it lives and ends with them.

- ``provide_accounts``: the account of every active official who has none (import file, the
  official's form, ``flask lms accounts provide``), in bulk (30,000 at once): login = the official
  code (so the official can type it), e-mail = the official e-mail (the other way in); no password
  is hashed, the account waits for activation; with an e-mail address an invitation is queued in the
  same transaction (``lms.auth.tokens``).
- ``follow_officials`` (receiver of ``officials_changed``): an official who leaves (not active any
  more, or whose unit ended with nobody moving them) has the account disabled, every session ended
  and the unit-head role ended; reactivation brings the account back (only one disabled for leaving,
  not one a person turned off). The account's e-mail follows the official's.
- ``follow_unit_moves``: an official who heads their unit and moves to another unit heads the new one.
- ``set_unit_head``: the import column and the form field.
- ``disable_account`` / ``enable_account``: unit heads and IT staff, in their scope
  (``lms.auth.permissions.can_manage_account``).
- ``accounts_query`` and ``activation_figures``: the accounts page and the 2014 report's figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from lms.auth.models import Role, RoleAssignment, User
from lms.auth.services import AuthError, assign_role, audit, end_all_sessions, revoke_role
from lms.org.models import Category, Official, Unit
from lms.text import fold
from lms.time import local_day, utcnow

CHUNK = 2_000  # ids per IN list and rows per INSERT, whatever the import's size
USED_DAYS = 30  # "used in the last 30 days" (the 2014 report)
STATES = ("pending", "waiting", "invited", "active", "disabled", "none")  # pending: waiting or invited


def _chunks(values: Sequence, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def username_for(official: Official) -> str:
    """The login of an official's account: the official code, else the e-mail address."""
    if official.code:
        return official.code.lower()
    if official.email and len(official.email) <= 80:
        return official.email.lower()
    return f"cb{official.id}"


@dataclass
class ProvideReport:
    created: int = 0
    linked: int = 0  # an existing account with the official's e-mail, not linked to anybody, now linked
    invited: int = 0
    user_ids: list[int] = field(default_factory=list)  # the accounts created or linked


def provide_accounts(
    session: Session,
    officials: Iterable[Official],
    now: datetime,
    *,
    invite: bool = True,
    actor: User | None = None,
    ip: str = "",
    is_demo: bool = False,
) -> ProvideReport:
    """Create the account of every active official of ``officials`` who has none (flush only).

    A few statements per 2,000 officials (Core INSERTs, no ORM object per account): no password is
    hashed; ``invite`` queues an invitation e-mail for each new account with an address, in this
    transaction. An account without an official that already has the official's e-mail address is
    that person's: it is linked instead of a second account being made."""
    from lms.auth import tokens

    report = ProvideReport()
    people = [o for o in officials if o.active and o.id is not None]
    if not people:
        return report
    session.flush()
    have: set[int] = set()
    for chunk in _chunks([o.id for o in people]):
        have.update(session.scalars(select(User.official_id).where(User.official_id.in_(chunk))))
    todo = [o for o in people if o.id not in have]
    if not todo:
        return report
    names = {o.id: username_for(o) for o in todo}
    taken: set[str] = set()
    for chunk in _chunks(sorted(set(names.values()))):
        taken.update(session.scalars(select(func.lower(User.username)).where(func.lower(User.username).in_(chunk))))
    owners: dict[str, tuple[int, int | None]] = {}
    for chunk in _chunks(sorted({o.email.lower() for o in todo if o.email})):
        for uid, oid, email in session.execute(
            select(User.id, User.official_id, func.lower(User.email)).where(func.lower(User.email).in_(chunk))
        ):
            owners[email] = (uid, oid)
    rows, links = [], []
    for o in todo:
        email = o.email.lower() if o.email else None
        if email in owners:
            uid, oid = owners[email]
            if oid is None:
                links.append((uid, o.id))
                owners[email] = (uid, o.id)
                continue
            email = None  # the address belongs to another person's account: login by code only
        name = names[o.id]
        if name in taken:
            name = f"cb{o.id}"
        taken.add(name)
        rows.append(
            {
                "username": name,
                "email": email,
                "password_hash": "",
                "display_name": "",
                "official_id": o.id,
                "active": True,
                "is_demo": is_demo,
                "must_change_password": False,
                "preferences": {},
                "created_at": now,
            }
        )
    for chunk in _chunks(rows):
        session.execute(insert(User.__table__), chunk)
    for uid, oid in links:
        session.execute(update(User.__table__).where(User.__table__.c.id == uid).values(official_id=oid))
    report.created, report.linked = len(rows), len(links)
    created_ids: list[int] = []
    for chunk in _chunks([r["official_id"] for r in rows]):
        created_ids += session.scalars(select(User.id).where(User.official_id.in_(chunk)))
    report.user_ids = created_ids + [uid for uid, _oid in links]
    if invite and created_ids and local_passwords():
        report.invited = tokens.invite_accounts(session, created_ids, now, actor=actor, new_accounts=True).invited
    audit(
        session,
        actor,
        "accounts.create",
        data={
            "chosen": len(people),
            "created": report.created,
            "linked": report.linked,
            "invited": report.invited,
        },
        ip=ip,
    )
    session.flush()
    return report


def local_passwords() -> bool:
    """Invitations choose a password kept here: none while ``LMS_LOCAL_PASSWORDS=0`` (officials log in
    through the province's directory or provider, their account found by their address)."""
    from flask import current_app, has_app_context

    return not has_app_context() or bool(current_app.config.get("LOCAL_PASSWORDS", True))


def account_for(session: Session, official: Official) -> User | None:
    if official.id is None:
        return None
    return session.scalar(select(User).where(User.official_id == official.id))


# -- leaving, coming back, moving ------------------------------------------------------------------
def _ended_units(session: Session, today: date) -> set[int]:
    return set(session.scalars(select(Unit.id).where(Unit.valid_until.is_not(None), Unit.valid_until <= today)))


def official_has_left(official: Official, ended_units: set[int]) -> bool:
    return not official.active or official.unit_id in ended_units


def follow_officials(session: Session, officials: Iterable[Official], now: datetime, actor: User | None = None) -> int:
    """Accounts follow their officials' state (flush only); returns how many accounts changed.

    Light on the common case: one query per 2,000 officials reads the accounts' state as plain
    rows; only the accounts that change are loaded."""
    people = {o.id: o for o in officials if o.id is not None}
    if not people:
        return 0
    ended = _ended_units(session, local_day(now))
    changes: list[tuple[int, str]] = []
    for chunk in _chunks(list(people)):
        for uid, oid, active, reason, email in session.execute(
            select(User.id, User.official_id, User.active, User.disabled_reason, User.email).where(
                User.official_id.in_(chunk)
            )
        ):
            official = people[oid]
            left = official_has_left(official, ended)
            if left and active:
                changes.append((uid, "leave"))
            elif not left and not active and reason == "left":
                changes.append((uid, "return"))
            elif official.email and (email or "").lower() != official.email.lower():
                changes.append((uid, "email"))
    for uid, what in changes:
        user = session.get(User, uid)
        if what == "leave":
            _disable(session, actor, user, now, "left")
            for assignment in [a for a in user.roles if a.role == Role.UNIT_HEAD]:
                revoke_role(session, actor, assignment)
        elif what == "return":
            _enable(session, actor, user, "left")
        else:
            email = people[user.official_id].email.lower()
            if session.scalar(select(User.id).where(func.lower(User.email) == email, User.id != user.id)) is None:
                user.email = email
    session.flush()
    return len(changes)


def follow_unit_moves(session: Session, moves: Sequence[tuple[Official, int]], actor: User | None, ip: str = "") -> int:
    """``moves``: (official, the unit they were in). A unit-head role on the old unit goes with them
    to their new unit (audited); returns how many roles moved."""
    moved = {o.id: (o, old) for o, old in moves if o.id is not None and old is not None and o.unit_id != old}
    count = 0
    for chunk in _chunks(list(moved)):
        rows = session.execute(
            select(User, RoleAssignment)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.official_id.in_(chunk), RoleAssignment.role == Role.UNIT_HEAD)
        ).all()
        for user, assignment in rows:
            official, old = moved[user.official_id]
            if assignment.unit_id != old:
                continue
            unit = session.get(Unit, official.unit_id)
            revoke_role(session, actor, assignment, ip=ip)
            if user.active:
                assign_role(session, actor, user, Role.UNIT_HEAD, unit, ip=ip)
            count += 1
    return count


def set_unit_head(session: Session, actor: User | None, official: Official, head: bool, ip: str = "") -> bool:
    """Grant (``head``) or end the unit-head role of the official's account for the official's unit;
    returns whether something changed. The account must exist (``provide_accounts`` first)."""
    user = account_for(session, official)
    if user is None:
        if head:
            raise AuthError(_("Cán bộ %(n)s chưa có tài khoản.", n=official.full_name))
        return False
    current = next((a for a in user.roles if a.role == Role.UNIT_HEAD and a.unit_id == official.unit_id), None)
    if head and current is None:
        if not official.active:
            return False
        assign_role(session, actor, user, Role.UNIT_HEAD, session.get(Unit, official.unit_id), ip=ip)
        return True
    if not head and current is not None:
        revoke_role(session, actor, current, ip=ip)
        return True
    return False


def unit_head_ids(session: Session, official_ids: Sequence[int]) -> set[int]:
    """Which of these officials head their own unit (their account holds the role for it)."""
    found: set[int] = set()
    for chunk in _chunks(list(official_ids)):
        found.update(
            session.scalars(
                select(Official.id)
                .join(User, User.official_id == Official.id)
                .join(RoleAssignment, RoleAssignment.user_id == User.id)
                .where(
                    Official.id.in_(chunk),
                    RoleAssignment.role == Role.UNIT_HEAD,
                    RoleAssignment.unit_id == Official.unit_id,
                )
            )
        )
    return found


# -- turning accounts off and on -------------------------------------------------------------------
def _disable(session: Session, actor: User | None, user: User, now: datetime, reason: str, ip: str = "") -> None:
    user.active = False
    user.disabled_at = now
    user.disabled_reason = reason
    ended = end_all_sessions(session, user)
    audit(
        session,
        actor,
        "account.disable",
        target=f"user:{user.id}",
        data={"reason": reason, "sessions_ended": ended},
        ip=ip,
    )


def _enable(session: Session, actor: User | None, user: User, reason: str, ip: str = "") -> None:
    user.active = True
    user.disabled_at = None
    user.disabled_reason = None
    audit(session, actor, "account.enable", target=f"user:{user.id}", data={"was": reason}, ip=ip)


def disable_account(session: Session, actor: User, user: User, now: datetime, ip: str = "") -> bool:
    """Turn an account off (every session ends); False if it was already off."""
    if user.id == actor.id:
        raise AuthError(_("Bạn không thể tự khóa tài khoản của mình."))
    if not user.active:
        return False
    _disable(session, actor, user, now, "manual", ip)
    session.flush()
    return True


def enable_account(session: Session, actor: User, user: User, now: datetime, ip: str = "") -> bool:
    """Turn an account back on; refused while its official has left (reactivate the official first)."""
    if user.active:
        return False
    official = user.official
    if official is not None and official_has_left(official, _ended_units(session, local_day(now))):
        raise AuthError(
            _("%(n)s không còn công tác: hãy cập nhật hồ sơ cán bộ trước khi mở lại tài khoản.", n=official.full_name)
        )
    _enable(session, actor, user, user.disabled_reason or "manual", ip)
    session.flush()
    return True


# -- the accounts page ------------------------------------------------------------------------------
@dataclass
class AccountFilters:
    unit_id: int | None = None
    unit_ids: set[int] | None = None  # a unit head's scope
    state: str = ""  # one of STATES, or "" for all
    category: str = ""
    q: str = ""
    unused: bool = False  # active accounts not used in the last 30 days


def _state_clause(state: str):
    no_password = User.password_hash == ""
    return {
        "none": User.id.is_(None),
        "pending": and_(User.active.is_(True), no_password),
        "disabled": User.active.is_(False),
        "active": and_(User.active.is_(True), ~no_password),
        "invited": and_(User.active.is_(True), no_password, User.invited_at.is_not(None)),
        "waiting": and_(User.active.is_(True), no_password, User.invited_at.is_(None)),
    }.get(state)


def accounts_query(filters: AccountFilters, now: datetime) -> Select:
    """Active officials (joined to their account, for the filters), in Vietnamese list order; their
    accounts: ``accounts_of``."""
    stmt = select(Official).outerjoin(User, User.official_id == Official.id).where(Official.active.is_(True))
    if filters.unit_id is not None:
        stmt = stmt.where(Official.unit_id == filters.unit_id)
    if filters.unit_ids is not None:
        stmt = stmt.where(Official.unit_id.in_(filters.unit_ids or {-1}))
    clause = _state_clause(filters.state)
    if clause is not None:
        stmt = stmt.where(clause)
    if filters.category in Category._value2member_map_:
        stmt = stmt.where(Official.category == Category(filters.category))
    if filters.q:
        for word in fold(filters.q).split():
            stmt = stmt.where(or_(Official.search_text.like(f"%{word}%"), User.username.like(f"%{word}%")))
    if filters.unused:
        since = now - timedelta(days=USED_DAYS)
        not_lately = or_(User.last_login_at.is_(None), User.last_login_at < since)
        stmt = stmt.where(User.active.is_(True), User.password_hash != "", not_lately)
    return stmt.order_by(Official.sort_key, Official.id)


def accounts_of(session: Session, officials: Sequence[Official]) -> dict[int, User]:
    """The accounts of these officials (one query), by official id."""
    ids = [o.id for o in officials]
    if not ids:
        return {}
    return {u.official_id: u for u in session.scalars(select(User).where(User.official_id.in_(ids)))}


def accounts_of_ids(session: Session, official_ids: Sequence[int]) -> dict[int, int]:
    """official id -> account id, for those of these officials who have an account."""
    found: dict[int, int] = {}
    for chunk in _chunks(list(official_ids)):
        found.update(session.execute(select(User.official_id, User.id).where(User.official_id.in_(chunk))).all())
    return found


def matching_user_ids(session: Session, filters: AccountFilters, now: datetime) -> list[int]:
    stmt = accounts_query(filters, now).with_only_columns(User.id).where(User.id.is_not(None)).order_by(None)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class FigureRow:
    key: object  # a Unit, a Category, or None for the total
    officials: int
    accounts: int
    activated: int
    used: int  # logged in within the last 30 days

    def share(self, part: int) -> float | None:
        return round(100 * part / self.officials, 1) if self.officials else None


def activation_figures(
    session: Session, now: datetime, by: str = "unit", unit_ids: set[int] | None = None
) -> list[FigureRow]:
    """Accounts activated and used in the last 30 days, per unit (``by="unit"``, units by name) or per
    official category (``by="category"``), active officials only; the last row is the total. One
    GROUP BY."""
    since = now - timedelta(days=USED_DAYS)
    key = Official.unit_id if by == "unit" else Official.category
    stmt = (
        select(
            key,
            func.count(Official.id),
            func.count(User.id),
            func.sum(case((User.password_hash != "", 1), else_=0)),
            func.sum(case((and_(User.active.is_(True), User.last_login_at >= since), 1), else_=0)),
        )
        .select_from(Official)
        .outerjoin(User, User.official_id == Official.id)
        .where(Official.active.is_(True))
        .group_by(key)
    )
    if unit_ids is not None:
        stmt = stmt.where(Official.unit_id.in_(unit_ids or {-1}))
    raw = session.execute(stmt).all()
    rows = []
    if by == "unit":
        units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_([r[0] for r in raw] or [-1])))}
        for unit_id, officials, accounts, activated, used in raw:
            rows.append(FigureRow(units[unit_id], officials, accounts, int(activated or 0), int(used or 0)))
        rows.sort(key=lambda r: (fold(r.key.name), r.key.id))
    else:
        order = list(Category)
        for category, officials, accounts, activated, used in raw:
            rows.append(FigureRow(Category(category), officials, accounts, int(activated or 0), int(used or 0)))
        rows.sort(key=lambda r: order.index(r.key))
    rows.append(
        FigureRow(
            None,
            sum(r.officials for r in rows),
            sum(r.accounts for r in rows),
            sum(r.activated for r in rows),
            sum(r.used for r in rows),
        )
    )
    return rows


def officials_without_account(session: Session, unit_ids: set[int] | None = None) -> list[Official]:
    stmt = (
        select(Official)
        .outerjoin(User, User.official_id == Official.id)
        .where(Official.active.is_(True), User.id.is_(None))
        .order_by(Official.sort_key, Official.id)
    )
    if unit_ids is not None:
        stmt = stmt.where(Official.unit_id.in_(unit_ids or {-1}))
    return list(session.scalars(stmt))


def on_officials_changed(session: Session, officials: list[Official], **_kw) -> None:
    """Receiver of ``lms.events.officials_changed`` (connected by the app factory): officials created,
    edited, moved or reactivated; their accounts follow (``follow_officials``)."""
    follow_officials(session, officials, utcnow())
