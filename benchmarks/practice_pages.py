"""Practice through the app: every bundled scenario done by its reference solution, page by page.

    .venv/bin/python benchmarks/practice_pages.py [--rounds 3]

A scratch SQLite file (migrated) gets the four bundled courses with their practice scenarios (timed:
reading, validating and replaying every reference solution included). One official, logged in
through a test client, then does every scenario ``--rounds`` times: start, and for each step of the
reference solution the replica page (GET) and the step's form (POST, saved), then "Kiểm tra kết quả"
(POST, recorded) and starting again. Prints the median and the 90th percentile of each kind of
request and the size of the solved states (JSON). Figures, not assertions: say the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="practice-bench-")
    os.environ.pop("DATABASE_URL", None)

    from flask_migrate import upgrade

    from lms import create_app
    from lms.auth.models import Role
    from lms.extensions import db
    from practice import services
    from tests.factories import login_as, make_user
    from tests.practice.helpers import load_all_practice

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" * 8,
            "WTF_CSRF_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.sqlite3",
            "INSTANCE_DIR": workdir,
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        upgrade(revision="heads")
        started = time.perf_counter()
        scenarios = load_all_practice(db.session)
        db.session.commit()
        print(f"4 courses with {len(scenarios)} scenarios loaded in {time.perf_counter() - started:.2f} s")
        user = make_user(db.session, Role.OFFICIAL)
        plans = [(s.id, s.slug, s.spec["solution"]) for s in scenarios]
        client = app.test_client()
        login_as(client, user)
        timings: dict[str, list[float]] = {"page (GET)": [], "step (POST, saved)": [], "check (POST, recorded)": []}
        sizes: list[int] = []

        def timed(kind, call, url, expect, **kwargs):
            started = time.perf_counter()
            response = call(url, **kwargs)
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code in expect, (kind, url, response.status_code)
            return response

        for _round in range(args.rounds):
            for scenario_id, slug, steps in plans:
                base = f"/practice/{scenario_id}"
                client.post(f"{base}/start")
                for step in steps:
                    timed("page (GET)", client.get, f"{base}/app/", {200})
                    form = {"step": step["do"], **step["form"]}
                    timed("step (POST, saved)", client.post, f"{base}/do/{step['do']}", {302}, data=form)
                timed("check (POST, recorded)", client.post, f"{base}/check", {302})
                db.session.expire_all()
                run = services.get_run(db.session, user.official_id, scenario_id)
                assert run.passed, slug
                sizes.append(len(json.dumps(run.state, ensure_ascii=False).encode()))
                client.post(f"{base}/restart")
        for kind, values in timings.items():
            print(
                f"{kind:24} median {statistics.median(values) * 1000:6.1f} ms, "
                f"p90 {p90(values) * 1000:6.1f} ms ({len(values)} requests)"
            )
        print(f"solved states: median {statistics.median(sizes) / 1024:.1f} KB, largest {max(sizes) / 1024:.1f} KB")
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
