"""Logins behind the recommended HTTPS reverse proxy (issue 12, point 3).

An outside test found that behind a proxy the whole province is one address: correct logins counted
towards a per-address limit (70 correct logins, 58 passed), 30 wrong passwords from one person locked
every official out whatever X-Forwarded-For said, the account limit could be doubled by typing the
e-mail instead of the username, and an unknown username answered ten times faster than a known one.

``proxied_app`` is the same application built with ``TRUSTED_PROXIES=1`` (``LMS_TRUSTED_PROXIES``),
on the same database: its requests come from the proxy's address and carry the X-Forwarded-For the
proxy appends to. The throttle lives in the database, so these run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import create_app
from lms.auth import models as auth_models
from lms.auth import services
from lms.auth.models import AuditLog
from lms.config import ConfigError
from lms.extensions import db
from lms.time import utcnow
from tests.factories import PASSWORD, make_user

PROXY = "10.0.0.1"  # the reverse proxy, as the application sees it
ATTACKER, OFFICIAL = "203.0.113.66", "203.0.113.7"  # real clients, behind the proxy or not
CHEAP_SCRYPT = "scrypt:1024:8:1"  # same algorithm, 32x less work: these tests count, they do not time


@pytest.fixture(scope="module")
def proxied_app(_app):
    keys = (
        "TESTING",
        "LMS_ENV",
        "SECRET_KEY",
        "SQLALCHEMY_DATABASE_URI",
        "WTF_CSRF_ENABLED",
        "DEMO_MODE",
        "SERVER_NAME",
        "INSTANCE_DIR",
    )
    app = create_app({**{k: _app.config[k] for k in keys}, "TRUSTED_PROXIES": 1})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def cheap_hashes(monkeypatch):
    """Accounts and the unknown-login check hash with fewer scrypt rounds (a 70-login test would
    otherwise take ~20 s of CPU): every hash of the test has the same parameters, as in production."""
    monkeypatch.setattr(auth_models, "PASSWORD_METHOD", CHEAP_SCRYPT)


def post_login(client, login: str, password: str, addr: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        "/login", data={"login": login, "password": password}, headers=headers, environ_base={"REMOTE_ADDR": addr}
    )


def test_seventy_correct_logins_from_one_address_all_pass(app, client, session, cheap_hashes):
    """Only failures count towards the per-address limit: a province behind one proxy logs in."""
    make_user(session, username="dangnhap")
    statuses = []
    for _ in range(70):
        statuses.append(post_login(client, "dangnhap", PASSWORD, "192.0.2.10").status_code)
        client.post("/logout", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert statuses == [302] * 70


def test_spoofed_forwarded_for_is_ignored_without_a_trusted_proxy(app, client, session, cheap_hashes):
    """LMS_TRUSTED_PROXIES=0 (the default): X-Forwarded-For is the client's own word, and ignored."""
    make_user(session, username="canbo")
    statuses = [
        post_login(client, f"khong-co-{i}", "sai", "198.51.100.66", forwarded_for=f"192.0.2.{i}").status_code
        for i in range(30)
    ]
    assert statuses == [401] * 30
    r = post_login(client, "khong-co-nua", "sai", "198.51.100.66", forwarded_for="192.0.2.200")
    assert r.status_code == 429, "a new X-Forwarded-For value does not make a new client"
    assert post_login(client, "canbo", PASSWORD, "198.51.100.7").status_code == 302


def test_thirty_wrong_passwords_through_the_proxy_lock_only_their_sender(proxied_app, app, session, cheap_hashes):
    """Through a trusted proxy each official is counted at their own address; what the sender puts in
    X-Forwarded-For before the proxy's entry changes nothing."""
    make_user(session, username="canbo")
    attacker, official = proxied_app.test_client(), proxied_app.test_client()
    statuses = [
        post_login(attacker, f"khong-co-{i}", "sai", PROXY, forwarded_for=f"192.0.2.{i}, {ATTACKER}").status_code
        for i in range(30)
    ]
    assert statuses == [401] * 30
    r = post_login(attacker, "khong-co-nua", "sai", PROXY, forwarded_for=f"192.0.2.200, {ATTACKER}")
    assert r.status_code == 429, "the sender itself waits"
    r = post_login(official, "canbo", PASSWORD, PROXY, forwarded_for=OFFICIAL)
    assert r.status_code == 302, "another official behind the same proxy logs in"
    session.rollback()
    assert session.query(AuditLog).filter_by(action="login").one().ip == OFFICIAL


def test_forwarded_addresses_count_per_client_through_a_trusted_proxy(proxied_app, app, session, cheap_hashes):
    """The failures of two officials behind the proxy are two counts, not one."""
    limits = services.ThrottleLimits(per_account=100, per_ip=3)
    default = proxied_app.config["LOGIN_MAX_FAILURES_IP"]
    proxied_app.config["LOGIN_MAX_FAILURES_IP"] = limits.per_ip
    try:
        client = proxied_app.test_client()
        first = [post_login(client, f"a{i}", "sai", PROXY, forwarded_for=ATTACKER).status_code for i in range(4)]
        second = [post_login(client, f"b{i}", "sai", PROXY, forwarded_for=OFFICIAL).status_code for i in range(4)]
    finally:
        proxied_app.config["LOGIN_MAX_FAILURES_IP"] = default
    assert first == [401, 401, 401, 429]
    assert second == [401, 401, 401, 429]
    session.rollback()
    now = utcnow()
    assert services.is_throttled(session, "login:x", ATTACKER, now, limits)
    assert not services.is_throttled(session, "login:x", PROXY, now, limits), "nothing counted on the proxy"


