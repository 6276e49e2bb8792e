"""The exam scenario of ``benchmarks/exam_load.py`` on Kolibri (Learning Equality's offline-first
learning platform), for a side-by-side row in the README.

    .venv/bin/python benchmarks/peers/kolibri_exam.py -n 500 [--think 5-15] [--window 60] [--dir /tmp/kolibri-peer]

Set-up (not measured): Kolibri 0.19.5 installed from PyPI into a scratch folder (``--dir``, default a
new temporary folder; nothing of it is in this repository), provisioned offline with a local exercise
channel, one class of N learners and an active quiz of 20 questions, by the team's offline set-up
script (``--setup``: ``peers/kolibri/setup.sh`` of the shared folder: pip, ``provisiondevice``, the
data made through Kolibri's models in ``kolibri manage shell``), then served by ``kolibri start``
(one process, CherryPy threads) on 127.0.0.1.

Load (measured; one asyncio loop with ``aiohttp``, every learner its own cookie jar, 60 s per request):
the learners log in first (4 at a time, not counted: as ``--login cookie`` in ours), then each arrives
at a random moment within ``--window`` s, opens the class and the quiz and starts it, and per question
makes Kolibri's own requests: the two GETs its learner UI repeats at every question (the class, the
content nodes), thinks ``--think`` s, and the answer PUT (``trackprogress``); the last answer submits.
Kolibri grades in the browser: the client sends ``correct`` from the set-up's answer key, the server
stores it (our app grades on the server: more work than Kolibri does per answer).

Prints per kind p50/p95/p99 (ms) and errors, req/s, the server's CPU per request and per answer (from
/proc: the Kolibri process and its children), then checks that every acknowledged answer is an
``AttemptLog`` row. Stops the server; ``--keep`` keeps the folder (a learner who finished the quiz
cannot take it again: a kept folder needs ``--first`` past the learners already used).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = 20
TIMEOUT = 60


def default_setup() -> str:
    for candidate in (ROOT.parent / "shared", Path("/work/shared")):
        path = candidate / "peers" / "kolibri" / "setup.sh"
        if path.exists():
            return str(path)
    return "setup.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with socket.socket() as s:  # the zip-content server takes the next port
        if s.connect_ex(("127.0.0.1", port + 1)) == 0:
            return free_port()
    return port


def set_up(setup: str, folder: Path, port: int, n: int) -> tuple[int, dict]:
    env = dict(
        os.environ,
        BENCH_EXERCISES="2",
        BENCH_ITEMS_PER_EXERCISE=str(QUESTIONS // 2),
        BENCH_QUIZ_QUESTIONS=str(QUESTIONS),
    )
    out = subprocess.run(
        ["bash", setup, str(folder), str(port), str(n)], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise RuntimeError(f"Kolibri set-up failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line and line[:1].isupper())
    print("\n".join(line for line in out.stdout.splitlines() if line.startswith("[setup]")))
    return int(values["KOLIBRI_PID"]), json.loads(Path(values["MANIFEST"]).read_text())


def cpu_seconds(pid: int) -> float:
    """The process and its live children (CherryPy runs threads; task workers may be processes)."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for entry in (d for d in os.listdir("/proc") if d.isdigit()):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            total += sum(int(x) for x in fields[11:15])
    return total / tick


class Load:
    def __init__(self, base: str, manifest: dict, args) -> None:
        self.base, self.m, self.args = base, manifest, args
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.acknowledged = 0

    async def call(self, http, kind: str, method: str, path: str, **kwargs):
        t = time.perf_counter()
        try:
            async with http.request(method, self.base + path, **kwargs) as r:
                body = await r.read()
                self.times[kind].append(time.perf_counter() - t)
                if r.status >= 400:
                    self.errors[kind] += 1
                    if len(self.samples) < 5:
                        self.samples.append(f"{kind}: HTTP {r.status}")
                    return None
                return json.loads(body) if body[:1] in (b"{", b"[") else body
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.times[kind].append(time.perf_counter() - t)
            self.errors[kind] += 1
            if len(self.samples) < 5:
                self.samples.append(f"{kind}: {type(exc).__name__}")
            return None

    async def login(self, connector, number: int):
        http = aiohttp.ClientSession(
            connector=connector,
            connector_owner=False,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=TIMEOUT),
        )
        body = {"username": f"learner{number:04d}", "password": self.m["learner_password"]}
        await self.call(http, "login", "POST", "/api/auth/session/", json={**body, "facility": self.m["facility_id"]})
        return http

    async def learner(self, http, number: int, t0: float) -> None:
        rng = random.Random(number)
        lo, hi = self.args.think
        await asyncio.sleep(max(0.0, t0 + rng.uniform(0, self.args.window) - time.monotonic()))
        token = next((c.value for c in http.cookie_jar if c.key == "kolibri_csrftoken"), "")
        headers = {"X-CSRFToken": token}
        classroom = f"/learn/api/learnerclassroom/{self.m['classroom_id']}/"
        nodes = {
            "ids": ",".join(sorted({q["exercise_id"] for q in self.m["questions"]})),
            "no_available_filtering": "true",
        }
        await self.call(http, "class_page", "GET", classroom)
        await self.call(http, "quiz_page", "GET", f"/api/exams/exam/{self.m['exam_id']}/")
        started = await self.call(
            http, "start", "POST", "/api/logger/trackprogress/", json={"quiz_id": self.m["exam_id"]}, headers=headers
        )
        if not started:
            return
        session_id = started["session_id"]
        questions = self.m["questions"]
        for k, question in enumerate(questions):
            await self.call(http, "question_gets", "GET", classroom)
            await self.call(http, "question_gets", "GET", "/api/content/contentnode/", params=nodes)
            await asyncio.sleep(rng.uniform(lo, hi))
            key = self.m["answer_key"][question["item"]]
            pick = rng.randrange(len(key["choices"]))
            chosen = [j == pick for j in range(len(key["choices"]))]
            body = {
                "time_spent_delta": 5.0,
                "interactions": [
                    {
                        "item": question["item"],
                        "answer": {"question": {"radio 1": {"selectedChoices": chosen}}},
                        "simple_answer": "",
                        "correct": pick == key["correct_index"],
                        "time_spent": 5.0,
                        "replace": True,
                    }
                ],
            }
            last = k == len(questions) - 1
            if last:
                body["progress_delta"] = 1
            kind = "answer_submit" if last else "answer"
            path = f"/api/logger/trackprogress/{session_id}/"
            if await self.call(http, kind, "PUT", path, json=body, headers=headers) is not None:
                self.acknowledged += 1


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000 if ordered else float("nan")


