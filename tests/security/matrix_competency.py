"""Authorization matrix entries of the competency blueprint.

Object rules (unit head of X asking for unit Y -> 403) are tested in tests/competency/test_views.py.
"""

from __future__ import annotations

STAFF = {"it_staff", "admin"}
MANAGERS = {"unit_head", "it_staff", "admin"}

EXPECTED: dict[str, object] = {
    "competency.mine": {"official", "unit_head"},  # accounts linked to an official
    "competency.my_unit": {"unit_head"},
    "competency.block_ranking": {"unit_head"},  # the block of the unit they head
    "competency.unit": MANAGERS,  # object check: the unit's head only, or province-wide staff
    "competency.unit_staff_export": MANAGERS,
    "competency.staff_member": MANAGERS,  # object check: the official's unit's head, or province-wide staff
    "competency.ranking": STAFF,
    "competency.ranking_export": STAFF,
    "competency.ranking_pdf": STAFF,
}


def values(session, users) -> dict:
    """``unit_id`` is already the unit headed by ``users["unit_head"]`` (the matrix's own values);
    ``fmt``: the exports' format."""
    return {"fmt": "csv"}
