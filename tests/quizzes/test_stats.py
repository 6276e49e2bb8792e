"""Item analysis against a hand-computed example."""

from __future__ import annotations

import pytest

from quizzes.stats import DISCRIMINATION_LOW, FACILITY_HIGH, FACILITY_LOW, analyse, pearson

ATTEMPTS = [
    {"q1": 1, "q2": 1, "q3": 2},
    {"q1": 1, "q2": 0, "q3": 2},
    {"q1": 0, "q2": 1, "q3": 0},
    {"q1": 0, "q2": 0},  # q3 missing counts as 0
]
MAX = {"q1": 1, "q2": 1, "q3": 2}


def test_hand_computed_example():
    """Totals are 4, 3, 1, 0 (max 4): mean 2, median 2, population variance (4+1+1+4)/4 = 2.5.

    q1 marks 1,1,0,0: mean 0.5, facility 0.5, variance 0.25, sd 0.5.
      rest of test = totals - q1 = 3,2,1,0 (mean 1.5): deviations (0.5,0.5,-0.5,-0.5) x (1.5,0.5,-0.5,-1.5):
      cov = (0.75 + 0.25 + 0.25 + 0.75)/4 = 0.5; var(rest) = (2.25+0.25+0.25+2.25)/4 = 1.25;
      r = 0.5 / sqrt(0.25*1.25) = 0.894427...
    q2 marks 1,0,1,0: rest = 3,3,0,0 -> deviations (0.5,-0.5,0.5,-0.5) x (1.5,1.5,-1.5,-1.5)
      sum = 0.75-0.75-0.75+0.75 = 0 -> r = 0 (flagged: below 0.2).
    q3 marks 2,2,0,0: mean 1, facility 0.5, variance 1; rest = 2,1,1,0.
    Cronbach's alpha = 3/2 * (1 - (0.25 + 0.25 + 1) / 2.5) = 1.5 * 0.4 = 0.6.
    Pass mark 3 -> 2 of 4 pass. Bins: 100% -> last bin, 75% -> bin 7, 25% -> bin 2, 0% -> bin 0.
    """
    stats = analyse(ATTEMPTS, MAX, pass_mark=3)
    assert (stats.count, stats.max_total, stats.mean, stats.median) == (4, 4, 2, 2)
    assert stats.sd == pytest.approx(2.5**0.5)
    assert stats.alpha == pytest.approx(0.6)
    assert stats.pass_rate == 0.5
    assert stats.distribution == [1, 0, 1, 0, 0, 0, 0, 1, 0, 1]
    q1, q2, q3 = stats.questions
    assert (q1.facility, q1.sd) == (0.5, 0.5)
    assert q1.discrimination == pytest.approx(0.5 / (0.25 * 1.25) ** 0.5)
    assert q2.discrimination == pytest.approx(0) and "low_discrimination" in q2.flags
    assert q3.facility == 0.5 and q3.mean == 1 and q1.flags == ()


def test_zero_variance_gives_none_not_division_by_zero():
    stats = analyse([{"a": 1, "b": 1}, {"a": 1, "b": 1}], {"a": 1, "b": 1}, pass_mark=1)
    assert stats.alpha is None
    assert all(q.discrimination is None for q in stats.questions)
    assert all("too_easy" in q.flags for q in stats.questions)
    assert analyse([], {"a": 1}).mean is None
    assert analyse([{"a": 0}], {"a": 1}).questions[0].flags == ("too_hard",)
    assert pearson([1, 2], [3, 3]) is None


def test_thresholds_are_module_constants():
    assert (FACILITY_LOW, FACILITY_HIGH, DISCRIMINATION_LOW) == (0.2, 0.9, 0.2)
