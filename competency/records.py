"""Keeping ``CompetencyRecord`` rows up to date, and the result cache's version counter.

* ``attempt_graded`` -> ``apply_attempt``: incremental (count + 1, best = max, last activity, status).
* ``certificate_changed`` -> ``refresh_certificate_part``: re-reads the holder's certificates of the
  topic (a revocation may fall back to an older valid certificate, or to "passed").
* ``practice_passed`` -> ``apply_practice``: one more practice exercise of the topic passed.
* ``recompute_records``: the same figures rebuilt from attempts, certificates and practice in three
  GROUP BY queries (demo history, bench data, repairs, and the test that compares both).

Rules (one place): an attempt counts for a topic when it is submitted and graded, its quiz's topic is
``quiz.topic`` or else its course's topic. Every such attempt counts in ``attempts_count`` and
``last_activity_at``; ``best_percent`` and "passed" come from *final* quizzes only. The certificate of
a topic is a certificate (status valid, current revision) of a course of that topic: a valid one
(not expired today) with the latest expiry wins, else the one that expired last. Status: a valid
certificate -> ``cert_valid``; else an expired one -> ``cert_expired``; else a passed final quiz ->
``passed``; else any attempt or practice exercise passed -> ``in_progress``; else ``not_started``.
``practice_passed`` counts the published practice exercises of the topic the official has passed
(the practical component of the index, ``competency.index``).

Receivers only flush, and mark the session (``cache.mark_dirty``): the rankings cache is invalidated
when it commits.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, delete, func, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from certificates import api as certificates_api
from competency.cache import mark_dirty
from competency.models import NO_EXPIRY, CompetencyRecord, CompetencySummary
from courses import api as courses_api
from lms.time import local_today, utcnow
from lms.topics import Topic
from practice import api as practice_api
from quizzes import api as quizzes_api

log = logging.getLogger(__name__)


# -- status rule ------------------------------------------------------------------------------------
def derive_status(
    *, attempts: int, passed: bool, cert_expires_on: date | None, has_cert: bool, today: date, practised: int = 0
) -> str:
    if has_cert:
        if cert_expires_on is None or cert_expires_on >= today:
            return "cert_valid"
        return "cert_expired"
    if passed:
        return "passed"
    if attempts or practised:
        return "in_progress"
    return "not_started"


def effective_status_expr(record_cls, today: date):
    """SQL: the stored status, with a certificate past its expiry read as ``cert_expired``."""
    return case(
        (
            and_(
                record_cls.status.in_(("cert_valid", "cert_expired")),
                record_cls.cert_expires_on.is_not(None),
                record_cls.cert_expires_on < today,
            ),
            "cert_expired",
        ),
        else_=record_cls.status,
    )


def valid_cert_expr(record_cls, today: date):
    return and_(
        record_cls.status == "cert_valid",
        or_(record_cls.cert_expires_on.is_(None), record_cls.cert_expires_on >= today),
    )


# -- sources (quizzes' graded attempts, certificates' valid certificates, through their api) ---------
def _attempt_stats_query(official_ids=None, topic: Topic | None = None):
    """Per (official, topic): graded attempts, the last one, the best final score, a final passed."""
    attempts = quizzes_api.graded_attempts(official_ids).subquery()
    courses = courses_api.course_topics().subquery()
    topic_of = func.coalesce(attempts.c.quiz_topic, courses.c.topic)  # the quiz's topic, else its course's
    final_percent = case((attempts.c.is_final.is_(True), attempts.c.percent), else_=None)
    final_passed = case((and_(attempts.c.is_final.is_(True), attempts.c.passed.is_(True)), 1), else_=0)
    query = (
        select(
            attempts.c.official_id,
            topic_of.label("topic"),
            func.count(attempts.c.attempt_id).label("attempts"),
            func.max(attempts.c.graded_at).label("last"),
            func.max(final_percent).label("best"),
            func.max(final_passed).label("passed"),
        )
        .select_from(attempts)
        .outerjoin(courses, courses.c.course_id == attempts.c.course_id)
        .where(topic_of.is_not(None))
        .group_by(attempts.c.official_id, topic_of)
    )
    if topic is not None:
        query = query.where(topic_of == topic.value)
    return query


@dataclass
class CertPick:
    certificate_id: int
    expires_on: date | None


def _pick_certificates(session: Session, today: date, official_ids=None, topic: Topic | None = None):
    """{(official_id, topic): CertPick} over current valid-status certificates, by the module rule."""
    certs = certificates_api.valid_status_certificates(official_ids).subquery()
    courses = courses_api.course_topics().subquery()
    query = select(certs.c.official_id, courses.c.topic, certs.c.certificate_id, certs.c.expires_on).join(
        courses, courses.c.course_id == certs.c.course_id
    )
    if topic is not None:
        query = query.where(courses.c.topic == topic)
    picks: dict[tuple[int, str], CertPick] = {}
    for official_id, cert_topic, cert_id, expires_on in session.execute(query):
        key = (official_id, Topic(cert_topic).value)
        current = picks.get(key)
        if current is None or _cert_rank(expires_on, cert_id, today) > _cert_rank(
            current.expires_on, current.certificate_id, today
        ):
            picks[key] = CertPick(cert_id, expires_on)
    return picks


def _cert_rank(expires_on: date | None, cert_id: int, today: date) -> tuple:
    valid = expires_on is None or expires_on >= today
    return (valid, expires_on is None, expires_on or date.min, cert_id)


# -- full recomputation -----------------------------------------------------------------------------
def compute_records(session: Session, today: date, official_ids=None) -> dict[tuple[int, str], dict]:
    """What the records should be, from the sources: {(official_id, topic): values}."""
    result: dict[tuple[int, str], dict] = {}
    for row in session.execute(_attempt_stats_query(official_ids)):
        key = (row.official_id, Topic(row.topic).value)
        result[key] = {
            "official_id": row.official_id,
            "topic": key[1],
            "attempts_count": int(row.attempts),
            "last_activity_at": _aware(row.last),
            "best_percent": float(row.best) if row.best is not None else None,
            "passed": bool(row.passed),
            "certificate_id": None,
            "cert_expires_on": None,
            "practice_passed": 0,
        }
    for key, pick in _pick_certificates(session, today, official_ids).items():
        values = result.setdefault(
            key,
            {
                "official_id": key[0],
                "topic": key[1],
                "attempts_count": 0,
                "last_activity_at": None,
                "best_percent": None,
                "passed": False,
                "practice_passed": 0,
            },
        )
        values["certificate_id"] = pick.certificate_id
        values["cert_expires_on"] = pick.expires_on
    for key, passed in practice_api.passed_counts(session, official_ids).items():
        values = result.setdefault(
            key,
            {
                "official_id": key[0],
                "topic": key[1],
                "attempts_count": 0,
                "last_activity_at": None,
                "best_percent": None,
                "passed": False,
                "certificate_id": None,
                "cert_expires_on": None,
            },
        )
        values["practice_passed"] = passed
    for values in result.values():
        values["status"] = derive_status(
            attempts=values["attempts_count"],
            passed=values.pop("passed"),
            cert_expires_on=values.get("cert_expires_on"),
            has_cert=values.get("certificate_id") is not None,
            today=today,
            practised=values["practice_passed"],
        )
    return result


def _aware(value):
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns MAX() of a datetime column as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def recompute_records(session: Session, today: date | None = None, official_ids=None, chunk: int = 5000) -> int:
    """Rebuild the records (all, or of ``official_ids``) from attempts and certificates; returns rows."""
    today = today or local_today()
    rows = compute_records(session, today, official_ids)
    session.flush()
    stmt = delete(CompetencyRecord)
    if official_ids is not None:
        stmt = stmt.where(CompetencyRecord.official_id.in_(list(official_ids)))
    session.execute(stmt.execution_options(synchronize_session=False))
    now = utcnow()
    values = [{**v, "updated_at": now} for v in rows.values()]
    for start in range(0, len(values), chunk):
        session.execute(insert(CompetencyRecord), values[start : start + chunk])
    rebuild_summaries(session.connection(), official_ids)
    session.expire_all()
    mark_dirty(session)
    return len(values)


# -- per-official summary rows ----------------------------------------------------------------------
def _summary_select(official_ids=None):
    """One row per official with records: the ``CompetencySummary`` columns folded from them."""
    from sqlalchemy import Date, literal

    r = CompetencyRecord
    valid_until = func.coalesce(r.cert_expires_on, literal(NO_EXPIRY, Date))
    query = select(
        r.official_id,
        func.max(case((r.attempts_count > 0, 1), else_=0)),
        func.count(r.best_percent),
        func.sum(r.best_percent),
        *[func.max(case((and_(r.topic == t.value, r.status == "cert_valid"), valid_until), else_=None)) for t in Topic],
        func.coalesce(func.sum(r.practice_passed), 0),
    )
    if official_ids is not None:  # ids, or an expanding bind parameter
        ids = official_ids if isinstance(official_ids, BindParameter) else list(official_ids)
        query = query.where(r.official_id.in_(ids))
    return query.group_by(r.official_id)


def _summary_columns():
    return [
        "official_id",
        "participated",
        "n_best",
        "sum_best",
        *[f"cert_until_{t.value}" for t in Topic],
        "practice_passed",
    ]


def rebuild_summaries(connection, official_ids=None) -> None:
    """Replace the summaries (all, or of ``official_ids``) by what the records say now."""
    table = CompetencySummary.__table__
    stmt = delete(table)
    if official_ids is not None:
        stmt = stmt.where(table.c.official_id.in_(list(official_ids)))
    connection.execute(stmt)
    connection.execute(insert(table).from_select(_summary_columns(), _summary_select(official_ids)))


def refresh_summaries(connection, official_ids, *, removed: bool = False) -> None:
    """Bring the summaries of ``official_ids`` up to date with their records.

    Two transactions may write records of one official at once (two topics graded in two tabs).
    So, first, each official's summary row is locked (created if missing) by an upsert that changes
    nothing: the second transaction waits there until the first commits. Then a second statement,
    which on PostgreSQL (READ COMMITTED) reads with a new snapshot, so it sees the first
    transaction's records as well as its own, rewrites the rows from the records. Folding the
    records in the first statement would let the second writer overwrite the first one's figures
    with a sum that misses them (a test runs four writers at once). ``removed``: some records were
    deleted, so an official may have none left (then their row goes). The statements are built
    once per database kind (a submit runs them for one official)."""
    table = CompetencySummary.__table__
    ids = sorted(official_ids)  # one lock order for every transaction: no deadlock between two
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - the two databases we run on
        return rebuild_summaries(connection, ids)
    lock, rewrite = _refresh_statements(dialect)
    if len(ids) == 1:
        connection.execute(lock, {"official_id": ids[0]})
    else:  # one statement, its rows in id order
        connection.execute(_lock_rows(dialect, ids))
    connection.execute(rewrite, {"ids": ids})
    if removed:
        left = select(CompetencyRecord.official_id).where(CompetencyRecord.official_id.in_(ids))
        connection.execute(delete(table).where(table.c.official_id.in_(ids), table.c.official_id.not_in(left)))


def _upsert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    return upsert(CompetencySummary.__table__)


_EMPTY_SUMMARY = {"participated": 0, "n_best": 0, "practice_passed": 0}


def _lock_rows(dialect: str, ids):
    """The upsert that locks (creates if missing) the summary rows of ``ids`` and changes nothing."""
    table = CompetencySummary.__table__
    lock = _upsert(dialect).values([{"official_id": i, **_EMPTY_SUMMARY} for i in ids])
    return lock.on_conflict_do_update(index_elements=[table.c.official_id], set_={"n_best": table.c.n_best})


@functools.cache
def _refresh_statements(dialect: str):
    """``refresh_summaries``' two statements for one official (``official_id``) and for the rewrite
    of a list (``ids``), built once: building them cost more than running them."""
    from sqlalchemy import bindparam

    table = CompetencySummary.__table__
    lock = _upsert(dialect).values(official_id=bindparam("official_id"), **_EMPTY_SUMMARY)
    lock = lock.on_conflict_do_update(index_elements=[table.c.official_id], set_={"n_best": table.c.n_best})
    columns = _summary_columns()
    rewrite = _upsert(dialect).from_select(columns, _summary_select(bindparam("ids", expanding=True)))
    rewrite = rewrite.on_conflict_do_update(
        index_elements=[table.c.official_id], set_={c: rewrite.excluded[c] for c in columns[1:]}
    )
    return lock, rewrite


def summaries_after_flush(session: Session, flush_context) -> None:
    """Every flush that wrote records updates their officials' summaries in the same transaction
    (the receivers, and any other ORM write of a record: tests, repairs)."""
    changed, removed = set(), False
    for objects, deleting in ((session.new, False), (session.dirty, False), (session.deleted, True)):
        for obj in objects:
            if isinstance(obj, CompetencyRecord) and obj.official_id is not None:
                changed.add(obj.official_id)
                removed = removed or deleting
    if changed:
        refresh_summaries(session.connection(), changed, removed=removed)


# -- incremental receivers --------------------------------------------------------------------------
def _get_record(session: Session, official_id: int, topic: Topic):
    with session.no_autoflush:
        record = session.scalars(
            select(CompetencyRecord).where(CompetencyRecord.official_id == official_id, CompetencyRecord.topic == topic)
        ).first()
    if record is None:
        record = CompetencyRecord(
            official_id=official_id, topic=topic, status="not_started", attempts_count=0, practice_passed=0
        )
        session.add(record)
    return record


def attempt_topic(attempt) -> Topic | None:
    quiz = attempt.quiz
    if quiz.topic is not None:
        return Topic(quiz.topic)
    course = courses_api.get_course(attempt_session(attempt), quiz.course_id)
    return Topic(course.topic) if course is not None else None


def attempt_session(obj) -> Session:
    from sqlalchemy.orm import object_session

    return object_session(obj)


def apply_attempt(session: Session, attempt, today: date | None = None) -> None:
    """Fold one newly graded attempt into its record (incremental), in one upsert: count + 1, the
    later last activity, the better best (final quizzes), the status (``derive_status``, for a
    record without certificate); then the official's summary (``refresh_summaries``). The counts
    move in the statement, so two attempts graded at once both count. A record the session holds
    is expired (read again when used)."""
    if attempt.percent is None:
        return
    topic = attempt_topic(attempt)
    if topic is None:
        return
    today = today or local_today()
    final = bool(attempt.quiz.is_final)
    passed_now = final and bool(attempt.passed)
    params = {
        "official_id": attempt.official_id,
        "topic": topic,
        "graded": attempt.graded_at,
        "final": final,
        "percent": float(attempt.percent),
        "passed_now": passed_now,
        # the status of a record without certificate after an attempt: passed, or in progress
        "passed_status": derive_status(attempts=1, passed=True, cert_expires_on=None, has_cert=False, today=today),
        "progress_status": derive_status(attempts=1, passed=False, cert_expires_on=None, has_cert=False, today=today),
        "new_status": derive_status(attempts=1, passed=passed_now, cert_expires_on=None, has_cert=False, today=today),
        "new_best": float(attempt.percent) if final else None,
        "now": utcnow(),
    }
    if session.new or session.dirty or session.deleted:
        session.flush()  # a Core statement does not flush: records added or changed go first
    for held in session.identity_map.values():  # a record the session holds is read again when used
        loaded = held.__dict__
        if isinstance(held, CompetencyRecord) and (loaded.get("official_id"), loaded.get("topic")) == (
            attempt.official_id,
            topic,
        ):
            session.expire(held)
    session.execute(_apply_attempt_statement(session.get_bind().dialect.name), params)
    refresh_summaries(session.connection(), [attempt.official_id])
    mark_dirty(session)


@functools.cache
def _apply_attempt_statement(dialect: str):
    """``apply_attempt``'s upsert (Core, on the table), built once per database kind."""
    from sqlalchemy import Boolean, Float, bindparam
    from sqlalchemy.dialects import postgresql, sqlite

    from lms.database import UTCDateTime

    table = CompetencyRecord.__table__
    graded = bindparam("graded", type_=UTCDateTime)
    final = bindparam("final", type_=Boolean)
    percent = bindparam("percent", type_=Float)
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    statement = statement.values(
        official_id=bindparam("official_id"),
        topic=bindparam("topic", type_=table.c.topic.type),
        status=bindparam("new_status", type_=table.c.status.type),
        best_percent=bindparam("new_best", type_=Float),
        attempts_count=1,
        last_activity_at=graded,
        practice_passed=0,
        updated_at=bindparam("now", type_=UTCDateTime),
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.official_id, table.c.topic],
        set_={
            "attempts_count": func.coalesce(table.c.attempts_count, 0) + 1,
            "last_activity_at": case(
                (
                    and_(
                        graded.is_not(None),
                        or_(table.c.last_activity_at.is_(None), table.c.last_activity_at < graded),
                    ),
                    graded,
                ),
                else_=table.c.last_activity_at,
            ),
            "best_percent": case(
                (and_(final, or_(table.c.best_percent.is_(None), table.c.best_percent < percent)), percent),
                else_=table.c.best_percent,
            ),
            "status": case(
                (table.c.certificate_id.is_not(None), table.c.status),
                (
                    or_(
                        table.c.status == bindparam("passed_status", type_=table.c.status.type),
                        bindparam("passed_now", type_=Boolean),
                    ),
                    bindparam("passed_status", type_=table.c.status.type),
                ),
                else_=bindparam("progress_status", type_=table.c.status.type),
            ),
            "updated_at": bindparam("now", type_=UTCDateTime),
        },
    )
    return statement


