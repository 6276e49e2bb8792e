"""Configuration, read from the environment once. Dev/test/prod differences are data."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


# Flask signs the session cookie with SECRET_KEY (HMAC-SHA1 via itsdangerous): a short or guessable key
# lets anyone who guesses it sign a cookie for any account
MIN_SECRET_KEY_BYTES = 32


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _count(name: str, default: int, what: str) -> int:
    """A whole number >= 0 from the environment, or a ``ConfigError`` that says what it is for."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdecimal():
        raise ConfigError(f"{name}={raw!r}: expected {what} (a whole number, 0 or more).")
    return int(raw)


def _secret_key(env: str, instance_path: Path) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY must be set in the environment in production (LMS_ENV=production).")
    # Development and demo: generate once and keep it in the instance folder.
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


# The feature packages, in order: each one's init_app(app) is called by create_app (lms/features.py).
# A feature comes after the features it uses (its REQUIRES).
FEATURES = ("courses", "quizzes", "certificates", "practice", "competency", "training", "adoption")

# Settings that feature packages read from ``app.config`` with their own defaults; the environment
# sets them when present (documented in README.md, "Configuration").
PASSTHROUGH = (
    "LMS_BASE_URL",  # absolute base URL used in e-mails (training)
    "PUBLIC_BASE_URL",  # absolute base URL printed in certificates' QR codes
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_STARTTLS",
    "SMTP_SSL",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SMTP_TIMEOUT",
    "MAIL_FROM",
    "MAIL_BACKGROUND_SENDER",
    "MAIL_CATCHER_DIR",  # the demo's mail catcher writes messages there (scripts/start.sh): the outbox page says so
    "CERT_SERIAL_PREFIX",
    "CERT_ISSUER_PARENT",
    "CERT_ISSUER_NAME",
    "CERT_SIGNER_TITLE",
    "CERT_SIGNER_NAME",
    "CERT_PLACE",
    "CERT_STORAGE_DIR",
    "CERT_VERIFY_RATE_LIMIT",
    "COURSE_MEDIA_DIR",
    "QUIZ_IMPORT_DIR",
    "ORG_IMPORT_DIR",
    "QUIZ_GRACE_SECONDS",
    "QUIZ_IMPORT_MAX_AGE_HOURS",
    "COMPETENCY_MIN_OFFICIALS",
    # the province's directory (LDAP) and OpenID Connect provider: lms/auth/ldap.py, lms/auth/oidc.py
    "LDAP_URL",
    "LDAP_STARTTLS",
    "LDAP_BASE_DN",
    "LDAP_BIND_DN",
    "LDAP_BIND_PASSWORD",
    "LDAP_USER_FILTER",
    "LDAP_EMAIL_ATTRIBUTE",
    "LDAP_NAME_ATTRIBUTE",
    "LDAP_CA_FILE",
    "LDAP_TIMEOUT",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_SCOPES",
    "OIDC_REDIRECT_URI",
    "OIDC_TIMEOUT",
    "ADOPTION_EXCLUDE_CATEGORIES",  # adoption: categories left out of the officials' usage figures
)


POOL_VARIABLES = (
    ("LMS_DB_POOL_SIZE", "pool_size"),
    ("LMS_DB_MAX_OVERFLOW", "max_overflow"),
    ("LMS_DB_POOL_TIMEOUT", "pool_timeout"),
)


def _engine_options(url: str = "") -> dict:
    """A database server's pooled connection that the server ended is replaced, not reported, by a
    check without a round trip (``lms.database.server_closed``); ``LMS_DB_PRE_PING=1`` adds
    SQLAlchemy's ``pool_pre_ping`` (a ``SELECT 1`` before every request's first statement: ~0.15 ms
    of the app's CPU and a round trip) for a network that drops idle connections without closing
    them. The pool's size per process from ``LMS_DB_POOL_SIZE`` / ``LMS_DB_MAX_OVERFLOW`` /
    ``LMS_DB_POOL_TIMEOUT`` when set.
    PostgreSQL: psycopg prepares a statement on the server once a connection has run it
    ``LMS_DB_PREPARE_THRESHOLD`` times (psycopg's default 5; ``off``: never), so the hot statements
    (the account, the answer's UPDATE) are parsed and planned once per connection, not per request."""
    options: dict = {}
    if not url.startswith("sqlite") and (os.environ.get("LMS_DB_PRE_PING") or "").strip() == "1":
        options["pool_pre_ping"] = True
    for env, key in POOL_VARIABLES:
        if os.environ.get(env):
            options[key] = int(os.environ[env])
    threshold = (os.environ.get("LMS_DB_PREPARE_THRESHOLD") or "").strip().lower()
    if threshold and url.startswith("postgresql"):
        options["connect_args"] = {"prepare_threshold": None if threshold == "off" else int(threshold)}
    return options


