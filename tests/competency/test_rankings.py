from datetime import timedelta

import pytest

from competency.breakdown import breakdown, breakdowns
from competency.index import Weights, competency_index
from competency.rankings import RankingFilters, rank_units
from lms.org.models import Category, UnitKind
from lms.topics import Topic
from tests.competency.factories import NOW, TODAY, certify, graded_attempt, topic_setup
from tests.factories import make_official, make_unit


def by_name(ranked):
    return {u.unit_name: u for u in ranked}


def test_index_formula_default_weights():
    w = Weights()
    assert competency_index(0.5, 80, 0.9, w) == pytest.approx(30 + 20 + 13.5)
    assert competency_index(1, 100, 1, w) == pytest.approx(100)
    assert competency_index(0, None, 0, w) == 0


def test_weights_from_config_are_normalised(app):
    app.config["COMPETENCY_WEIGHTS"] = {"coverage": 2, "score": 1, "participation": 1}
    try:
        w = Weights.from_config()
        assert (w.coverage, w.score, w.participation) == (0.5, 0.25, 0.25)
    finally:
        app.config.pop("COMPETENCY_WEIGHTS")


def test_unit_index_on_hand_made_data(session):
    t = topic_setup(session)
    unit = make_unit(session, name="Sở Thử Nghiệm")
    a1, a2, _a3, _a4 = (make_official(session, unit) for _ in range(4))
    graded_attempt(session, t[Topic.QLVB][1], a1, 90)
    graded_attempt(session, t[Topic.EMAIL][1], a1, 80)
    certify(session, a1, t[Topic.QLVB][0])
    certify(session, a1, t[Topic.EMAIL][0])
    graded_attempt(session, t[Topic.QLVB][1], a2, 50)
    session.commit()
    (u,) = rank_units(session, RankingFilters(), today=TODAY)
    assert u.officials == 4 and u.participants == 2
    assert u.coverage_map == {"qlvb": 0.25, "portal": 0.0, "email": 0.25, "security": 0.0}
    assert u.avg_best == pytest.approx(220 / 3)
    # 100 x (0.60 x 0.125 + 0.25 x 0.7333 + 0.15 x 0.5) = 7.5 + 18.333 + 7.5
    assert u.index == 33.33 and u.points == 33.33 and u.percent == 33.33
    assert [c[0] for c in u.components] == ["coverage", "score", "participation"]
    assert u.components[0][1:] == (7.5, 60.0)
    assert u.too_few  # 4 < 5


def test_ties_share_a_rank_and_names_sort_in_vietnamese_order(session):
    t = topic_setup(session)
    quiz = t[Topic.QLVB][1]
    units = {name: make_unit(session, name=name) for name in ("Sở Cao", "Sở Bắc", "Sở Ánh", "Sở Zê")}
    graded_attempt(session, quiz, make_official(session, units["Sở Cao"]), 100)  # 25 + 15 = 40
    graded_attempt(session, quiz, make_official(session, units["Sở Bắc"]), 60)  # 15 + 15 = 30
    graded_attempt(session, quiz, make_official(session, units["Sở Ánh"]), 60)  # 30
    make_official(session, units["Sở Zê"])  # 0
    session.commit()
    ranked = rank_units(session, today=TODAY)
    assert [(u.unit_name, u.rank, u.index) for u in ranked] == [
        ("Sở Cao", 1, 40.0),
        ("Sở Ánh", 2, 30.0),
        ("Sở Bắc", 2, 30.0),
        ("Sở Zê", 4, 0.0),
    ]
    top_bottom = {u.unit_name: (u.is_top, u.is_bottom) for u in ranked}
    assert top_bottom["Sở Cao"] == (True, False)
    assert top_bottom["Sở Zê"] == (False, True)


