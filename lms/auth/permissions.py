"""Object-level permission predicates, shared by views, services and templates.

Convention: a missing object is a 404 (the view's ``get_or_404``); a known object the user may not
see is a 403 via ``require(...)``.
"""

from __future__ import annotations

from flask import abort

from lms.auth.models import Role


def can_view_all_units(user) -> bool:
    return user.is_authenticated and user.is_province_wide


def can_view_unit(user, unit) -> bool:
    """IT staff and admins see every unit; a unit head sees only the unit they head."""
    if not user.is_authenticated or unit is None:
        return False
    return user.is_province_wide or unit.id in user.headed_unit_ids


def can_manage_unit_staff(user, unit) -> bool:
    """Assign courses to, nominate, and read results of the unit's staff."""
    return can_view_unit(user, unit)


def can_view_official(user, official) -> bool:
    """An official sees themself; their unit head and province-wide staff see them too."""
    if not user.is_authenticated or official is None:
        return False
    if user.official_id == official.id:
        return True
    return user.is_province_wide or official.unit_id in user.headed_unit_ids


def can_edit_officials(user) -> bool:
    return user.is_authenticated and user.is_province_wide


def can_manage_roles(user) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN)


def can_manage_accounts_of(user, unit) -> bool:
    """See the accounts of a unit's officials, invite them, print their activation slips, turn their
    accounts off and on: IT staff and admins everywhere, a unit head for the unit they head."""
    return can_view_unit(user, unit)


def can_manage_account(user, account) -> bool:
    """Turn ``account`` off or on, invite it, print its slip: a person in charge of its official's unit
    (``can_manage_accounts_of``), never for their own account, and only an admin for an account that
    holds province-wide rights (IT staff, admin)."""
    if not user.is_authenticated or account is None or account.id == user.id:
        return False
    if account.is_province_wide:
        return user.has_role(Role.ADMIN)
    if user.is_province_wide:
        return True
    official = account.official
    return official is not None and official.unit_id in user.headed_unit_ids


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


TEMPLATE_PREDICATES = {
    "can_view_all_units": can_view_all_units,
    "can_view_unit": can_view_unit,
    "can_view_official": can_view_official,
    "can_edit_officials": can_edit_officials,
    "can_manage_roles": can_manage_roles,
    "can_manage_account": can_manage_account,
    "Role": Role,
}
