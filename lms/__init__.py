"""The e-learning and competency platform for provincial e-government: the kernel.

``create_app`` is the only entry point; importing this package has no side effects. The kernel
(this package: configuration, database, accounts and roles, units and officials, e-mail, the
layout) imports no feature; the features (``FEATURES`` in ``lms/config.py``) plug in through their
``init_app(app)`` (``lms/features.py``).
"""

from __future__ import annotations

import functools
import logging
import os
import uuid
from pathlib import Path

from flask import Flask, abort, current_app, g, has_request_context, render_template, request, session
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import assets, cli, database, inputs, mail
from lms.config import load_config
from lms.extensions import babel, csrf, db, login_manager, migrate
from lms.features import init_features, nav_for


def create_app(config: dict | None = None) -> Flask:
    # ``INSTANCE_DIR`` (tests, benchmarks; ``LMS_INSTANCE_DIR`` in the environment) moves the whole
    # instance folder: uploads, course media, certificates, the generated secret key; otherwise
    # Flask's default (``instance/`` of the checkout)
    instance_dir = (config or {}).get("INSTANCE_DIR") or os.environ.get("LMS_INSTANCE_DIR")
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=str(Path(instance_dir).resolve()) if instance_dir else None,
    )
    app.config.update(load_config(Path(app.instance_path), config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _trust_proxies(app)

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Ho_Chi_Minh")
    _install_template_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    inputs.init_app(app)  # bounded <int:...> before any route is added; JSON bodies checked first

    _register_kernel(app)
    _register_hooks(app)
    _register_errors(app)
    _register_template_helpers(app)
    assets.init_app(app)  # static URLs with content hashes, long cache lifetimes; gzip for HTML
    init_features(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, the client is the address the nearest of them adds
    to X-Forwarded-For (and the scheme its X-Forwarded-Proto): login throttling, the certificate
    check's limit and the audit log then see each official, not the proxy. Values a client puts in
    those headers itself are further left and ignored; with 0 (the default) the headers are ignored."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def _register_kernel(app: Flask) -> None:
    """The kernel's own pages, commands and the outbox sender (their models come with them)."""
    from lms import events
    from lms.auth import accounts
    from lms.auth.audit_view import KERNEL_FIELDS, kernel_objects
    from lms.auth.views import AUDIT_LABELS
    from lms.auth.views import bp as auth_bp
    from lms.features import add_audit_fields, add_audit_labels, add_audit_objects
    from lms.mail.views import bp as mail_bp
    from lms.main.views import bp as main_bp
    from lms.org.views import bp as org_bp
    from lms.ratelimit import RateLimitHit  # noqa: F401 - the table of the request limits

    for bp in (main_bp, auth_bp, org_bp, mail_bp):
        app.register_blueprint(bp)
    events.officials_changed.connect(accounts.on_officials_changed)  # accounts follow their officials
    add_audit_labels(app, AUDIT_LABELS)
    add_audit_fields(app, KERNEL_FIELDS)
    add_audit_objects(app, kernel_objects())
    cli.init_app(app)
    mail.init_app(app)


def select_locale() -> str:
    langs = ("vi", "en")
    if not has_request_context():
        return "vi"
    chosen = request.args.get("lang")
    if chosen in langs:
        return chosen
    if current_user and current_user.is_authenticated:
        pref = current_user.pref("locale")
        if pref in langs:
            return pref
    pref = session.get("locale")
    return pref if pref in langs else "vi"


def _request_translations():
    """Flask-Babel's translations for this request, looked up once per request.

    ``flask_babel.get_translations()`` resolves the locale through half a dozen context lookups;
    a page translates 30-50 strings. The result is kept on the request object (not ``g``, which tests
    share between requests), so a request never mixes locales; outside a request, no caching.
    """
    if not has_request_context():
        return get_translations()
    req = request._get_current_object()
    translations = req.__dict__.get("_lms_translations")
    if translations is None:
        translations = req._lms_translations = get_translations()
    return translations


def _install_template_gettext(app: Flask) -> None:
    """The same callables Flask-Babel installs into Jinja, with the per-request translations."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
    )


@functools.cache
def _user_load_options(light: bool = False) -> tuple:
    """Loader options built once (building them costs more than the query's own Python work). Light
    (views marked ``@light_user``): the account alone; its roles are read if a check asks for them."""
    from sqlalchemy.orm import joinedload, lazyload

    from lms.auth.models import User

    if light:
        return (lazyload(User.roles),)
    return (joinedload(User.roles), joinedload(User.official))


@login_manager.user_loader
def _load_user(user_id: str):
    from lms.auth.access import wants_light_user
    from lms.auth.services import load_session_user
    from lms.time import utcnow

    # one query for the login session, the account, its roles and its official (every page shows the name)
    light = has_request_context() and wants_light_user(current_app, request.endpoint)
    user = load_session_user(db.session, user_id, utcnow(), _user_load_options(light))
    if user is None or not user.active:
        return None
    if user.is_demo and not current_app.config["DEMO_MODE"]:
        return None  # demo mode turned off: existing demo sessions end too, not only new logins
    return user


SERVER_HEADER = "lms"


def _register_hooks(app: Flask) -> None:
    from lms.auth.access import enforce_access

    @app.before_request
    def _request_id():
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]

    @app.before_request
    def _refuse_nul_characters():
        """A NUL character is never typed text, and PostgreSQL cannot compare or store it (a 500 from
        any search box): such a request is malformed."""
        if "\x00" in request.path or b"%00" in request.query_string or b"\x00" in request.query_string:
            abort(400)
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and any(
            "\x00" in value for values in request.form.listvalues() for value in values
        ):
            abort(400)

    app.before_request(enforce_access)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        response.headers["X-Request-Id"] = g.get("request_id", "")
        # A name that says nothing: the application server (granian) names itself in a ``Server`` header
        # unless the answer has one, and naming the software only helps someone looking for servers to attack
        response.headers["Server"] = SERVER_HEADER
        return response

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()


def _register_errors(app: Flask) -> None:
    log = logging.getLogger("lms")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if request.path.startswith("/static/"):
            return exc
        messages = {
            400: _("Yêu cầu không hợp lệ. Vui lòng tải lại trang và thử lại."),
            403: _("Bạn không có quyền xem trang này."),
            404: _("Không tìm thấy trang bạn cần."),
            405: _("Thao tác này không được phép."),
            413: _("Tệp tải lên quá lớn."),
            429: _("Bạn thao tác quá nhanh. Vui lòng đợi một lát rồi thử lại."),
        }
        message = messages.get(exc.code, exc.description)
        if exc.code == 400 and "CSRF" in str(exc.description):
            message = _("Phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại.")
        return render_template("error.html", code=exc.code, message=message), exc.code

    @app.errorhandler(Exception)
    def _server_error(exc: Exception):
        if app.testing and not app.config.get("FRIENDLY_ERRORS_IN_TESTS"):
            raise exc
        db.session.rollback()
        log.exception("Unhandled error (request id %s)", g.get("request_id"))
        return render_template("error.html", code=500, message=None), 500


def _register_template_helpers(app: Flask) -> None:
    from lms import formatting
    from lms.auth.permissions import TEMPLATE_PREDICATES
    from lms.features import audit_action_label

    app.jinja_env.globals.update(TEMPLATE_PREDICATES, audit_action_label=audit_action_label)
    formatting.init_app(app)

    @app.context_processor
    def _layout_context():
        user = current_user._get_current_object()  # once: every read through the proxy costs
        if user and user.is_authenticated:
            prefs = user.preferences or {}
        else:
            prefs = session.get("prefs", {})
        return {
            "nav_items": lambda: nav_for(user) if user.is_authenticated else [],
            "font_size": prefs.get("font_size", "normal"),
            "high_contrast": bool(prefs.get("high_contrast")),
            "current_locale": select_locale(),
            "languages": app.config["LANGUAGES"],
        }
