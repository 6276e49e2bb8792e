"""A unit's staff table: each active official's four topics, filterable, sortable, paginated in SQL.

One named query (``staff_query``): the unit's active officials LEFT JOIN their records folded to one
row per official (the four topic cells side by side, plus the figures the filters and sorts need).
The dashboard asks it for one page (LIMIT/OFFSET) with the tab counts alongside (window sums over the
whole table, one statement; a separate GROUP BY only when the page asked for is empty); the exports
stream the whole table from it. Rules (as shown in the table):

* a missing record reads as ``not_started``; a certificate past its expiry as ``cert_expired``;
* overall: every topic not started -> ``not_started``; every topic passed or certified -> ``passed``;
  any topic in progress -> ``failing``; else ``in_progress`` (a topic not started beside passed ones,
  or a certificate expired);
* tabs (``_tab``): "not_started", "failing" ("has a topic not passed": overall failing or in_progress),
  "passed" split the staff; "expiring" (a certificate expired, or valid but expiring within
  ``expiring_days``) cuts across them. A tab's count and its list come from the same condition, and
  the unit head's dashboard shows these counts (``staff_counts``) linking to the tabs;
* sorts: name (``sort_key``, id); status (certified topics, overall order, name); score (mean best
  score, no score first, then name). Descending reverses the key; officials with equal keys stay in
  name order (``Official.id`` ascending), as a stable sort of the name-ordered list would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from competency.models import CompetencyRecord
from competency.records import effective_status_expr, valid_cert_expr
from lms.org.models import Official
from lms.time import local_today
from lms.topics import Topic

STAFF_FILTERS = ("not_started", "failing", "passed", "expiring")
STAFF_SORTS = ("name", "status", "score")
PAGE_SIZE = 25
EXPIRING_DAYS = 60
TOPICS = tuple(t.value for t in Topic)


class TopicCell(NamedTuple):
    topic: str
    status: str
    best_percent: float | None
    attempts: int
    cert_expires_on: date | None
    last_activity_at: datetime | None


class StaffRow(NamedTuple):
    official_id: int
    full_name: str
    code: str
    position: str
    sort_key: str
    cells: tuple[TopicCell, ...]
    overall: str  # not_started | failing | passed | in_progress
    certified: int
    avg_best: float | None
    expiring: bool


class StaffPage(NamedTuple):
    rows: list[StaffRow]
    page: int  # 1-based, clamped to the pages there are
    per_page: int
    total: int  # rows matching the filter
    counts: dict[str, int]  # {"": all, "not_started": n, "failing": n, "passed": n, "expiring": n}


def _per_official(unit_id: int, today: date, soon: date):
    """The unit's records folded to one row per official: the figures the tabs and sorts need.

    Written on the stored columns (cheaper than the effective-status CASE in every aggregate): a
    stored ``cert_valid`` past its expiry reads as ``cert_expired`` (``effective_status_expr``).
    """
    r = CompetencyRecord
    valid = valid_cert_expr(r, today)
    return (
        select(
            r.official_id.label("oid"),
            func.sum(case((r.status != "not_started", 1), else_=0)).label("n_started"),
            func.sum(case((or_(r.status == "passed", valid), 1), else_=0)).label("n_passed"),
            func.sum(case((r.status == "in_progress", 1), else_=0)).label("n_failing"),
            func.sum(case((valid, 1), else_=0)).label("n_certified"),
            func.max(
                case(
                    (or_(r.status == "cert_expired", and_(r.status == "cert_valid", r.cert_expires_on <= soon)), 1),
                    else_=0,
                )
            ).label("expiring"),
            func.avg(r.best_percent).label("avg_best"),
        )
        .join(Official, Official.id == r.official_id)
        .where(Official.unit_id == unit_id, Official.active.is_(True))
        .group_by(r.official_id)
        .subquery("per_official")
    )


def staff_table(unit_id: int, today: date, expiring_days: int = EXPIRING_DAYS):
    """The named query as a subquery: one row per active official of the unit with its figures."""
    per = _per_official(unit_id, today, today + timedelta(days=expiring_days))
    overall = case(
        (func.coalesce(per.c.n_started, 0) == 0, "not_started"),
        (per.c.n_passed == len(TOPICS), "passed"),
        (per.c.n_failing > 0, "failing"),
        else_="in_progress",
    )
    return (
        select(
            Official.id.label("official_id"),
            Official.sort_key,
            overall.label("overall"),
            func.coalesce(per.c.n_certified, 0).label("certified"),
            func.coalesce(per.c.expiring, 0).label("expiring"),
            per.c.avg_best,
        )
        .outerjoin(per, per.c.oid == Official.id)
        .where(Official.unit_id == unit_id, Official.active.is_(True))
        .subquery("staff")
    )


def _tab(table, show: str):
    """The condition of a tab: "not_started", "failing" (has a topic not passed yet: a failed attempt,
    a topic not started beside passed ones, or an expired certificate: overall failing or in_progress),
    "passed" (all four), "expiring". The first three split the whole staff; the count of a tab and its
    list come from this one condition."""
    if show == "failing":
        return table.c.overall.in_(("failing", "in_progress"))
    if show in ("not_started", "passed"):
        return table.c.overall == show
    if show == "expiring":
        return table.c.expiring == 1
    raise ValueError(show)


def _where(table, show: str) -> list:
    return [_tab(table, show)] if show in STAFF_FILTERS else []


def _order_by(table, sort: str, desc: bool) -> list:
    c = table.c

    def d(col):
        return col.desc() if desc else col.asc()

    if sort == "status":
        order = case((c.overall == "not_started", 0), (c.overall == "passed", 2), else_=1)
        return [d(c.certified), d(order), d(c.sort_key), c.official_id.asc()]
    if sort == "score":
        return [d(func.coalesce(c.avg_best, literal(-1.0))), d(c.sort_key), c.official_id.asc()]
    return [d(c.sort_key), d(c.official_id)]


def staff_query(unit_id: int, today: date, show: str = "", sort: str = "name", desc: bool = False):
    """SELECT the unit's staff table, filtered (``show``) and ordered (``sort``, ``desc``)."""
    table = staff_table(unit_id, today)
    return (
        select(table, Official.family_name, Official.middle_name, Official.given_name, Official.code, Official.position)
        .join(Official, Official.id == table.c.official_id)
        .where(*_where(table, show))
        .order_by(*_order_by(table, sort, desc))
    )


