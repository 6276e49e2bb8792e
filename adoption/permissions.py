"""Who sees which usage page (rules of ``lms.auth.rules``, also in templates).
Unknown unit or official -> 404; known but not yours -> 403."""

from __future__ import annotations

from lms.auth.permissions import can_view_official, can_view_unit
from lms.auth.rules import PROVINCE_WIDE, UNIT_HEAD

#: The province indicators, imports, matching, reports and the digest log: IT staff and admins.
can_view_province_usage = PROVINCE_WIDE
#: A unit's indicators and staff list: its head (their unit only), IT staff and admins.
can_view_unit_usage = can_view_unit
#: The monthly form of a unit: its head (their unit only), IT staff and admins.
can_report_for_unit = can_view_unit
#: An official's usage next to their competency: themself, their unit head, province-wide staff.
can_view_official_usage = can_view_official
#: The unit head's page, link and panel.
heads_a_unit = UNIT_HEAD
#: The dashboard panel: the province's figures or the unit's.
sees_usage_panel = PROVINCE_WIDE | UNIT_HEAD

TEMPLATE_PREDICATES = {"can_report_for_unit": can_report_for_unit}
