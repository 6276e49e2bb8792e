"""Who may schedule, see, nominate for and mark attendance of training sessions. Also in templates.

Unknown session -> 404 (the view's ``get_or_404``); a session the user may not see -> 403.
"""

from __future__ import annotations


def can_manage_sessions(user) -> bool:
    """IT staff and admins create, edit, copy, cancel sessions, invite and see the outbox."""
    return bool(user.is_authenticated and user.is_province_wide)


def _participant_official_ids(ts) -> set[int]:
    return {p.official_id for p in ts.participants}


def concerns_units(ts, unit_ids) -> bool:
    """The session targets one of ``unit_ids`` or has a participant from one of them."""
    unit_ids = set(unit_ids)
    if not unit_ids:
        return False
    if ts.target_unit_ids & unit_ids:
        return True
    return any(p.official.unit_id in unit_ids for p in ts.participants)


def can_view_session(user, ts) -> bool:
    """Staff see all; trainers theirs; officials theirs and open ones; unit heads those concerning their unit."""
    if not user.is_authenticated or ts is None:
        return False
    if user.is_province_wide or user.id in ts.trainer_ids:
        return True
    if ts.open_registration:
        return True
    if user.official_id is not None and user.official_id in _participant_official_ids(ts):
        return True
    return concerns_units(ts, user.headed_unit_ids)


def can_nominate(user, ts, official=None) -> bool:
    """IT staff nominate anyone; a unit head nominates only their own unit's staff, to sessions they can see."""
    if not user.is_authenticated or ts is None:
        return False
    if user.is_province_wide:
        return True
    heads = user.headed_unit_ids
    if not heads or not can_view_session(user, ts):
        return False
    return official is None or official.unit_id in heads


def can_mark_attendance(user, ts) -> bool:
    """The session's trainers and IT staff; never an ordinary official."""
    if not user.is_authenticated or ts is None:
        return False
    return user.is_province_wide or user.id in ts.trainer_ids


def can_see_participants(user, ts) -> bool:
    return can_mark_attendance(user, ts) or (bool(user.headed_unit_ids) and can_view_session(user, ts))


TEMPLATE_PREDICATES = {
    "can_manage_sessions": can_manage_sessions,
    "can_view_session": can_view_session,
    "can_nominate": can_nominate,
    "can_mark_attendance": can_mark_attendance,
    "can_see_participants": can_see_participants,
}
