"""A month of usage for a province of 30,000 officials: import three files, compute the indicators.

    .venv/bin/python benchmarks/adoption.py [--officials 30000] [--units 150] [-n 7]
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python benchmarks/adoption.py   # an empty database

Builds the province in a fresh database (a temporary SQLite file unless ``DATABASE_URL`` is set; the
schema by the migrations), writes the three monthly exports as CSV (e-mail: one row per mailbox, 1%
of them written differently so they stay unmatched; document software: one row per account; portals:
one row per unit), then measures (median of N, wall and CPU ms of this thread):

* **import**, per file and for the three: read + validate (``read_usage_file``), then
  ``import_usage`` (matching, rows written, the month rebuilt) and the commit; against the floor of
  the import: the same rows inserted as they are, already matched, plus the month's 30,000 roster
  rows inserted (the writes any import must make), committed;
* **indicators**: ``province_indicators`` with its cache emptied each run, against the floor of two
  hand-written aggregate queries over the same tables (the officials' month grouped by unit kind and
  category, the units' month grouped by kind), measured alternately run by run for the ratio; then
  served from the cache;
* **the province page** ``GET /adoption/`` through the test client, cold (caches emptied) and warm.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOR_OFFICIALS_SQL = """
SELECT u.kind, om.category, count(*),
       sum(CASE WHEN om.mail_used THEN 1 ELSE 0 END), sum(CASE WHEN om.mail_used IS NULL THEN 1 ELSE 0 END),
       sum(CASE WHEN om.dms_used THEN 1 ELSE 0 END)
FROM adoption_official_month om JOIN unit u ON u.id = om.unit_id
WHERE om.month = :month
GROUP BY u.kind, om.category
"""
FLOOR_UNITS_SQL = """
SELECT u.kind, count(*),
       sum(CASE WHEN um.dms_processed + um.dms_signed > 0 THEN 1 ELSE 0 END),
       sum(um.dms_received), sum(um.dms_processed), sum(um.dms_sent), sum(um.dms_signed),
       sum(CASE WHEN um.has_portal THEN 1 ELSE 0 END),
       sum(CASE WHEN um.has_portal AND um.portal_last_update >= :fresh THEN 1 ELSE 0 END)