async def run(base: str, manifest: dict, args, pid: int) -> tuple[Load, float, float]:
    load = Load(base, manifest, args)
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=1.5)
    gate = asyncio.Semaphore(4)
    numbers = range(args.first, args.first + args.n)

    async def login(number: int):
        async with gate:
            return await load.login(connector, number)

    t = time.monotonic()
    sessions = await asyncio.gather(*(login(i) for i in numbers))
    print(f"logins: {args.n} in {time.monotonic() - t:.0f} s, {load.errors.pop('login', 0)} errors (not counted below)")
    load.times.pop("login", None)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.wait_for(
        asyncio.gather(*(load.learner(http, i, t0) for http, i in zip(sessions, numbers, strict=True))),
        timeout=args.max_seconds,
    )
    wall, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
    for http in sessions:
        await http.close()
    await connector.close()
    return load, wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=100, help="learners taking the quiz at once")
    ap.add_argument("--think", default="5-15", help="think time per question, seconds (lo-hi)")
    ap.add_argument("--window", type=float, default=60, help="learners arrive within this many seconds")
    ap.add_argument("--dir", help="scratch folder for Kolibri (default: a new temporary folder, removed after)")
    ap.add_argument("--setup", default=default_setup(), help="the offline set-up script of the shared folder")
    ap.add_argument("--first", type=int, default=1, help="first learner number")
    ap.add_argument("--max-seconds", type=float, default=1800)
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    lo, _, hi = args.think.partition("-")
    args.think = (float(lo), float(hi or lo))
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="kolibri-peer-"))
    port = free_port()
    pid, manifest = set_up(args.setup, folder, port, args.first + args.n - 1)
    try:
        load, wall, cpu = asyncio.run(run(f"http://127.0.0.1:{port}", manifest, args, pid))
    finally:
        os.kill(pid, signal.SIGTERM)
        for _ in range(150):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
    total = sum(len(v) for v in load.times.values())
    errors = sum(load.errors.values())
    every = [t for v in load.times.values() for t in v]
    print(
        f"\nKolibri, N={args.n}, think {args.think[0]:g}-{args.think[1]:g} s, window {args.window:g} s: "
        f"wall {wall:.0f} s, "
        f"{total} requests ({total / wall:.1f} req/s), errors {errors}, p95 all {pct(every, 95):.0f} ms; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    print(f"{'kind':14} {'count':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>6}")
    for kind, times in sorted(load.times.items()):
        print(
            f"{kind:14} {len(times):6d} {pct(times, 50):7.0f} {pct(times, 95):7.0f} {pct(times, 99):7.0f} "
            f"{load.errors[kind]:6d}"
        )
    print(
        f"server CPU: {cpu:.1f} s = {cpu / max(total, 1) * 1000:.1f} ms per request, "
        f"{cpu / max(load.acknowledged, 1) * 1000:.1f} ms per acknowledged answer ({cpu / wall:.0%} of one CPU)"
    )
    if load.samples:
        print("error samples:", load.samples)
    database = folder / "home" / "db.sqlite3"
    with sqlite3.connect(database) as db:
        stored = db.execute(
            "SELECT count(*) FROM logger_attemptlog a JOIN kolibriauth_facilityuser u ON u.id = a.user_id "
            "WHERE u.username BETWEEN ? AND ?",
            (f"learner{args.first:04d}", f"learner{args.first + args.n - 1:04d}"),
        ).fetchone()[0]
    ok = stored >= load.acknowledged
    print(
        f"check: {load.acknowledged} acknowledged answers, {stored} AttemptLog rows: {'OK' if ok else 'LOST ANSWERS'}"
    )
    if not args.keep and not args.dir:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
