import random
from datetime import date, timedelta

from sqlalchemy import select

from certificates.services import revoke_certificate
from competency.models import NO_EXPIRY, CompetencyRecord, CompetencySummary
from competency.records import compute_records, recompute_records
from lms.time import local_today
from lms.topics import Topic
from tests.competency.factories import NOW, certify, graded_attempt, make_final_quiz, topic_setup
from tests.factories import make_official, make_unit
from tests.practice.factories import make_scenario, pass_exercise

FIELDS = (
    "status",
    "best_percent",
    "attempts_count",
    "last_activity_at",
    "certificate_id",
    "cert_expires_on",
    "practice_passed",
)


def stored(session) -> dict:
    """The records, without empty "not started" rows (a revoked only certificate leaves one): no row
    and an empty row mean the same."""
    return {
        (r.official_id, r.topic.value): {f: getattr(r, f) for f in FIELDS}
        for r in session.scalars(select(CompetencyRecord))
        if not (
            r.status == "not_started" and r.attempts_count == 0 and r.certificate_id is None and not r.practice_passed
        )
    }


def summaries(session) -> dict:
    """The per-official summary rows, as plain values."""
    columns = [c.name for c in CompetencySummary.__table__.columns]
    return {
        row.official_id: {c: getattr(row, c) for c in columns}
        for row in session.scalars(select(CompetencySummary).execution_options(populate_existing=True))
    }


def summaries_from_records(session) -> dict:
    """What the summaries should hold, folded in Python from the stored records (the test's own rule)."""
    out: dict[int, dict] = {}
    for r in session.scalars(select(CompetencyRecord)):
        row = out.setdefault(
            r.official_id,
            {
                "official_id": r.official_id,
                "participated": 0,
                "n_best": 0,
                "sum_best": None,
                **{f"cert_until_{t.value}": None for t in Topic},
                "practice_passed": 0,
            },
        )
        row["participated"] = max(row["participated"], 1 if r.attempts_count else 0)
        if r.best_percent is not None:
            row["n_best"] += 1
            row["sum_best"] = (row["sum_best"] or 0) + r.best_percent
        if r.status == "cert_valid":
            row[f"cert_until_{r.topic.value}"] = r.cert_expires_on or NO_EXPIRY
        row["practice_passed"] += r.practice_passed or 0
    return out


def expected(session) -> dict:
    return {k: {f: v[f] for f in FIELDS} for k, v in compute_records(session, local_today()).items()}


def test_receivers_follow_attempts_and_certificates(session):
    t = topic_setup(session)
    person = make_official(session)
    course, quiz = t[Topic.EMAIL]
    graded_attempt(session, quiz, person, 40)
    (r,) = session.scalars(select(CompetencyRecord)).all()
    assert (r.status, r.best_percent, r.attempts_count) == ("in_progress", 40, 1)
    graded_attempt(session, quiz, person, 85)
    assert (r.status, r.best_percent, r.attempts_count) == ("passed", 85, 2)
    cert = certify(session, person, course)
    assert (r.status, r.certificate_id) == ("cert_valid", cert.id)
    graded_attempt(session, quiz, person, 60)  # a later lower score keeps the best and the certificate
    assert (r.status, r.best_percent, r.attempts_count) == ("cert_valid", 85, 3)
    revoke_certificate(session, None, cert, "Cấp nhầm")
    assert (r.status, r.certificate_id) == ("passed", None)


def test_practice_quizzes_count_as_activity_but_not_as_score(session):
    t = topic_setup(session)
    person = make_official(session)
    practice = make_final_quiz(session, t[Topic.QLVB][0], is_final=False)
    graded_attempt(session, practice, person, 100)
    (r,) = session.scalars(select(CompetencyRecord)).all()
    assert (r.status, r.best_percent, r.attempts_count) == ("in_progress", None, 1)
    assert stored(session) == expected(session)


def test_expired_certificate_reads_as_expired(session):
    t = topic_setup(session)
    person = make_official(session)
    course, _quiz = t[Topic.PORTAL]
    certify(session, person, course, issued_on=date(2023, 1, 10))  # 24 months -> expired 2025
    (r,) = session.scalars(select(CompetencyRecord)).all()
    assert r.status == "cert_expired" and r.cert_expires_on == date(2025, 1, 10)
    fresh = certify(session, person, course, issued_on=local_today())
    assert (r.status, r.certificate_id) == ("cert_valid", fresh.id)
    assert r.status_on(fresh.expires_on + timedelta(days=1)) == "cert_expired"


