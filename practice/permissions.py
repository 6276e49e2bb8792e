"""Who may practise, and who may read whose practice results (``lms.auth.rules``). Also in templates.

A run is always the current official's own: practice URLs carry the scenario, never a run id, and the
run is looked up by (current official, scenario), so nobody can open another official's run.
"""

from __future__ import annotations

from lms.auth.rules import LEARNER, PROVINCE_WIDE, UNIT_HEAD, head_of_unit

#: accounts linked to an official practise (their own runs)
can_practise = LEARNER
#: IT staff and admins: the scenarios, the per-course requirement, every unit's results
can_manage_practice = PROVINCE_WIDE
#: unit heads (their dashboard panel)
heads_a_unit = UNIT_HEAD
#: a unit's results (the object is the unit's id): its head, IT staff and admins. A unit that exists
#: but is not yours is a 403 (its existence is not private).
UNIT_RESULTS = PROVINCE_WIDE | head_of_unit(lambda unit_id: unit_id)


def can_view_unit_practice(user, unit_id: int | None) -> bool:
    return UNIT_RESULTS.allows(user, unit_id)


TEMPLATE_PREDICATES = {
    "can_practise": can_practise,
    "can_manage_practice": can_manage_practice,
    "can_view_unit_practice": can_view_unit_practice,
}
