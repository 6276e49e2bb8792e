"""Unit ranking timings on bench data, against the floor of one hand-written GROUP BY.

    DATABASE_URL=sqlite:////tmp/bench.db .venv/bin/python benchmarks/bench_data.py \
        --units 35 --officials 30000 --attempts 1000000
    DATABASE_URL=sqlite:////tmp/bench.db .venv/bin/python benchmarks/rankings.py [-n 20]

Measures (median of N runs, ms):

* floor: ``SELECT o.unit_id, count(*), sum(valid certificate), avg(best) FROM competency_record r JOIN official o
  ... GROUP BY o.unit_id`` by hand (one GROUP BY over the per-official-topic table, no filters, no ranks);
* ranking, cold: ``rank_units(session, RankingFilters())`` with the result cache cleared each run
  (the query, ranks per block, ties, flags, rank change);
* ranking with two filters (topic + official category), cold;
* ranking, warm: served from the result cache;
* the unit head's dashboard page ``GET /competency/units/<id>`` through the test client (the largest
  unit): with the figures cache cleared each run (the ranking query, the staff table page, the
  breakdowns and the template), then as served with the ranking cached (the usual case), and a
  filtered, sorted later page (``?show=failing&sort=score&dir=desc&page=3``), cached;
* the same page right after a committed competency write (the shared cache version bumped), with
  ``RANKING_STALE_SECONDS=300`` (the previous ranking served, a background thread recomputes it; the
  run waits for that thread after the timing, before the next write) and with ``0`` (the request
  recomputes the ranking and the breakdowns);
* the unit's whole staff table as CSV (streamed) and XLSX.

Prints times and the ratios to the floor. CPU is this thread's (``time.thread_time``): SQLite runs in
the calling thread, and the background recompute after a write is not the request's cost (its wall
time still shows the competition for the CPU and the GIL).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOR_SQL = """
SELECT o.unit_id,
       count(*) AS records,
       sum(CASE WHEN r.status = 'cert_valid' THEN 1 ELSE 0 END) AS certified,
       avg(r.best_percent) AS avg_best
FROM competency_record r
JOIN official o ON o.id = r.official_id
GROUP BY o.unit_id
"""


def timed(fn, n: int, before=None, after=None) -> tuple[float, float]:
    """Median wall ms and median CPU ms of this thread (SQLite runs in it; steadier when shared)."""
    wall, cpu = [], []
    for _ in range(n):
        if before is not None:
            before()
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        if after is not None:
            after()
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=15, help="runs per figure (median)")
    args = parser.parse_args()

    from sqlalchemy import func, select, text

    from competency import cache, rankings
    from competency.models import CompetencyRecord
    from competency.rankings import RankingFilters, rank_units
    from competency.records import mark_dirty
    from lms import create_app
    from lms.auth.models import Role, User
    from lms.auth.services import assign_role, create_user, start_session
    from lms.extensions import db
    from lms.org.models import Official
    from lms.time import utcnow

    app = create_app({"WTF_CSRF_ENABLED": False, "SERVER_NAME": "localhost"})
    with app.app_context():
        session = db.session
        url = str(db.engine.url)
        officials = session.scalar(select(func.count()).select_from(Official))
        records = session.scalar(select(func.count()).select_from(CompetencyRecord))
        from quizzes.models import Attempt

        attempts = session.scalar(select(func.count()).select_from(Attempt))
        print(f"database: {url}  officials={officials} records={records} attempts={attempts}  runs={args.n}")

        floor = timed(lambda: session.execute(text(FLOOR_SQL)).all(), args.n)

        def cold(filters):
            def run():
                rankings.clear_cache()
                return rank_units(session, filters)

            return run

        full = timed(cold(RankingFilters()), args.n)
        # the same two, alternating run by run: a shared machine's speed drifts over a minute, and
        # figures taken one after the other can move the ratio by half (seen here: 1.9x to 3.3x)
        floor_runs, full_runs = [], []
        run_floor, run_full = (lambda: session.execute(text(FLOOR_SQL)).all()), cold(RankingFilters())
        for _ in range(args.n):
            floor_runs.append(timed(run_floor, 1)[0])
            full_runs.append(timed(run_full, 1)[0])
        interleaved = statistics.median(floor_runs), statistics.median(full_runs)
        two = timed(cold(RankingFilters(topic="security", category="cong_chuc")), args.n)
        rank_units(session, RankingFilters())
        warm = timed(lambda: rank_units(session, RankingFilters()), args.n)

        # the largest unit's head
        unit_id, size = session.execute(
            select(Official.unit_id, func.count()).group_by(Official.unit_id).order_by(func.count().desc()).limit(1)
        ).one()
        head = session.scalar(select(User).where(User.username == "bench-head"))
        if head is None:
            head = create_user(session, "bench-head", "Bench-pass-123", must_change_password=False)
            session.flush()
        if unit_id not in head.headed_unit_ids:
            from lms.org.models import Unit

            assign_role(session, head, head, Role.UNIT_HEAD, session.get(Unit, unit_id))
        login_id = start_session(session, head, utcnow()).login_id
        session.commit()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = login_id
            sess["_fresh"] = True

        def get(url, cold=False):
            def run():
                if cold:
                    rankings.clear_cache()
                r = client.get(url)
                assert r.status_code == 200, r.status_code
                r.get_data()

            return run

        base = f"/competency/units/{unit_id}"
        dashboard = timed(get(base, cold=True), args.n)
        dashboard_warm = timed(get(base), args.n)
        dashboard_page = timed(get(f"{base}?show=failing&sort=score&dir=desc&page=3"), args.n)

        def write():
            """A committed competency write, as far as the cache can tell (the shared version moves on)."""
            mark_dirty(session)
            session.commit()

        app.config["RANKING_STALE_SECONDS"] = 300
        get(base)()  # the current figures cached
        after_write_stale = timed(get(base), args.n, before=write, after=cache.wait_for_refreshes)
        app.config["RANKING_STALE_SECONDS"] = 0
        after_write_sync = timed(get(base), args.n, before=write)
        csv_export = timed(get(f"{base}/staff.csv"), args.n)
        xlsx_export = timed(get(f"{base}/staff.xlsx"), max(3, args.n // 3))

    rows = [
        ("floor: one GROUP BY by hand", floor),
        ("rank_units, no filters (cold)", full),
        ("rank_units, topic + category (cold)", two),
        ("rank_units, cached", warm),
        (f"unit head dashboard page ({size} officials), cold", dashboard),
        ("  same, ranking cached", dashboard_warm),
        ("  failing, by score desc, page 3, cached", dashboard_page),
        ("  right after a write, stale ranking served (300 s)", after_write_stale),
        ("  right after a write, recomputed in the request (0)", after_write_sync),
        ("  staff.csv (whole table)", csv_export),
        ("  staff.xlsx (whole table)", xlsx_export),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'':<{width}}  {'wall':>9}     {'cpu':>9}     {'wall/floor':>10} {'cpu/floor':>9}")
    for name, (wall, cpu) in rows:
        print(f"{name:<{width}}  {wall:9.2f} ms  {cpu:9.2f} ms  x{wall / floor[0]:9.2f} x{cpu / floor[1]:8.2f}")
    f_wall, r_wall = interleaved
    print(
        f"interleaved (floor, full ranking, floor, ...; wall medians): floor {f_wall:.2f} ms, "
        f"ranking {r_wall:.2f} ms, ratio x{r_wall / f_wall:.2f}"
    )


if __name__ == "__main__":
    main()