def staff_counts(session: Session, unit_id: int, today: date | None = None) -> dict[str, int]:
    """Rows per tab, from one GROUP BY: ``{"": all, "not_started": n, "failing": n, "passed": n, "expiring": n}``."""
    table = staff_table(unit_id, today or local_today())
    row = session.execute(
        select(
            func.count().label("n_all"),
            *(func.coalesce(func.sum(case((_tab(table, key), 1), else_=0)), 0).label(key) for key in STAFF_FILTERS),
        )
    ).one()
    return {"": int(row.n_all), **{key: int(getattr(row, key)) for key in STAFF_FILTERS}}


def staff_page(
    session: Session,
    unit_id: int,
    *,
    show: str = "",
    sort: str = "name",
    desc: bool = False,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    today: date | None = None,
) -> StaffPage:
    """One page of the table and the tab counts: one statement (the page's rows carry the counts);
    a page past the end (or an empty tab) costs a count and the last page, as before."""
    today = today or local_today()
    page = max(page or 1, 1)
    rows = session.execute(_page_with_counts(unit_id, today, show, sort, desc, page, per_page)).all()
    if rows:
        first = rows[0]
        counts = {key: int(getattr(first, f"n_{key or 'all'}") or 0) for key in ("", *STAFF_FILTERS)}
    else:
        counts = staff_counts(session, unit_id, today)
    total = counts[show] if show in STAFF_FILTERS else counts[""]
    pages = max(1, -(-total // per_page))
    if not rows and total and page > pages:
        page = pages
        rows = session.execute(
            staff_query(unit_id, today, show, sort, desc).limit(per_page).offset((page - 1) * per_page)
        ).all()
    elif not rows:
        page = min(page, pages)
    return StaffPage(_with_cells(session, rows, today), page, per_page, total, counts)


def _page_with_counts(unit_id: int, today: date, show: str, sort: str, desc: bool, page: int, per_page: int):
    """``staff_query``'s page, each row with the tab counts of the whole table (window sums)."""
    table = staff_table(unit_id, today)

    def n(cond):
        return func.sum(case((cond, 1), else_=0)).over()

    counted = select(
        table,
        func.count().over().label("n_all"),
        *(n(_tab(table, key)).label(f"n_{key}") for key in STAFF_FILTERS),
    ).subquery("counted")
    return (
        select(
            counted, Official.family_name, Official.middle_name, Official.given_name, Official.code, Official.position
        )
        .join(Official, Official.id == counted.c.official_id)
        .where(*_where(counted, show))
        .order_by(*_order_by(counted, sort, desc))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


def iter_staff_rows(
    session: Session,
    unit_id: int,
    *,
    show: str = "",
    sort: str = "name",
    desc: bool = False,
    today: date | None = None,
    batch: int = 500,
) -> Iterator[StaffRow]:
    """The whole (filtered, ordered) table, fetched in batches (for the exports)."""
    today = today or local_today()
    cells = _cells(session, today, unit_id=unit_id)  # one indexed read, then the rows streamed in order
    query = staff_query(unit_id, today, show, sort, desc).execution_options(yield_per=batch)
    for row in session.execute(query):
        yield _staff_row(row, cells)


def _cells(session: Session, today: date, *, official_ids=None, unit_id=None) -> dict[tuple[int, str], tuple]:
    """{(official_id, topic): record values}, of some officials or of a unit's active officials."""
    r = CompetencyRecord
    query = select(
        r.official_id,
        r.topic,
        effective_status_expr(r, today).label("status"),
        r.best_percent,
        r.attempts_count,
        r.cert_expires_on,
        r.last_activity_at,
    )
    if official_ids is not None:
        query = query.where(r.official_id.in_(official_ids))
    if unit_id is not None:
        query = query.join(Official, Official.id == r.official_id)
        query = query.where(Official.unit_id == unit_id, Official.active.is_(True))
    return {(rec.official_id, _value(rec.topic)): rec for rec in session.execute(query)}


def _with_cells(session: Session, rows, today: date) -> list[StaffRow]:
    """The rows (a page) with their four topic cells, read for just these officials (unique index)."""
    ids = [row.official_id for row in rows]
    cells = _cells(session, today, official_ids=ids) if ids else {}
    return [_staff_row(row, cells) for row in rows]


def _value(value):
    return getattr(value, "value", value)


def _staff_row(row, cells: dict[tuple[int, str], tuple]) -> StaffRow:
    topic_cells = []
    for t in TOPICS:
        rec = cells.get((row.official_id, t))
        topic_cells.append(
            TopicCell(
                topic=t,
                status=str(_value(rec.status)) if rec else "not_started",
                best_percent=rec.best_percent if rec else None,
                attempts=rec.attempts_count if rec else 0,
                cert_expires_on=rec.cert_expires_on if rec else None,
                last_activity_at=rec.last_activity_at if rec else None,
            )
        )
    return StaffRow(
        official_id=row.official_id,
        full_name=" ".join(p for p in (row.family_name, row.middle_name, row.given_name) if p),  # stored clean
        code=row.code or "",
        position=str(_value(row.position)),
        sort_key=row.sort_key,
        cells=tuple(topic_cells),
        overall=row.overall,
        certified=int(row.certified or 0),
        avg_best=float(row.avg_best) if row.avg_best is not None else None,
        expiring=bool(row.expiring),
    )
