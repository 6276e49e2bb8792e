"""Route access rules, decided in one place.

Every view function carries exactly one rule, set by one of the decorators below. A
``before_request`` hook (``enforce_access``) reads it: anonymous users are sent to the login page,
logged-in users without the role get 403, and a route with no rule is a programming error (500,
and the authorization matrix test fails). Object-level checks (``can_view_unit`` ...) live in
``lms.auth.permissions`` and the packages' ``permissions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user

from lms.auth.models import Role

ALWAYS_ALLOWED_WHILE_CHANGING_PASSWORD = {
    "auth.change_password",
    "auth.logout",
    "auth.logout_everywhere",
    "static",
    "main.set_preferences",
}


@dataclass(frozen=True)
class AccessRule:
    public: bool = False
    roles: frozenset[Role] = frozenset()  # empty + not public = any logged-in user

    def allows(self, user) -> bool:
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        if not self.roles:
            return True
        return any(user.has_role(r) for r in self.roles)

    def describe(self) -> str:
        if self.public:
            return "public"
        if not self.roles:
            return "login"
        return "roles:" + ",".join(sorted(r.value for r in self.roles))


def _mark(rule: AccessRule):
    def decorator(view):
        if hasattr(view, "access_rule"):
            raise RuntimeError(f"{view.__name__} has two access rules")
        view.access_rule = rule
        return view

    return decorator


def public(view):
    """Anyone, logged in or not."""
    return _mark(AccessRule(public=True))(view)


def login_required(view):
    """Any logged-in user."""
    return _mark(AccessRule())(view)


def roles_required(*roles: Role):
    """Logged-in users holding at least one of ``roles``. Admins are not implied: list them."""
    return _mark(AccessRule(roles=frozenset(roles)))


def light_user(view):
    """The view needs only the account's own columns (its official's id for ``Role.OFFICIAL``): the
    user loader then reads the account without its roles and its official (``lms._load_user``), for
    the exam's hot path (the autosave). Roles are still read, with one more query, if asked for."""
    view.light_user = True
    return view


def fast_path(handler):
    """For the one request every official sends many times in an exam (the autosave): ``handler``
    may answer the usual case with one statement that checks the login itself
    (``auth.services.official_login_clause``) before any account is loaded. ``enforce_access`` calls
    ``handler(login, **view_args)`` with the cookie's login session (``auth.services.LoginRef``), after
    the CSRF check; a response from it is the answer. ``None`` (anything the statement did not
    accept: no such login, a closed attempt, a malformed request) and the request goes the usual
    way: the account is loaded, the view's rule checked, the view runs and explains. So the handler
    may only accept what the view's rule and the view itself accept."""

    def mark(view):
        view.fast_path = handler
        return view

    return mark


def _try_fast_path(view):
    handler = getattr(view, "fast_path", None)
    if handler is None:
        return None
    from lms.auth.services import LoginRef

    manager = current_app.login_manager
    if current_app.config.get("SESSION_PROTECTION", manager.session_protection) == "strong":
        return None  # Flask-Login's strong protection may end the session: only the usual way knows
    login = LoginRef.parse(session.get("_user_id"))
    return handler(login, **(request.view_args or {})) if login is not None else None


def wants_light_user(app, endpoint: str | None) -> bool:
    view = app.view_functions.get(endpoint) if endpoint else None
    return bool(getattr(view, "light_user", False))


STAFF = (Role.IT_STAFF, Role.ADMIN)
MANAGERS = (Role.UNIT_HEAD, Role.IT_STAFF, Role.ADMIN)


def rule_for_endpoint(app, endpoint: str | None) -> AccessRule | None:
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return AccessRule(public=True)
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def safe_next_url(target: str | None) -> str | None:
    """Only same-site relative paths are accepted as ``next`` (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def enforce_access():
    """``before_request`` hook."""
    if request.endpoint is None:  # 404/405: let Flask answer
        return None
    rule = rule_for_endpoint(current_app, request.endpoint)
    if rule is None:
        current_app.logger.error("Route %s has no access rule", request.endpoint)
        abort(500)
    if rule.public:  # nothing to check: the account is not even loaded (``/healthz``, static files)
        return None
    answered = _try_fast_path(current_app.view_functions.get(request.endpoint))
    if answered is not None:
        return answered
    if current_user.is_authenticated and current_user.must_change_password:
        if request.endpoint not in ALWAYS_ALLOWED_WHILE_CHANGING_PASSWORD:
            return redirect(url_for("auth.change_password"))
    if rule.allows(current_user):
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(403)
