"""Unit rankings: one named query over officials and their competency (``CompetencySummary``, or
``CompetencyRecord`` when a topic or period filter picks records) grouped by unit, ranked per block.

``rank_units(session, filters)`` returns every unit with active officials matching the filters,
ranked separately in three blocks (sở/ban/ngành and đơn vị sự nghiệp; huyện/thị xã/thành phố;
xã/phường/thị trấn), ordered by block, index desc, then unit name in Vietnamese order. Units with the
same index (to 2 decimals, as printed) share a rank (1, 2, 2, 4). Results are cached as frozen plain
values keyed by the filters and the cache version (``records.cache_version``: bumped in the same
transaction as any committed write that changes the figures, and shared through the database, so
every worker process sees it; a session with uncommitted competency writes neither reads nor fills
the cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from competency import cache
from competency.index import (
    DEFAULT_MAX_POINTS,
    DEFAULT_MIN_OFFICIALS,
    Weights,
    competency_index,
    config_value,
    index_components,
)
from competency.models import CompetencyRecord, CompetencySummary, UnitSnapshot, cert_until_column
from competency.records import valid_cert_expr
from lms.org.models import Official, Unit, UnitKind
from lms.text import vi_sort_key
from lms.time import local_today
from lms.topics import Topic
from practice import api as practice_api

BLOCKS = ("so", "huyen", "xa")
_BLOCK_OF_KIND = {
    UnitKind.SO_BAN_NGANH.value: "so",
    UnitKind.SU_NGHIEP.value: "so",
    UnitKind.HUYEN.value: "huyen",
    UnitKind.XA.value: "xa",
}
KINDS_OF_BLOCK = {b: tuple(k for k, v in _BLOCK_OF_KIND.items() if v == b) for b in BLOCKS}
AGE_GROUPS = ("lt30", "30_39", "40_49", "50plus")
TOPICS = tuple(t.value for t in Topic)
TOPIC_BITS = {t: 1 << i for i, t in enumerate(TOPICS)}  # one record per (official, topic): sum = OR


def block_of(kind) -> str:
    """The ranking block of a unit kind: sở/ban/ngành + sự nghiệp, huyện, xã."""
    return _BLOCK_OF_KIND[UnitKind(kind).value]


def block_label(block: str) -> str:
    from flask_babel import gettext as _

    return {
        "so": _("Sở, ban, ngành và đơn vị sự nghiệp"),
        "huyen": _("Huyện, thị xã, thành phố"),
        "xa": _("Xã, phường, thị trấn"),
    }[block]


def age_group_label(group: str) -> str:
    from flask_babel import gettext as _

    return {"lt30": _("Dưới 30"), "30_39": _("30–39"), "40_49": _("40–49"), "50plus": _("50 trở lên")}.get(
        group, _("Không rõ")
    )


@dataclass(frozen=True)
class RankingFilters:
    """Filters of a ranking; hashable (the cache key). Empty string / None = no filter.

    ``month`` (first day of a month) ranks from that month's snapshots instead of live records;
    the other filters do not apply to snapshots (they are taken unfiltered).
    """

    block: str = ""
    topic: str = ""
    category: str = ""
    level: str = ""
    position: str = ""
    age_group: str = ""
    date_from: date | None = None
    date_to: date | None = None
    month: date | None = None

    @property
    def is_unfiltered(self) -> bool:
        return not (
            self.topic
            or self.category
            or self.level
            or self.position
            or self.age_group
            or self.date_from
            or self.date_to
        )

    @classmethod
    def from_args(cls, args) -> RankingFilters:
        """From request arguments; unknown values are dropped (never an error page)."""
        from lms.org.models import Category, Level, Position

        def pick(name, allowed):
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        def day(name):
            from lms.forms import parse_date  # dd/mm/yyyy as typed, or ISO from the page's own links

            try:
                return parse_date((args.get(name) or "").strip())
            except ValueError:
                return None

        month = None
        raw_month = (args.get("month") or "").strip()
        if raw_month:
            try:
                year, mon = raw_month.split("-")[:2]
                month = date(int(year), int(mon), 1)
            except ValueError:
                month = None
        return cls(
            block=pick("block", BLOCKS),
            topic=pick("topic", TOPICS),
            category=pick("category", [c.value for c in Category]),
            level=pick("level", [c.value for c in Level]),
            position=pick("position", [c.value for c in Position]),
            age_group=pick("age_group", AGE_GROUPS),
            date_from=day("date_from"),
            date_to=day("date_to"),
            month=month,
        )

    def as_args(self) -> dict:
        out = {}
        for name in ("block", "topic", "category", "level", "position", "age_group"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        for name in ("date_from", "date_to"):
            if getattr(self, name):
                out[name] = getattr(self, name).isoformat()
        if self.month:
            out["month"] = self.month.strftime("%Y-%m")
        return out


@dataclass(frozen=True)
class RankedUnit:
    unit_id: int
    unit_name: str
    unit_code: str
    block: str
    officials: int
    participants: int
    participation: float  # 0..1
    coverage: tuple[tuple[str, float], ...]  # ((topic, share 0..1), ...)
    coverage_mean: float  # 0..1
    avg_best: float | None  # 0..100
    index: float  # 0..100, rounded to 2 decimals
    points: float  # out of max_points
    max_points: float
    percent: float  # of max_points
    rank: int = 0
    block_size: int = 0
    is_top: bool = False
    is_bottom: bool = False
    too_few: bool = False
    prev_rank: int | None = None
    rank_change: int | None = None  # positive = moved up
    components: tuple[tuple[str, float, float], ...] = field(default=())  # (name, points, max)
    practice: float = 0.0  # 0..1: practice exercises passed / (officials x exercises in scope)
    #: the registered parts with a weight (adoption's usage): ((name, score 0-100 or None), ...)
    extras: tuple[tuple[str, float | None], ...] = field(default=())

    @property
    def coverage_map(self) -> dict[str, float]:
        return dict(self.coverage)

    @property
    def extra_map(self) -> dict[str, float | None]:
        return dict(self.extras)


def clear_cache() -> None:
    """Empty the result cache of the figures (rankings and breakdowns)."""
    cache.clear()


def age_bounds(group: str, today: date) -> tuple[int | None, int | None]:
    """Birth-year bounds (inclusive) of an age group on ``today`` (age = year - birth year)."""
    year = today.year
    return {
        "lt30": (year - 29, None),
        "30_39": (year - 39, year - 30),
        "40_49": (year - 49, year - 40),
        "50plus": (None, year - 50),
    }[group]


def official_conditions(filters: RankingFilters, today: date) -> list:
    """WHERE conditions on ``Official`` for the people filters (shared with the breakdowns)."""
    conds = [Official.active.is_(True)]
    if filters.category:
        conds.append(Official.category == filters.category)
    if filters.level:
        conds.append(Official.level == filters.level)
    if filters.position:
        conds.append(Official.position == filters.position)
    if filters.age_group:
        low, high = age_bounds(filters.age_group, today)
        if low is not None:
            conds.append(Official.birth_year >= low)
        if high is not None:
            conds.append(Official.birth_year <= high)
    return conds


def record_conditions(filters: RankingFilters) -> list:
    """Which records count (topic, activity period)."""
    from datetime import datetime, time, timedelta

    from lms.time import VN_TZ

    conds = []
    if filters.topic:
        conds.append(CompetencyRecord.topic == filters.topic)
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, VN_TZ)
        conds.append(CompetencyRecord.last_activity_at >= start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, VN_TZ)
        conds.append(CompetencyRecord.last_activity_at < end)
    return conds


def per_official(filters: RankingFilters, today: date, topics: tuple[str, ...], unit_id: int | None = None):
    """Inner GROUP BY: one row per official with their records in scope folded (no DISTINCT needed)."""
    valid = valid_cert_expr(CompetencyRecord, today)
    return (
        select(
            CompetencyRecord.official_id.label("oid"),
            func.max(case((CompetencyRecord.attempts_count > 0, 1), else_=0)).label("part"),
            func.count(CompetencyRecord.best_percent).label("n_best"),
            func.sum(CompetencyRecord.best_percent).label("sum_best"),
            # the topics with a valid certificate as bits (one CASE per record, not one per topic)
            func.sum(
                case(
                    (valid, case(*[(CompetencyRecord.topic == t, bit) for t, bit in TOPIC_BITS.items()], else_=0)),
                    else_=0,
                )
            ).label("cert_bits"),
            func.sum(CompetencyRecord.practice_passed).label("practice"),
        )
        .where(*record_conditions(filters))
        .where(
            *(
                [CompetencyRecord.official_id.in_(select(Official.id).where(Official.unit_id == unit_id))]
                if unit_id is not None
                else []
            )
        )
        .group_by(CompetencyRecord.official_id)
        .subquery("per_official")
    )


def _has_bit(bits, topic: str):
    """1 when the topic's bit is set in ``bits``, else 0 (also for NULL: an official without records)."""
    return case((bits.op("&")(TOPIC_BITS[topic]) != 0, 1), else_=0)


