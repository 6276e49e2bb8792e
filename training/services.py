"""Training scheduling use cases: plain functions taking a session and values; they flush, never commit.

Places and the waiting list: every change of who holds a place first locks the session row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a no-op ``UPDATE`` takes the database write lock,
like ``BEGIN IMMEDIATE``), then counts the places taken. Concurrent registrations are therefore
serialised per session and never overbook; a freed place goes to the first person on the waiting
list (by ``waitlisted_at``, then id) in the same transaction, and they are told by e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from lms.auth.models import Role, RoleAssignment, User
from lms.errors import NotAllowed, UserError
from lms.formatting import current_locale
from lms.org.models import Official, Unit
from lms.text import clean_text
from lms.time import VN_TZ, local_day, to_local, utcnow
from lms.topics import Topic
from lms.workdays import day_off
from quizzes import api as quizzes_api
from training import messages, targeting
from training.models import (
    ACTIVE_STATES,
    SEAT_STATES,
    CalendarToken,
    Participant,
    ParticipantSource,
    ParticipantState,
    SessionKind,
    SessionStatus,
    SessionTargetUnit,
    SessionTrainer,
    TrainingSession,
)
from training.permissions import can_mark_attendance, can_nominate, in_calendar
from training.targeting import FlagRule, Proposal


class TrainingError(UserError):
    """A training scheduling mistake, with a message in plain Vietnamese for the page."""


@dataclass
class TrainingSessionInput:
    title: str
    topic: Topic
    kind: SessionKind
    starts_at: datetime
    ends_at: datetime
    course_id: int | None = None
    place: str = ""
    link: str = ""
    capacity: int | None = None
    notes: str = ""
    open_registration: bool = False
    trainer_ids: list[int] = field(default_factory=list)
    target_unit_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ConflictWarning:
    kind: str  # official | trainer | capacity
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class InviteResult:
    invited: list[Participant] = field(default_factory=list)
    already: int = 0
    units: list[Unit] = field(default_factory=list)
    warnings: list[ConflictWarning] = field(default_factory=list)
    emails: int = 0  # e-mails queued: invited officials with an address, and unit heads
    heads: int = 0  # unit heads told their unit is invited


@dataclass
class UnitReach:
    """Who an invitation to a unit reaches: its unit heads (their accounts), or, when it has none
    and ``direct`` is chosen, its officials themselves."""

    unit: Unit
    heads: list[User]
    head_emails: int
    staff: int  # active officials of the unit not yet in the session
    staff_emails: int
    direct: bool = False


@dataclass
class InvitePlan:
    """What ``invite`` will do, said before confirming (nothing written)."""

    officials: list[Official]  # invited one by one (chosen, and the staff of units invited directly)
    units: list[UnitReach]
    already: int  # chosen officials already in the session

    @property
    def headless(self) -> list[UnitReach]:
        return [u for u in self.units if not u.heads]

    @property
    def people(self) -> int:
        return len(self.officials) + sum(len(u.heads) for u in self.units)

    @property
    def emails(self) -> int:
        return sum(1 for o in self.officials if o.email) + sum(u.head_emails for u in self.units)

    @property
    def without_email(self) -> int:
        return sum(1 for o in self.officials if not o.email)


# -- sessions ----------------------------------------------------------------------------------------
def _validate(session: Session, data: TrainingSessionInput) -> None:
    if not clean_text(data.title):
        raise TrainingError(_("Vui lòng nhập tên buổi tập huấn."))
    if data.ends_at <= data.starts_at:
        raise TrainingError(_("Giờ kết thúc phải sau giờ bắt đầu."))
    if data.ends_at - data.starts_at > timedelta(days=14):
        raise TrainingError(_("Một buổi tập huấn không được dài quá 14 ngày."))
    if data.capacity is not None and data.capacity < 1:
        raise TrainingError(_("Số chỗ phải từ 1 trở lên (để trống nếu không giới hạn)."))
    if data.kind == SessionKind.ONLINE and not data.link.strip():
        raise TrainingError(_("Buổi trực tuyến cần đường dẫn tham gia."))
    if data.kind != SessionKind.ONLINE and not data.place.strip():
        raise TrainingError(_("Vui lòng nhập địa điểm."))
    if data.link and not data.link.strip().lower().startswith(("https://", "http://")):
        raise TrainingError(_("Đường dẫn phải bắt đầu bằng https:// hoặc http://."))
    if data.kind == SessionKind.ONSITE and not data.target_unit_ids:
        raise TrainingError(_("Buổi hỗ trợ tại đơn vị cần chọn đơn vị được hỗ trợ."))


def _apply(session: Session, training_session: TrainingSession, data: TrainingSessionInput) -> None:
    training_session.title = clean_text(data.title)[:255]
    training_session.topic = data.topic
    training_session.kind = data.kind
    training_session.course_id = data.course_id
    training_session.starts_at = data.starts_at
    training_session.ends_at = data.ends_at
    training_session.place = clean_text(data.place)[:255]
    training_session.link = data.link.strip()[:500]
    training_session.capacity = data.capacity
    training_session.notes = clean_text(data.notes)
    training_session.open_registration = bool(data.open_registration)
    wanted = set(data.trainer_ids)
    training_session.trainers[:] = [t for t in training_session.trainers if t.user_id in wanted]
    for user_id in sorted(wanted - training_session.trainer_ids):
        training_session.trainers.append(SessionTrainer(user_id=user_id))
    units = set(data.target_unit_ids)
    training_session.target_units[:] = [t for t in training_session.target_units if t.unit_id in units]
    for unit_id in sorted(units - training_session.target_unit_ids):
        training_session.target_units.append(SessionTargetUnit(unit_id=unit_id))


def create_training_session(
    session: Session, data: TrainingSessionInput, actor: User | None, now: datetime | None = None
):
    """Returns ``(session, warnings)`` (a trainer double-booked...)."""
    _validate(session, data)
    training_session = TrainingSession(
        status=SessionStatus.SCHEDULED, sequence=0, created_by_id=actor.id if actor else None
    )
    training_session.created_at = now or utcnow()
    _apply(session, training_session, data)
    session.add(training_session)
    session.flush()
    return training_session, detect_conflicts(session, training_session)


def update_training_session(
    session: Session, training_session: TrainingSession, data: TrainingSessionInput, actor, now: datetime | None = None
):
    """Edit; a change of time or place raises SEQUENCE and tells everyone concerned (new .ics)."""
    if training_session.is_cancelled:
        raise TrainingError(_("Buổi tập huấn đã bị hủy, không sửa được."))
    _validate(session, data)
    lock_training_session(session, training_session.id)
    before = (
        training_session.starts_at,
        training_session.ends_at,
        training_session.place,
        training_session.link,
        training_session.kind,
    )
    _apply(session, training_session, data)
    session.flush()
    if (
        training_session.starts_at,
        training_session.ends_at,
        training_session.place,
        training_session.link,
        training_session.kind,
    ) != before:
        training_session.sequence += 1
        session.flush()
        for p in _participants(session, training_session.id, ACTIVE_STATES):
            messages.updated(session, p, now=now)
    fill_from_waitlist(session, training_session, now)
    return training_session, detect_conflicts(session, training_session)


def cancel_training_session(
    session: Session, training_session: TrainingSession, actor, reason: str = "", now: datetime | None = None
) -> int:
    """Cancel and tell everyone still expecting it (.ics CANCEL, same UID, higher SEQUENCE). Returns how many."""
    if training_session.is_cancelled:
        raise TrainingError(_("Buổi tập huấn này đã bị hủy trước đó."))
    lock_training_session(session, training_session.id)
    training_session.status = SessionStatus.CANCELLED
    training_session.cancel_reason = clean_text(reason)[:500]
    training_session.sequence += 1
    session.flush()
    told = 0
    for p in _participants(session, training_session.id, ACTIVE_STATES):
        told += bool(messages.cancelled(session, p, training_session.cancel_reason, now=now))
    return told


# -- places and the waiting list -----------------------------------------------------------------------
def lock_training_session(session: Session, session_id: int) -> TrainingSession:
    """Serialise changes of places for one session until the transaction ends."""
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(TrainingSession).where(TrainingSession.id == session_id).with_for_update()
        return session.execute(stmt.execution_options(populate_existing=True)).scalar_one()
    table = TrainingSession.__table__
    # SQLite: the first write of a transaction takes the database write lock (waiting busy_timeout).
    session.execute(update(table).where(table.c.id == session_id).values(updated_at=table.c.updated_at))
    return session.execute(
        select(TrainingSession).where(TrainingSession.id == session_id).execution_options(populate_existing=True)
    ).scalar_one()


def seats_taken(session: Session, session_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Participant)
        .where(Participant.session_id == session_id, Participant.state.in_(SEAT_STATES))
    )


def _participants(session: Session, session_id: int, states) -> list[Participant]:
    return list(
        session.scalars(
            select(Participant)
            .where(Participant.session_id == session_id, Participant.state.in_(states))
            .order_by(Participant.id)
        )
    )


def waiting_list(session: Session, session_id: int) -> list[Participant]:
    return list(
        session.scalars(
            select(Participant)
            .where(Participant.session_id == session_id, Participant.state == ParticipantState.WAITLISTED)
            .order_by(Participant.waitlisted_at, Participant.id)
        )
    )


def waitlist_position(session: Session, participant: Participant) -> int | None:
    if participant.state != ParticipantState.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Participant)
        .where(
            Participant.session_id == participant.session_id,
            Participant.state == ParticipantState.WAITLISTED,
            or_(
                Participant.waitlisted_at < participant.waitlisted_at,
                and_(Participant.waitlisted_at == participant.waitlisted_at, Participant.id < participant.id),
            ),
        )
    )
    return ahead + 1


def _seat_state(p: Participant) -> ParticipantState:
    return ParticipantState.ACCEPTED if p.source == ParticipantSource.INVITED else ParticipantState.REGISTERED


def _seat_or_wait(session: Session, training_session: TrainingSession, p: Participant, now: datetime) -> bool:
    """With the session locked: give ``p`` a place if one is free, else put them on the waiting list."""
    if training_session.capacity is None or seats_taken(session, training_session.id) < training_session.capacity:
        p.state = _seat_state(p)
        p.waitlisted_at = None
        session.flush()
        return True
    p.state = ParticipantState.WAITLISTED
    p.waitlisted_at = now
    session.flush()
    return False


def fill_from_waitlist(
    session: Session, training_session: TrainingSession, now: datetime | None = None
) -> list[Participant]:
    """With the session locked: free places go to the waiting list, first come first served; they are told."""
    promoted = []
    if training_session.is_cancelled or (now or utcnow()) >= training_session.ends_at:
        return promoted
    while training_session.capacity is None or seats_taken(session, training_session.id) < training_session.capacity:
        queue = waiting_list(session, training_session.id)
        if not queue:
            break
        first = queue[0]
        first.state = _seat_state(first)
        session.flush()
        messages.promoted(session, first, now=now)
        promoted.append(first)
    return promoted


def _require_open(training_session: TrainingSession, now: datetime) -> None:
    if training_session.is_cancelled:
        raise TrainingError(_("Buổi tập huấn đã bị hủy."))
    if now >= training_session.starts_at:
        raise TrainingError(_("Buổi tập huấn đã bắt đầu hoặc đã kết thúc."))


def _locked_participant(session: Session, session_id: int, official_id: int) -> Participant | None:
    return session.execute(
        select(Participant)
        .where(Participant.session_id == session_id, Participant.official_id == official_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _join(session, training_session_id, official, *, source, nominated_by=None, now) -> tuple[Participant, bool]:
    """Register ``official`` (new row, or a declined/cancelled/invited one). Returns (participant, changed)."""
    training_session = lock_training_session(session, training_session_id)
    _require_open(training_session, now)
    p = _locked_participant(session, training_session.id, official.id)
    if p is not None and p.state not in (
        ParticipantState.INVITED,
        ParticipantState.DECLINED,
        ParticipantState.CANCELLED,
    ):
        return p, False
    if p is None:
        p = Participant(
            session_id=training_session.id, official_id=official.id, state=ParticipantState.INVITED, source=source
        )
        p.created_at = now
        session.add(p)
        session.flush()
    elif p.state != ParticipantState.INVITED:
        p.source = source
    if nominated_by is not None:
        p.nominated_by_id = nominated_by.id
    p.responded_at = now
    _seat_or_wait(session, training_session, p, now)
    return p, True


def _tell_joined(session, p: Participant, now) -> None:
    if p.state == ParticipantState.WAITLISTED:
        messages.waitlisted(session, p, waitlist_position(session, p) or 0, now=now)
    else:
        messages.registered(session, p, now=now)


def register_self(
    session: Session, training_session: TrainingSession, official: Official, now: datetime | None = None
) -> Participant:
    """Self-registration for an open session (or accepting an invitation): a place, or the waiting list."""
    now = now or utcnow()
    existing = _locked_participant(session, training_session.id, official.id)
    if not training_session.open_registration and (existing is None or existing.state != ParticipantState.INVITED):
        raise TrainingError(_("Buổi tập huấn này không mở đăng ký tự do."))
    p, changed = _join(session, training_session.id, official, source=ParticipantSource.SELF, now=now)
    if changed:
        _tell_joined(session, p, now)
    return p


def respond(session: Session, participant: Participant, accept: bool, now: datetime | None = None) -> Participant:
    """Accept (a place or the waiting list) or decline an invitation. Declining frees a held place."""
    now = now or utcnow()
    if accept:
        if participant.state in (*SEAT_STATES, ParticipantState.WAITLISTED):
            return participant
        p, changed = _join(session, participant.session_id, participant.official, source=participant.source, now=now)
        if changed:
            _tell_joined(session, p, now)
        return p
    return _leave(session, participant, ParticipantState.DECLINED, now)


def withdraw(session: Session, participant: Participant, now: datetime | None = None) -> Participant:
    """The official cancels their registration (or leaves the waiting list)."""
    return _leave(session, participant, ParticipantState.CANCELLED, now or utcnow())


def _leave(session: Session, participant: Participant, new_state: ParticipantState, now: datetime) -> Participant:
    training_session = lock_training_session(session, participant.session_id)
    _require_open(training_session, now)
    p = _locked_participant(session, training_session.id, participant.official_id)
    if p.state not in ACTIVE_STATES:
        return p
    p.state = new_state
    p.waitlisted_at = None
    p.responded_at = now
    session.flush()
    fill_from_waitlist(session, training_session, now)
    return p


def nominate(
    session: Session, training_session: TrainingSession, official: Official, actor: User, now: datetime | None = None
):
    """A unit head (own staff only) or IT staff put an official on the list: a place or the waiting list."""
    now = now or utcnow()
    if not can_nominate(actor, training_session, official):
        raise NotAllowed(_("Đồng chí chỉ được cử cán bộ của đơn vị mình."))
    if not official.active:
        raise TrainingError(_("Cán bộ này không còn hoạt động."))
    p, changed = _join(
        session, training_session.id, official, source=ParticipantSource.NOMINATED, nominated_by=actor, now=now
    )
    if changed:
        if p.state == ParticipantState.WAITLISTED:
            messages.waitlisted(session, p, waitlist_position(session, p) or 0, now=now)
        else:
            messages.nominated(session, p, now=now)
    return p


# -- invitations and targeting ---------------------------------------------------------------------------
def _head_email(head: User) -> str | None:
    return head.email or (head.official.email if head.official else None)


def _unit_staff(session: Session, unit_ids: Iterable[int]) -> list[Official]:
    ids = sorted(set(unit_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            select(Official).where(Official.unit_id.in_(ids), Official.active.is_(True)).order_by(Official.id)
        )
    )


def plan_invite(
    session: Session,
    training_session: TrainingSession,
    *,
    official_ids: Iterable[int] = (),
    unit_ids: Iterable[int] = (),
    direct_unit_ids: Iterable[int] = (),
) -> InvitePlan:
    """Who an invitation will reach: the officials chosen, each unit's heads (a unit without a
    unit-head account reaches nobody unless its officials are invited directly: ``direct_unit_ids``),
    and how many e-mails go out. Writes nothing."""
    existing = set(
        session.scalars(select(Participant.official_id).where(Participant.session_id == training_session.id))
    )
    chosen = sorted(set(official_ids))
    units = list(session.scalars(select(Unit).where(Unit.id.in_(sorted(set(unit_ids)))).order_by(Unit.name)))
    direct = {u.id for u in units} & set(direct_unit_ids)
    officials = {
        o.id: o
        for o in session.scalars(select(Official).where(Official.id.in_(chosen), Official.active.is_(True)))
        if o.id not in existing
    }
    staff_by_unit: dict[int, list[Official]] = {}
    for o in _unit_staff(session, [u.id for u in units]):
        if o.id not in existing:
            staff_by_unit.setdefault(o.unit_id, []).append(o)
    reach = []
    for unit in units:
        heads = unit_heads(session, unit.id)
        staff = staff_by_unit.get(unit.id, [])
        reach.append(
            UnitReach(
                unit=unit,
                heads=heads,
                head_emails=sum(1 for h in heads if _head_email(h)),
                staff=len(staff),
                staff_emails=sum(1 for o in staff if o.email),
                direct=unit.id in direct,
            )
        )
        if unit.id in direct:
            officials.update({o.id: o for o in staff})
    return InvitePlan(
        officials=sorted(officials.values(), key=lambda o: (o.sort_key, o.id)),
        units=reach,
        already=len(set(chosen) & existing),
    )


def invite(
    session: Session,
    training_session: TrainingSession,
    *,
    official_ids: Iterable[int] = (),
    unit_ids: Iterable[int] = (),
    direct_unit_ids: Iterable[int] = (),
    actor: User | None = None,
    now: datetime | None = None,
) -> InviteResult:
    """Invite officials (e-mail + .ics REQUEST) and target units (their heads are asked to nominate), at once;
    the active officials of ``direct_unit_ids`` (among ``unit_ids``: units without a unit-head account)
    are invited themselves."""
    now = now or utcnow()
    _require_open(training_session, now)
    direct = set(unit_ids) & set(direct_unit_ids)
    official_ids = sorted(set(official_ids) | {o.id for o in _unit_staff(session, direct)})
    result = InviteResult(warnings=detect_conflicts(session, training_session, official_ids))
    existing = set(
        session.scalars(select(Participant.official_id).where(Participant.session_id == training_session.id))
    )
    officials = session.scalars(select(Official).where(Official.id.in_(official_ids), Official.active.is_(True))).all()
    for official in officials:
        if official.id in existing:
            result.already += 1
            continue
        p = Participant(
            session_id=training_session.id,
            official_id=official.id,
            state=ParticipantState.INVITED,
            source=ParticipantSource.INVITED,
        )
        p.created_at = now
        session.add(p)
        session.flush()
        result.emails += messages.invitation(session, p, now=now)
        result.invited.append(p)
    for unit in session.scalars(select(Unit).where(Unit.id.in_(sorted(set(unit_ids))))).all():
        if unit.id not in training_session.target_unit_ids:
            training_session.target_units.append(SessionTargetUnit(unit_id=unit.id))
        session.flush()
        result.units.append(unit)
        for head in unit_heads(session, unit.id):
            result.heads += 1
            result.emails += messages.unit_targeted(session, training_session, unit, head, now=now)
    return result


def unit_heads(session: Session, unit_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.UNIT_HEAD, RoleAssignment.unit_id == unit_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def detect_conflicts(session: Session, training_session: TrainingSession, official_ids: Iterable[int] | None = None):
    """Plain warnings: officials already booked at an overlapping time, trainers double-booked, over capacity."""
    warnings: list[ConflictWarning] = []
    if training_session.is_cancelled:
        return warnings
    overlapping = and_(
        TrainingSession.id != training_session.id,
        TrainingSession.status == SessionStatus.SCHEDULED,
        TrainingSession.starts_at < training_session.ends_at,
        TrainingSession.ends_at > training_session.starts_at,
    )
    booked_states = (*ACTIVE_STATES, ParticipantState.ATTENDED)
    current = set(
        session.scalars(
            select(Participant.official_id).where(
                Participant.session_id == training_session.id, Participant.state.in_(booked_states)
            )
        )
    )
    ids = current | set(official_ids or ())
    if ids:
        rows = session.execute(
            select(Official, TrainingSession)
            .join(Participant, Participant.official_id == Official.id)
            .join(TrainingSession, TrainingSession.id == Participant.session_id)
            .where(overlapping, Participant.official_id.in_(sorted(ids)), Participant.state.in_(booked_states))
            .order_by(Official.sort_key, TrainingSession.starts_at)
        ).all()
        for official, other in rows:
            warnings.append(
                ConflictWarning(
                    "official",
                    _(
                        "%(name)s đã được mời hoặc đăng ký buổi “%(title)s” trùng giờ (%(when)s).",
                        name=official.full_name,
                        title=other.title,
                        when=messages.when_text(other),
                    ),
                )
            )
    if training_session.trainer_ids:
        rows = session.execute(
            select(User, TrainingSession)
            .join(SessionTrainer, SessionTrainer.user_id == User.id)
            .join(TrainingSession, TrainingSession.id == SessionTrainer.session_id)
            .where(overlapping, SessionTrainer.user_id.in_(sorted(training_session.trainer_ids)))
            .order_by(User.id, TrainingSession.starts_at)
        ).all()
        for user, other in rows:
            warnings.append(
                ConflictWarning(
                    "trainer",
                    _(
                        "Giảng viên %(name)s đã có lịch buổi “%(title)s” trùng giờ (%(when)s).",
                        name=user.name,
                        title=other.title,
                        when=messages.when_text(other),
                    ),
                )
            )
    if training_session.capacity is not None:
        planned = len(ids) if official_ids is not None else len(current)
        if planned > training_session.capacity:
            warnings.append(
                ConflictWarning(
                    "capacity",
                    _(
                        "Số người được mời hoặc đăng ký (%(n)d) vượt số chỗ (%(c)d): những người nhận lời sau "
                        "sẽ vào danh sách chờ.",
                        n=planned,
                        c=training_session.capacity,
                    ),
                )
            )
    return warnings


def day_off_warnings(training_session: TrainingSession) -> list[ConflictWarning]:
    """A session on a weekend or a public holiday (Vietnam's calendar, its days): said when it is
    saved, not refused (a Saturday class can be intended)."""
    warnings: list[ConflictWarning] = []
    for day in sorted({local_day(training_session.starts_at), local_day(training_session.ends_at)}):
        why = day_off(day, current_locale())
        if why:
            warnings.append(
                ConflictWarning(
                    "day_off",
                    _(
                        "Ngày %(d)s là ngày nghỉ (%(why)s): cán bộ thường không đi tập huấn được. "
                        "Nếu không cố ý, hãy sửa lại ngày.",
                        d=day.strftime("%d/%m/%Y"),
                        why=why,
                    ),
                )
            )
    return warnings


def propose_targets(
    session: Session, training_session: TrainingSession, *, rule: FlagRule | None = None, today: date | None = None
) -> Proposal:
    """Units and officials for the session's topic by need (competency, and the registered sources such
    as adoption's usage), officials of its target units when it has some (``training.targeting``)."""
    return targeting.propose_targets(
        session,
        training_session.topic,
        unit_ids=sorted(training_session.target_unit_ids) or None,
        rule=rule,
        today=today,
    )


# -- attendance, after the session, reminders -----------------------------------------------------------
def mark_attendance(
    session: Session,
    training_session: TrainingSession,
    present_ids: Iterable[int],
    actor: User,
    now: datetime | None = None,
) -> dict[str, int]:
    """The trainer or IT staff tick who came; attendees get the link to the course's final quiz."""
    now = now or utcnow()
    if not can_mark_attendance(actor, training_session):
        raise NotAllowed(_("Chỉ giảng viên của buổi tập huấn hoặc cán bộ CNTT được điểm danh."))
    if training_session.is_cancelled:
        raise TrainingError(_("Buổi tập huấn đã bị hủy."))
    if now < training_session.starts_at:
        raise TrainingError(_("Chỉ điểm danh được khi buổi tập huấn đã bắt đầu."))
    present = set(present_ids)
    quiz = quizzes_api.final_quiz(session, training_session.course_id)
    counts = {"attended": 0, "absent": 0}
    for p in _participants(session, training_session.id, SEAT_STATES):
        p.state = ParticipantState.ATTENDED if p.official_id in present else ParticipantState.ABSENT
        p.attendance_marked_at = now
        counts[p.state.value] += 1
    session.flush()
    if quiz is not None:
        for p in _participants(session, training_session.id, (ParticipantState.ATTENDED,)):
            messages.quiz_link(session, p, quiz, now=now)
    return counts


def queue_reminders(session: Session, now: datetime | None = None) -> int:
    """E-mail everyone holding a place in a session starting before the end of tomorrow (local). Idempotent."""
    now = now or utcnow()
    tomorrow = to_local(now).date() + timedelta(days=1)
    horizon = datetime.combine(tomorrow + timedelta(days=1), time.min, tzinfo=VN_TZ)
    rows = session.scalars(
        select(Participant)
        .join(TrainingSession, TrainingSession.id == Participant.session_id)
        .where(
            TrainingSession.status == SessionStatus.SCHEDULED,
            TrainingSession.starts_at > now,
            TrainingSession.starts_at < horizon,
            Participant.state.in_((ParticipantState.ACCEPTED, ParticipantState.REGISTERED)),
        )
        .order_by(Participant.id)
    ).all()
    return sum(bool(messages.reminder(session, p, now=now)) for p in rows)


# -- reading --------------------------------------------------------------------------------------------
def get_participant(session: Session, session_id: int, official_id: int | None) -> Participant | None:
    if official_id is None:
        return None
    return session.scalars(
        select(Participant).where(Participant.session_id == session_id, Participant.official_id == official_id)
    ).first()


def visible_sessions_query(user, start: datetime | None = None, end: datetime | None = None):
    """Sessions a user's calendar shows (``in_calendar``): staff all; trainers, participants and unit
    heads theirs."""
    stmt = in_calendar.scope(user, select(TrainingSession))
    if start is not None:
        stmt = stmt.where(TrainingSession.ends_at > start)
    if end is not None:
        stmt = stmt.where(TrainingSession.starts_at < end)
    return stmt.order_by(TrainingSession.starts_at, TrainingSession.id)


def unit_sessions_query(unit_ids: Iterable[int], since: datetime):
    """Sessions concerning the units (targeted, a participant from them, or open), from ``since``."""
    ids = sorted(set(unit_ids))
    return (
        select(TrainingSession)
        .where(
            TrainingSession.ends_at > since,
            or_(
                TrainingSession.open_registration.is_(True),
                exists().where(SessionTargetUnit.session_id == TrainingSession.id, SessionTargetUnit.unit_id.in_(ids)),
                exists().where(
                    Participant.session_id == TrainingSession.id,
                    Participant.official_id == Official.id,
                    Official.unit_id.in_(ids),
                ),
            ),
        )
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )


def official_sessions(session: Session, official_id: int, limit: int = 20) -> list[Participant]:
    """The official's places in training sessions (invited, registered, attended...), latest first."""
    return list(
        session.scalars(
            select(Participant)
            .join(TrainingSession, TrainingSession.id == Participant.session_id)
            .where(Participant.official_id == official_id)
            .order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc())
            .limit(limit)
        )
    )


