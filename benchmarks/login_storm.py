"""A login storm through the waiting room: N officials log in over the minutes before a province-wide
exam, wait on the quiz's page, and start when it opens; through the app server; figures, then a data check.

    .venv/bin/python benchmarks/login_storm.py -n 1000 [--spread 300] [--click 10]
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python benchmarks/login_storm.py -n 1000

Set-up as ``benchmarks/exam_load.py`` (its helpers, imported): a scratch copy of the demo province, N
benchmark officials with accounts, enrolled in the course of the first final quiz, and one IT staff
account; granian in production mode with the README's settings (``--server gunicorn`` for a
comparison). The quiz opens ``--spread`` + 30 seconds after the scenario begins.

Every official arrives at a random moment within ``--spread`` seconds (default 300: the five minutes
before the exam), opens the login page and logs in through the form (the real password check: scrypt),
opens the quiz's page (the waiting room: the start button closed, the seconds left in the page), and
then does what ``quizzes/static/waiting.js`` does: says it is still there every 180-300 s, and at the
opening time (taken from the server's count of seconds, not the client's clock) clicks "start" after a
reaction time within ``--click`` seconds (default 10), and opens the attempt page (every question).
``--assets``: the pages' CSS and scripts as a browser with a cache fetches them. Meanwhile one IT staff
member reloads the quiz's page every 10 s and reads the number of officials waiting.

Figures: per request kind count, p50/p95/p99/max (ms) and errors, split into the login phase and the
start burst; "login" is the login page + the POST, "start to questions" the POST start + the attempt
page; the most officials the IT staff page showed waiting; CPU of the server (and PostgreSQL) per login
and per start. Checks: every official who logged in saw the waiting room (not an open quiz), every one
who clicked start has one attempt in progress, and the waiting room is empty afterwards. No assertion
on times.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import exam_load as el  # noqa: E402 - the set-up helpers of the exam benchmark

OPENS_IN_RE = re.compile(r'data-opens-in="(\d+)"')
HEARTBEAT_RE = re.compile(r'data-heartbeat="(\d+)"')
WAITING_RE = re.compile(r'id="waiting-count">[^0-9<]*(\d+)')


def open_quiz_at(url: str, quiz_id: int, seconds: float) -> None:
    """The quiz opens ``seconds`` from now (UTC in the database)."""
    from datetime import timedelta

    from sqlalchemy import create_engine, update

    from lms.time import utcnow
    from quizzes.models import Quiz

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(update(Quiz).where(Quiz.id == quiz_id).values(open_at=utcnow() + timedelta(seconds=seconds)))
    engine.dispose()


async def official_flow(person: el.Person, who: dict, quiz_id: int, args, t0: float, results: dict) -> None:
    rng = random.Random(who["username"])
    try:
        await asyncio.sleep(max(0.0, t0 + rng.uniform(0, args.spread) - time.monotonic()))
        began = time.perf_counter()
        page = await person.page("login_page", "/login")
        form = {"login": who["username"], "password": el.PASSWORD, "csrf_token": el.csrf(page.text)}
        await person.call("login", "POST", "/login", ok=(302,), data=form)
        results["login_s"].append(time.perf_counter() - began)
        intro = await person.page("waiting_page", f"/quizzes/{quiz_id}")
        seen = time.monotonic()
        opens = OPENS_IN_RE.search(intro.text)
        if opens is None:
            raise RuntimeError("the quiz page showed no waiting room (the quiz is open already?)")
        results["waited"].add(who["official_id"])
        opens_at = seen + int(opens.group(1))
        every = int((HEARTBEAT_RE.search(intro.text) or [None, "240"])[1])
        token = el.csrf(intro.text)
        while True:  # waiting.js: a heartbeat now and then, until the opening
            ping_at = time.monotonic() + every * rng.uniform(0.75, 1.25)
            if ping_at >= opens_at:
                break
            await asyncio.sleep(ping_at - time.monotonic())
            reply = await person.call(
                "heartbeat", "POST", f"/quizzes/{quiz_id}/waiting", headers={"X-CSRFToken": token}
            )
            opens_at = time.monotonic() + reply.json().get("opens_in", 0)
        await asyncio.sleep(max(0.0, opens_at - time.monotonic()) + rng.uniform(0, args.click))
        began = time.perf_counter()
        r = await person.call("start", "POST", f"/quizzes/{quiz_id}/start", ok=(302,), data={"csrf_token": token})
        m = re.search(r"/attempts/(\d+)/q/", r.headers.get("Location", ""))
        if not m:
            raise RuntimeError(f"start did not go to the attempt: {r.headers.get('Location')}")
        results["attempts"][who["official_id"]] = int(m.group(1))
        await person.page("attempt_page", f"/quizzes/attempts/{m.group(1)}/q/1?all=1")
        results["start_s"].append(time.perf_counter() - began)
    except asyncio.CancelledError:
        results["failed"].append(f"{who['username']}: still running at --max-seconds")
        raise
    except Exception as exc:  # noqa: BLE001 - counted in the stats, the person stops
        results["failed"].append(f"{who['username']}: {exc!r}")


async def staff_flow(person: el.Person, quiz_id: int, done: asyncio.Event, results: dict) -> None:
    """IT staff on the quiz's page: how many officials are waiting."""
    while not done.is_set():
        try:
            page = await person.call("staff_quiz_page", "GET", f"/quizzes/{quiz_id}")
            m = WAITING_RE.search(page.text)
            if m:
                results["waiting_seen"] = max(results["waiting_seen"], int(m.group(1)))
        except Exception:  # noqa: BLE001 - counted
            pass
        try:
            await asyncio.wait_for(done.wait(), 10)
        except TimeoutError:
            pass


