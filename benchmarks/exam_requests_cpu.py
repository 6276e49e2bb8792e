"""CPU and wall milliseconds per exam request, in one process (the Flask test client, no HTTP).

    .venv/bin/python benchmarks/exam_requests_cpu.py [-n 200] [--attempts 3] [--profile KIND]

Set-up as ``benchmarks/exam_load.py`` (its helpers, imported): a scratch SQLite copy of the demo
province (migrations + ``flask lms demo``, cached per schema), or a scratch database on the
PostgreSQL server of ``DATABASE_URL`` when it is set, and one benchmark official enrolled in the
course of the first final quiz. The app runs in production-like configuration (no debug,
templates not auto-reloaded, demo accounts off); the official logs in through the form once.

Timed, medians over ``-n`` runs each (``time.process_time`` = CPU of this process, and wall time):
``/healthz``; a question page (GET, slots 1..20 in turn); the JSON autosave that the attempt page's
script sends (POST, one slot at a time, every call changes the stored answer); the quiz overview
page; the summary. Then ``--attempts`` separate attempts each time ``start`` (POST), ``submit``
(POST) and the result page once (medians of those). A bare Flask app's one-route request is printed
as the floor of the test client itself.
The SQL column is the number of statements one such request sends (not counting the pool's pre-ping
nor the commit). ``--profile KIND`` prints a cProfile of ``-n`` requests of that kind instead. No
assertion on times.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import exam_load  # noqa: E402 - the set-up helpers of the load benchmark

KINDS = ("healthz", "question", "autosave", "attempt_page", "autosave_json", "quiz_page", "summary")
ONCE = ("start", "submit", "result")


def timed(fn, n: int) -> tuple[float, float]:
    """Median CPU ms and median wall ms of ``n`` calls of ``fn(i)``."""
    cpu, wall = [], []
    for i in range(n):
        c, w = time.process_time(), time.perf_counter()
        fn(i)
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def expect(response, *codes: int):
    if response.status_code not in codes:
        raise RuntimeError(
            f"{response.request.path} -> {response.status_code}: {response.get_data(as_text=True)[:300]}"
        )
    return response


def bare_flask_floor(n: int) -> tuple[float, float]:
    from flask import Flask

    bare = Flask("bare")
    bare.get("/")(lambda: "ok")
    client = bare.test_client()
    return timed(lambda i: client.get("/"), n)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=200, help="runs per repeated request kind")
    ap.add_argument("--attempts", type=int, default=3, help="separate attempts for start / submit / result")
    ap.add_argument("--profile", choices=KINDS + ONCE, help="print a cProfile of -n requests of this kind instead")
    ap.add_argument(
        "--cache",
        default=str(Path(tempfile.gettempdir()) / f"lms-bench-demo-{exam_load.schema_hash()}.sqlite3"),
        help="the demo province, built once per schema (SQLite)",
    )
    args = ap.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="exam-cpu-"))
    url, drop = exam_load.scratch_database(os.environ.get("DATABASE_URL"), workdir, Path(args.cache))
    dialect = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    data = exam_load.populate(url, 1, 0)
    quiz_id = data["quiz_id"]
    who = data["learners"][0]

    os.environ.update(LMS_ENV="production", SECRET_KEY=exam_load.SECRET, LMS_SECURE_COOKIES="0", LMS_DEMO="0")
    from sqlalchemy import update

    from lms import create_app
    from lms.extensions import db
    from quizzes.models import Quiz

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEBUG": False, "TEMPLATES_AUTO_RELOAD": False})
    app.jinja_env.auto_reload = False
    with app.app_context():  # as many separate attempts as this script starts
        db.session.execute(update(Quiz).where(Quiz.id == quiz_id).values(attempts_allowed=0))
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    page = expect(client.get("/login"), 200)
    expect(
        client.post(
            "/login",
            data={
                "login": who["username"],
                "password": exam_load.PASSWORD,
                "csrf_token": exam_load.csrf(page.get_data(as_text=True)),
            },
        ),
        302,
    )

    intro = expect(client.get(f"/quizzes/{quiz_id}"), 200).get_data(as_text=True)
    token = exam_load.csrf(intro)  # one CSRF token per session

    def start() -> int:
        r = expect(client.post(f"/quizzes/{quiz_id}/start", data={"csrf_token": token}), 302)
        return int(re.search(r"/attempts/(\d+)/q/", r.headers["Location"]).group(1))

    attempt_id = start()
    first = expect(client.get(f"/quizzes/attempts/{attempt_id}/q/1"), 200).get_data(as_text=True)
    total = int(re.search(r"Câu \d+ / (\d+)", first).group(1))
    rng = random.Random(7)
    answers = {}
    for slot in range(1, total + 1):  # one answer per slot, read from its page (as the browser does)
        html = expect(client.get(f"/quizzes/attempts/{attempt_id}/q/{slot}"), 200).get_data(as_text=True)
        answers[slot] = {**exam_load.make_answer(html, slot, rng)[0], "slot": slot, "csrf_token": token}
    fetch_headers = {"X-Requested-With": "fetch", "Accept": "application/json"}

    filled: set[tuple[int, int]] = set()

    def autosave(i: int, attempt: int = attempt_id) -> None:
        """Call ``i`` saves slot ``i % total + 1``: its answer, or clears it when it has one, so every
        call writes (as in an exam, where every autosave brings a new answer)."""
        slot = i % total + 1
        if (attempt, slot) in filled:
            filled.discard((attempt, slot))
            form = {"slot": slot, "csrf_token": token}
        else:
            filled.add((attempt, slot))
            form = answers[slot]
        r = expect(client.post(f"/quizzes/attempts/{attempt}/autosave", data=form, headers=fetch_headers), 200)
        if not r.get_json()["ok"]:
            raise RuntimeError(r.get_json())

    one_page = expect(client.get(f"/quizzes/attempts/{attempt_id}/q/1?all=1"), 200).get_data(as_text=True)
    versions = {int(n): int(v) for n, v in re.findall(r'id="panel-(\d+)" data-slot="\d+" data-v="(\d+)"', one_page)}

    def autosave_json(i: int) -> None:
        """The one-page attempt's script: a JSON body with the question version, the token in a header."""
        slot = i % total + 1
        body = {k: v for k, v in answers[slot].items() if k != "csrf_token"}
        if (attempt_id, slot) in filled:
            filled.discard((attempt_id, slot))
            body = {"slot": slot}
        else:
            filled.add((attempt_id, slot))
        body["v"] = versions[slot]
        r = expect(
            client.post(
                f"/quizzes/attempts/{attempt_id}/autosave",
                json=body,
                headers={**fetch_headers, "X-CSRFToken": token},
            ),
            200,
        )
        if not r.get_json()["ok"]:
            raise RuntimeError(r.get_json())

    requests = {
        "healthz": lambda i: expect(client.get("/healthz"), 200),
        "attempt_page": lambda i: expect(client.get(f"/quizzes/attempts/{attempt_id}/q/1?all=1"), 200),
        "autosave_json": autosave_json,
        "question": lambda i: expect(client.get(f"/quizzes/attempts/{attempt_id}/q/{i % total + 1}"), 200),
        "autosave": autosave,
        "quiz_page": lambda i: expect(client.get(f"/quizzes/{quiz_id}"), 200),
        "summary": lambda i: expect(client.get(f"/quizzes/attempts/{attempt_id}/summary"), 200),
    }
    for fn in requests.values():  # warm-up: templates compiled, caches filled
        for i in range(total):
            fn(i)

    profiler = cProfile.Profile(time.process_time)  # CPU, not wall (a wait on the database is not work here)

    def report_profile() -> int:
        stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        shutil.rmtree(workdir, ignore_errors=True)
        return 0

    if args.profile in requests:
        fn = requests[args.profile]
        profiler.enable()
        for i in range(args.n):
            fn(i)
        profiler.disable()
        return report_profile()

    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    statements = [0]

    def count(*_args, **_kwargs):
        statements[0] += 1

    def queries(fn) -> int:
        """SQL statements one call of ``fn`` sends (not counting the pool's pre-ping)."""
        statements[0] = 0
        event.listen(engine, "before_cursor_execute", count)
        try:
            fn()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return statements[0]

    results = {}
    if not args.profile:
        results["bare Flask (floor of the test client)"] = (*bare_flask_floor(args.n), 0)
        for kind, fn in requests.items():
            results[kind] = (*timed(fn, args.n), queries(lambda fn=fn: fn(1)))

    # start / submit / result: once per attempt, in separate attempts. Attempt 0 (started above) is the
    # warm-up, attempt 1 counts the SQL statements, the next --attempts are timed.
    once: dict[str, list[tuple[float, float]]] = {kind: [] for kind in ONCE}
    once_queries: dict[str, int] = {}

    def once_timed(kind: str, fn, k: int):
        if k == 1:
            out: list = []
            once_queries[kind] = queries(lambda: out.append(fn()))
            return out[0]
        if k and args.profile == kind:
            profiler.enable()
        c, w = time.process_time(), time.perf_counter()
        result = fn()
        if k:
            once[kind].append(((time.process_time() - c) * 1000, (time.perf_counter() - w) * 1000))
        profiler.disable()
        return result

    for k in range(args.attempts + 2):
        if k:
            attempt_id = once_timed("start", start, k)
            for i in range(total):
                autosave(i, attempt_id)
        summary = expect(client.get(f"/quizzes/attempts/{attempt_id}/summary"), 200).get_data(as_text=True)
        form = {"csrf_token": exam_load.csrf(summary)}
        submit_url, result_url = f"/quizzes/attempts/{attempt_id}/submit", f"/quizzes/attempts/{attempt_id}"
        once_timed("submit", lambda u=submit_url, f=form: expect(client.post(u, data=f), 302), k)
        once_timed("result", lambda u=result_url: expect(client.get(u), 200), k)
    if args.profile:
        return report_profile()
    for kind, values in once.items():
        results[f"{kind} (x{len(values)}, separate attempts)"] = (
            statistics.median(v[0] for v in values),
            statistics.median(v[1] for v in values),
            once_queries[kind],
        )

    print(
        f"median of {args.n} runs (start/submit/result: {args.attempts} attempts), {dialect}, test client, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print(f"{'request':42} {'CPU ms':>8} {'wall ms':>8} {'SQL':>4}")
    for kind, (cpu, wall, sql) in results.items():
        print(f"{kind:42} {cpu:8.2f} {wall:8.2f} {sql:4d}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
