"""Certificate PDFs through the application vs. the raw WeasyPrint floor.

    .venv/bin/python benchmarks/cert_render_app.py [-n 500] [--workers N]

Three ways, each in its own process (so every peak RSS is its own):

* floor: ``HTML(string=html).write_pdf(...)`` on one pre-rendered HTML string with the renderer's CSS and
  FontConfiguration reused (the same code as ``cert_render_floor.py``), N times;
* single: the app's path per certificate: load the row -> ``render_data`` -> HTML -> PDF -> file written
  atomically -> SHA-256 recorded (``services.ensure_pdf``), one commit per 200;
* batch: ``services.render_missing(session_factory, ids, workers)``: a spawn pool, plain dicts to the workers,
  ids streamed in chunks.

A scratch SQLite database (migrated with Alembic) holds N officials with one certificate each.
Prints ms/certificate (wall), the ratio to the floor, and peak RSS (VmHWM of the process; for the batch
also the largest worker, from ``getrusage(RUSAGE_CHILDREN)``), and CPU ms/certificate (steadier than wall
time on a shared machine; the batch's CPU adds the workers').
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def vm_hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_app(workdir: Path):
    from lms import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "PUBLIC_BASE_URL": "https://hoctap.vinhphuc.gov.vn",
            "CERT_STORAGE_DIR": str(workdir / "pdf"),
            "CERT_RENDER_ON_ISSUE": False,
            "INSTANCE_DIR": str(workdir),
        }
    )


def setup(workdir: Path, n: int) -> dict:
    from datetime import date

    from flask_migrate import upgrade

    from certificates import services
    from courses.models import Course
    from lms.extensions import db
    from lms.org.models import Official, Unit, UnitKind
    from lms.topics import Topic

    app = make_app(workdir)
    with app.app_context():
        upgrade(revision="heads")
        unit = Unit(code="H-TAMDAO", name="Văn phòng Ủy ban nhân dân huyện Tam Đảo", kind=UnitKind.HUYEN)
        db.session.add(unit)
        course = Course(
            slug="qlvb",
            title="Kỹ năng sử dụng thư điện tử công vụ và hệ thống quản lý văn bản điều hành",
            topic=Topic.QLVB,
            validity_months=24,
        )
        db.session.add(course)
        db.session.flush()
        families = ["Nguyễn", "Trần", "Lê", "Đặng", "Phạm", "Hoàng"]
        middles = ["Thị Thủy", "Văn", "Hoàng Phương", "Thị Ánh"]
        givens = ["Hằng", "Minh", "Anh", "Tuyết", "Dũng", "Hạnh"]
        for i in range(n):
            official = Official(
                family_name=families[i % 6],
                middle_name=middles[i % 4],
                given_name=givens[(i // 3) % 6],
                unit_id=unit.id,
                code=f"B-{i:06d}",
            )
            official.refresh_derived()
            db.session.add(official)
            db.session.flush()
            services.issue_certificate(db.session, official, course, 80 + i % 20, f"bench:{i}", date(2026, 3, 5))
            if i % 500 == 499:
                db.session.commit()
        db.session.commit()
    return {"n": n}


def floor(workdir: Path, n: int) -> dict:
    from weasyprint import HTML

    from benchmarks.cert_render_floor import sample
    from certificates.render import TEMPLATE_DIR, get_renderer

    renderer = get_renderer()
    html = renderer.html(sample(0))
    css, fc = renderer.stylesheet, renderer.font_config
    for _ in range(3):  # warm-up: the first layout loads the fonts
        HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(stylesheets=[css], font_config=fc)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(stylesheets=[css], font_config=fc)
    return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0}


def single(workdir: Path, n: int) -> dict:
    from sqlalchemy import select

    from certificates import services
    from certificates.models import Certificate
    from certificates.render import get_renderer
    from lms.extensions import db

    app = make_app(workdir)
    app.config["CERT_STORAGE_DIR"] = str(workdir / "pdf-single")
    with app.app_context():
        get_renderer().pdf(services.render_data(db.session.get(Certificate, 1), "https://x/verify/A"))  # warm-up
        ids = list(db.session.scalars(select(Certificate.id).order_by(Certificate.id)))
        settings = services.get_settings()
        t0, c0 = time.perf_counter(), time.process_time()
        for k, cert_id in enumerate(ids, 1):
            cert = db.session.get(Certificate, cert_id)
            services.ensure_pdf(db.session, cert, settings)
            if k % 200 == 0:
                db.session.commit()
                db.session.expunge_all()
        db.session.commit()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": seconds, "cpu": cpu, "files": len(list((workdir / "pdf-single").iterdir()))}


def batch(workdir: Path, n: int, workers: int) -> dict:
    from sqlalchemy.orm import Session

    from certificates import services
    from lms.extensions import db

    app = make_app(workdir)
    app.config["CERT_STORAGE_DIR"] = str(workdir / "pdf-batch")
    with app.app_context():
        engine = db.engine
        ids = list(services.render_selection_ids(db.session))
        db.session.commit()
        t0, c0 = time.perf_counter(), time.process_time()
        stats = services.render_missing(
            lambda: Session(engine, expire_on_commit=False), iter(ids), workers=workers, force=True
        )
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, once joined
    return {
        "seconds": seconds,
        "cpu": cpu + usage.ru_utime + usage.ru_stime,  # includes the workers' start-up (imports)
        "rendered": stats.rendered,
        "failed": len(stats.failed),
        "worker_rss": usage.ru_maxrss / 1024,
    }


def child(args) -> None:
    workdir = Path(args.workdir)
    if args.mode == "setup":
        result = setup(workdir, args.n)
    elif args.mode == "floor":
        result = floor(workdir, args.n)
    elif args.mode == "single":
        result = single(workdir, args.n)
    else:
        result = batch(workdir, args.n, args.workers)
    result["rss"] = vm_hwm_mib()
    print("RESULT " + json.dumps(result))


def run(mode: str, workdir: Path, n: int, workers: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--workdir",
        str(workdir),
        "-n",
        str(n),
        "--workers",
        str(workers),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="certificates (default 500)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="batch processes (default: CPUs)")
    parser.add_argument("--modes", default="floor,single,batch", help="comma-separated subset to run")
    parser.add_argument("--child", dest="mode", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        child(args)
        return

    from certificates.render import harfbuzz_subset_available

    with tempfile.TemporaryDirectory(prefix="cert-bench-") as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        run("setup", workdir, args.n, args.workers)
        print(f"set-up: {args.n} officials + certificates in {time.perf_counter() - t0:.1f} s")
        print(f"harfbuzz-subset: {harfbuzz_subset_available()}; CPUs: {os.cpu_count()}; workers: {args.workers}")
        modes = args.modes.split(",")
        results = {
            mode: run(mode, workdir, args.n, args.workers) for mode in ("floor", "single", "batch") if mode in modes
        }
        floor_r = results.get("floor", {"seconds": float("nan"), "cpu": float("nan")})
        floor_ms = floor_r["seconds"] * 1000 / args.n
        floor_cpu = floor_r["cpu"] * 1000 / args.n
        labels = {"floor": "floor (raw WeasyPrint)", "single": "app single process", "batch": "app batch"}
        print(f"n = {args.n}")
        for mode, r in results.items():
            label = labels[mode] + (f", {args.workers} workers" if mode == "batch" else "")
            extra = f"; largest worker {r['worker_rss']:.0f} MiB" if mode == "batch" else ""
            ms, cpu = r["seconds"] * 1000 / args.n, r["cpu"] * 1000 / args.n
            print(
                f"{label:28s} wall {ms:7.2f} ms/cert ({ms / floor_ms:4.2f}x floor) | "
                f"CPU {cpu:7.2f} ms/cert ({cpu / floor_cpu:4.2f}x) | peak RSS {r['rss']:.0f} MiB{extra}"
            )
        print(f"ideal batch (floor / workers): {floor_ms / args.workers:.2f} ms/certificate")


if __name__ == "__main__":
    main()