def test_account_limit_holds_whatever_name_is_typed(client, session, cheap_hashes):
    """5 wrong passwords by username, then the right one by e-mail: refused (it got in: 10 guesses)."""
    make_user(session, username="hoa", email="hoa@vinhphuc.gov.vn")
    wrong = [post_login(client, "hoa", f"sai-{i}", "192.0.2.20").status_code for i in range(3)]
    wrong += [post_login(client, "HOA@vinhphuc.gov.vn", f"sai-{i}", "192.0.2.21").status_code for i in range(2)]
    assert wrong == [401] * 5
    r = post_login(client, "hoa@vinhphuc.gov.vn", PASSWORD, "192.0.2.22")
    assert r.status_code == 429 and "quá nhiều lần" in r.text
    assert post_login(client, "hoa", PASSWORD, "192.0.2.23").status_code == 429


class Counter:
    """Counts password checks (with the parameters of the hash checked) and SQL statements."""

    def __init__(self, monkeypatch):
        self.checks: list[str] = []
        self.statements = 0
        real = auth_models.check_password_hash

        def counting(pwhash: str, password: str) -> bool:
            self.checks.append(pwhash.split("$", 1)[0])
            return real(pwhash, password)

        monkeypatch.setattr(auth_models, "check_password_hash", counting)

    def statement(self, *args) -> None:
        self.statements += 1

    def run(self, fn) -> tuple[list[str], int]:
        self.checks, self.statements = [], 0
        event.listen(db.engine, "before_cursor_execute", self.statement)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", self.statement)
        return self.checks, self.statements


def test_unknown_login_costs_what_a_known_one_costs(session, monkeypatch):
    """An unknown username is checked against a hash of the same parameters: one check each, and the
    same SQL statements (it answered in 12 ms against 116 ms, which told who has an account)."""
    user = make_user(session, username="that")  # the real parameters, not the cheap ones
    inactive = make_user(session, username="nghi")
    inactive.active = False
    session.commit()
    counter = Counter(monkeypatch)
    limits = services.ThrottleLimits()

    def attempt(login: str, password: str = "sai", ip: str = "192.0.2.30"):
        def run():
            with pytest.raises(services.AuthError):
                services.authenticate(session, login, password, ip, utcnow(), limits)
            session.rollback()

        return counter.run(run)

    attempt("khong-ai", ip="192.0.2.29")  # the first unknown login in the process makes the dummy hash
    known = attempt(user.username)
    unknown = attempt("khong-ai-ca")
    unknown_email = attempt("khong-ai@vinhphuc.gov.vn")
    assert known[0] == [user.password_hash.split("$", 1)[0]] == ["scrypt:32768:8:1"]
    assert unknown == known and unknown_email == known, (known, unknown, unknown_email)
    assert attempt(inactive.username, PASSWORD) == known, "a disabled account: checked, then refused"


def test_no_password_check_once_throttled(session, monkeypatch, cheap_hashes):
    make_user(session, username="khoa")
    limits = services.ThrottleLimits(per_account=2, per_ip=100)
    counter = Counter(monkeypatch)
    for login in ("khoa", "khoa", "khong-ai", "khong-ai"):
        with pytest.raises(services.AuthError):
            services.authenticate(session, login, "sai", "192.0.2.40", utcnow(), limits)
        session.commit()
    for login in ("khoa", "khong-ai"):

        def throttled(login=login):
            with pytest.raises(services.Throttled):
                services.authenticate(session, login, PASSWORD, "192.0.2.41", utcnow(), limits)

        assert counter.run(throttled)[0] == [], login


def test_verify_page_limit_counts_each_client_behind_the_proxy(proxied_app, app):
    proxied_app.config["CERT_VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        client = proxied_app.test_client()
        url = "/verify/2222-2222-2222-2222-2222-2222-2222"

        def get(forwarded_for):
            return client.get(url, headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": PROXY})

        first = [get(f"192.0.2.{i}, {ATTACKER}").status_code for i in range(4)]
        second = get(OFFICIAL).status_code
    finally:
        proxied_app.config.pop("CERT_VERIFY_RATE_LIMIT")
    assert first == [404, 404, 404, 429]
    assert second == 404, "another citizen behind the same proxy is not limited"


def test_verify_page_limit_ignores_spoofed_forwarded_for(app, client):
    app.config["CERT_VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        url = "/verify/2222-2222-2222-2222-2222-2222-2222"
        codes = [
            client.get(
                url, headers={"X-Forwarded-For": f"192.0.2.{i}"}, environ_base={"REMOTE_ADDR": ATTACKER}
            ).status_code
            for i in range(4)
        ]
    finally:
        app.config["CERT_VERIFY_RATE_LIMIT"] = None
    assert codes == [404, 404, 404, 429]


def test_trusted_proxies_setting(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    monkeypatch.setenv("LMS_TRUSTED_PROXIES", "2")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "k", "INSTANCE_DIR": tmp_path})
    assert isinstance(app.wsgi_app, ProxyFix) and app.wsgi_app.x_for == 2 and app.wsgi_app.x_proto == 2
    assert app.wsgi_app.x_host == 0, "the Host header is the proxy's business, not the client's"
    monkeypatch.delenv("LMS_TRUSTED_PROXIES")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "k", "INSTANCE_DIR": tmp_path})
    assert not isinstance(app.wsgi_app, ProxyFix)
    for wrong in ("yes", "-1", "1.5"):
        monkeypatch.setenv("LMS_TRUSTED_PROXIES", wrong)
        with pytest.raises(ConfigError, match="LMS_TRUSTED_PROXIES"):
            create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "k", "INSTANCE_DIR": tmp_path})
