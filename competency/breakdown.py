"""The ranking's figures split by official category, level and age group, province-wide or per unit.

One GROUP BY over the three dimensions at once (``breakdowns``), with the ranking's figure columns,
cached like the ranking (``competency.cache``; the labels are added when served, in the
request's language). The counts of users by category are what the province's yearly report asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from types import SimpleNamespace

from sqlalchemy import case
from sqlalchemy.orm import Session

from competency import cache
from competency.rankings import (
    TOPICS,
    RankingFilters,
    age_bounds,
    age_group_label,
    exercises_in_scope,
    figures_from_row,
    figures_query,
    settings,
)
from lms.org.models import Category, Level, Official
from lms.time import local_today

DIMENSIONS = ("category", "level", "age_group")


@dataclass(frozen=True)
class BreakdownRow:
    dimension: str
    key: str
    label: str
    officials: int
    participants: int
    participation: float
    coverage: tuple[tuple[str, float], ...]
    coverage_mean: float
    avg_best: float | None
    index: float
    practice: float = 0.0


def _age_case(today: date):
    whens = []
    for group in ("lt30", "30_39", "40_49", "50plus"):
        low, high = age_bounds(group, today)
        cond = []
        if low is not None:
            cond.append(Official.birth_year >= low)
        if high is not None:
            cond.append(Official.birth_year <= high)
        from sqlalchemy import and_

        whens.append((and_(*cond), group))
    return case(*whens, else_="unknown")


def _label(dimension: str, key: str) -> str:
    if dimension == "category":
        return Category(key).label
    if dimension == "level":
        return Level(key).label
    return age_group_label(key)


def breakdown(
    session: Session,
    dimension: str,
    filters: RankingFilters | None = None,
    unit_id: int | None = None,
    today: date | None = None,
) -> list[BreakdownRow]:
    """Figures per category, level or age group (province-wide, or for one unit)."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    return breakdowns(session, filters, unit_id, today, (dimension,))[dimension]


def breakdowns(
    session: Session,
    filters: RankingFilters | None = None,
    unit_id: int | None = None,
    today: date | None = None,
    dimensions: tuple[str, ...] = DIMENSIONS,
) -> dict[str, list[BreakdownRow]]:
    """Figures per category, level and age group (one GROUP BY over the three, cached)."""
    return breakdowns_served(session, filters, unit_id, today, dimensions).value


def breakdowns_served(
    session: Session,
    filters: RankingFilters | None = None,
    unit_id: int | None = None,
    today: date | None = None,
    dimensions: tuple[str, ...] = DIMENSIONS,
) -> cache.Served:
    """``breakdowns`` as served by the cache (``.value``, ``.computed_at``, ``.stale``)."""
    filters = filters or RankingFilters()
    today = today or local_today()
    weights, max_points, _min, _top = settings()
    weights = weights.competency_only()  # a unit-level part (usage) has no figure per category or age
    exercises = exercises_in_scope(session, (filters.topic,) if filters.topic else TOPICS)

    def compute(s: Session) -> dict[str, tuple[BreakdownRow, ...]]:
        return _compute(s, filters, unit_id, today, dimensions, weights, max_points, exercises)

    key = ("breakdowns", filters, unit_id, today, tuple(dimensions), weights, max_points, exercises)
    served = cache.cached(session, key, compute)
    labelled = {d: [replace(r, label=_label(d, r.key)) for r in rows] for d, rows in served.value.items()}
    return replace(served, value=labelled)


def _compute(
    session, filters, unit_id, today, dimensions, weights, max_points, exercises=0
) -> dict[str, tuple[BreakdownRow, ...]]:
    """The rows without labels (they depend on the request's language): the sums of the finer
    groups of one GROUP BY over the dimensions."""
    columns = {
        "category": Official.category.label("category"),
        "level": Official.level.label("level"),
        "age_group": _age_case(today).label("age_group"),
    }
    query, topics = figures_query(filters, today, *(columns[d] for d in dimensions), unit_id=unit_id)
    sums = ("officials", "participants", "n_best", "sum_best", "practice_passed", *(f"cov_{t}" for t in topics))
    totals: dict[str, dict[str, dict]] = {d: {} for d in dimensions}
    for row in session.execute(query):
        for d in dimensions:
            key = str(getattr(getattr(row, d), "value", getattr(row, d)))
            acc = totals[d].setdefault(key, dict.fromkeys(sums, 0))
            for name in sums:  # PostgreSQL sums integers as NUMERIC (Decimal): plain numbers here
                value = getattr(row, name) or 0
                acc[name] += float(value) if name == "sum_best" else int(value)
    out = {}
    for d in dimensions:
        rows = []
        for key, acc in totals[d].items():
            acc["avg_best"] = float(acc["sum_best"]) / float(acc["n_best"]) if acc["n_best"] else None  # PG: Decimal
            fig = figures_from_row(SimpleNamespace(**acc), topics, weights, max_points, exercises)
            rows.append(
                BreakdownRow(
                    dimension=d,
                    key=key,
                    label="",
                    officials=fig["officials"],
                    participants=fig["participants"],
                    participation=fig["participation"],
                    coverage=fig["coverage"],
                    coverage_mean=fig["coverage_mean"],
                    avg_best=fig["avg_best"],
                    index=fig["index"],
                    practice=fig["practice"],
                )
            )
        order = {
            "category": [c.value for c in Category],
            "level": [c.value for c in Level],
            "age_group": ["lt30", "30_39", "40_49", "50plus", "unknown"],
        }[d]
        rows.sort(key=lambda r: order.index(r.key) if r.key in order else len(order))  # noqa: B023
        out[d] = tuple(rows)
    return out