def refresh_certificate_part(session: Session, official_id: int, topic: Topic, today: date | None = None) -> None:
    """Re-pick the topic's certificate for one official, and the status that follows."""
    today = today or local_today()
    session.flush()
    record = _get_record(session, official_id, topic)
    pick = _pick_certificates(session, today, [official_id], topic).get((official_id, topic.value))
    record.certificate_id = pick.certificate_id if pick else None
    record.cert_expires_on = pick.expires_on if pick else None
    passed = False
    if pick is None:
        stats = session.execute(_attempt_stats_query([official_id], topic)).first()
        passed = bool(stats.passed) if stats is not None else False
    record.status = derive_status(
        attempts=record.attempts_count or 0,
        passed=passed,
        cert_expires_on=record.cert_expires_on,
        has_cert=pick is not None,
        today=today,
        practised=record.practice_passed or 0,
    )
    session.flush()
    mark_dirty(session)


def apply_practice(session: Session, official_id: int, topic: Topic, today: date | None = None) -> None:
    """One more practice exercise of the topic passed (incremental): the count, and a record that
    had nothing yet becomes "in progress"."""
    record = _get_record(session, official_id, topic)
    record.practice_passed = (record.practice_passed or 0) + 1
    if record.status == "not_started":
        record.status = "in_progress"
    session.flush()
    mark_dirty(session)


def on_attempt_graded(session, attempt=None, **_kw) -> None:
    """Receiver of ``lms.events.attempt_graded``."""
    apply_attempt(session, attempt)


def on_practice_passed(session, official_id=None, topic=None, **_kw) -> None:
    """Receiver of ``lms.events.practice_passed`` (sent once per official and exercise)."""
    apply_practice(session, official_id, Topic(topic))


def on_certificate_changed(session, certificate=None, **_kw) -> None:
    """Receiver of ``lms.events.certificate_changed``: the certificate's topic is re-picked."""
    course = courses_api.get_course(session, certificate.course_id)
    if course is None:
        return
    refresh_certificate_part(session, certificate.official_id, Topic(course.topic))
