"""A synthetic province for benchmarks (``benchmarks/rankings.py``)::

    DATABASE_URL=sqlite:////tmp/bench.db .venv/bin/python benchmarks/bench_data.py \
        --units 35 --officials 30000 --attempts 1000000 [--seed 7]

It writes every feature's tables directly (a benchmark fixture, not a feature: features write only
their own), so it lives here rather than in a package.

Bulk inserts (``session.execute(insert(Model), rows)`` in chunks, with a progress bar) into whatever
``DATABASE_URL`` points to (migrated): units in the three blocks, officials, a final and a practice
quiz per topic, graded attempts spread over twelve months, a certificate for each first pass of a
final quiz, then the competency records rebuilt from them (``recompute_records``).
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 10_000
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Đức", "Ngọc", "Quốc"]
GIVEN = [
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hùng",
    "Lan",
    "Linh",
    "Mai",
    "Nam",
    "Phương",
    "Quân",
    "Sơn",
    "Thảo",
    "Trang",
    "Tuấn",
    "Việt",
    "Yến",
]


def _chunks(rows, size=CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(session: Session, model, rows: list[dict], label: str) -> None:
    with tqdm(total=len(rows), desc=label, unit="rows", leave=False) as bar:
        for chunk in _chunks(rows):
            session.execute(insert(model), chunk)
            bar.update(len(chunk))


def build_bench_data(session: Session, *, units: int, officials: int, attempts: int, seed: int = 7) -> dict:
    from certificates.models import Certificate, CertificateStatus
    from competency.records import recompute_records
    from courses.models import Course
    from lms.org.models import Category, Level, Official, Position, Unit, UnitKind
    from lms.text import collation_string, fold
    from lms.time import local_today, utcnow
    from lms.topics import Topic
    from quizzes.models import Attempt, AttemptState, Quiz

    started = time.perf_counter()
    rng = random.Random(seed)
    prefix = f"BENCH{seed}"
    if session.scalar(select(func.count()).select_from(Unit).where(Unit.code.like(f"{prefix}-%"))):
        raise RuntimeError(f"bench data with seed {seed} already exists in this database")
    now = utcnow()
    today = local_today()

    kinds = [UnitKind.SO_BAN_NGANH] * 21 + [UnitKind.SU_NGHIEP] * 5 + [UnitKind.HUYEN] * 9
    unit_rows = []
    for i in range(units):
        kind = kinds[i] if i < len(kinds) else UnitKind.XA
        name = {UnitKind.HUYEN: "Huyện thử", UnitKind.XA: "Xã thử", UnitKind.SU_NGHIEP: "Trung tâm thử"}.get(
            kind, "Sở thử"
        )
        code = f"{prefix}-{i + 1:03d}"
        unit_rows.append(
            {"code": code, "name": f"{name} {i + 1:03d}", "kind": kind, "search_text": fold(code), "created_at": now}
        )
    session.execute(insert(Unit), unit_rows)
    unit_ids = list(session.scalars(select(Unit.id).where(Unit.code.like(f"{prefix}-%")).order_by(Unit.id)))

    weights = [rng.uniform(0.3, 1.7) for _ in unit_ids]  # uneven unit sizes
    people = []
    for n in range(officials):
        family, middle, given = rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)
        birth = rng.randint(1965, 2002)
        people.append(
            {
                "code": f"{prefix}-{n + 1:07d}",
                "family_name": family,
                "middle_name": middle,
                "given_name": given,
                "unit_id": rng.choices(unit_ids, weights)[0],
                "position": rng.choice(list(Position)),
                "category": rng.choice(list(Category)),
                "level": rng.choice(list(Level)),
                "birth_year": birth,
                "active": rng.random() > 0.02,
                "search_text": fold(f"{family} {middle} {given}"),
                "sort_key": collation_string(family, middle, given, birth),
                "phone": "",
                "created_at": now,
                "updated_at": now,
            }
        )
    _insert(session, Official, people, "officials")
    official_ids = list(
        session.scalars(select(Official.id).where(Official.code.like(f"{prefix}-%")).order_by(Official.id))
    )
    unit_of = {oid: person["unit_id"] for oid, person in zip(official_ids, people, strict=True)}

    quizzes = {}
    for topic in Topic:
        course = Course(
            slug=f"{prefix.lower()}-{topic.value}",
            topic=topic,
            title=f"Khóa thử {topic.label}",
            published=True,
            validity_months=24,
        )
        session.add(course)
        session.flush()
        final = Quiz(course_id=course.id, topic=topic, title=f"Cuối khóa {topic.value}", is_final=True, published=True)
        practice = Quiz(course_id=course.id, topic=topic, title=f"Luyện tập {topic.value}", published=True)
        session.add_all([final, practice])
        session.flush()
        quizzes[topic.value] = (course, final, practice)

    unit_skill = {u: rng.gauss(70, 8) for u in unit_ids}
    skill = {}
    counters: dict[tuple[int, int], int] = {}
    first_pass: dict[tuple[int, str], tuple[float, datetime]] = {}
    attempt_rows = []
    topics = [t.value for t in Topic]
    topic_weights = [1.0, 0.6, 0.55, 0.85]
    for _ in tqdm(range(attempts), desc="attempts (generate)", unit="rows", leave=False):
        oid = official_ids[int(len(official_ids) * rng.random() ** 1.3)]  # uneven participation
        topic = rng.choices(topics, topic_weights)[0]
        course, final, practice = quizzes[topic]
        quiz = final if rng.random() < 0.6 else practice
        key = (oid, quiz.id)
        number = counters.get(key, 0) + 1
        counters[key] = number
        base = skill.get(oid)
        if base is None:
            base = skill[oid] = rng.gauss(unit_skill[unit_of[oid]], 12)
        percent = float(max(0, min(100, 5 * round((base + rng.gauss(0, 10) + 3 * number) / 5))))
        at = now - timedelta(days=rng.uniform(0, 365))
        passed = percent >= 70.0
        attempt_rows.append(
            {
                "quiz_id": quiz.id,
                "official_id": oid,
                "number": number,
                "state": AttemptState.SUBMITTED,
                "started_at": at - timedelta(minutes=20),
                "submitted_at": at,
                "graded_at": at,
                "score": percent / 5,
                "max_score": 20.0,
                "percent": percent,
                "passed": passed,
                "seed": 1,
            }
        )
        if quiz is final and passed:
            prev = first_pass.get((oid, topic))
            if prev is None or at < prev[1]:
                first_pass[(oid, topic)] = (percent, at)
    _insert(session, Attempt, attempt_rows, "attempts")
    del attempt_rows

    cert_rows = []
    for seq, ((oid, topic), (percent, at)) in enumerate(sorted(first_pass.items()), start=1):
        course = quizzes[topic][0]
        issued = at.date()
        cert_rows.append(
            {
                "official_id": oid,
                "course_id": course.id,
                "unit_id": None,
                "score_percent": percent,
                "issued_on": issued,
                "expires_on": date(issued.year + 2, issued.month, min(issued.day, 28)),
                "serial": f"{prefix}-{seq:07d}",
                "serial_prefix": prefix[:10],
                "year": issued.year,
                "sequence_number": seq,
                "revision": 1,
                "verification_code": secrets.token_hex(16),
                "status": CertificateStatus.VALID,
                "source": f"bench:{oid}:{topic}",
                "holder_name": "",
                "unit_name": "",
                "course_title": course.title,
                "issuer_parent": "",
                "issuer_name": "",
                "signer_title": "",
                "signer_name": "",
                "place": "",
                "pdf_previous_sha256": [],
                "created_at": now,
            }
        )
    _insert(session, Certificate, cert_rows, "certificates")
    t0 = time.perf_counter()
    records = recompute_records(session, today=today)
    recompute_s = time.perf_counter() - t0
    session.commit()
    return {
        "units": len(unit_ids),
        "officials": len(official_ids),
        "attempts": attempts,
        "certificates": len(cert_rows),
        "records": records,
        "recompute_s": round(recompute_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
        "utc": utcnow().isoformat(timespec="seconds"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=35)
    parser.add_argument("--officials", type=int, default=30000)
    parser.add_argument("--attempts", type=int, default=1000000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from lms import create_app
    from lms.extensions import db

    with create_app().app_context():
        figures = build_bench_data(
            db.session, units=args.units, officials=args.officials, attempts=args.attempts, seed=args.seed
        )
    print(", ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
