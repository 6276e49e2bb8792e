"""Absolute links to the app, by one rule, wherever they go: certificates (the QR code, the Open Badges
and verification JSON), e-mails, calendar files and feeds, the feed address shown to the user.

1. ``LMS_BASE_URL`` when it is set (``PUBLIC_BASE_URL``, its former name for certificates, is read
   when it is not): the address people reach the app by. Set it in production.
2. Otherwise, in a request: the address of that request (behind a reverse proxy, the one the proxy
   was asked for, see ``LMS_TRUSTED_PROXIES``).
3. Otherwise (a command run from cron, a background thread): Flask's ``SERVER_NAME`` when set, else
   ``http://localhost:5000`` outside production; in production it is an error that names the setting.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

DEVELOPMENT_BASE_URL = "http://localhost:5000"


class BaseUrlMissing(RuntimeError):
    """Production, outside a request, and no ``LMS_BASE_URL``: an absolute link cannot be made."""


def configured_base_url() -> str | None:
    for key in ("LMS_BASE_URL", "PUBLIC_BASE_URL"):
        value = (current_app.config.get(key) or "").strip()
        if value:
            return value.rstrip("/")
    return None


def _build(base: str, endpoint: str, values: dict) -> str:
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"LMS_BASE_URL must be an absolute http(s) address, got {base!r}")
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def absolute_url(endpoint: str, *, development_default: bool = True, **values) -> str:
    """The absolute URL of ``endpoint`` by the rule above. ``development_default=False``: no
    ``localhost:5000`` guess either (a certificate's QR code is printed once: better rendered later,
    in a request, than with a guessed address)."""
    base = configured_base_url()
    if base:
        return _build(base, endpoint, values)
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    if current_app.config.get("LMS_ENV") == "production" or not development_default:
        raise BaseUrlMissing(
            "Set LMS_BASE_URL to the address people reach the app by (e.g. https://hoctap.example.gov.vn): "
            "links in e-mails, calendars and certificates made outside a request need it."
        )
    return _build(DEVELOPMENT_BASE_URL, endpoint, values)
