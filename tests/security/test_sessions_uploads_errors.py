"""What ``test_csrf_and_headers.py`` and ``tests/test_auth.py`` do not cover yet: upload size and type
limits on every upload route, error pages without internals for every error status in production
mode, open redirects through ``next`` on the routes other than the login, demo accounts on every
entry point (not only the login form), and committed secrets."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from lms.auth.models import Role
from tests.factories import login_as, make_user

ROOT = Path(__file__).resolve().parents[2]
INTERNALS = re.compile(
    r"Traceback|File \"|(?i:sqlalchemy|psycopg|sqlite3|operationalerror)"
    r"|SELECT \S+ FROM|INSERT INTO|werkzeug\.|jinja2\."
)


def _upload_routes(session):
    """(role, url, field, extra form fields, allowed example filename) for every route taking a file."""
    from tests.certificates_app.factories import make_certificate

    cert = make_certificate(session)
    return [
        ("it_staff", "/org/import", "file", {"kind": "officials"}, "x.csv"),
        ("it_staff", "/quizzes/bank/import", "file", {"topic": "email"}, "x.gift"),
        ("anonymous", f"/verify/{cert.verification_code}", "pdf", {}, "x.pdf"),
        ("it_staff", "/adoption/import", "file", {"system": "email", "month": _last_month()}, "x.csv"),
    ]


def _last_month() -> str:
    from adoption.months import add_months, local_today, month_start

    return add_months(month_start(local_today()), -1).strftime("%Y-%m")


def test_every_upload_route_is_known(app):
    """A new route with a file field must join ``_upload_routes`` (size and type tests below)."""
    import inspect

    uploads = set()
    for endpoint, view in app.view_functions.items():
        source = inspect.getsource(view) if hasattr(view, "__code__") else ""
        if "UploadForm" in source or "ImportForm" in source or "request.files" in source:
            uploads.add(endpoint)
    known = {"org.import_data", "quizzes.import_questions", "certificates.verify_upload", "certificates.verify"}
    known.add("adoption.import_usage")
    assert uploads <= known, uploads - known  # certificates.verify shows the form that posts to verify_upload


def test_uploads_over_the_size_limit_get_a_friendly_413(app, session):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    try:
        users = {"it_staff": make_user(session, Role.IT_STAFF)}
        for role, url, field, extra, filename in _upload_routes(session):
            client = app.test_client()
            if role != "anonymous":
                login_as(client, users[role])
            big = io.BytesIO(b"a," * (40 * 1024))
            r = client.post(url, data={**extra, field: (big, filename)}, content_type="multipart/form-data")
            assert r.status_code == 413, (url, r.status_code)
            assert "quá lớn" in r.get_data(as_text=True)
            assert not INTERNALS.search(r.get_data(as_text=True))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024


@pytest.mark.parametrize(
    "filename,content",
    [
        ("x.exe", b"MZ\x90\x00" * 10),
        ("x.html", b"<script>alert(1)</script>"),
        ("x.csv.php", b"<?php ?>"),
        ("", b"a,b\n1,2\n"),
        ("x.xlsx", b"PK\x03\x04 not a zip at all"),
        ("x.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("x.txt", b"Chi la mot dong chu\n"),
        ("x.pdf", b""),
        ("x.pdf", b"not a pdf, only the name"),
    ],
)
def test_uploads_of_the_wrong_type_are_refused_with_a_message(app, session, filename, content):
    users = {"it_staff": make_user(session, Role.IT_STAFF)}
    for role, url, field, extra, _ok in _upload_routes(session):
        client = app.test_client()
        if role != "anonymous":
            login_as(client, users[role])
        r = client.post(url, data={**extra, field: (io.BytesIO(content), filename)}, content_type="multipart/form-data")
        body = r.get_data(as_text=True)
        # the organisation import still answers 200 with its message; the others say 400
        assert r.status_code in ((200, 400) if url == "/org/import" else (400,)), (url, filename, r.status_code)
        assert not INTERNALS.search(body), (url, filename)
        assert "<script>alert(1)</script>" not in body
        if url.startswith("/verify/"):
            # only a PDF is hashed and compared: anything else is refused, not called "different"
            assert "KHÁC bản đã cấp" not in body and "giống hệt" not in body, (url, filename)
            refusals = ("không phải tệp PDF", "Tệp bạn chọn trống", "Hãy chọn tệp PDF")
        else:
            refusals = ("Chỉ nhận", "Không đọc được", "Không mở được", "Hãy chọn", "không hợp lệ", "Tệp trống", "lỗi")
        assert any(m in body for m in refusals), (url, filename)
        assert 'role="alert"' in body or 'class="error"' in body, (url, filename)  # shown as an error


@pytest.fixture
def production_errors(app):
    app.config["FRIENDLY_ERRORS_IN_TESTS"] = True
    yield app
    app.config["FRIENDLY_ERRORS_IN_TESTS"] = False


def test_no_error_page_shows_internals(production_errors, client, session):
    app = production_errors
    login_as(client, make_user(session, Role.OFFICIAL))
    pages = {
        404: client.get("/no/such/page"),
        405: client.get("/logout"),
        403: client.get("/admin/users"),
    }
    app.config["WTF_CSRF_ENABLED"] = True
    pages[400] = client.post("/preferences", data={"font_size": "large"})
    app.config["WTF_CSRF_ENABLED"] = False

    def broken():
        raise OperationalError("SELECT password_hash FROM user_account WHERE id = ?", {}, Exception("disk I/O error"))

    original = app.view_functions["main.dashboard"]
    app.view_functions["main.dashboard"] = broken
    try:
        pages[500] = client.get("/dashboard")
    finally:
        app.view_functions["main.dashboard"] = original
    for code, r in pages.items():
        assert r.status_code == code, (code, r.status_code)
        body = r.get_data(as_text=True)
        assert not INTERNALS.search(body), (code, INTERNALS.search(body).group(0))
        assert "<html" in body.lower(), f"{code}: the site's page, not a bare error"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/x",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "http:/evil.example",
    ],
)
def test_preferences_next_is_no_open_redirect(client, session, target):
    r = client.post("/preferences", data={"font_size": "large", "next": target})
    assert r.status_code == 302
    location = r.headers["Location"]
    assert "evil.example" not in location and not location.startswith("javascript:")


def test_preferences_next_keeps_local_paths(client, session):
    r = client.post("/preferences", data={"font_size": "large", "next": "/courses/?page=2"})
    assert r.headers["Location"].endswith("/courses/?page=2")


def test_demo_account_session_refused_when_demo_mode_is_off(app, client, session):
    """Turning demo mode off must also end the sessions demo accounts already have (not only new logins)."""
    demo = make_user(session, Role.OFFICIAL, username="canbo-demo", is_demo=True)
    login_as(client, demo)
    assert client.get("/dashboard").status_code == 200
    app.config["DEMO_MODE"] = False
    try:
        r = client.get("/dashboard")
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    finally:
        app.config["DEMO_MODE"] = True


# --------------------------------------------------------------------------- secrets


SECRET_PATTERNS = [
    re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"(?:ghp|gho|github_pat)_[A-Za-z0-9_]{20,}"),
    re.compile(r"xox[abpr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"postgres(?:ql)?(?:\+\w+)?://[^:/\s]+:[^@\s]{3,}@(?!host\b|localhost/)"),
    re.compile(r"(?i)\b(?:secret_key|api_key|password|passwd|token)\s*[=:]\s*[\"'][^\"'\s]{12,}[\"']"),
]
ALLOWED = ("Demo@2026",)  # the documented demo password
TEST_DIRS = ("tests/",)  # test fixtures use throwaway keys ("test-secret", factory passwords)


def _tracked_files():
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / p for p in out.decode().split("\0") if p]


def test_no_secret_is_committed():
    try:
        files = _tracked_files()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    hits = []
    for path in files:
        rel = str(path.relative_to(ROOT))
        if rel.startswith(TEST_DIRS) or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for pattern in SECRET_PATTERNS:
            for m in pattern.finditer(text):
                if not any(a in m.group(0) for a in ALLOWED):
                    hits.append(f"{rel}: {m.group(0)[:60]}")
    assert hits == []
    tracked = {str(p.relative_to(ROOT)) for p in files}
    assert not any(p.startswith("instance/") for p in tracked), "the instance folder (secret key, database)"
    assert not any(p.endswith((".sqlite3", ".pem", ".key", ".env")) for p in tracked)


def test_nul_characters_are_a_bad_request_not_a_500(client, session):
    """PostgreSQL refuses NUL in text (a DataError, so a 500 from any search box before the fix)."""
    login_as(client, make_user(session, Role.IT_STAFF))
    assert client.get("/org/officials?q=a%00b").status_code == 400
    assert client.get("/verify/abc%00def").status_code == 400
    assert client.post("/preferences", data={"font_size": "large", "next": "/\x00"}).status_code == 400
    assert client.get("/org/officials?q=ab").status_code == 200
