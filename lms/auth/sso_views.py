"""Login through the province's OpenID Connect provider: the button and the callback.

Nested in the ``auth`` blueprint (endpoints ``auth.sso.*``). Both routes are public: the button
(a link) only starts a login, and the callback logs in no one unless it answers a login this browser
started (``lms.auth.oidc.finish``).
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from lms.auth import oidc, sso
from lms.auth.access import public, safe_next_url
from lms.auth.ldap import DirectorySettings
from lms.auth.services import AuthError
from lms.auth.signin import client_ip, finish_login
from lms.config import ConfigError
from lms.extensions import db
from lms.time import utcnow

log = logging.getLogger(__name__)
bp = Blueprint("sso", __name__)

NEXT_KEY = "oidc_next"


@bp.record_once
def _check_settings(state) -> None:
    """Refuse to start with login settings that cannot work (said in the error, variable by variable)."""
    cfg = state.app.config
    directory, provider = DirectorySettings.from_config(cfg), oidc.ProviderSettings.from_config(cfg)
    problems = (directory.problems() if directory else []) + (provider.problems() if provider else [])
    if not cfg.get("LOCAL_PASSWORDS", True) and not directory and not provider:
        problems.append("LMS_LOCAL_PASSWORDS=0 needs LDAP_URL or OIDC_ISSUER: otherwise only administrators can log in")
    if problems:
        raise ConfigError("Login settings: " + "; ".join(problems))


def _settings() -> oidc.ProviderSettings:
    settings = oidc.ProviderSettings.from_config(current_app.config)
    if settings is None:
        abort(404)
    return settings


def _back_to_login(message: str):
    flash(message, "error")
    return redirect(url_for("auth.login"))


def _unavailable_message() -> str:
    return _(
        "Không kết nối được máy chủ thư công vụ để đăng nhập. Vui lòng thử lại sau ít phút "
        "hoặc báo bộ phận công nghệ thông tin của tỉnh."
    )


@bp.get("/login/oidc")
@public
def oidc_start():
    """A link, not a form: the page's Content-Security-Policy (``form-action 'self'``) stops a form
    whose answer redirects to another site. Nothing to forge here: the login only completes in the
    browser that started it."""
    settings = _settings()
    try:
        response = oidc.start(settings, url_for(".oidc_callback", _external=True))
    except oidc.ProviderUnavailable as exc:
        log.warning("OpenID Connect provider unavailable at login: %s", exc)
        return _back_to_login(_unavailable_message())
    session[NEXT_KEY] = safe_next_url(request.args.get("next")) or ""
    return response


@bp.get("/login/oidc/callback")
@public
def oidc_callback():
    settings = _settings()
    try:
        claims = oidc.finish(settings, request.args)
    except oidc.ProviderUnavailable as exc:
        log.warning("OpenID Connect provider unavailable at the callback: %s", exc)
        return _back_to_login(_unavailable_message())
    except oidc.LoginRejected as exc:
        if exc.cancelled:
            return _back_to_login(_("Bạn đã dừng đăng nhập bằng tài khoản thư công vụ."))
        log.warning("OpenID Connect login rejected (%s) from %s", exc.reason, client_ip())
        return _back_to_login(
            _(
                "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. "
                "Vui lòng bấm lại nút đăng nhập bằng tài khoản thư công vụ."
            )
        )
    email = oidc.verified_email(claims)
    if email is None:
        log.info("OpenID Connect login without a verified e-mail (sub=%s)", claims.get("sub"))
        return _back_to_login(
            _(
                "Máy chủ thư công vụ chưa xác nhận địa chỉ thư của bạn, nên hệ thống học tập chưa biết bạn là ai. "
                "Vui lòng liên hệ bộ phận công nghệ thông tin của tỉnh."
            )
        )
    try:
        user = sso.account_for_email(db.session, email, utcnow(), source="oidc", ip=client_ip())
    except AuthError as exc:
        db.session.rollback()
        return _back_to_login(str(exc))
    next_url = session.pop(NEXT_KEY, None)
    return finish_login(user, "oidc", next_url)
