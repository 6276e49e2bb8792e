"""Who may see and manage certificates.

Unknown certificate -> 404 (the view's ``get_or_404``); known but not yours -> 403.
"""

from __future__ import annotations

from lms.auth.models import Role


def can_view_certificate(user, cert) -> bool:
    """The holder; the head of the holder's *current* unit; IT staff and admins.

    The current unit (not the unit at issue time) is used so this rule equals ``can_view_official``:
    whoever may open an official's record may see that official's certificates, and a unit head
    loses access to officials who moved to another unit. (The unit printed on the certificate is
    the snapshot ``unit_name``; it does not grant access.)
    """
    if not user.is_authenticated or cert is None:
        return False
    if user.official_id is not None and user.official_id == cert.official_id:
        return True
    if user.is_province_wide:
        return True
    official = cert.official
    return official is not None and official.unit_id in user.headed_unit_ids


def can_manage_certificates(user) -> bool:
    """Issue by hand, revoke, re-issue, batch actions and ZIP exports: IT staff and admins."""
    return user.is_authenticated and (user.has_role(Role.IT_STAFF) or user.has_role(Role.ADMIN))


def has_certificates_page(user) -> bool:
    """Officials (accounts linked to an official) have a "my certificates" page."""
    return user.is_authenticated and user.official_id is not None


TEMPLATE_PREDICATES = {
    "can_view_certificate": can_view_certificate,
    "can_manage_certificates": can_manage_certificates,
}
