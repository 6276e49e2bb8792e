"""Login through the province's OpenID Connect provider (Authlib's client).

The provider is found by discovery (``OIDC_ISSUER`` + ``/.well-known/openid-configuration``,
whose ``issuer`` must be that same URL). The login is the authorization code flow with PKCE
(S256): ``start`` keeps a random ``state``, ``nonce`` and code verifier in the Flask session and
sends the browser to the provider; ``finish`` (the callback) refuses a ``state`` it did not issue
or that expired, exchanges the code with the verifier, and checks the ID token: signature against
the provider's keys, issuer, audience (``OIDC_CLIENT_ID``), expiry, and the ``nonce`` of this
login. The account is matched by the ``email`` claim, only when ``email_verified`` is true.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, session
from joserfc.errors import JoseError

log = logging.getLogger(__name__)

CLIENT_NAME = "province"
STATE_MAX_AGE = 600  # seconds from the button to the callback (Authlib's own default is an hour)


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with an error page (logged with the cause)."""


class LoginRejected(Exception):
    """The callback is not the answer to a login this browser started, or its ID token fails a
    check. ``reason`` is for the log; the user sees one plain sentence."""

    def __init__(self, reason: str, *, cancelled: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.cancelled = cancelled


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid email profile"
    redirect_uri: str = ""  # empty: this app's callback URL as the request sees it
    timeout: float = 10.0

    @classmethod
    def from_config(cls, cfg) -> ProviderSettings | None:
        if not cfg.get("OIDC_ISSUER"):
            return None
        return cls(
            issuer=cfg["OIDC_ISSUER"].rstrip("/"),
            client_id=cfg.get("OIDC_CLIENT_ID", ""),
            client_secret=cfg.get("OIDC_CLIENT_SECRET", ""),
            scopes=cfg.get("OIDC_SCOPES") or "openid email profile",
            redirect_uri=cfg.get("OIDC_REDIRECT_URI", ""),
            timeout=float(cfg.get("OIDC_TIMEOUT") or 10),
        )

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def problems(self) -> list[str]:
        found = []
        parts = urlsplit(self.issuer)
        loopback = False
        try:
            loopback = parts.hostname == "localhost" or ip_address(parts.hostname or "").is_loopback
        except ValueError:
            pass
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            found.append(f"OIDC_ISSUER={self.issuer!r}: must be an https:// URL (http only on this machine)")
        if not self.client_id:
            found.append("OIDC_CLIENT_ID is empty (the client id registered at the provider)")
        if "openid" not in self.scopes.split():
            found.append("OIDC_SCOPES must include openid")
        return found


def _client(settings: ProviderSettings):
    """The Authlib client for these settings, one per app and settings (the discovery document and
    the provider's keys are fetched once and kept)."""
    app = current_app._get_current_object()
    clients = app.extensions.setdefault("lms_oidc_clients", {})
    client = clients.get(settings)
    if client is None:
        client_kwargs = {
            "scope": settings.scopes,
            "code_challenge_method": "S256",
            "default_timeout": settings.timeout,
        }
        if not settings.client_secret:  # a public client: PKCE alone
            client_kwargs["token_endpoint_auth_method"] = "none"
        client = OAuth(app).register(
            CLIENT_NAME,
            client_id=settings.client_id,
            client_secret=settings.client_secret or None,
            server_metadata_url=settings.discovery_url,
            client_kwargs=client_kwargs,
        )
        client.framework.expires_in = STATE_MAX_AGE
        clients[settings] = client
    return client


def _metadata(client, settings: ProviderSettings) -> dict:
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery {settings.discovery_url}: {exc}") from exc
    if metadata.get("issuer", "").rstrip("/") != settings.issuer:
        client.server_metadata.pop("_loaded_at", None)  # ask again next time
        raise ProviderUnavailable(f"discovery names issuer {metadata.get('issuer')!r}, expected {settings.issuer!r}")
    return metadata


def start(settings: ProviderSettings, redirect_uri: str):
    """The redirect to the provider's login page; the state, nonce and PKCE verifier of this login
    are kept in the Flask session."""
    client = _client(settings)
    _metadata(client, settings)
    return client.authorize_redirect(settings.redirect_uri or redirect_uri)


def _state_fresh(state: str | None) -> bool:
    kept = session.get(f"_state_{CLIENT_NAME}_{state}") if state else None
    return bool(kept) and kept.get("exp", 0) > time.time()


def finish(settings: ProviderSettings, args) -> dict:
    """The verified claims of the ID token for the callback's query ``args``; raises
    ``LoginRejected`` or ``ProviderUnavailable``."""
    client = _client(settings)
    if args.get("error"):
        raise LoginRejected(
            f"provider answered {args.get('error')}: {args.get('error_description')}",
            cancelled=args.get("error") == "access_denied",
        )
    if not _state_fresh(args.get("state")):  # Authlib alone would accept an expired one once
        raise LoginRejected("state: not issued to this browser, already used, or expired")
    _metadata(client, settings)
    try:
        token = client.authorize_access_token()
    except MismatchingStateError as exc:
        raise LoginRejected("state mismatch") from exc
    except OAuthError as exc:  # the token endpoint refused the code (reused, PKCE, redirect URI ...)
        raise LoginRejected(f"token endpoint: {exc.error}: {exc.description}") from exc
    except JoseError as exc:  # signature, issuer, audience, expiry, nonce
        raise LoginRejected(f"ID token: {type(exc).__name__}: {exc}") from exc
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"token endpoint: {exc}") from exc
    claims = token.get("userinfo")
    if not claims:
        raise LoginRejected("the token response has no ID token")
    return dict(claims)


def verified_email(claims: dict) -> str | None:
    """The ``email`` claim when the provider vouches for it (``email_verified`` true), else None."""
    verified = claims.get("email_verified")
    if verified is True or (isinstance(verified, str) and verified.lower() == "true"):
        return claims.get("email") or None
    return None