def load_config(instance_path: Path, overrides: dict | None = None) -> dict:
    """Return the configuration mapping for ``app.config``.

    ``overrides`` (tests) win over the environment.
    """
    overrides = dict(overrides or {})
    env = overrides.get("LMS_ENV") or os.environ.get("LMS_ENV", "development")
    testing = bool(overrides.get("TESTING", False))
    default_db = f"sqlite:///{instance_path / 'lms.sqlite3'}"
    url = os.environ.get("DATABASE_URL", default_db)
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    production = env == "production"
    secret_key = overrides.get("SECRET_KEY") or _secret_key(env, instance_path)
    if production and len(secret_key.encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigError(
            f"SECRET_KEY is {len(secret_key.encode())} bytes long; production (LMS_ENV=production) needs at least "
            f"{MIN_SECRET_KEY_BYTES} random bytes. Make one with: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    cfg = {
        "LMS_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url),
        "MAX_CONTENT_LENGTH": int(os.environ.get("LMS_MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "IMPORT_MAX_ROWS": int(os.environ.get("LMS_IMPORT_MAX_ROWS", "50000")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("LMS_SECURE_COOKIES"), production),
        "REMEMBER_COOKIE_SECURE": _bool(os.environ.get("LMS_SECURE_COOKIES"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("LMS_SESSION_HOURS", "10")) * 3600,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": {"vi": "Tiếng Việt", "en": "English"},
        # failed logins in 15 minutes before the account, or the client address, waits (lms/auth/services.py)
        "LOGIN_MAX_FAILURES_ACCOUNT": _count("LMS_LOGIN_MAX_FAILURES_ACCOUNT", 5, "failed logins per account"),
        "LOGIN_MAX_FAILURES_IP": _count("LMS_LOGIN_MAX_FAILURES_IP", 30, "failed logins per client address"),
        # accounts of officials: an invitation link lasts this many hours, an activation slip's code this many days
        "INVITE_HOURS": _count("LMS_INVITE_HOURS", 72, "hours an invitation link lasts") or 72,
        "SLIP_DAYS": _count("LMS_SLIP_DAYS", 30, "days an activation slip's code lasts") or 30,
        # reverse proxies in front of the app: their X-Forwarded-For / -Proto are trusted (ProxyFix)
        "TRUSTED_PROXIES": _count("LMS_TRUSTED_PROXIES", 0, "the number of reverse proxies in front of the app"),
        # HTML answers at least this long are gzip-compressed (lms/assets.py); 0 = off (a proxy compresses)
        "GZIP_MIN_BYTES": _count("LMS_GZIP_MIN_BYTES", 1400, "bytes"),
        "DEMO_MODE": _bool(os.environ.get("LMS_DEMO"), not production),
        # passwords kept by the app work for everyone; off (0): only through the directory or the
        # provider, administrators keep their local password as the break-glass door
        "LOCAL_PASSWORDS": _bool(os.environ.get("LMS_LOCAL_PASSWORDS"), True),
        "PROVINCE_NAME": os.environ.get("LMS_PROVINCE_NAME", "Vĩnh Phúc"),
        "PER_PAGE": 25,
        # how long (s) a ranking computed before the last competency write may still be served while
        # a fresh one is computed in the background; 0 = always wait for a fresh one (the tests' default)
        "FEATURES": FEATURES,
        "RANKING_STALE_SECONDS": 0 if testing else float(os.environ.get("RANKING_STALE_SECONDS", "300")),
        "TESTING": testing,
    }
    for key in PASSTHROUGH:
        if os.environ.get(key):
            cfg[key] = os.environ[key]
    if os.environ.get("LMS_COMPETENCY_WEIGHTS"):
        cfg["COMPETENCY_WEIGHTS"] = _weights(os.environ["LMS_COMPETENCY_WEIGHTS"])
    cfg.update(overrides)
    shared_dir = overrides.get("SHARED_DIR") or os.environ.get("LMS_SHARED_DIR")
    _storage(cfg, overrides.get("STORAGE_URL") or os.environ.get("LMS_STORAGE_URL"), shared_dir)
    _shared_files(cfg, cfg.get("SHARED_DIR"))
    return cfg


# An S3-compatible bucket instead of the folders below (lms/storage.py): its address and keys
S3_VARIABLES = (
    ("LMS_S3_ENDPOINT_URL", "S3_ENDPOINT_URL"),
    ("LMS_S3_REGION", "S3_REGION"),
    ("LMS_S3_ACCESS_KEY_ID", "S3_ACCESS_KEY_ID"),
    ("LMS_S3_SECRET_ACCESS_KEY", "S3_SECRET_ACCESS_KEY"),
)


def _storage(cfg: dict, url: str | None, shared_dir: str | None) -> None:
    """``LMS_STORAGE_URL``: ``s3://bucket/prefix`` (the bucket holds the shared files), or a directory
    (``/srv/lms-shared`` or ``file:///srv/lms-shared``: the same as ``LMS_SHARED_DIR``)."""
    for env, key in S3_VARIABLES:
        if os.environ.get(env) and key not in cfg:
            cfg[key] = os.environ[env]
    url = (url or "").strip()
    if url.startswith("s3:"):
        bucket = url[len("s3:") :].lstrip("/").split("/", 1)[0]
        if not url.startswith("s3://") or not bucket:
            raise ConfigError(f"LMS_STORAGE_URL={url!r}: expected s3://bucket or s3://bucket/prefix.")
        if shared_dir:
            raise ConfigError("LMS_STORAGE_URL names a bucket and LMS_SHARED_DIR a folder: set only one.")
        cfg["STORAGE_URL"] = url
        return
    if "://" in url and not url.startswith("file://"):
        raise ConfigError(f"LMS_STORAGE_URL={url!r}: expected s3://bucket/prefix or a directory.")
    directory = url[len("file://") :] if url.startswith("file://") else url
    if directory and shared_dir and Path(directory) != Path(shared_dir):
        raise ConfigError("LMS_STORAGE_URL and LMS_SHARED_DIR name two folders: set only one.")
    cfg.pop("STORAGE_URL", None)
    if directory or shared_dir:
        cfg["SHARED_DIR"] = directory or shared_dir


# What the application servers write and read back as files, under ``LMS_SHARED_DIR`` (a directory on a
# volume every server mounts: NFS, CephFS...) unless set one by one
SHARED_FOLDERS = (
    ("CERT_STORAGE_DIR", "certificates"),
    ("QUIZ_IMPORT_DIR", "quiz-imports"),
    ("COURSE_MEDIA_DIR", "course_media"),
    ("ORG_IMPORT_DIR", "org-imports"),
)


def _shared_files(cfg: dict, shared_dir: str | None) -> None:
    """With several application servers, a certificate issued (and rendered) on one is downloaded from
    another, and a question file or an officials' spreadsheet uploaded to one is confirmed on another:
    these folders must be one."""
    if not shared_dir:
        return
    cfg["SHARED_DIR"] = shared_dir
    for key, name in SHARED_FOLDERS:
        cfg.setdefault(key, str(Path(shared_dir) / name))


def _weights(text: str) -> dict[str, float]:
    """``coverage=0.6,score=0.25,participation=0.15,practice=0.1,usage=0.2`` -> the parts of the
    competency index and their weights (the parts not named keep their default; ``usage`` is the part
    the adoption feature adds)."""
    out = {}
    for item in text.split(","):
        name, _eq, value = item.strip().partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"LMS_COMPETENCY_WEIGHTS: '{item.strip()}' is not name=number") from None
        if out[name.strip()] < 0:
            raise ConfigError(f"LMS_COMPETENCY_WEIGHTS: '{item.strip()}' is negative")
    unknown = set(out) - {"coverage", "score", "participation", "practice", "usage"}
    if unknown:
        raise ConfigError(f"LMS_COMPETENCY_WEIGHTS: unknown part {sorted(unknown)[0]!r}")
    return out