def figure_columns(part, n_best, sum_best, covered: dict[str, object], practice):
    """Outer aggregate columns shared by the ranking and the breakdowns, over one row per official:
    ``part`` 0/1, ``n_best`` and ``sum_best`` of their best scores, ``covered[topic]`` 1 when they hold
    a valid certificate of it, ``practice`` the practice exercises they passed (each NULL for an
    official without records)."""
    return [
        func.coalesce(func.sum(practice), 0).label("practice_passed"),
        func.count(Official.id).label("officials"),
        func.coalesce(func.sum(part), 0).label("participants"),
        (func.sum(sum_best) / func.nullif(func.sum(n_best), 0)).label("avg_best"),
        func.sum(n_best).label("n_best"),
        func.sum(sum_best).label("sum_best"),
        *[func.coalesce(func.sum(expr), 0).label(f"cov_{t}") for t, expr in covered.items()],
    ]


def figures_query(
    filters: RankingFilters, today: date, *group_cols, unit_id: int | None = None, use_summaries: bool = True
):
    """SELECT group_cols, figures FROM official JOIN unit LEFT JOIN (their records) ... GROUP BY group_cols.

    Without a topic or period filter the records are read through the per-official summaries (one
    row per official, kept with the records): one GROUP BY. A topic or period filter selects which
    records count, so then the records are folded per official in an inner GROUP BY first.
    ``use_summaries=False`` forces the second way (the tests compare both)."""
    topics = (filters.topic,) if filters.topic else TOPICS
    if use_summaries and not record_conditions(filters):
        s = CompetencySummary
        covered = {t: case((cert_until_column(t) >= today, 1), else_=0) for t in topics}
        columns = figure_columns(s.participated, s.n_best, s.sum_best, covered, s.practice_passed)
        source, on = CompetencySummary, CompetencySummary.official_id == Official.id
    else:
        per = per_official(filters, today, topics, unit_id)
        covered = {t: _has_bit(per.c.cert_bits, t) for t in topics}
        columns = figure_columns(per.c.part, per.c.n_best, per.c.sum_best, covered, per.c.practice)
        source, on = per, per.c.oid == Official.id
    query = (
        select(*group_cols, *columns)
        .select_from(Official)
        .join(Unit, Unit.id == Official.unit_id)
        .outerjoin(source, on)
        .where(*official_conditions(filters, today))
        .where(or_(Unit.valid_until.is_(None), Unit.valid_until > today))
        .group_by(*group_cols)
    )
    if filters.block:
        query = query.where(Unit.kind.in_(KINDS_OF_BLOCK[filters.block]))
    if unit_id is not None:
        query = query.where(Official.unit_id == unit_id)
    return query, topics


