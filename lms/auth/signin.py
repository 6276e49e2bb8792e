"""What every way of logging in shares: the password form, the directory and the province's
OpenID Connect provider end the same way (``finish_login``), and the login page shows the ways
this server offers (``login_options``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from lms.auth import services
from lms.auth.access import safe_next_url
from lms.auth.ldap import DirectorySettings
from lms.auth.models import User
from lms.auth.oidc import ProviderSettings
from lms.extensions import db
from lms.time import utcnow


def throttle_limits() -> services.ThrottleLimits:
    """Failed logins allowed in 15 minutes per account and per client address (configuration)."""
    cfg = current_app.config
    return services.ThrottleLimits(
        per_account=int(cfg.get("LOGIN_MAX_FAILURES_ACCOUNT", 5)),
        per_ip=int(cfg.get("LOGIN_MAX_FAILURES_IP", 30)),
    )


@dataclass(frozen=True)
class LoginOptions:
    provider: bool  # the "official e-mail account" button (OpenID Connect)
    directory: bool  # the password form checks the directory first (LDAP)
    local_passwords: bool  # passwords kept by this app work for everyone (else for admins only)

    @property
    def password_form_first(self) -> bool:
        """The password form is the main way in (not folded away as the admins' emergency door)."""
        return self.directory or self.local_passwords


def login_options(cfg=None) -> LoginOptions:
    cfg = cfg if cfg is not None else current_app.config
    return LoginOptions(
        provider=ProviderSettings.from_config(cfg) is not None,
        directory=DirectorySettings.from_config(cfg) is not None,
        local_passwords=bool(cfg.get("LOCAL_PASSWORDS", True)),
    )


def client_ip() -> str:
    """The client's address: the real one behind ``LMS_TRUSTED_PROXIES`` proxies (ProxyFix)."""
    return request.remote_addr or ""


def finish_login(user: User, via: str, next_url: str | None):
    """Log ``user`` in on this browser (a fresh session), audit it, commit; the redirect to show."""
    prefs = session.get("prefs", {})
    session.clear()  # a fresh session at login
    if prefs and not user.preferences:
        user.preferences = prefs
    services.start_session(db.session, user, utcnow())
    login_user(user)
    services.audit(db.session, user, "login", target=f"user:{user.id}", data={"via": via}, ip=client_ip())
    db.session.commit()
    if user.must_change_password:
        flash(_("Đây là lần đăng nhập đầu tiên. Vui lòng đổi mật khẩu để bảo vệ tài khoản."), "info")
        return redirect(url_for("auth.change_password"))
    return redirect(safe_next_url(next_url) or url_for("main.dashboard"))
