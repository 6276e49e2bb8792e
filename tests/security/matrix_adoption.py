"""Authorization matrix entries of the adoption blueprint.

Object rules (a unit head asking for another unit, an official for another official) are tested in
tests/adoption_app/test_adoption_views.py.
"""

from __future__ import annotations

STAFF = {"it_staff", "admin"}
MANAGERS = {"unit_head", "it_staff", "admin"}

EXPECTED: dict[str, object] = {
    "adoption.province": STAFF,
    "adoption.import_usage": STAFF,
    "adoption.import_template": STAFF,
    "adoption.unmatched": STAFF,
    "adoption.match_row": STAFF,
    "adoption.my_unit": {"unit_head"},
    "adoption.unit": MANAGERS,  # object check: the unit's head only, or province-wide staff
    "adoption.unit_report": MANAGERS,  # object check as above
    "adoption.official": "any",  # object check: themself, their unit head, province-wide staff
    "adoption.report_pdf": STAFF,
    "adoption.report_xlsx": STAFF,
    "adoption.effects": STAFF,
    "adoption.session_effect": STAFF,
    "adoption.course_effect": STAFF,
    "adoption.digests": STAFF,
    "adoption.digest_subscription": {"unit_head"},
}


def values(session, users) -> dict:
    """An unmatched usage row (``row_id``) and a template (``system``, ``ext``)."""
    from datetime import date

    from sqlalchemy import select

    from adoption.models import System, UsageRow
    from tests.adoption_app.factories import run_import

    month = date(2026, 1, 1)
    run_import(session, System.EMAIL, month, [{"mailbox": "ai-do@khac.vn", "last_login": "05/01/2026"}], month)
    session.commit()
    return {"row_id": session.scalar(select(UsageRow.id)), "system": "email", "ext": "csv"}