def settings() -> tuple[Weights, float, int, int]:
    return (
        Weights.from_config(),
        float(config_value("COMPETENCY_MAX_POINTS", DEFAULT_MAX_POINTS)),
        int(config_value("COMPETENCY_MIN_OFFICIALS", DEFAULT_MIN_OFFICIALS)),
        int(config_value("COMPETENCY_TOP_BOTTOM", 3)),
    )


def exercises_in_scope(session: Session, topics) -> int:
    """The published practice exercises of the topics (the denominator of the practical component)."""
    totals = practice_api.exercise_totals(session)
    return sum(totals.get(t, 0) for t in topics)


def figures_from_row(row, topics, weights: Weights, max_points: float, exercises: int = 0, extra=None) -> dict:
    officials = int(row.officials or 0)
    coverage = tuple((t, (int(getattr(row, f"cov_{t}") or 0) / officials) if officials else 0.0) for t in topics)
    coverage_mean = sum(v for _, v in coverage) / len(coverage) if coverage else 0.0
    participants = int(row.participants or 0)
    participation = participants / officials if officials else 0.0
    avg_best = float(row.avg_best) if row.avg_best is not None else None
    passed = int(row.practice_passed or 0)
    practice = min(1.0, passed / (officials * exercises)) if officials and exercises else 0.0
    return _figures(
        officials, participants, participation, coverage, coverage_mean, avg_best, weights, max_points, practice, extra
    )