async def scenario(base: str, data: dict, args, stats: el.Stats, results: dict, t0: float) -> float:
    connector = el.new_connector(0)
    stop_at = t0 + args.max_seconds
    done = asyncio.Event()
    sessions = [el.client_session(connector, base) for _ in data["learners"]]
    people = [
        asyncio.create_task(
            official_flow(el.Person(base, stats, stop_at, http, args.assets), who, data["quiz_id"], args, t0, results)
        )
        for http, who in zip(sessions, data["learners"], strict=True)
    ]
    it = next(s for s in data["staff"] if not s["unit_id"])
    staff_http = el.client_session(connector, base, it["cookie"])
    staff = asyncio.create_task(staff_flow(el.Person(base, stats, stop_at, staff_http), data["quiz_id"], done, results))
    _, late = await asyncio.wait(people, timeout=max(0.1, stop_at - time.monotonic()))
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    wall = time.monotonic() - t0
    done.set()
    await asyncio.wait([staff], timeout=el.TIMEOUT + 10)
    for http in [*sessions, staff_http]:
        await http.close()
    await connector.close()
    return wall


def check(url: str, data: dict, results: dict) -> dict:
    from sqlalchemy import create_engine, func, select

    from quizzes.models import Attempt, QuizWaiting

    engine = create_engine(url)
    ids = [who["official_id"] for who in data["learners"]]
    with engine.connect() as conn:
        per_official = dict(
            conn.execute(
                select(Attempt.official_id, func.count())
                .where(Attempt.quiz_id == data["quiz_id"], Attempt.official_id.in_(ids))
                .group_by(Attempt.official_id)
            ).all()
        )
        in_progress = conn.scalar(
            select(func.count()).where(
                Attempt.quiz_id == data["quiz_id"], Attempt.official_id.in_(ids), Attempt.submitted_at.is_(None)
            )
        )
        still_waiting = conn.scalar(
            select(func.count()).select_from(QuizWaiting).where(QuizWaiting.quiz_id == data["quiz_id"])
        )
    engine.dispose()
    started = results["attempts"]
    problems = []
    if any(per_official.get(o, 0) != 1 for o in started):
        problems.append("an official who clicked start does not have exactly one attempt")
    if set(per_official) - set(started):
        problems.append("an attempt the client never saw started")
    if still_waiting:
        problems.append(f"{still_waiting} officials still in the waiting room")
    return {
        "logged_in_and_waited": len(results["waited"]),
        "started": len(started),
        "attempts_in_progress": in_progress,
        "still_waiting": still_waiting,
        "problems": problems,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=500, help="officials")
    ap.add_argument("--spread", type=float, default=300, help="officials log in within this many seconds")
    ap.add_argument("--click", type=float, default=10, help="reaction time at the opening, seconds (0 to this)")
    ap.add_argument("--assets", action="store_true", help="fetch each page's CSS and scripts as a browser does")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--server", choices=("granian", "gunicorn"), default="granian")
    ap.add_argument("--max-seconds", type=float, default=1800, help="hard stop")
    ap.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / f"lms-bench-demo-{el.schema_hash()}.sqlite3"),
        help="the demo province, built once per schema (SQLite)",
    )
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="login-storm-"))
    url, drop = el.scratch_database(os.environ.get("DATABASE_URL"), workdir, Path(args.cache))
    dialect = url.split(":", 1)[0].split("+")[0]
    data = el.populate(url, args.n, 2)  # two viewers: a unit head (unused) and the IT staff member
    el.raise_open_files_limit()
    port = el.free_port()
    base = f"http://127.0.0.1:{port}"
    server = el.start_server(url, port, args.workers, args.threads, workdir / "server.log", server=args.server)
    database = el.postgres_server(url) if dialect == "postgresql" else None
    results = {"attempts": {}, "waited": set(), "login_s": [], "start_s": [], "failed": [], "waiting_seen": 0}
    stats = el.Stats()
    lead = args.spread + 30
    try:
        open_quiz_at(url, data["quiz_id"], lead)
        t0 = time.monotonic()
        cpu0, db0 = el.group_cpu_seconds(server.pid), el.database_cpu_seconds(database)
        load0 = os.getloadavg()
        opening = t0 + lead
        # the CPU at the opening splits the logins from the start burst
        split = {}

        async def run() -> float:
            async def mark() -> None:
                await asyncio.sleep(max(0.0, opening - time.monotonic()))
                split["cpu"], split["db"] = el.group_cpu_seconds(server.pid), el.database_cpu_seconds(database)
                split["kinds"] = {k: len(v) for k, v in stats.times.items()}

            marker = asyncio.create_task(mark())
            wall = await scenario(base, data, args, stats, results, t0)
            await marker
            return wall

        wall = asyncio.run(run())
        cpu1, db1 = el.group_cpu_seconds(server.pid), el.database_cpu_seconds(database)
    finally:
        el.stop(server)
    checks = check(url, data, results)
    log_tail = (workdir / "server.log").read_text(errors="replace")[-2000:]
    drop()
    print(
        f"\nN={args.n} db={dialect} {args.server} --workers {args.workers} --threads {args.threads}  logins within "
        f"{args.spread:g} s, the quiz opens at {lead:g} s, clicks within {args.click:g} s of it"
    )
    print(
        f"wall {wall:.1f} s; load average {' '.join(f'{x:.1f}' for x in load0)} at the start, "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end, on {os.cpu_count()} CPUs"
    )
    print(f"{'kind':16} {'count':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'errors':>6}")
    for kind, times in sorted(stats.times.items()):
        errs = sum(stats.errors[kind].values())
        print(
            f"{kind:16} {len(times):6d} {el.pct(times, 50):7.0f} {el.pct(times, 95):7.0f} "
            f"{el.pct(times, 99):7.0f} {max(times) * 1000:7.0f} {errs:6d}"
        )
    for name, values in (("login (page + POST)", results["login_s"]), ("start to questions", results["start_s"])):
        print(
            f"{name:24} n={len(values)}  p50 {el.pct(values, 50):.0f} ms  p95 {el.pct(values, 95):.0f} ms  "
            f"p99 {el.pct(values, 99):.0f} ms  max {max(values, default=0) * 1000:.0f} ms"
        )
    errors = sum(sum(e.values()) for e in stats.errors.values())
    print(f"errors {errors}; IT staff saw at most {results['waiting_seen']} officials waiting")
    if "cpu" in split and cpu0 is not None:
        logins, starts = len(results["login_s"]) or 1, len(results["start_s"]) or 1
        app_login, app_start = split["cpu"] - cpu0, cpu1 - split["cpu"]
        line = (
            f"CPU, {args.server}: {app_login:.1f} s before the opening = {1000 * app_login / logins:.0f} ms per login "
            f"(its pages and heartbeats included), {app_start:.1f} s from the opening = "
            f"{1000 * app_start / starts:.0f} ms per start (start + attempt page)"
        )
        if database is not None:
            line += f"; PostgreSQL {split['db'] - db0:.1f} s + {db1 - split['db']:.1f} s"
        print(line)
    print(f"checks: {checks}")
    if results["failed"]:
        print("failed officials (first 5):", results["failed"][:5])
    if errors or checks["problems"]:
        print("server log (end):", log_tail[-1000:])
        print("error samples:", stats.samples)
    return 0 if not checks["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