def test_blocks_are_ranked_separately(session):
    t = topic_setup(session)
    quiz = t[Topic.EMAIL][1]
    so = make_unit(session, name="Sở A", kind=UnitKind.SO_BAN_NGANH)
    sn = make_unit(session, name="Trung tâm B", kind=UnitKind.SU_NGHIEP)
    huyen = make_unit(session, name="Huyện C", kind=UnitKind.HUYEN)
    xa = make_unit(session, name="Xã D", kind=UnitKind.XA)
    for unit, score in ((so, 90), (sn, 50), (huyen, 10), (xa, 20)):
        graded_attempt(session, quiz, make_official(session, unit), score)
    session.commit()
    ranked = by_name(rank_units(session, today=TODAY))
    assert (ranked["Sở A"].block, ranked["Sở A"].rank) == ("so", 1)
    assert (ranked["Trung tâm B"].block, ranked["Trung tâm B"].rank) == ("so", 2)
    assert (ranked["Huyện C"].block, ranked["Huyện C"].rank, ranked["Huyện C"].block_size) == ("huyen", 1, 1)
    assert (ranked["Xã D"].block, ranked["Xã D"].rank) == ("xa", 1)
    only = rank_units(session, RankingFilters(block="huyen"), today=TODAY)
    assert [u.unit_name for u in only] == ["Huyện C"]


def test_too_few_officials_is_flagged_not_hidden(app, session):
    small = make_unit(session, name="Nhỏ")
    big = make_unit(session, name="Lớn")
    for _ in range(4):
        make_official(session, small)
    for _ in range(5):
        make_official(session, big)
    session.commit()
    ranked = by_name(rank_units(session, today=TODAY))
    assert ranked["Nhỏ"].too_few and not ranked["Lớn"].too_few
    app.config["COMPETENCY_MIN_OFFICIALS"] = 10
    try:
        assert by_name(rank_units(session, today=TODAY))["Lớn"].too_few
    finally:
        app.config.pop("COMPETENCY_MIN_OFFICIALS")


def test_filters_topic_category_age_and_period(session):
    t = topic_setup(session)
    unit = make_unit(session, name="Sở Lọc")
    young = make_official(session, unit, birth_year=TODAY.year - 25, category=Category.VIEN_CHUC)
    old = make_official(session, unit, birth_year=TODAY.year - 55)
    graded_attempt(session, t[Topic.QLVB][1], young, 80, at=NOW - timedelta(days=100))
    graded_attempt(session, t[Topic.PORTAL][1], old, 40, at=NOW)
    certify(session, young, t[Topic.QLVB][0])
    session.commit()

    def one(**kw):
        (u,) = rank_units(session, RankingFilters(**kw), today=TODAY)
        return u

    assert one(topic="qlvb").coverage_map == {"qlvb": 0.5}
    assert one(topic="qlvb").index == pytest.approx(round(100 * (0.6 * 0.5 + 0.25 * 0.8 + 0.15 * 0.5), 2))
    assert one(category="vien_chuc").officials == 1
    assert one(age_group="lt30").officials == 1 and one(age_group="lt30").avg_best == 80
    assert one(age_group="50plus").avg_best == 40
    assert rank_units(session, RankingFilters(age_group="40_49"), today=TODAY) == []
    recent = one(date_from=TODAY - timedelta(days=30), date_to=TODAY)
    assert recent.participants == 1 and recent.avg_best == 40 and recent.coverage_mean == 0


def test_filters_from_request_args_drop_unknown_values():
    f = RankingFilters.from_args({"topic": "qlvb", "block": "nope", "age_group": "30_39", "month": "2026-10"})
    assert (f.topic, f.block, f.age_group, f.month.isoformat()) == ("qlvb", "", "30_39", "2026-10-01")
    assert RankingFilters.from_args(f.as_args()) == f


