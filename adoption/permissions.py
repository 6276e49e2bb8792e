"""Who sees which usage page. Unknown unit or official -> 404; known but not yours -> 403."""

from __future__ import annotations

from lms.auth.models import Role
from lms.auth.permissions import can_view_all_units, can_view_official, can_view_unit


def can_view_province_usage(user) -> bool:
    """The province indicators, imports, matching, reports and the digest log: IT staff and admins."""
    return can_view_all_units(user)


def can_view_unit_usage(user, unit) -> bool:
    """A unit's indicators and staff list: its head, IT staff and admins."""
    return can_view_unit(user, unit)


def can_report_for_unit(user, unit) -> bool:
    """The monthly form of a unit: its head (their unit only), IT staff and admins."""
    return can_view_unit(user, unit)


def can_view_official_usage(user, official) -> bool:
    """An official's usage next to their competency: themself, their unit head, province-wide staff."""
    return can_view_official(user, official)


def heads_a_unit(user) -> bool:
    return user.is_authenticated and user.has_role(Role.UNIT_HEAD) and bool(user.headed_unit_ids)


TEMPLATE_PREDICATES = {
    "can_view_province_usage": can_view_province_usage,
    "can_view_unit_usage": can_view_unit_usage,
    "can_report_for_unit": can_report_for_unit,
}
