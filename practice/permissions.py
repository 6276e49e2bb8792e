"""Who may practise, and who may read whose practice results. Also available in templates.

A run is always the current official's own: practice URLs carry the scenario, never a run id, and the
run is looked up by (current official, scenario), so nobody can open another official's run.
"""

from __future__ import annotations


def can_practise(user) -> bool:
    """Accounts linked to an official practise (their own runs)."""
    return bool(user.is_authenticated and user.official_id is not None)


def can_manage_practice(user) -> bool:
    """IT staff and admins: scenarios, the per-course requirement, every unit's results."""
    return bool(user.is_authenticated and user.is_province_wide)


def can_view_unit_practice(user, unit_id: int | None) -> bool:
    """A unit head sees the practice results of their own unit's staff; IT staff and admins of every
    unit. A unit that exists but is not yours is a 403 (its existence is not private)."""
    if not user.is_authenticated or unit_id is None:
        return False
    return user.is_province_wide or unit_id in user.headed_unit_ids


def heads_a_unit(user) -> bool:
    return bool(user.is_authenticated and user.headed_unit_ids)


TEMPLATE_PREDICATES = {
    "can_practise": can_practise,
    "can_manage_practice": can_manage_practice,
    "can_view_unit_practice": can_view_unit_practice,
}
