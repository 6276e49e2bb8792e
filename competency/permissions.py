"""Who sees which competency page (rules, also in templates). Unknown unit -> 404; known but not yours -> 403."""

from __future__ import annotations

from lms.auth.permissions import can_view_unit
from lms.auth.rules import LEARNER, PROVINCE_WIDE, UNIT_HEAD

#: An account linked to an official has a "my results" page.
has_own_results = LEARNER
#: A unit's results: its head (their unit only), IT staff and admins.
can_view_unit_results = can_view_unit
#: The province-wide ranking, breakdowns and reports: IT staff and admins.
can_view_rankings = PROVINCE_WIDE
#: The unit head's page and panel.
heads_a_unit = UNIT_HEAD

TEMPLATE_PREDICATES = {
    "can_view_unit_results": can_view_unit_results,
    "can_view_rankings": can_view_rankings,
}
