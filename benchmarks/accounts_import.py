"""Import 30,000 officials into an empty province: accounts created and invitations queued.

    .venv/bin/python benchmarks/accounts_import.py [-n 30000] [--database-url postgresql+psycopg://...]

Builds a scratch database (a temporary SQLite file, or a scratch database created on the PostgreSQL
server of ``--database-url``/``DATABASE_URL`` and dropped afterwards), migrates it, imports 35 units,
then times what IT staff do: read the officials' CSV file, preview it (nothing written), confirm it
(officials written, one account each with no password hashed, one invitation e-mail each queued in
the outbox, in one transaction) and commit. Prints wall and CPU time per phase and the process's peak
resident memory (Linux ``VmHWM``; the whole run, interpreter and app included) and checks the counts.
Goal (issue 14): under 60 s and under 300 MB on the 2-core machine, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

UNITS = 35


def status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])  # kB
    return 0


def postgres_cpu() -> float:
    """CPU seconds used so far by every ``postgres`` process on this machine (the database's share of
    the work, which the app's CPU time does not include); 0 without PostgreSQL."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        if name.startswith("postgres"):
            fields = text[text.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def officials_csv(n: int) -> bytes:
    families = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
    middles = ["Văn", "Thị", "Hữu", "Minh", "Thu", "Quang", "Thanh", "Ngọc"]
    givens = ["An", "Bình", "Chi", "Dũng", "Hằng", "Hùng", "Lan", "Mai", "Nam", "Thủy", "Trang", "Tuấn"]
    lines = ["Mã cán bộ,Họ,Tên đệm,Tên,Email,Mã đơn vị,Năm sinh,Phân loại"]
    for i in range(n):
        lines.append(
            f"CB{i:06d},{families[i % 10]},{middles[i % 8]},{givens[i % 12]},cb{i:06d}@bench.gov.vn,"
            f"DV{i % UNITS:02d},{1960 + i % 40},Công chức"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def units_csv() -> bytes:
    lines = ["Mã đơn vị,Tên đơn vị,Loại"] + [f"DV{i:02d},Đơn vị thử {i},Sở, ban, ngành" for i in range(UNITS)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def scratch_postgres(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"bench_accounts_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-accounts-")
    drop = None
    if args.database_url.startswith("postgresql"):
        url, drop = scratch_postgres(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    else:
        url = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.pop("DATABASE_URL", None)
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from lms import create_app
    from lms.auth.models import AccountToken, User
    from lms.extensions import db
    from lms.mail.models import OutboxMessage
    from lms.org import imports

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" * 8, "INSTANCE_DIR": workdir, "SERVER_NAME": None}
    )
    try:
        with app.app_context():
            upgrade(revision="heads")
            result = imports.import_units(db.session, imports.read_table("units.csv", units_csv()))
            assert result.written, result.errors[:3]
            db.session.commit()
            data = officials_csv(args.n)
            base = status("VmRSS")
            size = len(data) / 1e6
            print(f"database: {db.engine.dialect.name}; {args.n} officials, {UNITS} units; file {size:.1f} MB")
            print(f"resident before the import: {base / 1024:.0f} MB")
            phases = []

            pg = db.engine.dialect.name == "postgresql"

            def timed(label, fn):
                wall, cpu, db_cpu = time.perf_counter(), time.process_time(), postgres_cpu() if pg else 0
                value = fn()
                db_used = postgres_cpu() - db_cpu if pg else 0.0
                phases.append((label, time.perf_counter() - wall, time.process_time() - cpu, db_used))
                return value

            table = timed("read the file", lambda: imports.read_table("officials.csv", data, max_rows=args.n))
            preview = timed("preview (dry run)", lambda: imports.import_officials(db.session, table, dry_run=True))
            assert not preview.errors, preview.errors[:3]
            db.session.rollback()
            digest = preview.digest()
            table = timed("read the file again", lambda: imports.read_table("officials.csv", data, max_rows=args.n))
            written = timed(
                "confirm: officials + accounts + invitations",
                lambda: imports.import_officials(db.session, table, expect_digest=digest),
            )
            assert written.written, (written.errors[:3], written.stale)
            timed("commit", db.session.commit)
            counts = {
                "officials' accounts": db.session.scalar(
                    select(func.count()).select_from(User).where(User.official_id.is_not(None))
                ),
                "accounts without a password": db.session.scalar(
                    select(func.count()).select_from(User).where(User.password_hash == "")
                ),
                "invitation tokens": db.session.scalar(select(func.count()).select_from(AccountToken)),
                "invitations queued": db.session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "account_invite")
                ),
            }
            print(f"{'phase':46} {'wall s':>8} {'CPU s':>8} {'DB CPU s':>9}")
            for label, wall, cpu, db_cpu in phases:
                print(f"{label:46} {wall:8.2f} {cpu:8.2f} {db_cpu:9.2f}")
            total = sum(p[1] for p in phases)
            upload_to_commit = total - phases[0][1] - phases[1][1]
            cpu_total, db_total = sum(p[2] for p in phases), sum(p[3] for p in phases)
            print(f"{'total (upload, preview, confirm)':46} {total:8.2f} {cpu_total:8.2f} {db_total:9.2f}")
            print(f"{'confirm alone (read again, write, commit)':46} {upload_to_commit:8.2f}")
            print(f"peak resident memory of the process (VmHWM): {status('VmHWM') / 1024:.0f} MB")
            for name, value in counts.items():
                print(f"{name}: {value}")
            ok = all(v == args.n for v in counts.values())
            print("counts: OK" if ok else "counts: WRONG")
            print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 CPUs)")
            db.session.remove()
            db.engine.dispose()
    finally:
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()
