"""Who may see and manage certificates.

Unknown certificate -> 404; known but not yours -> 403 (``load_or_404(..., check=can_view_certificate)``).
"""

from __future__ import annotations

from lms.auth.permissions import official_data
from lms.auth.rules import LEARNER, PROVINCE_WIDE

#: The holder; the head of the holder's *current* unit; IT staff and admins: the rule of
#: ``can_view_official`` (whoever may open an official's record may see their certificates, and a
#: unit head loses access to officials who moved to another unit). The unit printed on the
#: certificate is the snapshot ``unit_name``; it grants nothing.
can_view_certificate = official_data(
    lambda cert: cert.official_id,
    lambda cert: cert.official.unit_id if cert.official is not None else None,
)
#: Issue by hand, revoke, re-issue, batch actions and ZIP exports: IT staff and admins.
can_manage_certificates = PROVINCE_WIDE
#: Officials (accounts linked to an official) have a "my certificates" page.
has_certificates_page = LEARNER

TEMPLATE_PREDICATES = {
    "can_view_certificate": can_view_certificate,
    "can_manage_certificates": can_manage_certificates,
}
