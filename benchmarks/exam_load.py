"""N officials take the same final quiz at once, through the app server; figures, then a data check.

    .venv/bin/python benchmarks/exam_load.py -n 500 [--think 5-15] [--workers 2 --threads 4]
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python benchmarks/exam_load.py -n 1000

Set-up: a scratch database (a SQLite file, or a fresh PostgreSQL database created next to the one in
``DATABASE_URL``) migrated with Alembic and filled with ``flask lms demo`` (built once, then copied:
SQLite file copy / ``CREATE DATABASE ... TEMPLATE``), plus N benchmark officials with accounts (one
password hash computed once and reused), enrolled in the course of the first final quiz, and a few
unit heads and IT staff. The app is served in production mode (``LMS_ENV=production``) by the recommended
command (``scripts/serve.sh``: granian) with the README's settings unless ``--workers/--threads`` say
otherwise (``--server gunicorn``: gunicorn's gthread worker, the server before December 2026, for a comparison).

Load (this process, one asyncio event loop, ``aiohttp``: every simulated person is a task with its own
cookie jar, all share one connection pool, unlimited unless ``--connections`` caps it, 60 s per request;
a thread per person with ``requests`` cost ~3 ms of client CPU per request, this ~1 ms, and the question
pages are scanned with regular expressions, not ``html.parser``): every official arrives at a
random moment within ``--window`` seconds (default 60: "all start within the same minute"), logs in
through the form (``--login form``; scrypt costs ~0.3 s of CPU per login) or with a pre-signed session
cookie (``--login cookie``: measures the exam, not the login), opens the quiz, starts it, then
(``--mode onepage``, the default: what the attempt page's script does) opens the attempt page once
(every question in it) and for every question thinks ``--think`` seconds (uniform, e.g. ``5-15``) and
sends its answer as a small JSON POST; or (``--mode pages``: without JavaScript, and the app before the
one-page attempt) for every question opens its page, thinks, autosaves; finally opens the summary,
submits and opens the result. ``--assets``: each page's CSS and scripts are fetched as a browser with
a cache does (kept when the answer says ``immutable``, else revalidated with ``If-None-Match``).
``--app-root`` serves another checkout's app (the code before a change) on the same data. Meanwhile
``--viewers`` unit heads and IT staff load dashboards, unit pages, rankings and the quiz results every 2-5 s.

Figures: per request kind count, req/s, p50/p95/p99 (ms), errors; the floor (``/healthz`` with the
same server, closed loop) and each kind's closed-loop capacity as a ratio to it; the peak number of
requests in flight; the CPU seconds of the client (this process) and of the server (main process and workers,
from ``/proc``) during the scenario and during the closed loops, per request, and on PostgreSQL the
database server's CPU (the postmaster and its children, when it runs on this machine), with both per
acknowledged answer. Then the checks:
every answer the server acknowledged is in the database (the same option for single choice and
true/false), every submitted attempt is graded, and graded once (``CompetencyRecord.attempts_count``
of every benchmark official equals its number of graded attempts; one attempt per official).
Stops by itself (``--max-seconds``), kills the server, removes the scratch database unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import requests
from yarl import URL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = secrets.token_urlsafe(12)  # this run's officials' password (hashed once)
SECRET = secrets.token_urlsafe(32)  # this run's SECRET_KEY (the cookies of --login cookie are signed with it)
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


# --------------------------------------------------------------------------- set-up


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask_env(url: str) -> dict:
    env = dict(os.environ, FLASK_APP="wsgi.py", DATABASE_URL=url, SECRET_KEY=SECRET, LMS_DEMO="0")
    env.pop("LMS_ENV", None)
    return env


def schema_hash() -> str:
    """Changes with the migrations, so a cached demo database is rebuilt after a schema change."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _run(args: list[str], env: dict) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _build_demo(url: str) -> None:
    env = flask_env(url)
    _run([str(ROOT / ".venv/bin/flask"), "db", "upgrade", "heads"], env)
    _run([str(ROOT / ".venv/bin/flask"), "lms", "demo"], env)