FROM adoption_unit_month um JOIN unit u ON u.id = um.unit_id
WHERE um.month = :month AND um.officials > 0
GROUP BY u.kind
"""


def timed(fn, n: int, before=None) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(n):
        if before is not None:
            before()
        t0, c0 = time.perf_counter(), time.thread_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def build_province(session, units: int, officials: int, seed: int = 11) -> list[tuple[int, str, int]]:
    """Units (a quarter sở/ngành, the rest communes) and officials, bulk inserted; returns
    (official id, e-mail, unit id)."""
    from sqlalchemy import insert, select

    from lms.org.models import Category, Level, Official, Position, Unit, UnitKind
    from lms.text import collation_string, fold

    rng = random.Random(seed)
    unit_rows = []
    for i in range(units):
        kind = UnitKind.SO_BAN_NGANH if i < units // 4 else UnitKind.XA
        name = f"{'Sở' if kind == UnitKind.SO_BAN_NGANH else 'Xã'} Thử nghiệm {i:03d}"
        unit_rows.append({"code": f"B-{i:03d}", "name": name, "kind": kind, "search_text": fold(name)})
    session.execute(insert(Unit), unit_rows)
    unit_ids = list(session.scalars(select(Unit.id).order_by(Unit.id)))
    families, middles, givens = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng"], ["Văn", "Thị", "Minh"], ["An", "Bình", "Hà"]
    rows = []
    for i in range(officials):
        family, middle, given = rng.choice(families), rng.choice(middles), f"{rng.choice(givens)} {i}"
        email = f"cb{i:05d}@tinh.gov.vn"
        rows.append(
            {
                "code": f"CB{i:05d}",
                "family_name": family,
                "middle_name": middle,
                "given_name": given,
                "email": email,
                "unit_id": unit_ids[i % len(unit_ids)],
                "position": Position.SPECIALIST,
                "category": rng.choice(list(Category)),
                "level": Level.XA,
                "active": True,
                "search_text": fold(f"{family} {middle} {given} {email}"),
                "sort_key": collation_string(family, middle, given, None),
            }
        )
    for start in range(0, len(rows), 10_000):
        session.execute(insert(Official), rows[start : start + 10_000])
    session.commit()
    return [
        (oid, email, uid) for oid, email, uid in session.execute(select(Official.id, Official.email, Official.unit_id))
    ]


def exports(people, units, month: date, seed: int = 5) -> dict:
    """The three files of the month, as CSV bytes."""
    from adoption.imports import COLUMNS
    from adoption.models import System

    rng = random.Random(seed)
    last = date(month.year, month.month, 20)

    def csv_bytes(system, rows):
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([c.label for c in COLUMNS[system]])
        keys = [c.key for c in COLUMNS[system]]
        for row in rows:
            writer.writerow([row.get(k, "") for k in keys])
        return buf.getvalue().encode("utf-8-sig")

    mail = []
    for i, (_oid, email, _uid) in enumerate(people):
        used = rng.random() < 0.7
        address = email if i % 100 else email.replace("@", ".khac@")  # 1% unmatched
        mail.append(
            {
                "mailbox": address,
                "last_login": (last if used else date(2025, 1, 5)).strftime("%d/%m/%Y"),
                "messages_sent": str(rng.randint(0, 30) if used else 0),
            }
        )
    dms = []
    for _oid, email, _uid in people:
        received, sent = rng.randint(0, 40), rng.randint(0, 12)
        dms.append(
            {
                "account": email.split("@")[0],
                "received": str(received),
                "processed": str(rng.randint(0, received)),
                "sent": str(sent),
                "signed": str(rng.randint(0, sent)),
            }
        )
    portal = [
        {
            "unit": f"B-{i:03d}",
            "portal": f"b{i:03d}.tinh.gov.vn",
            "articles": str(rng.randint(0, 20)),
            "last_update": date(month.year, month.month, rng.randint(1, 28)).strftime("%d/%m/%Y"),
        }
        for i in range(len(units))
    ]
    return {
        System.EMAIL: csv_bytes(System.EMAIL, mail),
        System.DMS: csv_bytes(System.DMS, dms),
        System.PORTAL: csv_bytes(System.PORTAL, portal),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=30_000)
    parser.add_argument("--units", type=int, default=150)
    parser.add_argument("-n", type=int, default=7, help="runs per measure (median)")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="adoption-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp.name}/bench.sqlite3"
    from flask_migrate import upgrade
    from sqlalchemy import text

    from adoption import cache
    from adoption.imports import read_usage_file
    from adoption.indicators import Filters, province_indicators
    from adoption.models import OfficialMonth, System, UsageImport, UsageRow
    from adoption.months import add_months, local_today, month_start
    from adoption.services import import_usage
    from lms import create_app
    from lms.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_DIR": tmp.name,
            "SECRET_KEY": "bench",
            "IMPORT_MAX_ROWS": 200_000,
            "SERVER_NAME": "localhost",
        }
    )
    with app.app_context():
        upgrade(revision="heads")
        session = db.session
        t0 = time.perf_counter()
        people = build_province(session, args.units, args.officials)
        units = list(range(args.units))
        print(
            f"database {db.engine.dialect.name}; province of {len(people)} officials in {args.units} units "
            f"built in {time.perf_counter() - t0:.1f} s"
        )
        month = add_months(month_start(local_today()), -1)
        files = exports(people, units, month)
        print("files: " + ", ".join(f"{s.value} {len(b) / 1e6:.1f} MB" for s, b in files.items()))

        def do_import(system):
            parsed = read_usage_file(system, month, f"{system.value}.csv", files[system], 200_000)
            assert parsed.ok, parsed.errors[:3]
            import_usage(session, parsed, f"{system.value}.csv")
            session.commit()

        by_email = {email: (oid, uid) for oid, email, uid in people}

        def floor_import(system):
            """The writes any import must make: the rows as they are (matched by a dict lookup) and the
            month's roster, committed (the import's own batch row first)."""
            from adoption.imports import read_usage_file as read

            parsed = read(system, month, f"{system.value}.csv", files[system], 200_000)
            session.execute(UsageRow.__table__.delete())
            session.execute(UsageImport.__table__.delete())
            session.execute(OfficialMonth.__table__.delete().where(OfficialMonth.month == month))
            batch = session.execute(
                UsageImport.__table__.insert().returning(UsageImport.id),
                {
                    "system": system,
                    "month": month,
                    "filename": "floor",
                    "rows": 0,
                    "matched": 0,
                    "unmatched": 0,
                    "created_at": __import__("lms.database", fromlist=["utcnow"]).utcnow(),
                },
            ).scalar_one()
            rows = []
            for r in parsed.rows:
                v = r.values
                key = v.get("mailbox") or (v.get("account", "") + "@tinh.gov.vn")
                oid = by_email.get(key, (None, None))[0]
                rows.append(
                    {
                        "import_id": batch,
                        "row_number": r.row_number,
                        "key": key,
                        "label": key,
                        "name": "",
                        "unit_text": v.get("unit", ""),
                        "official_id": oid,
                        "last_login_on": v.get("last_login"),
                        "messages_sent": v.get("messages_sent"),
                        "received": v.get("received"),
                        "processed": v.get("processed"),
                        "sent": v.get("sent"),
                        "signed": v.get("signed"),
                    }
                )
            session.execute(UsageRow.__table__.insert(), rows)
            session.execute(
                OfficialMonth.__table__.insert(),
                [
                    {"month": month, "official_id": oid, "unit_id": uid, "category": "cong_chuc"}
                    for oid, _e, uid in people
                ],
            )
            session.commit()

        def reset_imports():
            session.execute(UsageRow.__table__.delete())
            session.execute(UsageImport.__table__.delete())
            session.execute(OfficialMonth.__table__.delete())
            session.commit()

        print(f"\nimport, median of {args.n} (wall / CPU of this thread, ms):")
        totals = [0.0, 0.0, 0.0, 0.0]
        for system in (System.EMAIL, System.DMS, System.PORTAL):
            wall, cpu = timed(lambda s=system: do_import(s), args.n)
            fwall, fcpu = timed(lambda s=system: floor_import(s), args.n)
            reset_imports()
            for i, v in enumerate((wall, cpu, fwall, fcpu)):
                totals[i] += v
            print(
                f"  {system.value:7} import {wall:8.0f} / {cpu:8.0f}   floor {fwall:8.0f} / {fcpu:8.0f}   "
                f"ratio (wall) {wall / fwall:5.2f}x"
            )
        print(
            f"  three files: import {totals[0]:.0f} / {totals[1]:.0f}, floor {totals[2]:.0f} / {totals[3]:.0f}, "
            f"ratio (wall) {totals[0] / totals[2]:.2f}x"
        )
        for system in (System.EMAIL, System.DMS, System.PORTAL):
            do_import(system)
        ind = province_indicators(session, month, Filters())
        t = ind.total
        print(
            f"  month {month:%m/%Y}: {t.dms_units}/{t.units} units on the document software, "
            f"{t.portals_fresh}/{t.portals} portals updated, {t.mail_users}/{t.officials} officials on e-mail; "
            f"{dict(ind.unmatched)} unmatched rows"
        )

        fresh_day = month.replace(day=1)
        floor_rows = lambda: (  # noqa: E731
            session.execute(text(FLOOR_OFFICIALS_SQL), {"month": month}).all(),
            session.execute(text(FLOOR_UNITS_SQL), {"month": month, "fresh": fresh_day}).all(),
        )
        cold = lambda: province_indicators(session, month, Filters())  # noqa: E731
        ratios, walls, floors = [], [], []
        for _ in range(args.n):
            fw, _fc = timed(floor_rows, 1)
            iw, _ic = timed(cold, 1, before=cache.clear)
            floors.append(fw)
            walls.append(iw)
            ratios.append(iw / fw)
        warm_w, warm_c = timed(cold, args.n)
        print(
            f"\nindicators, median of {args.n}: floor (two GROUP BYs) {statistics.median(floors):.1f} ms, "
            f"province_indicators cold {statistics.median(walls):.1f} ms, ratio measured alternately "
            f"{statistics.median(ratios):.2f}x; cached {warm_w:.2f} ms"
        )

        from lms.auth.models import Role
        from lms.auth.services import assign_role, create_user, start_session
        from lms.time import utcnow

        staff = create_user(session, "bench-it", "Bench-pass-123", must_change_password=False)
        assign_role(session, staff, staff, Role.IT_STAFF)
        login = start_session(session, staff, utcnow())
        session.commit()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = login.login_id
            sess["_fresh"] = True

        def page():
            r = client.get(f"/adoption/?month={month:%Y-%m}")
            assert r.status_code == 200

        page_cold = timed(page, args.n, before=cache.clear)
        page_warm = timed(page, args.n)
        print(
            f"province page GET /adoption/: cold {page_cold[0]:.0f} ms (CPU {page_cold[1]:.0f}), "
            f"warm {page_warm[0]:.0f} ms (CPU {page_warm[1]:.0f})"
        )
        session.remove()
        db.engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
