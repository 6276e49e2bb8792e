"""Who may schedule, see, nominate for and mark attendance of training sessions (rules, also in
templates; those with a query half scope the calendars).

Unknown session -> 404; a session the user may not see -> 403 (``load_or_404(..., check=can_view_session)``).
"""

from __future__ import annotations

from sqlalchemy import exists, false, or_

from lms.auth.rules import PROVINCE_WIDE, Rule
from lms.org.models import Official
from training.models import Participant, ParticipantState, SessionTargetUnit, SessionTrainer, TrainingSession

#: IT staff and admins create, edit, copy, cancel sessions and invite.
can_manage_sessions = PROVINCE_WIDE


def concerns_units(training_session, unit_ids) -> bool:
    """The session targets one of ``unit_ids`` or has a participant from one of them."""
    unit_ids = set(unit_ids)
    if not unit_ids:
        return False
    if training_session.target_unit_ids & unit_ids:
        return True
    return any(p.official.unit_id in unit_ids for p in training_session.participants)


def _concerning_condition(user):
    heads = sorted(user.headed_unit_ids)
    if not heads:
        return false()
    targeted = exists().where(SessionTargetUnit.session_id == TrainingSession.id, SessionTargetUnit.unit_id.in_(heads))
    their_staff = exists().where(
        Participant.session_id == TrainingSession.id,
        Participant.official_id == Official.id,
        Official.unit_id.in_(heads),
    )
    return or_(targeted, their_staff)


#: The session's trainers.
is_trainer = Rule(
    lambda user, training_session: training_session is not None and user.id in training_session.trainer_ids,
    lambda user: exists().where(SessionTrainer.session_id == TrainingSession.id, SessionTrainer.user_id == user.id),
)
#: Sessions open to every official's registration.
is_open = Rule(
    lambda _user, training_session: training_session is not None and training_session.open_registration,
    lambda _user: TrainingSession.open_registration.is_(True),
)
#: Sessions the official is on the list of (invited, registered, waiting, even declined).
is_listed = Rule(
    lambda user, training_session: (
        training_session is not None and user.official_id in {p.official_id for p in training_session.participants}
    ),
)
_LEFT = (ParticipantState.DECLINED, ParticipantState.CANCELLED)
#: Sessions the official still expects to attend (on the list, neither declined nor cancelled).
is_expected = Rule(
    lambda user, training_session: (
        training_session is not None
        and any(p.official_id == user.official_id and p.state not in _LEFT for p in training_session.participants)
    ),
    lambda user: (
        exists().where(
            Participant.session_id == TrainingSession.id,
            Participant.official_id == user.official_id,
            Participant.state.not_in(_LEFT),
        )
        if user.official_id is not None
        else false()
    ),
)
#: Sessions aimed at a unit the user heads, or with a participant from one.
concerns_headed_units = Rule(
    lambda user, training_session: (
        training_session is not None and concerns_units(training_session, user.headed_unit_ids)
    ),
    _concerning_condition,
)

#: Staff see all; trainers theirs; officials theirs and open ones; unit heads those concerning their unit.
can_view_session = PROVINCE_WIDE | is_trainer | is_open | is_listed | concerns_headed_units
#: A user's calendar: every session for staff; for the others the sessions they train, still expect to
#: attend, or that concern a unit they head.
in_calendar = PROVINCE_WIDE | is_trainer | is_expected | concerns_headed_units
#: The session's trainers and IT staff; never an ordinary official.
can_mark_attendance = PROVINCE_WIDE | is_trainer


def can_nominate(user, training_session, official=None) -> bool:
    """IT staff nominate anyone; a unit head nominates only their own unit's staff, to sessions they can see."""
    if not user.is_authenticated or training_session is None:
        return False
    if PROVINCE_WIDE(user):
        return True
    heads = user.headed_unit_ids
    if not heads or not can_view_session(user, training_session):
        return False
    return official is None or official.unit_id in heads


def can_see_participants(user, training_session) -> bool:
    return can_mark_attendance(user, training_session) or (
        bool(user.headed_unit_ids) and can_view_session(user, training_session)
    )


TEMPLATE_PREDICATES = {
    "can_manage_sessions": can_manage_sessions,
    "can_view_session": can_view_session,
    "can_nominate": can_nominate,
    "can_mark_attendance": can_mark_attendance,
    "can_see_participants": can_see_participants,
}
