"""A real server in a subprocess (granian, as recommended) against the test database, for the fault tests.

``Server(url, workers=..., threads=...)`` starts the recommended command (``scripts/serve.sh``: granian) on a free
port in production mode (CSRF on, demo off; secure cookies off: plain HTTP on loopback) in its own process group;
``kill()`` sends SIGKILL to the whole group (master and workers), ``stop()`` a clean SIGTERM.
``Browser`` is a ``requests`` session logged in with a session cookie signed with the same key.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fault-test-secret-of-at-least-32-bytes"  # production refuses shorter keys
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def _access_log_config(path: Path) -> dict:
    """granian's access log into ``path``, each line after the pid of the worker that served it."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"access": {"format": "%(process)d %(message)s"}},
        "handlers": {"access": {"class": "logging.FileHandler", "filename": str(path), "formatter": "access"}},
        "loggers": {"granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False}},
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(
        self,
        url: str,
        workers: int = 1,
        threads: int = 2,
        log_dir: Path | None = None,
        access_log: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.url, self.workers, self.threads = url, workers, threads
        self.extra_env = dict(env or {})
        self.log_dir = log_dir or Path(os.environ.get("TMPDIR", "/tmp"))
        self.access_log = access_log
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 25) -> Server:
        self.port = free_port()
        env = dict(
            os.environ,
            DATABASE_URL=self.url,
            LMS_ENV="production",
            SECRET_KEY=SECRET,
            LMS_SECURE_COOKIES="0",
            LMS_DEMO="0",
            **self.extra_env,
        )
        env.pop("FLASK_APP", None)
        self.log = self.log_dir / f"server-{self.port}.log"
        env.update(HOST="127.0.0.1", PORT=str(self.port), WORKERS=str(self.workers), THREADS=str(self.threads))
        args = ["bash", str(ROOT / "scripts/serve.sh"), "--workers-kill-timeout", "2s"]  # the recommended command
        if self.access_log:  # "<worker pid> <method> <path> <status>" per line, in a file of its own
            self.access = self.log_dir / f"access-{self.port}.log"
            config = self.log_dir / f"logging-{self.port}.json"
            config.write_text(json.dumps(_access_log_config(self.access)))
            args += ["--access-log", "--access-log-fmt", "%(method)s %(path)s %(status)d", "--log-config", str(config)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited:\n" + self.log.read_text()[-3000:])
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("the server did not start:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        """SIGKILL to the master and every worker (a power cut, an OOM kill)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._reap_group()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._reap_group()

    def _reap_group(self) -> None:
        if self.proc is None:
            return
        try:  # workers left behind by a killed master
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def session_cookie(user) -> str:
    """A Flask session cookie logging ``user`` in (a new login session, committed), signed with the
    server's key."""
    from flask import Flask
    from sqlalchemy.orm import Session

    from lms.auth.models import User
    from lms.auth.services import start_session
    from lms.extensions import db
    from lms.time import utcnow

    with Session(db.engine) as own:  # its own transaction: the caller's objects are not expired
        login_id = start_session(own, own.get(User, user.id), utcnow()).login_id
        own.commit()
    signer = Flask("cookie")
    signer.secret_key = SECRET
    return signer.session_interface.get_signing_serializer(signer).dumps({"_user_id": login_id, "_fresh": True})


class Browser(requests.Session):
    def __init__(self, server: Server, user=None) -> None:
        super().__init__()
        self.server = server
        if user is not None:
            self.cookies.set("session", session_cookie(user), domain="127.0.0.1", path="/")

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        if url.startswith("/"):
            url = self.server.base + url
        return super().request(method, url, *args, **kwargs)


def csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1) or m.group(2)


def radio_values(html: str, slot: int) -> list[str]:
    return re.findall(rf'type="radio" name="q{slot}" id="[^"]+" value="([^"]+)"', html)