def sessions_to_nominate(session: Session, official: Official, now: datetime) -> list[TrainingSession]:
    """Sessions the official's unit head may still send them to: scheduled, not started, concerning
    the unit (targeted or open), and the official not on the list already (a declined or cancelled
    place may be given again)."""
    if official.unit_id is None:
        return []
    taken = (
        select(Participant.id)
        .where(
            Participant.session_id == TrainingSession.id,
            Participant.official_id == official.id,
            Participant.state.in_((*ACTIVE_STATES, *SEAT_STATES)),
        )
        .exists()
    )
    query = unit_sessions_query([official.unit_id], now).where(
        TrainingSession.status == SessionStatus.SCHEDULED, TrainingSession.starts_at > now, ~taken
    )
    return list(session.scalars(query.limit(20)))


def dashboard_data(session: Session, official_id: int, now: datetime | None = None) -> dict:
    """The official's panel: open invitations, upcoming places, waiting-list positions, quiz links."""
    now = now or utcnow()
    rows = session.execute(
        select(Participant, TrainingSession)
        .join(TrainingSession, TrainingSession.id == Participant.session_id)
        .where(Participant.official_id == official_id, TrainingSession.ends_at > now - timedelta(days=60))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    ).all()
    data = {"invitations": [], "upcoming": [], "waiting": [], "quizzes": []}
    for p, training_session in rows:
        upcoming = training_session.status == SessionStatus.SCHEDULED and training_session.starts_at > now
        if upcoming and p.state == ParticipantState.INVITED:
            data["invitations"].append(p)
        elif upcoming and p.state in (ParticipantState.ACCEPTED, ParticipantState.REGISTERED):
            data["upcoming"].append(p)
        elif upcoming and p.state == ParticipantState.WAITLISTED:
            data["waiting"].append((p, waitlist_position(session, p)))
        elif p.state == ParticipantState.ATTENDED:
            quiz = quizzes_api.final_quiz(session, training_session.course_id)
            if quiz is not None:
                data["quizzes"].append((p, quiz))
    return data


# -- calendar feed tokens ---------------------------------------------------------------------------------
def active_token(session: Session, user_id: int) -> CalendarToken | None:
    return session.scalars(
        select(CalendarToken)
        .where(CalendarToken.user_id == user_id, CalendarToken.revoked_at.is_(None))
        .order_by(CalendarToken.id.desc())
    ).first()


def create_token(session: Session, user: User, now: datetime | None = None) -> CalendarToken:
    """A new private feed URL; any earlier one is revoked."""
    import secrets

    now = now or utcnow()
    revoke_tokens(session, user, now)
    token = CalendarToken(user_id=user.id, token=secrets.token_urlsafe(32), created_at=now)
    session.add(token)
    session.flush()
    return token


def revoke_tokens(session: Session, user: User, now: datetime | None = None) -> int:
    now = now or utcnow()
    result = session.execute(
        update(CalendarToken)
        .where(CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return result.rowcount


def user_for_token(session: Session, token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    row = session.scalars(
        select(CalendarToken).where(CalendarToken.token == token, CalendarToken.revoked_at.is_(None))
    ).first()
    if row is None or not row.user.active:
        return None
    return row.user