def test_cache_is_invalidated_on_commit_and_bypassed_while_dirty(session):
    t = topic_setup(session)
    unit = make_unit(session, name="Sở Bộ Đệm")
    person = make_official(session, unit)
    session.commit()
    assert rank_units(session, today=TODAY)[0].participants == 0
    assert rank_units(session, today=TODAY)[0].participants == 0  # served from the cache
    graded_attempt(session, t[Topic.SECURITY][1], person, 75)
    assert rank_units(session, today=TODAY)[0].participants == 1  # same transaction sees its write
    session.rollback()
    assert rank_units(session, today=TODAY)[0].participants == 0  # rolled back: not cached stale
    graded_attempt(session, t[Topic.SECURITY][1], person, 75)
    session.commit()
    assert rank_units(session, today=TODAY)[0].participants == 1


def test_cache_follows_changes_to_officials(session):
    unit = make_unit(session, name="Sở Chuyển")
    other = make_unit(session, name="Sở Đến")
    person = make_official(session, unit)
    make_official(session, other)
    session.commit()
    assert by_name(rank_units(session, today=TODAY))["Sở Chuyển"].officials == 1
    person.unit_id = other.id  # moved by the org package: no competency event
    session.commit()
    ranked = by_name(rank_units(session, today=TODAY))
    assert "Sở Chuyển" not in ranked and ranked["Sở Đến"].officials == 2


def test_breakdowns_add_up_to_the_unit_figures(session):
    t = topic_setup(session)
    unit = make_unit(session, name="Sở Nhiều Nhóm")
    people = [
        make_official(session, unit, category=category, birth_year=year)
        for category, year in [(Category.CONG_CHUC, 1990), (Category.CONG_CHUC, 1970), (Category.VIEN_CHUC, 1990)]
    ]
    graded_attempt(session, t[Topic.QLVB][1], people[0], 90)
    certify(session, people[0], t[Topic.QLVB][0])
    graded_attempt(session, t[Topic.EMAIL][1], people[2], 60)
    session.commit()
    (u,) = rank_units(session, today=TODAY)
    got = breakdowns(session, unit_id=unit.id, today=TODAY)
    for dimension, rows in got.items():
        assert sum(r.officials for r in rows) == u.officials == 3, dimension
        assert sum(r.participants for r in rows) == u.participants == 2, dimension
        assert rows == breakdown(session, dimension, unit_id=unit.id, today=TODAY)
    by_key = {r.key: r for r in got["category"]}
    assert (by_key["cong_chuc"].officials, by_key["cong_chuc"].participants) == (2, 1)
    assert by_key["cong_chuc"].avg_best == 90 and by_key["vien_chuc"].avg_best == 60
    assert by_key["cong_chuc"].coverage_mean == pytest.approx(0.5 / 4)
    assert {r.key: r.officials for r in got["age_group"]} == {"30_39": 2, "50plus": 1}


def _figures(session, filters, today, use_summaries):
    from competency.rankings import ranking_query

    query, topics = ranking_query(filters, today, use_summaries=use_summaries)
    return {
        row.id: (
            int(row.officials),
            int(row.participants),
            None if row.avg_best is None else round(float(row.avg_best), 9),
            tuple(int(getattr(row, f"cov_{t}")) for t in topics),
            int(row.practice_passed),
        )
        for row in session.execute(query)
    }