def _figures(
    officials,
    participants,
    participation,
    coverage,
    coverage_mean,
    avg_best,
    weights,
    max_points,
    practice=0.0,
    extra=None,
) -> dict:
    """``extra``: {name: score 0-100 or None} of the registered parts with a weight; None where they
    do not apply (a month's snapshots)."""
    index = round(competency_index(coverage_mean, avg_best, participation, weights, practice, extra), 2)
    scale = max_points / 100.0
    components = [
        (
            "coverage",
            round(100 * weights.coverage * coverage_mean * scale, 2),
            round(100 * weights.coverage * scale, 2),
        ),
        ("score", round(weights.score * (avg_best or 0) * scale, 2), round(100 * weights.score * scale, 2)),
        (
            "participation",
            round(100 * weights.participation * participation * scale, 2),
            round(100 * weights.participation * scale, 2),
        ),
    ]
    if weights.practice:
        components.append(
            ("practice", round(100 * weights.practice * practice * scale, 2), round(100 * weights.practice * scale, 2))
        )
    if extra is not None:
        for name, w in weights.extra:
            components.append((name, round(w * (extra.get(name) or 0.0) * scale, 2), round(100 * w * scale, 2)))
    return {
        "officials": officials,
        "participants": participants,
        "participation": participation,
        "coverage": coverage,
        "coverage_mean": coverage_mean,
        "avg_best": avg_best,
        "index": index,
        "points": round(index * scale, 2),
        "max_points": max_points,
        "percent": index,
        "components": tuple(components),
        "practice": practice,
        "extras": tuple((name, extra.get(name)) for name, _w in weights.extra) if extra is not None else (),
    }


def ranking_query(filters: RankingFilters, today: date, use_summaries: bool = True):
    """The named query: one SELECT over officials and their records (through the summaries), GROUP BY
    unit (on the integer ``official.unit_id`` alone: a narrow sort key; names are read by ``_compute``)."""
    return figures_query(filters, today, Official.unit_id.label("id"), use_summaries=use_summaries)


def rank_units(
    session: Session, filters: RankingFilters | None = None, today: date | None = None, parts_month: date | None = None
) -> list[RankedUnit]:
    """Every unit's figures, index, points and rank in its block (see the module docstring).
    ``parts_month``: the month whose figures the registered parts give (a snapshot of a past month);
    None: their latest."""
    return list(ranking_served(session, filters, today, parts_month).value)


def ranking_served(
    session: Session, filters: RankingFilters | None = None, today: date | None = None, parts_month: date | None = None
) -> cache.Served:
    """``rank_units`` as served by the cache: ``.value`` (a tuple of ``RankedUnit``), ``.computed_at``
    and ``.stale`` (an older ranking served while a fresh one is computed)."""
    filters = filters or RankingFilters()
    today = today or local_today()
    weights, max_points, min_officials, top_n = settings()
    exercises = exercises_in_scope(session, (filters.topic,) if filters.topic else TOPICS)
    components = index_components()
    score_fns = {name: components[name].scores for name, _w in weights.extra}

    def compute(s: Session) -> tuple[RankedUnit, ...]:
        return tuple(
            _compute(s, filters, today, weights, max_points, min_officials, top_n, exercises, score_fns, parts_month)
        )

    key = ("ranking", filters, today, weights, max_points, min_officials, top_n, exercises, parts_month)
    return cache.cached(session, key, compute)