def test_incremental_records_equal_a_full_recomputation(session):
    """Seeded random history through the receivers, then the same figures rebuilt from the sources."""
    rng = random.Random(20141)
    t = topic_setup(session)
    practice = {topic: make_final_quiz(session, course, is_final=False) for topic, (course, _q) in t.items()}
    exercises = {topic: [make_scenario(session, course) for _ in range(2)] for topic, (course, _q) in t.items()}
    units = [make_unit(session) for _ in range(3)]
    people = [make_official(session, rng.choice(units)) for _ in range(12)]
    certs, done = [], set()
    for step in range(160):
        person = rng.choice(people)
        topic = rng.choice(list(Topic))
        course, final = t[topic]
        roll = rng.random()
        when = NOW - timedelta(days=rng.randint(0, 400), minutes=step)
        if roll < 0.55:
            graded_attempt(session, final, person, round(rng.uniform(20, 100), 2), at=when)
        elif roll < 0.63:
            graded_attempt(session, practice[topic], person, round(rng.uniform(0, 100), 2), at=when)
        elif roll < 0.7:
            exercise = rng.choice(exercises[topic])
            if (person.id, exercise.id) not in done:  # an exercise counts once, at its first success
                done.add((person.id, exercise.id))
                pass_exercise(session, person, exercise, at=when)
        elif roll < 0.9:
            day = local_today() - timedelta(days=rng.choice([0, 30, 400, 800, 900]))
            certs.append(certify(session, person, course, issued_on=day))
        elif certs:
            cert = rng.choice(certs)
            if cert.status == "valid":
                revoke_certificate(session, None, cert, "Thử thu hồi")
    session.commit()
    incremental = stored(session)
    assert incremental == expected(session)
    assert len(incremental) > 20
    statuses = {v["status"] for v in incremental.values()}
    assert {"in_progress", "passed", "cert_valid", "cert_expired"} <= statuses
    # the per-official summaries, kept by every flush that wrote records, fold the records exactly
    kept = summaries(session)
    assert _close(kept, summaries_from_records(session))
    assert len(kept) == len({r.official_id for r in session.scalars(select(CompetencyRecord))})
    assert any(row["n_best"] > 1 for row in kept.values())
    assert any(row[f"cert_until_{t.value}"] for row in kept.values() for t in Topic)
    assert any(row["practice_passed"] > 1 for row in kept.values())
    recompute_records(session)
    session.commit()
    assert stored(session) == incremental
    assert _close(summaries(session), kept)  # rebuilt from scratch: the same rows


def _close(a: dict, b: dict) -> bool:
    """Equal, sums of floats to 1e-9 (SQL and Python add in different orders)."""
    assert a.keys() == b.keys()
    for key in a:
        left, right = dict(a[key]), dict(b[key])
        ls, rs = left.pop("sum_best"), right.pop("sum_best")
        assert left == right, key
        assert (ls is None and rs is None) or abs(ls - rs) < 1e-9, key
    return True


def test_summary_follows_records_written_directly_and_deleted(session):
    """Any ORM write of a record (not only the receivers) keeps the summary; deleting an official's
    last record removes their summary row."""
    person = make_official(session)
    record = CompetencyRecord(
        official_id=person.id,
        topic=Topic.PORTAL,
        status="cert_valid",
        attempts_count=2,
        best_percent=81.5,
        cert_expires_on=date(2027, 3, 1),
    )
    session.add(record)
    session.flush()
    (row,) = summaries(session).values()
    assert (row["participated"], row["n_best"], row["sum_best"]) == (1, 1, 81.5)
    assert row["cert_until_portal"] == date(2027, 3, 1) and row["cert_until_email"] is None
    record.status, record.cert_expires_on = "cert_valid", None  # a certificate without expiry
    session.add(
        CompetencyRecord(official_id=person.id, topic=Topic.EMAIL, status="passed", attempts_count=1, best_percent=70.0)
    )
    session.flush()
    (row,) = summaries(session).values()
    assert (row["n_best"], row["sum_best"], row["cert_until_portal"]) == (2, 151.5, NO_EXPIRY)
    for r in session.scalars(select(CompetencyRecord)).all():
        session.delete(r)
    session.flush()
    assert summaries(session) == {}


def test_every_topic_has_a_summary_column():
    from competency.models import cert_until_column

    assert [cert_until_column(t.value).key for t in Topic] == [f"cert_until_{t.value}" for t in Topic]
