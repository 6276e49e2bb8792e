"""The certificates' user error (``lms.errors.UserError``)."""

from __future__ import annotations

from lms.errors import UserError


class CertificateError(UserError):
    """A user error (message fit for the page)."""