def scratch_database(base_url: str | None, workdir: Path, cache: Path) -> tuple[str, callable]:
    """A database with the demo province; returns (url, drop)."""
    if not base_url or base_url.startswith("sqlite"):
        if not cache.exists():
            print(f"building the demo province into {cache} (once)...", flush=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")  # two runs building at once must not share a file
            tmp.unlink(missing_ok=True)
            _build_demo(f"sqlite:///{tmp}")
            tmp.replace(cache)
        target = workdir / "bench.sqlite3"
        shutil.copyfile(cache, target)
        return f"sqlite:///{target}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    template = f"lms_bench_template_{schema_hash()}"
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": template})
    if not exists:
        print("building the demo province into a template database (once)...", flush=True)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{template}"'))
        _build_demo(url.set(database=template).render_as_string(hide_password=False))
    name = f"lms_bench_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def populate(url: str, n: int, viewers: int) -> dict:
    """N benchmark officials with accounts (one hash, reused), enrolled; unit heads and IT staff."""
    os.environ["DATABASE_URL"] = url
    from sqlalchemy import insert, select, update

    from courses.models import Enrolment
    from lms import create_app
    from lms.auth.models import LoginSession, Role, RoleAssignment, User
    from lms.extensions import db
    from lms.org.models import Official, Unit
    from lms.text import fold
    from lms.time import utcnow
    from quizzes.models import Quiz

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        s = db.session
        quiz = s.scalar(select(Quiz).where(Quiz.is_final.is_(True)).order_by(Quiz.id))
        quiz.published, quiz.open_at, quiz.close_at = True, None, None
        quiz.time_limit_minutes, quiz.attempts_allowed, quiz.delay_minutes = 60, 3, 0
        units = s.scalars(select(Unit.id).order_by(Unit.id)).all()
        probe = User(username="probe")
        probe.set_password(PASSWORD)
        now = utcnow()
        officials = [
            {
                "code": f"BENCH-{i:05d}",
                "family_name": "Trần",
                "middle_name": "Thị",
                "given_name": f"Bench{i:05d}",
                "email": f"bench{i:05d}@bench.gov.vn",
                "unit_id": units[i % len(units)],
                "search_text": fold(f"Trần Thị Bench{i:05d}"),
                "sort_key": f"bench{i:05d}",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(n + viewers)
        ]
        s.execute(insert(Official), officials)
        rows = s.execute(
            select(Official.id, Official.code, Official.unit_id)
            .where(Official.code.like("BENCH-%"))
            .order_by(Official.code)
        ).all()
        users = [
            {
                "username": f"bench{i:05d}",
                "email": f"bench{i:05d}@bench.gov.vn",
                "password_hash": probe.password_hash,
                "official_id": row.id,
                "must_change_password": False,
                "preferences": {},
                "created_at": now,
            }
            for i, row in enumerate(rows)
        ]
        s.execute(insert(User), users)
        user_ids = s.scalars(select(User.id).where(User.username.like("bench%")).order_by(User.username)).all()
        sessions = [{"user_id": uid, "token": f"{uid:032x}", "created_at": now} for uid in user_ids]
        s.execute(insert(LoginSession), sessions)  # one login session each, named in the signed cookie
        user_rows = s.execute(
            select(User.id, User.username, LoginSession.token, User.official_id)
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(User.username.like("bench%"))
            .order_by(User.username)
        ).all()
        learners, staff = user_rows[:n], user_rows[n:]
        s.execute(
            insert(Enrolment),
            [{"official_id": u.official_id, "course_id": quiz.course_id, "enrolled_at": now} for u in learners],
        )
        head_units = []
        for k, u in enumerate(staff):
            if k % 2 == 0:  # a unit head of the unit of some of the officials
                unit_id = rows[n + k].unit_id
                head_units.append(unit_id)
                s.add(RoleAssignment(user_id=u.id, role=Role.UNIT_HEAD, unit_id=unit_id, scope=f"unit:{unit_id}"))
            else:
                s.add(RoleAssignment(user_id=u.id, role=Role.IT_STAFF, unit_id=None, scope="province"))
        s.execute(update(User).where(User.id.in_([u.id for u in staff])).values(official_id=None))
        s.commit()
        topic = quiz.topic or quiz_course_topic(s, quiz)
        serializer = app.session_interface.get_signing_serializer(app)

        def cookie(u) -> str:
            return serializer.dumps({"_user_id": f"{u.id}:{u.token}", "_fresh": True})

        out = {
            "quiz_id": quiz.id,
            "topic": topic.value if topic else None,
            "learners": [{"username": u.username, "official_id": u.official_id, "cookie": cookie(u)} for u in learners],
            "staff": [
                {"username": u.username, "cookie": cookie(u), "unit_id": head_units[k // 2] if k % 2 == 0 else None}
                for k, u in enumerate(staff)
            ],
        }
        db.session.remove()
        db.engine.dispose()
    return out


def quiz_course_topic(session, quiz):
    from courses.models import Course

    return session.get(Course, quiz.course_id).topic if quiz.course_id else None


def gunicorn_args(root: Path, port: int, workers: int, threads: int) -> list[str]:
    return [
        str(ROOT / ".venv/bin/gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-connections",
        "4000",
        "--timeout",
        "60",
        "--log-level",
        "warning",
        "wsgi:app",
    ]


def start_server(
    url: str,
    port: int,
    workers: int,
    threads: int,
    log: Path,
    root: Path = ROOT,
    extra_env: dict | None = None,
    server: str = "granian",
) -> subprocess.Popen:
    """The app served in production mode by ``server``: granian as recommended, or gunicorn (gthread) as
    before December 2026 (``requirements-dev.txt``), for a comparison."""
    env = dict(
        os.environ,
        DATABASE_URL=url,
        LMS_ENV="production",
        SECRET_KEY=SECRET,
        LMS_SECURE_COOKIES="0",  # plain HTTP on loopback
        **(extra_env or {}),
    )
    if server == "granian":  # the recommended command (scripts/serve.sh), serving the app of ``root``
        env.update(HOST="127.0.0.1", PORT=str(port), WORKERS=str(workers), THREADS=str(threads))
        args = ["bash", str(ROOT / "scripts/serve.sh"), "--log-level", "warning"]
    else:
        args = gunicorn_args(root, port, workers, threads)
    proc = subprocess.Popen(
        args, cwd=root, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{server} exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"{server} did not become ready in 60 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --------------------------------------------------------------------------- the load

TIMEOUT = 60  # seconds per request, from the moment it is issued (a waiting user gives up)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Stats:
    """Latencies per kind; the client is one event loop, so no lock."""

    def __init__(self, pool: int = 0) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.after: dict[str, list[float]] = defaultdict(list)  # requests begun after the arrival window
        self.steady_from = float("inf")
        self.errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.samples: list[str] = []
        self.pool = pool  # the client's connection limit (0: none)
        self.in_flight = self.peak_in_flight = self.pool_waits = 0
        self.t0 = 0.0
        self.begun: list[tuple[float, float]] = []  # (begun after t0, seconds) of every request: the timeline
        self.cpu_samples: list[tuple[float, float, float, float]] = []  # (t, client, server, database) CPU s
        self.server_pgid, self.database = 0, None  # whose CPU the timeline samples

    def begin(self) -> None:
        if self.pool and self.in_flight >= self.pool:
            self.pool_waits += 1  # this request waits in the client for a free connection
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def add(self, kind: str, seconds: float, error: str | None = None) -> None:
        self.in_flight -= 1
        begun = time.monotonic() - seconds
        self.times[kind].append(seconds)
        self.begun.append((begun - self.t0, seconds))
        if begun >= self.steady_from:
            self.after[kind].append(seconds)
        if error:
            self.errors[kind][error] += 1
            if len(self.samples) < 10:
                self.samples.append(f"{kind}: {error}")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


class Reply:
    __slots__ = ("status", "headers", "text")

    def __init__(self, status: int, headers, text: str) -> None:
        self.status, self.headers, self.text = status, headers, text

    def json(self):
        return json.loads(self.text)


def client_session(connector: aiohttp.BaseConnector, base: str, cookie: str | None = None) -> aiohttp.ClientSession:
    """One person's browser: its own cookie jar, the shared connection pool."""
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keep the cookies of an IP address host (127.0.0.1)
    if cookie:
        jar.update_cookies({"session": cookie}, URL(base))
    return aiohttp.ClientSession(
        connector=connector, connector_owner=False, cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=TIMEOUT)
    )


ASSET_RE = re.compile(r'(?:href|src)="(/[^"]*static/[^"]+)"')


class Person:
    def __init__(
        self, base: str, stats: Stats, stop_at: float, http: aiohttp.ClientSession, assets: bool = False
    ) -> None:
        self.base, self.stats, self.stop_at, self.http = base, stats, stop_at, http
        self.assets = assets
        self.cache: dict[str, tuple[bool, str | None]] = {}  # url -> (kept for good, ETag)

    async def page(self, kind: str, path: str, ok=(200,)) -> Reply:
        """An HTML page, then its CSS and scripts as a browser with a cache fetches them: not at all
        when kept (``immutable`` / a max-age), else revalidated (``If-None-Match``: 304) or fetched."""
        reply = await self.call(kind, "GET", path, ok=ok)
        if self.assets and reply.status == 200:
            for url in dict.fromkeys(unescape(u) for u in ASSET_RE.findall(reply.text)):
                kept, etag = self.cache.get(url, (False, None))
                if kept:
                    continue
                headers = {"If-None-Match": etag} if etag else None
                r = await self.call("static", "GET", url, ok=(200, 304), headers=headers)
                control = r.headers.get("Cache-Control", "")
                self.cache[url] = ("immutable" in control or "max-age=3" in control, r.headers.get("ETag", etag))
        return reply

    async def call(
        self, kind: str, method: str, path: str, ok=(200,), data: dict | None = None, json_body=None, headers=None
    ) -> Reply:
        if time.monotonic() > self.stop_at:
            raise TimeoutError("benchmark time is up")
        body = None if data is None else urlencode(data, doseq=True).encode()
        send = dict(headers or {})
        if body:
            send.update(FORM)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            send["Content-Type"] = "application/json"
        self.stats.begin()
        t = time.perf_counter()
        try:
            async with self.http.request(
                method, self.base + path, data=body, headers=send or None, allow_redirects=False
            ) as r:
                raw = await r.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.stats.add(kind, time.perf_counter() - t, type(exc).__name__)
            raise
        except BaseException:  # cancelled at --max-seconds
            self.stats.in_flight -= 1
            raise
        elapsed = time.perf_counter() - t
        self.stats.add(kind, elapsed, None if r.status in ok else f"HTTP {r.status}")
        if r.status not in ok:
            raise RuntimeError(f"{kind} {path} -> {r.status}")
        return Reply(r.status, r.headers, raw.decode("utf-8", "replace"))


def csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    if not m:
        raise RuntimeError("no csrf token in the page")
    return m.group(1) or m.group(2)


TAG_RE = re.compile(r"""<(/?)(input|select|option)\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.IGNORECASE)
ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


def tag_attrs(text: str) -> dict[str, str | None]:
    """The attributes of a start tag, as ``html.parser`` gives them (lower-case names, unescaped values)."""
    out = {}
    for m in ATTR_RE.finditer(text):
        value = next((v for v in m.group(2, 3, 4) if v is not None), None)
        out[m.group(1).lower()] = None if value is None else unescape(value)
    return out


class FieldParser:
    """Inputs and selects named ``q<slot>...`` inside the attempt form.

    A scan of the ``input``/``select``/``option`` tags with regular expressions: ``html.parser`` did the
    same in ~4 ms of CPU per question page, more than the whole HTTP exchange costs the client.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.radios: dict[str, list[str]] = defaultdict(list)
        self.checks: dict[str, list[str]] = defaultdict(list)
        self.texts: list[str] = []
        self.selects: dict[str, list[str]] = defaultdict(list)

    def feed(self, html: str) -> None:
        select: str | None = None
        for m in TAG_RE.finditer(html):
            tag = m.group(2).lower()
            if m.group(1):
                if tag == "select":
                    select = None
                continue
            a = tag_attrs(m.group(3))
            name = a.get("name") or ""
            if tag == "select" and name.startswith(self.prefix) and name[len(self.prefix) :][:1] in ("", "-", "_"):
                select = name
            elif tag == "option" and select and a.get("value"):
                self.selects[select].append(a["value"])
            elif tag == "input" and name.startswith(self.prefix) and name[len(self.prefix) :][:1] in ("", "-", "_"):
                kind = a.get("type", "text")
                if kind == "radio":
                    self.radios[name].append(a.get("value", ""))
                elif kind == "checkbox":
                    self.checks[name].append(a.get("value", ""))
                elif kind in ("text", "number"):
                    self.texts.append(name)


def make_answer(html: str, slot: int, rng: random.Random) -> tuple[dict, str | None]:
    """A form answer for the question on the page; returns (fields, the chosen radio value or None)."""
    p = FieldParser(f"q{slot}")
    p.feed(html)
    form: dict = {}
    chosen = None
    for name, values in p.radios.items():
        chosen = form[name] = rng.choice(values)
    for name, values in p.checks.items():
        form[name] = rng.sample(values, rng.randint(1, len(values)))
    for name in p.texts:
        form[name] = str(rng.randint(1, 9))
    for name, values in p.selects.items():
        form[name] = rng.choice(values)
    return form, (chosen if len(p.radios) == 1 else None)


PANEL_RE = re.compile(r'<section class="q-panel" id="panel-(\d+)" data-slot="\d+" data-v="(\d+)"')


async def official_flow(person: Person, who: dict, quiz_id: int, args, t0: float, results: dict) -> None:
    rng = random.Random(who["username"])
    think_lo, think_hi = args.think
    try:
        await asyncio.sleep(max(0.0, t0 + rng.uniform(0, args.window) - time.monotonic()))
        if args.login == "form":
            page = await person.page("login_page", "/login")
            form = {"login": who["username"], "password": PASSWORD, "csrf_token": csrf(page.text)}
            await person.call("login", "POST", "/login", ok=(302,), data=form)
        else:
            person.http.cookie_jar.update_cookies({"session": who["cookie"]}, URL(person.base))
        intro = await person.page("quiz_intro", f"/quizzes/{quiz_id}")
        token = csrf(intro.text)
        r = await person.call("start", "POST", f"/quizzes/{quiz_id}/start", ok=(302,), data={"csrf_token": token})
        m = re.search(r"/attempts/(\d+)/q/", r.headers.get("Location", ""))
        if not m:
            raise RuntimeError(f"start did not go to the attempt: {r.headers.get('Location')}")
        attempt_id = int(m.group(1))
        results["attempts"][who["official_id"]] = attempt_id
        if args.mode == "onepage":
            # the attempt page's script: the page with every question once, then one JSON POST per answer
            page = await person.page("attempt_page", f"/quizzes/attempts/{attempt_id}/q/1?all=1")
            versions = {int(n): int(v) for n, v in PANEL_RE.findall(page.text)}
            panels = {int(m.group(1)): m.start() for m in PANEL_RE.finditer(page.text)}
            bounds = sorted(panels.values()) + [len(page.text)]
            for slot in sorted(versions):
                start = panels[slot]
                html = page.text[start : bounds[bounds.index(start) + 1]]  # this question's panel
                form, chosen = make_answer(html, slot, rng)
                await asyncio.sleep(rng.uniform(think_lo, think_hi))
                body = {"slot": slot, "v": versions[slot], **form}
                save = await person.call(
                    "autosave",
                    "POST",
                    f"/quizzes/attempts/{attempt_id}/autosave",
                    json_body=body,
                    headers={"X-CSRFToken": token},
                )
                if save.json().get("ok"):
                    results["saved"].append((attempt_id, slot, bool(save.json().get("answered")), chosen))
        else:  # a page per question (the no-JavaScript path, and the app before the one-page attempt)
            slot, total = 1, None
            while total is None or slot <= total:
                page = await person.page("question", f"/quizzes/attempts/{attempt_id}/q/{slot}")
                if total is None:
                    total = int(re.search(r"Câu \d+ / (\d+)", page.text).group(1))
                form, chosen = make_answer(page.text, slot, rng)
                await asyncio.sleep(rng.uniform(think_lo, think_hi))
                save = await person.call(
                    "autosave",
                    "POST",
                    f"/quizzes/attempts/{attempt_id}/autosave",
                    data={**form, "slot": slot, "csrf_token": csrf(page.text)},
                )
                body = save.json()
                if body.get("ok"):
                    results["saved"].append((attempt_id, slot, bool(body.get("answered")), chosen))
                slot += 1
        summary = await person.page("summary", f"/quizzes/attempts/{attempt_id}/summary")
        await person.call(
            "submit",
            "POST",
            f"/quizzes/attempts/{attempt_id}/submit",
            ok=(302,),
            data={"csrf_token": csrf(summary.text)},
        )
        results["submitted"].append(attempt_id)
        await person.page("result", f"/quizzes/attempts/{attempt_id}")
    except asyncio.CancelledError:
        results["failed"].append(f"{who['username']}: still running at --max-seconds")
        raise
    except Exception as exc:  # noqa: BLE001 - counted in the stats, the person stops
        results["failed"].append(f"{who['username']}: {exc!r}")


async def viewer_flow(person: Person, who: dict, quiz_id: int, done: asyncio.Event) -> None:
    rng = random.Random(who["username"])
    if who["unit_id"]:
        pages = [
            ("dashboard", "/dashboard"),
            ("unit_dashboard", "/competency/my-unit"),
            ("unit_dashboard", f"/competency/units/{who['unit_id']}"),
            ("quiz_results", f"/quizzes/manage/{quiz_id}/results"),
        ]
    else:
        pages = [
            ("dashboard", "/dashboard"),
            ("ranking", "/competency/"),
            ("quiz_results", f"/quizzes/manage/{quiz_id}/results"),
            ("ranking", "/competency/?page=2"),
        ]
    while not done.is_set():
        kind, path = rng.choice(pages)
        try:
            await person.call(kind, "GET", path, ok=(200, 302))
        except Exception:  # noqa: BLE001 - counted
            pass
        try:
            await asyncio.wait_for(done.wait(), rng.uniform(2, 5))
        except TimeoutError:
            pass


def new_connector(limit: int) -> aiohttp.TCPConnector:
    # gunicorn's gthread worker (--server gunicorn) closes an idle keep-alive connection after 2 s: give it back
    # sooner here, so that a request is never written into a connection the server is closing. The same for
    # granian: after a think time of 5-15 s every answer comes on a new connection, as in the runs before.
    return aiohttp.TCPConnector(limit=limit, limit_per_host=limit, keepalive_timeout=1.5)


async def scenario(base: str, data: dict, args, stats: Stats, results: dict) -> tuple[float, float]:
    """The officials and the viewers on one event loop; returns (t0, wall seconds)."""
    connector = new_connector(args.connections)
    t0 = stats.t0 = time.monotonic()
    stop_at = t0 + args.max_seconds
    sampler = asyncio.create_task(sample_cpu(stats, t0))
    stats.steady_from = t0 + args.window + 15
    done = asyncio.Event()
    sessions = [client_session(connector, base) for _ in data["learners"]]
    people = [
        asyncio.create_task(
            official_flow(Person(base, stats, stop_at, http, args.assets), who, data["quiz_id"], args, t0, results)
        )
        for http, who in zip(sessions, data["learners"], strict=True)
    ]
    viewer_sessions = [client_session(connector, base, who["cookie"]) for who in data["staff"]]
    viewers = [
        asyncio.create_task(viewer_flow(Person(base, stats, stop_at, http), who, data["quiz_id"], done))
        for http, who in zip(viewer_sessions, data["staff"], strict=True)
    ]
    _, late = await asyncio.wait(people, timeout=max(0.1, stop_at - time.monotonic()))
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    wall = time.monotonic() - t0
    done.set()
    await asyncio.wait(viewers, timeout=TIMEOUT + 10)  # the request in flight ends before the server stops
    sampler.cancel()
    for http in sessions + viewer_sessions:
        await http.close()
    await connector.close()
    return t0, wall


TIMELINE_STEP = 20.0  # seconds per row of the timeline


async def sample_cpu(stats: Stats, t0: float) -> None:
    """Every ``TIMELINE_STEP`` seconds: the CPU seconds so far of this client, the server's process
    group and the database server (``stats.server_pgid``, ``stats.database``), for the timeline."""
    while True:
        server = group_cpu_seconds(stats.server_pgid) if stats.server_pgid else None
        database = database_cpu_seconds(stats.database)
        stats.cpu_samples.append((time.monotonic() - t0, time.process_time(), server or 0.0, database))
        await asyncio.sleep(TIMELINE_STEP)


def timeline(stats: Stats) -> list[dict]:
    """Per ``TIMELINE_STEP`` seconds of the scenario (by when a request began): requests per second,
    p50/p95/max in ms, and the CPU of the client, the server and the database in that step (share of
    one CPU), so a p95 can be placed: the arrival minute, the answers, the end of the exam."""
    rows = []
    steps = defaultdict(list)
    for begun, seconds in stats.begun:
        steps[int(begun // TIMELINE_STEP)].append(seconds)
    samples = stats.cpu_samples
    for step in sorted(steps):
        times = steps[step]
        row = {
            "from_s": step * TIMELINE_STEP,
            "rps": len(times) / TIMELINE_STEP,
            "p50": pct(times, 50),
            "p95": pct(times, 95),
            "max": max(times) * 1000,
        }
        if step + 1 < len(samples):
            (t_a, *a), (t_b, *b) = samples[step], samples[step + 1]
            for name, x, y in zip(("client_cpu", "server_cpu", "database_cpu"), a, b, strict=True):
                row[name] = (y - x) / (t_b - t_a)
        rows.append(row)
    return rows


async def _closed_loop(
    base: str, kind_paths: list[tuple[str, str, dict | None]], cookie: str | None, seconds: float, concurrency: int
) -> dict:
    out = {}
    connector = new_connector(concurrency)
    for kind, path, data in kind_paths:
        tally = {"count": 0, "errors": 0}
        end = time.monotonic() + seconds
        body = None if data is None else urlencode(data, doseq=True).encode()

        async def hammer(path=path, body=body, end=end, tally=tally) -> None:
            async with client_session(connector, base, cookie) as http:
                while time.monotonic() < end:
                    try:
                        async with http.request(
                            "GET" if body is None else "POST",
                            base + path,
                            data=body,
                            headers=FORM if body else None,
                            allow_redirects=False,
                            timeout=aiohttp.ClientTimeout(total=30),
                        ) as r:
                            await r.read()
                            ok = r.status < 400
                    except (aiohttp.ClientError, TimeoutError):
                        ok = False
                    tally["count"] += 1
                    tally["errors"] += not ok

        await asyncio.gather(*(hammer() for _ in range(concurrency)))
        out[kind] = {"rps": tally["count"] / seconds, "errors": tally["errors"]}
    await connector.close()
    return out


def closed_loop(
    base: str, kind_paths: list[tuple[str, str, dict | None]], cookie: str | None, seconds: float, concurrency: int
) -> dict:
    """Requests per second with ``concurrency`` clients back to back (capacity, not the scenario)."""
    return asyncio.run(_closed_loop(base, kind_paths, cookie, seconds, concurrency))


def raise_open_files_limit() -> None:
    """The soft limit of open files up to the hard one (a soft limit of 1024 would fail N = 2000)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft not in (hard, resource.RLIM_INFINITY):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # e.g. an unlimited hard limit above the kernel's nr_open: keep the soft one
            pass


def group_cpu_seconds(pgid: int) -> float | None:
    """User + system CPU of the processes of a process group (the server's main process and workers), from /proc."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    try:
        pids = [d for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # utime stime cutime cstime (the last two: reaped workers)
            total += sum(int(x) for x in fields[11:15])
    return total / tick


def postgres_server(url: str) -> int | None:
    """The PID of the PostgreSQL server behind ``url`` when it runs on this machine (postmaster.pid of
    its data directory), to read its CPU from /proc; None otherwise."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            data_dir = conn.scalar(text("SELECT setting FROM pg_settings WHERE name = 'data_directory'"))
        return int(Path(data_dir, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError, Exception):  # noqa: BLE001 - a remote or unreadable server: no figure
        return None
    finally:
        engine.dispose()


def database_cpu_seconds(postmaster: int | None) -> float:
    """User + system CPU of the PostgreSQL server: the postmaster (with its reaped backends) and its
    live children (backends, the WAL writer...), from /proc."""
    if postmaster is None:
        return 0.0
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for pid in (d for d in os.listdir("/proc") if d.isdigit()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) == postmaster or int(fields[1]) == postmaster:  # fields[1]: the parent's PID
            total += sum(int(x) for x in fields[11:15])
    return total / tick


# --------------------------------------------------------------------------- checks


def check(url: str, results: dict, topic: str | None) -> dict:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.orm import Session

    from competency.models import CompetencyRecord
    from lms import create_app
    from quizzes.models import Attempt, AttemptSlot, AttemptState

    create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url})  # registers every model
    engine = create_engine(url)
    problems: list[str] = []
    with Session(engine) as s:
        slots = {
            (a, n): (answer, state)
            for a, n, answer, state in s.execute(
                select(AttemptSlot.attempt_id, AttemptSlot.slot_no, AttemptSlot.answer, AttemptSlot.state).where(
                    AttemptSlot.attempt_id.in_(list(results["attempts"].values()) or [0])
                )
            )
        }
        lost = 0
        for attempt_id, slot_no, answered, chosen in results["saved"]:
            answer, _state = slots.get((attempt_id, slot_no), (None, None))
            if answered and answer is None:
                lost += 1
            elif chosen is not None and answer not in (chosen, chosen == "true"):
                lost += 1
        if lost:
            problems.append(f"{lost} acknowledged answers missing or different in the database")
        attempts = {
            a.id: a for a in s.scalars(select(Attempt).where(Attempt.id.in_(list(results["attempts"].values()) or [0])))
        }
        ungraded = [
            i
            for i in results["submitted"]
            if attempts[i].state != AttemptState.SUBMITTED or attempts[i].graded_at is None or attempts[i].score is None
        ]
        if ungraded:
            problems.append(f"{len(ungraded)} submitted attempts not graded")
        officials = list(results["attempts"])
        per_official = dict(
            s.execute(
                select(Attempt.official_id, func.count())
                .where(Attempt.official_id.in_(officials or [0]))
                .group_by(Attempt.official_id)
            ).all()
        )
        doubles = sum(1 for c in per_official.values() if c != 1)
        if doubles:
            problems.append(f"{doubles} officials with more than one attempt")
        counts = dict(
            s.execute(
                select(CompetencyRecord.official_id, CompetencyRecord.attempts_count).where(
                    CompetencyRecord.official_id.in_(officials or [0]), CompetencyRecord.topic == topic
                )
            ).all()
        )
        graded = {a.official_id for a in attempts.values() if a.state == AttemptState.SUBMITTED}
        twice = sum(1 for o in graded if counts.get(o) != 1)
        if twice:
            problems.append(f"{twice} graded attempts not counted exactly once in the competency records")
    engine.dispose()
    return {
        "answers_checked": len(results["saved"]),
        "attempts_checked": len(results["submitted"]),
        "problems": problems,
    }


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=100, help="simulated officials")
    ap.add_argument("--think", default="5-15", help="think time per question, seconds (lo-hi)")
    ap.add_argument("--window", type=float, default=60, help="officials arrive within this many seconds")
    ap.add_argument("--login", choices=["form", "cookie"], default="form")
    ap.add_argument(
        "--mode",
        choices=["onepage", "pages"],
        default="onepage",
        help="onepage: the attempt page's script (the page once, a JSON POST per answer); pages: a page per "
        "question and its autosave (no JavaScript; the app before the one-page attempt)",
    )
    ap.add_argument(
        "--assets", action="store_true", help="fetch each page's CSS and scripts as a browser with a cache does"
    )
    ap.add_argument("--app-root", default=str(ROOT), help="serve the app of another checkout (A/B of the code)")
    ap.add_argument("--viewers", type=int, default=6, help="unit heads and IT staff loading dashboards")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4, help="granian: blocking threads per worker (gunicorn: threads)")
    ap.add_argument(
        "--server",
        choices=("granian", "gunicorn"),
        default="granian",
        help="granian (recommended) or gunicorn with its gthread worker (the server before December 2026)",
    )
    ap.add_argument(
        "--connections",
        type=int,
        default=0,
        help="the client's connection pool: requests in flight at most (default 0: no limit, a socket "
        "per request in flight, as from separate browsers)",
    )
    ap.add_argument("--floor-seconds", type=float, default=5)
    ap.add_argument("--max-seconds", type=float, default=1800, help="hard stop")
    ap.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / f"lms-bench-demo-{schema_hash()}.sqlite3"),
        help="the demo province, built once per schema (SQLite)",
    )
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = ap.parse_args()
    lo, _, hi = args.think.partition("-")
    args.think = (float(lo), float(hi or lo))
    base_url = os.environ.get("DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="exam-load-"))
    url, drop = scratch_database(base_url, workdir, Path(args.cache))
    dialect = url.split(":", 1)[0].split("+")[0]
    t_setup = time.monotonic()
    data = populate(url, args.n, args.viewers)
    print(f"set-up: {args.n} officials + {args.viewers} viewers in {time.monotonic() - t_setup:.1f} s ({dialect})")
    raise_open_files_limit()  # a socket per request in flight, here and in the server (which inherits the limit)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(
        url, port, args.workers, args.threads, workdir / "server.log", Path(args.app_root), server=args.server
    )
    database = postgres_server(url) if dialect == "postgresql" else None
    report: dict = {
        "n": args.n,
        "db": dialect,
        "server": args.server,
        "workers": args.workers,
        "threads": args.threads,
        "think": args.think,
        "window": args.window,
        "login": args.login,
        "mode": args.mode,
        "assets": args.assets,
        "app_root": args.app_root,
    }
    try:
        cpu0, gcpu0 = time.process_time(), group_cpu_seconds(server.pid)
        dbcpu0 = database_cpu_seconds(database)
        floor = closed_loop(base, [("healthz", "/healthz", None)], None, args.floor_seconds, 8)["healthz"]["rps"]
        cpu1, gcpu1 = time.process_time(), group_cpu_seconds(server.pid)
        dbcpu1 = database_cpu_seconds(database)
        stats = Stats(args.connections)
        stats.server_pgid, stats.database = server.pid, database
        results = {"attempts": {}, "saved": [], "submitted": [], "failed": []}
        t0, wall = asyncio.run(scenario(base, data, args, stats, results))
        cpu2, gcpu2 = time.process_time(), group_cpu_seconds(server.pid)
        dbcpu2 = database_cpu_seconds(database)
        # closed-loop capacity of the main kinds, as a ratio to the floor
        staff = data["staff"]
        head = next(s for s in staff if s["unit_id"])
        it = next(s for s in staff if not s["unit_id"])
        sample = data["learners"][0]
        attempt_id = results["attempts"].get(sample["official_id"])
        capacity = {"healthz": {"rps": floor, "errors": 0}}
        if attempt_id:
            capacity.update(
                closed_loop(
                    base,
                    [
                        ("result", f"/quizzes/attempts/{attempt_id}", None),
                        ("quiz_intro", f"/quizzes/{data['quiz_id']}", None),
                        ("dashboard", "/dashboard", None),
                    ],
                    sample["cookie"],
                    args.floor_seconds,
                    8,
                )
            )
        capacity.update(
            closed_loop(
                base,
                [("unit_dashboard", f"/competency/units/{head['unit_id']}", None)],
                head["cookie"],
                args.floor_seconds,
                8,
            )
        )
        capacity.update(
            closed_loop(
                base,
                [
                    ("ranking", "/competency/", None),
                    ("quiz_results", f"/quizzes/manage/{data['quiz_id']}/results", None),
                ],
                it["cookie"],
                args.floor_seconds,
                8,
            )
        )
        cpu3, gcpu3 = time.process_time(), group_cpu_seconds(server.pid)
    finally:
        stop(server)
    checks = check(url, results, data["topic"])
    log_tail = (workdir / "server.log").read_text(errors="replace")[-3000:]
    # ---- report
    kinds = {}
    for kind, times in sorted(stats.times.items()):
        errs = sum(stats.errors[kind].values())
        kinds[kind] = {
            "count": len(times),
            "rps": len(times) / wall,
            "p50": pct(times, 50),
            "p95": pct(times, 95),
            "p99": pct(times, 99),
            "max": max(times) * 1000,
            "errors": errs,
            "steady_p95": pct(stats.after[kind], 95),
            "error_kinds": dict(stats.errors[kind]),
        }
    floor_count = floor * args.floor_seconds
    cap_count = sum(c["rps"] for k, c in capacity.items() if k != "healthz") * args.floor_seconds
    cpu = {
        "client_scenario_s": cpu2 - cpu1,
        "client_floor_s": cpu1 - cpu0,
        "client_capacity_s": cpu3 - cpu2,
        "server_scenario_s": None if gcpu2 is None else gcpu2 - gcpu1,
        "server_floor_s": None if gcpu1 is None else gcpu1 - gcpu0,
        "server_capacity_s": None if gcpu3 is None else gcpu3 - gcpu2,
        "database_scenario_s": None if database is None else dbcpu2 - dbcpu1,
        "database_floor_s": None if database is None else dbcpu1 - dbcpu0,
        "floor_requests": floor_count,
        "capacity_requests": cap_count,
    }
    pool = {"limit": args.connections, "peak_in_flight": stats.peak_in_flight, "waited": stats.pool_waits}
    report.update(loadavg_1_5_15=os.getloadavg(), cpus=os.cpu_count(), cpu=cpu, pool=pool)
    report.update(
        wall_seconds=wall,
        floor_rps=floor,
        kinds=kinds,
        capacity=capacity,
        checks=checks,
        failed_people=len(results["failed"]),
        failure_samples=results["failed"][:5],
        timeline=timeline(stats),
    )
    total = sum(k["count"] for k in kinds.values())
    errors = sum(k["errors"] for k in kinds.values())
    all_times = [t for times in stats.times.values() for t in times]
    print(
        f"\nN={args.n} db={dialect} {args.server} --workers {args.workers} --threads {args.threads}  "
        f"think {args.think[0]:g}-{args.think[1]:g} s  window {args.window:g} s  login={args.login}"
    )
    steady = [t for times in stats.after.values() for t in times]
    report.update(p95_all=pct(all_times, 95), p95_after_arrivals=pct(steady, 95))
    print(
        f"wall {wall:.1f} s, {total} requests ({total / wall:.1f} req/s), errors {errors}, "
        f"p95 all {pct(all_times, 95):.0f} ms, after the arrivals {pct(steady, 95):.0f} ms; "
        f"floor /healthz {floor:.0f} req/s (closed loop, 8 clients); load average at the end "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'kind':15} {'count':>6} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>6} "
        f"{'p95 after arrivals':>18}"
    )
    for kind, k in kinds.items():
        print(
            f"{kind:15} {k['count']:6d} {k['rps']:7.2f} {k['p50']:7.0f} {k['p95']:7.0f} {k['p99']:7.0f} "
            f"{k['max']:7.0f} {k['errors']:6d} {k['steady_p95']:18.0f}"
        )
    print("timeline (by when a request began; CPU as a share of one CPU: client / server / database)")
    for row in report["timeline"]:
        cpu_text = (
            f"{row['client_cpu']:4.0%} / {row['server_cpu']:4.0%} / {row['database_cpu']:4.0%}"
            if "client_cpu" in row
            else ""
        )
        print(
            f"  {row['from_s']:5.0f} s {row['rps']:7.1f} req/s  p50 {row['p50']:6.0f}  p95 {row['p95']:6.0f}  "
            f"max {row['max']:6.0f} ms  {cpu_text}"
        )
    print(
        f"client pool: limit {args.connections or 'none'}, peak {stats.peak_in_flight} requests in flight, "
        f"{stats.pool_waits} waited for a free connection"
    )
    per = lambda seconds, count: f"{seconds:.1f} s = {seconds / max(count, 1) * 1000:.2f} ms/request"
    print(
        f"CPU, scenario ({total} requests in {wall:.0f} s): client {per(cpu['client_scenario_s'], total)} "
        f"({cpu['client_scenario_s'] / wall:.0%} of one CPU)"
        + (
            ""
            if gcpu2 is None
            else f", {args.server} {per(cpu['server_scenario_s'], total)} "
            f"({cpu['server_scenario_s'] / wall:.0%} of one CPU)"
        )
    )
    if database is not None:
        answered = len(results["saved"])
        print(
            f"CPU, PostgreSQL server during the scenario: {per(cpu['database_scenario_s'], total)}; "
            f"per acknowledged answer: app {cpu['server_scenario_s'] / max(answered, 1) * 1000:.2f} ms + database "
            f"{cpu['database_scenario_s'] / max(answered, 1) * 1000:.2f} ms"
        )
    elif gcpu2 is not None:
        print(
            f"CPU per acknowledged answer (app, SQLite in-process): "
            f"{cpu['server_scenario_s'] / max(len(results['saved']), 1) * 1000:.2f} ms"
        )
    print(
        f"CPU, closed loops ({floor_count + cap_count:.0f} requests): client "
        f"{per(cpu['client_floor_s'] + cpu['client_capacity_s'], floor_count + cap_count)}"
        + (
            ""
            if gcpu3 is None
            else f", {args.server} " + per(cpu["server_floor_s"] + cpu["server_capacity_s"], floor_count + cap_count)
        )
    )
    print(
        "capacity (closed loop, 8 clients): "
        + ", ".join(f"{kind} {c['rps']:.0f} req/s = {c['rps'] / floor:.2f} x floor" for kind, c in capacity.items())
    )
    print(
        f"checks: {checks['answers_checked']} acknowledged answers, {checks['attempts_checked']} submitted "
        f"attempts: {'OK' if not checks['problems'] else '; '.join(checks['problems'])}"
    )
    if results["failed"]:
        print(f"{len(results['failed'])} simulated officials stopped early, e.g. {results['failed'][:3]}")
        print(f"error samples: {stats.samples[:5]}")
    if "Traceback" in log_tail or "Error" in log_tail:
        print("server log (tail):\n" + log_tail[-1500:])
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    if not args.keep:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept: {url} ({workdir})")
    return 0 if not checks["problems"] and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
