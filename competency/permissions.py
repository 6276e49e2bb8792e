"""Who sees which competency page. Unknown unit -> 404 (``get_or_404``); known but not yours -> 403."""

from __future__ import annotations

from lms.auth.models import Role
from lms.auth.permissions import can_view_all_units, can_view_unit


def has_own_results(user) -> bool:
    """An account linked to an official has a "my results" page."""
    return user.is_authenticated and user.official_id is not None


def can_view_unit_results(user, unit) -> bool:
    """The unit's head (their unit only), IT staff and admins."""
    return can_view_unit(user, unit)


def can_view_rankings(user) -> bool:
    """The province-wide ranking, breakdowns and reports: IT staff and admins."""
    return can_view_all_units(user)


def heads_a_unit(user) -> bool:
    return user.is_authenticated and user.has_role(Role.UNIT_HEAD) and bool(user.headed_unit_ids)


TEMPLATE_PREDICATES = {
    "can_view_unit_results": can_view_unit_results,
    "can_view_rankings": can_view_rankings,
}
