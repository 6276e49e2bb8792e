"""Who may see what: the kernel's rules (``lms.auth.rules``), used by views, services and templates.

A view loads and checks in one call: ``unit = load_or_404(Unit, unit_id, check=can_view_unit)``:
an unknown object is a 404; a known object the user may not see is a 403 (or a 404 with
``hidden=True`` where its existence is private).
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from lms.auth.models import Role
from lms.auth.rules import PROVINCE_WIDE, Rule, head_of_unit, holds_province_wide_rights, own
from lms.extensions import db
from lms.org.models import Official, Unit


def official_data(official_id, unit_id, official_id_column=None, unit_id_column=None) -> Rule:
    """Data about one official (their record, attempts, certificates): the official themself, the
    head of the official's *current* unit, and province-wide staff. ``official_id(obj)`` and
    ``unit_id(obj)`` read the object; the columns scope a query (``unit_id_column`` on a joined
    ``Official``)."""
    return own(official_id, official_id_column) | head_of_unit(unit_id, unit_id_column) | PROVINCE_WIDE


#: IT staff and admins see every unit (and import, edit and rank them).
can_view_all_units = PROVINCE_WIDE
can_edit_officials = PROVINCE_WIDE
#: A unit head sees only the unit they head; province-wide staff every unit.
can_view_unit = head_of_unit(lambda unit: unit.id, Unit.id) | PROVINCE_WIDE
#: An official sees themself; their unit head and province-wide staff see them too.
can_view_official = official_data(lambda o: o.id, lambda o: o.unit_id, Official.id, Official.unit_id)
can_manage_roles = Rule(lambda user, _obj: user.has_role(Role.ADMIN))


#: The accounts of a unit's officials (see them, invite them, print their activation slips, turn them
#: off and on): IT staff and admins everywhere, a unit head for the unit they head.
can_manage_accounts_of = can_view_unit


def _manages_account(user, account) -> bool:
    if account is None or account.id == user.id:  # never one's own account
        return False
    if holds_province_wide_rights(account):  # IT staff, admins: only an admin
        return can_manage_roles(user)
    official = account.official
    return PROVINCE_WIDE(user) or (official is not None and official.unit_id in user.headed_unit_ids)


#: Turn an account off or on, invite it, print its slip: whoever manages the accounts of its
#: official's unit (``can_manage_accounts_of``), never for their own account, and only an admin for
#: an account that holds province-wide rights.
can_manage_account = Rule(_manages_account)


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def load_or_404(model, ident, *, check=None, hidden: bool = False, options=()):
    """``model``'s row ``ident``, or 404; then ``check(current_user, obj)``: refused is 403, or 404
    with ``hidden`` (where the object's existence is private, e.g. a draft course)."""
    obj = db.get_or_404(model, ident, options=options)
    if check is not None and not check(current_user, obj):
        abort(404 if hidden else 403)
    return obj


TEMPLATE_PREDICATES = {
    "can_view_all_units": can_view_all_units,
    "can_view_unit": can_view_unit,
    "can_view_official": can_view_official,
    "can_edit_officials": can_edit_officials,
    "can_manage_roles": can_manage_roles,
    "can_manage_account": can_manage_account,
    "Role": Role,
}