def _compute(
    session, filters, today, weights, max_points, min_officials, top_n, exercises=0, score_fns=None, parts_month=None
) -> list[RankedUnit]:
    """``score_fns``: {name: scores(session, month)} of the registered parts with a weight (read once
    here, for ``parts_month``: their figures are per unit, whatever the filters)."""
    if filters.month is not None:
        units = _from_snapshots(session, filters, weights, max_points, min_officials)
    else:
        query, topics = ranking_query(filters, today)
        rows = session.execute(query).all()
        scores = {name: fn(session, parts_month) for name, fn in (score_fns or {}).items()}
        unit_cols = select(Unit.id, Unit.name, Unit.code, Unit.kind).where(Unit.id.in_([r.id for r in rows]))
        names = {u.id: u for u in session.execute(unit_cols)}
        units = [
            RankedUnit(
                unit_id=row.id,
                unit_name=names[row.id].name,
                unit_code=names[row.id].code,
                block=block_of(names[row.id].kind),
                too_few=int(row.officials or 0) < min_officials,
                **figures_from_row(
                    row,
                    topics,
                    weights,
                    max_points,
                    exercises,
                    {name: by_unit.get(row.id) for name, by_unit in scores.items()},
                ),
            )
            for row in rows
        ]
    ranked = assign_ranks(units, top_n)
    if filters.is_unfiltered:
        ranked = _with_changes(session, ranked, filters.month or today.replace(day=1))
    return ranked


def _from_snapshots(session, filters: RankingFilters, weights, max_points, min_officials) -> list[RankedUnit]:
    query = select(UnitSnapshot, Unit.name, Unit.code).join(Unit, Unit.id == UnitSnapshot.unit_id)
    query = query.where(UnitSnapshot.month == filters.month)
    if filters.block:
        query = query.where(UnitSnapshot.block == filters.block)
    units = []
    for snap, name, code in session.execute(query):
        coverage = tuple((t, float((snap.coverage or {}).get(t, 0.0))) for t in TOPICS)
        figures = _figures(
            snap.officials,
            snap.participants,
            snap.participation,
            coverage,
            sum(v for _, v in coverage) / len(coverage),
            snap.avg_best if snap.participants else None,
            weights,
            max_points,
        )
        figures["index"] = round(snap.index, 2)  # as recorded that month, whatever the weights now
        figures["points"] = round(snap.index * max_points / 100.0, 2)
        figures["percent"] = figures["index"]
        units.append(
            RankedUnit(
                unit_id=snap.unit_id,
                unit_name=name,
                unit_code=code,
                block=snap.block,
                too_few=snap.officials < min_officials,
                **figures,
            )
        )
    return units


def assign_ranks(units: list[RankedUnit], top_n: int = 3) -> list[RankedUnit]:
    """Order by block, index desc, Vietnamese name; competition ranks (1, 2, 2, 4) per block."""
    out: list[RankedUnit] = []
    for block in BLOCKS:
        members = sorted(
            (u for u in units if u.block == block), key=lambda u: (-u.index, vi_sort_key(u.unit_name), u.unit_id)
        )
        n = len(members)
        flags = min(top_n, n // 2)
        for position, unit in enumerate(members):
            rank = position + 1
            if position and unit.index == members[position - 1].index:
                rank = out[-1].rank
            bottom_rank = sum(1 for m in members if m.index < unit.index) + 1  # from the bottom, ties shared
            is_top = rank <= flags
            out.append(
                replace(unit, rank=rank, block_size=n, is_top=is_top, is_bottom=not is_top and bottom_rank <= flags)
            )
    return out


def previous_snapshot_month(session: Session, before: date) -> date | None:
    return session.scalar(select(func.max(UnitSnapshot.month)).where(UnitSnapshot.month < before))


def _with_changes(session: Session, ranked: list[RankedUnit], current_month: date) -> list[RankedUnit]:
    month = previous_snapshot_month(session, current_month)
    if month is None:
        return ranked
    prev = dict(
        session.execute(select(UnitSnapshot.unit_id, UnitSnapshot.rank).where(UnitSnapshot.month == month)).all()
    )
    return [
        replace(
            u, prev_rank=prev.get(u.unit_id), rank_change=(prev[u.unit_id] - u.rank) if prev.get(u.unit_id) else None
        )
        for u in ranked
    ]


def unit_ranking(session: Session, unit_id: int, filters: RankingFilters | None = None, today: date | None = None):
    """The unit's entry of the (cached) ranking, or None when it has no active officials."""
    return unit_entry(ranking_served(session, filters, today), unit_id)


def unit_entry(served: cache.Served, unit_id: int) -> RankedUnit | None:
    return next((u for u in served.value if u.unit_id == unit_id), None)
