"""CSRF on every state-changing route (enumerated from the URL map), security headers, secrets."""

from __future__ import annotations

import pytest

from lms import create_app
from lms.auth.models import Role
from lms.config import ConfigError
from tests.factories import PASSWORD, login_as, make_user

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def _fill(rule):
    return {name: 1 for name in rule.arguments if name not in (rule.defaults or {})}


def test_every_state_changing_route_refuses_a_request_without_token(csrf_on, session):
    from flask import url_for

    admin = make_user(session, Role.ADMIN)
    failures = []
    checked = 0
    for rule in csrf_on.url_map.iter_rules():
        methods = (rule.methods or set()) & STATE_CHANGING
        if not methods:
            continue
        view = csrf_on.view_functions[rule.endpoint]
        if getattr(view, "csrf_exempt_reason", None):
            continue  # a documented exemption (none yet)
        url = url_for(rule.endpoint, _external=False, **_fill(rule))
        for method in methods:
            client = csrf_on.test_client()
            login_as(client, admin)
            r = client.open(url, method=method, data={"x": "1"})
            checked += 1
            if r.status_code != 400:
                failures.append(f"{method} {url} -> {r.status_code}")
    assert checked > 0
    assert failures == []


def test_csrf_failure_shows_a_friendly_page(csrf_on, client, session):
    r = client.post("/login", data={"login": "x", "password": "y"})
    assert r.status_code == 400
    assert "tải lại trang" in r.text


def test_no_get_route_changes_state(app):
    """GET handlers are listed explicitly; none of them is allowed to write."""
    suspicious = [
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in r.methods
        and any(word in r.rule for word in ("/delete", "/revoke", "/logout", "/submit", "/publish", "/cancel"))
    ]
    assert suspicious == []


def test_security_headers(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in r.headers
    https = client.get("/login", base_url="https://localhost")
    assert "max-age=" in https.headers["Strict-Transport-Security"]


def test_no_inline_scripts_in_pages(client, session):
    user = make_user(session, Role.ADMIN)
    login_as(client, user)
    for url in ("/login", "/dashboard", "/admin/users", "/admin/audit", "/org/units", "/org/officials"):
        html = client.get(url).text
        assert "<script>" not in html and " onclick=" not in html and "javascript:" not in html, url


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_ENV", "production")
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_production_refuses_a_short_secret_key(monkeypatch, tmp_path):
    """A key shorter than 32 bytes can be guessed offline from one signed cookie, then any account's
    cookie forged: production refuses to start, and says how to make a good one."""
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "INSTANCE_DIR": str(tmp_path)}
    monkeypatch.setenv("LMS_ENV", "production")
    for short in ("k" * 31, "ngắn-quá-" * 2, "change-me"):
        monkeypatch.setenv("SECRET_KEY", short)
        with pytest.raises(ConfigError, match=r"SECRET_KEY is \d+ bytes long.*at least 32.*secrets\.token_urlsafe"):
            create_app(config)
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    assert create_app(config).config["SECRET_KEY"] == "k" * 32
    monkeypatch.setenv("LMS_ENV", "development")
    monkeypatch.setenv("SECRET_KEY", "short")  # development and tests: any key
    assert create_app(config).config["SECRET_KEY"] == "short"


def test_production_defaults_are_safe(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("LMS_DEMO", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["DEMO_MODE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"]


def test_error_pages_hide_internals_in_production_mode(app, client, session):
    """An unexpected exception shows the friendly page with a request id, no stack trace or SQL."""
    from lms.auth.access import public

    def boom():
        raise RuntimeError("SELECT secret FROM table")

    app.config["FRIENDLY_ERRORS_IN_TESTS"] = True
    app.view_functions["main.healthz"], original = public(boom), app.view_functions["main.healthz"]
    try:
        r = client.get("/healthz")
    finally:
        app.view_functions["main.healthz"] = original
        app.config["FRIENDLY_ERRORS_IN_TESTS"] = False
    assert r.status_code == 500
    assert "SELECT" not in r.text and "Traceback" not in r.text
    assert r.headers["X-Request-Id"] in r.text


def test_new_session_at_login(client, session):
    make_user(session, username="khoa")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker-value"
    client.post("/login", data={"login": "khoa", "password": PASSWORD})
    with client.session_transaction() as sess:
        assert "planted" not in sess