def test_ranking_through_summaries_equals_ranking_from_records(session):
    """The one-pass ranking (per-official summaries) and the two-pass one (records folded per
    official) agree on random data, unfiltered and with each people filter, and on a day when some
    certificates have expired since they were written."""
    import random

    from lms.org.models import Level
    from tests.competency.factories import certify
    from tests.practice.factories import make_scenario, pass_exercise

    rng = random.Random(2014)
    t = topic_setup(session)
    exercises = {topic: make_scenario(session, course) for topic, (course, _q) in t.items()}
    units = [make_unit(session, name=f"Sở Số {i}") for i in range(4)]
    people = [
        make_official(
            session,
            rng.choice(units),
            category=rng.choice(list(Category)),
            level=rng.choice(list(Level)),
            birth_year=rng.randint(1962, 2001),
        )
        for _ in range(40)
    ]
    for person in people:
        for topic in rng.sample(list(Topic), rng.randint(0, 4)):
            course, quiz = t[topic]
            graded_attempt(session, quiz, person, round(rng.uniform(10, 100), 2))
            if rng.random() < 0.5:
                certify(session, person, course, issued_on=TODAY - timedelta(days=rng.choice([0, 200, 700, 800])))
            if rng.random() < 0.4:
                pass_exercise(session, person, exercises[topic])
    session.commit()
    later = TODAY + timedelta(days=400)  # certificates issued 700 days before TODAY have expired by then
    cases = [
        RankingFilters(),
        RankingFilters(category="cong_chuc"),
        RankingFilters(level="huyen", block="so"),
        RankingFilters(age_group="50plus"),
    ]
    seen_coverage = set()
    for filters in cases:
        for day in (TODAY, later):
            one_pass = _figures(session, filters, day, True)
            assert one_pass == _figures(session, filters, day, False), (filters, day)
            seen_coverage.add(sum(sum(v[3]) for v in one_pass.values()))
    assert len(seen_coverage) > 2  # the cases differ: the comparison is not between empty results
    assert sum(v[4] for v in _figures(session, RankingFilters(), TODAY, True).values()) > 0  # practice counted
    assert sum(v[3][0] for v in _figures(session, RankingFilters(), later, True).values()) < sum(
        v[3][0] for v in _figures(session, RankingFilters(), TODAY, True).values()
    )


def test_the_practical_component_counts_only_with_a_weight(app, session):
    """Practice exercises passed count in the index once the configuration gives them a weight (0 by
    default): share = exercises passed / (active officials x published exercises in scope)."""
    from tests.practice.factories import make_scenario, pass_exercise

    t = topic_setup(session)
    exercises = {topic: [make_scenario(session, course) for _ in range(2)] for topic, (course, _q) in t.items()}
    unit = make_unit(session, name="Sở Thực Hành")
    a, b = make_official(session, unit), make_official(session, unit)
    pass_exercise(session, a, exercises[Topic.QLVB][0])
    pass_exercise(session, a, exercises[Topic.QLVB][1])
    pass_exercise(session, b, exercises[Topic.EMAIL][0])
    session.commit()
    before = by_name(rank_units(session))["Sở Thực Hành"]
    assert before.practice == pytest.approx(3 / (2 * 8))
    assert before.index == 0 and [c[0] for c in before.components] == ["coverage", "score", "participation"]
    qlvb_only = by_name(rank_units(session, RankingFilters(topic="qlvb")))["Sở Thực Hành"]
    assert qlvb_only.practice == pytest.approx(2 / (2 * 2))

    app.config["COMPETENCY_WEIGHTS"] = {"coverage": 0.5, "score": 0.2, "participation": 0.1, "practice": 0.2}
    try:
        weighted = by_name(rank_units(session))["Sở Thực Hành"]
        assert weighted.index == pytest.approx(round(100 * 0.2 * 3 / 16, 2))
        assert ("practice", pytest.approx(100 * 0.2 * 3 / 16, abs=0.01), 20.0) in [
            (n, pytest.approx(p, abs=0.01), m) for n, p, m in weighted.components
        ]
        rows = breakdown(session, "category", unit_id=unit.id)
        assert sum(r.practice * r.officials for r in rows) == pytest.approx(3 / 8)
    finally:
        app.config.pop("COMPETENCY_WEIGHTS")


def test_a_passed_exercise_updates_the_record_at_once(session):
    from sqlalchemy import select

    from competency.models import CompetencyRecord, CompetencySummary
    from tests.practice.factories import make_scenario, pass_exercise

    t = topic_setup(session)
    person = make_official(session)
    pass_exercise(session, person, make_scenario(session, t[Topic.PORTAL][0], app="portal"))
    (record,) = session.scalars(select(CompetencyRecord)).all()
    assert (record.topic, record.status, record.practice_passed, record.attempts_count) == (
        Topic.PORTAL,
        "in_progress",
        1,
        0,
    )
    assert session.get(CompetencySummary, person.id).practice_passed == 1
