"""Item analysis for a quiz (pure): facility, discrimination, reliability, distribution.

Input: ``attempts``, a list of ``{question_id: mark}`` dicts (a missing question counts as 0),
and ``max_marks``, ``{question_id: maximum mark}``. Use fractions with max mark 1 if you like.

* facility index = mean mark / max mark (share of the marks the cohort earned);
* discrimination index = Pearson correlation between the question's mark and the rest of the test
  (total minus this question), as in Moodle's quiz statistics;
* Cronbach's alpha = k/(k-1) * (1 - sum of item variances / variance of totals);
* population variances (divide by n) throughout. Anything with zero variance or too few attempts
  is ``None``, never a division by zero.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

FACILITY_LOW = 0.2  # flag: too hard
FACILITY_HIGH = 0.9  # flag: too easy
DISCRIMINATION_LOW = 0.2  # flag: does not separate strong from weak learners
BINS = 10  # score distribution in 10% bins


@dataclass(frozen=True)
class QuestionStats:
    question_id: Hashable
    count: int
    mean: float
    max_mark: float
    facility: float | None
    sd: float | None
    discrimination: float | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuizStats:
    count: int
    max_total: float
    mean: float | None
    median: float | None
    sd: float | None
    alpha: float | None
    pass_rate: float | None
    distribution: list[int] = field(default_factory=list)  # counts per 10% bin, 100% in the last
    questions: list[QuestionStats] = field(default_factory=list)


def _variance(values: Sequence[float]) -> float:
    return statistics.pvariance(values) if len(values) > 1 else 0.0


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation; None when either side has no variance or there are < 2 values."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def flags_for(facility: float | None, discrimination: float | None) -> tuple[str, ...]:
    flags = []
    if facility is not None and facility < FACILITY_LOW:
        flags.append("too_hard")
    if facility is not None and facility > FACILITY_HIGH:
        flags.append("too_easy")
    if discrimination is not None and discrimination < DISCRIMINATION_LOW:
        flags.append("low_discrimination")
    return tuple(flags)


def analyse(
    attempts: Sequence[Mapping[Hashable, float]],
    max_marks: Mapping[Hashable, float],
    pass_mark: float | None = None,
) -> QuizStats:
    """Statistics for one quiz. ``pass_mark`` is a total mark (same scale as ``max_marks``)."""
    ids = list(max_marks)
    rows = [[float(a.get(q) or 0.0) for q in ids] for a in attempts]
    totals = [sum(row) for row in rows]
    max_total = float(sum(max_marks.values()))
    n = len(rows)

    questions = []
    for j, qid in enumerate(ids):
        marks = [row[j] for row in rows]
        rest = [t - m for t, m in zip(totals, marks, strict=True)]
        mean = sum(marks) / n if n else 0.0
        max_mark = float(max_marks[qid])
        facility = mean / max_mark if n and max_mark > 0 else None
        sd = math.sqrt(_variance(marks)) if n > 1 else None
        discrimination = pearson(marks, rest)
        questions.append(
            QuestionStats(qid, n, mean, max_mark, facility, sd, discrimination, flags_for(facility, discrimination))
        )

    k = len(ids)
    total_var = _variance(totals)
    alpha = None
    if k > 1 and n > 1 and total_var > 1e-12:
        item_var = sum(_variance([row[j] for row in rows]) for j in range(k))
        alpha = k / (k - 1) * (1 - item_var / total_var)

    distribution = [0] * BINS
    if max_total > 0:
        for total in totals:
            share = max(0.0, min(1.0, total / max_total))
            distribution[min(BINS - 1, int(share * BINS + 1e-9))] += 1

    return QuizStats(
        count=n,
        max_total=max_total,
        mean=statistics.fmean(totals) if n else None,
        median=statistics.median(totals) if n else None,
        sd=math.sqrt(total_var) if n > 1 else None,
        alpha=alpha,
        pass_rate=(sum(1 for t in totals if t >= pass_mark - 1e-9) / n) if n and pass_mark is not None else None,
        distribution=distribution,
        questions=questions,
    )
