"""The unit ranking's usage part: registered by adoption in competency's index (weight 0 by default).

The month of tests.adoption_app.test_adoption_indicators (e-mail, document software and portal files
of October), usage scores A 66.67, B 25, C 21.11, D 0 (asserted below as the premise); competency
worked by hand on top.
"""

import csv
import io
from contextlib import contextmanager
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from adoption import api
from adoption.models import System
from competency import cache as competency_cache
from competency.index import Weights, index_components
from competency.rankings import RankingFilters, rank_units
from lms.auth.models import Role
from lms.topics import Topic
from tests.adoption_app.factories import run_import, small_province
from tests.adoption_app.test_adoption_indicators import OCT, TODAY, dms_rows, email_rows, portal_rows
from tests.certificates_app.factories import pdf_text
from tests.competency.factories import graded_attempt, topic_setup
from tests.factories import login_as, make_user

NOV = date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _fresh_rankings():
    competency_cache.clear()
    yield
    assert competency_cache.wait_for_refreshes()
    competency_cache.clear()


@contextmanager
def weights(app, **parts):
    app.config["COMPETENCY_WEIGHTS"] = parts
    try:
        yield
    finally:
        app.config.pop("COMPETENCY_WEIGHTS")


@pytest.fixture
def october(session):
    """The small province's October usage, and one graded attempt: a1 (unit A) scored 80 on qlvb."""
    p = small_province(session)
    for system, rows in ((System.EMAIL, email_rows), (System.DMS, dms_rows), (System.PORTAL, portal_rows)):
        run_import(session, system, OCT, rows(p), TODAY)
    quizzes = topic_setup(session)
    graded_attempt(session, quizzes[Topic.QLVB][1], p.people["a1"], 80)
    session.commit()
    _month, scores = api.unit_usage_scores(session)
    assert {k: round(scores[p.units[k].id], 2) for k in "ABCD"} == {"A": 66.67, "B": 25.0, "C": 21.11, "D": 0.0}
    return p


def by_name(ranked):
    return {u.unit_name: u for u in ranked}


def test_adoption_registers_the_usage_part_with_weight_0(app):
    assert "usage" in index_components(app)
    assert Weights.from_config() == Weights()  # no usage weight: the index is the one it always was


def test_weight_0_leaves_the_ranking_as_it_was(app, session, october):
    default = rank_units(session, today=TODAY)
    competency_cache.clear()
    with weights(app, coverage=0.6, score=0.25, participation=0.15, practice=0, usage=0):
        assert Weights.from_config() == Weights()
        explicit_zero = rank_units(session, today=TODAY)
    assert explicit_zero == default
    a = by_name(default)["Sở Thử Nghiệm A"]
    # 100 x (0.60 x 0 + 0.25 x 80 / 100 + 0.15 x 1/4) = 20 + 3.75
    assert a.index == 23.75 and a.extras == ()
    assert [c[0] for c in a.components] == ["coverage", "score", "participation"]
    assert {u.unit_name: u.index for u in default if u.unit_name != "Sở Thử Nghiệm A"} == {
        "Sở Thử Nghiệm B": 0,
        "Xã Đồng Cỏ": 0,
        "Trung tâm Dữ liệu D": 0,
    }


def test_usage_weight_on_a_hand_worked_example(app, session, october):
    # weights 0.6 / 0.25 / 0.15 / usage 0.25, normalised by 1.25: 0.48 / 0.2 / 0.12 / 0.2
    with weights(app, coverage=0.6, score=0.25, participation=0.15, usage=0.25):
        ranked = by_name(rank_units(session, today=TODAY))
        block = rank_units(session, RankingFilters(block="so"), today=TODAY)
    a, b, c, d = (ranked[n] for n in ("Sở Thử Nghiệm A", "Sở Thử Nghiệm B", "Xã Đồng Cỏ", "Trung tâm Dữ liệu D"))
    # A: 100 x (0.2 x 0.8 + 0.12 x 0.25) + 0.2 x 66.67 = 16 + 3 + 13.334
    assert a.index == 32.33
    assert ("usage", 13.33, 20.0) in a.components and a.extra_map["usage"] == 66.67  # stored to 2 decimals
    assert b.index == 5.0  # 0.2 x 25
    assert c.index == pytest.approx(round(0.2 * c.extra_map["usage"], 2)) and c.index == 4.22
    assert d.index == 0 and d.extra_map == {"usage": 0.0}
    # the order in the block follows: A, B, then D (Xã Đồng Cỏ is alone in its block)
    assert [(u.unit_name, u.rank) for u in block] == [
        ("Sở Thử Nghiệm A", 1),
        ("Sở Thử Nghiệm B", 2),
        ("Trung tâm Dữ liệu D", 3),
    ]


def test_the_usage_weight_comes_from_the_environment(monkeypatch, tmp_path):
    from lms.config import load_config

    monkeypatch.setenv("LMS_COMPETENCY_WEIGHTS", "coverage=0.6,score=0.25,participation=0.15,usage=0.25")
    cfg = load_config(tmp_path, {"SECRET_KEY": "x" * 40})
    assert cfg["COMPETENCY_WEIGHTS"]["usage"] == 0.25


def test_a_weight_for_a_part_no_feature_registered_is_left_out():
    """competency without adoption: a usage weight set in the configuration changes nothing."""
    config = {"COMPETENCY_WEIGHTS": {"coverage": 0.6, "score": 0.25, "participation": 0.15, "usage": 0.5}}
    assert Weights.from_config(config, components={}) == Weights()


def test_breakdowns_and_lagging_units_keep_the_competency_parts(app, session, october):
    from competency.breakdown import breakdown
    from competency.lagging import lagging_units

    before = breakdown(session, "category", today=TODAY)
    lagging_before = lagging_units(session, Topic.QLVB, today=TODAY)
    competency_cache.clear()
    with weights(app, coverage=0.6, score=0.25, participation=0.15, usage=0.25):
        assert breakdown(session, "category", today=TODAY) == before
        assert lagging_units(session, Topic.QLVB, today=TODAY) == lagging_before


def test_a_usage_import_changes_the_cached_ranking(app, session, october):
    p = october
    with weights(app, coverage=0.6, score=0.25, participation=0.15, usage=0.25):
        assert by_name(rank_units(session, today=TODAY))["Sở Thử Nghiệm B"].index == 5.0  # cached now
        # November: b1 and b2 both log in; no other file yet, so B's score is its e-mail share alone
        rows = [{"mailbox": p.people[k].email, "last_login": "05/11/2026 08:00"} for k in ("b1", "b2")]
        run_import(session, System.EMAIL, NOV, rows, date(2026, 11, 20))
        session.commit()
        _month, scores = api.unit_usage_scores(session)
        assert _month == NOV
        b = by_name(rank_units(session, today=TODAY))["Sở Thử Nghiệm B"]
    assert b.extra_map["usage"] == pytest.approx(scores[p.units["B"].id]) and b.extra_map["usage"] > 25
    assert b.index == round(0.2 * scores[p.units["B"].id], 2)


def _csv(client, url):
    return list(csv.reader(io.StringIO(client.get(url).get_data(as_text=True).lstrip("\ufeff"))))


def test_pages_and_exports_show_the_usage_column_only_with_a_weight(app, client, session, october):
    login_as(client, make_user(session, Role.IT_STAFF))
    heading = "Điểm sử dụng ứng dụng"
    page = client.get("/competency/").get_data(as_text=True)
    assert heading not in page
    assert heading not in _csv(client, "/competency/ranking.csv")[0]
    with weights(app, coverage=0.6, score=0.25, participation=0.15, usage=0.25):
        page = client.get("/competency/").get_data(as_text=True)
        assert f'<th scope="col" class="num">{heading}</th>' in page
        assert "Phần “Điểm sử dụng ứng dụng” (chiếm 20%)" in page  # explained like the other parts
        assert "Lấy số liệu tháng gần nhất đã nhập: 10/2026." in page
        # 24 + 16 + 10.8 + 12
        assert (
            "“Điểm sử dụng ứng dụng” 60/100 thì chỉ số là 0,48 × 50 + 0,20 × 80 + 0,12 × 90 + 0,20 × 60 = 62,8." in page
        )
        rows = _csv(client, "/competency/ranking.csv")
        column = rows[0].index(f"{heading} (0–100)")
        assert {r[3]: r[column] for r in rows[1:]}["Sở Thử Nghiệm A"] == "66.7"
        ws = load_workbook(io.BytesIO(client.get("/competency/ranking.xlsx").data)).active
        header = [c.value for c in ws[2]]
        assert f"{heading} (0–100)" in header
        text = pdf_text(client.get("/competency/ranking.pdf").data)
        assert heading in " ".join(text.split())


def test_the_english_page_names_the_usage_part(app, client, session, october):
    user = make_user(session, Role.IT_STAFF)
    user.preferences = {"locale": "en"}
    session.commit()
    login_as(client, user)
    with weights(app, coverage=0.6, score=0.25, participation=0.15, usage=0.25):
        page = client.get("/competency/").get_data(as_text=True)
    assert "Application usage score" in page and "Điểm sử dụng" not in page


def test_an_app_without_adoption_ignores_a_usage_weight(tmp_path):
    """The kernel rule: competency and training run without adoption installed."""
    from lms import create_app
    from lms.config import FEATURES
    from training.targeting import need_sources

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "TESTING": True,
            "SECRET_KEY": "k" * 40,
            "INSTANCE_DIR": str(tmp_path / "inst"),
            "FEATURES": tuple(f for f in FEATURES if f != "adoption"),
            "COMPETENCY_WEIGHTS": {"coverage": 0.6, "score": 0.25, "participation": 0.15, "usage": 0.25},
        }
    )
    with app.app_context():
        assert index_components() == {} and need_sources() == []
        assert Weights.from_config() == Weights()


def test_a_snapshot_of_a_past_month_takes_that_months_usage(app, session, october):
    """October's snapshot, taken after November's usage came in, ranks on October's usage (B: 25);
    November's on November's (B: both log in, more)."""
    from competency.models import UnitSnapshot
    from competency.snapshots import take_snapshot

    p = october
    rows = [{"mailbox": p.people[k].email, "last_login": "05/11/2026 08:00"} for k in ("b1", "b2")]
    run_import(session, System.EMAIL, NOV, rows, date(2026, 11, 20))
    session.commit()
    november = api.unit_usage_scores(session, NOV)[1][p.units["B"].id]
    assert november > 25  # the premise: the two months differ
    with weights(app, coverage=0.6, score=0.25, participation=0.15, usage=0.25):
        take_snapshot(session, OCT, today=date(2026, 12, 2))
        take_snapshot(session, NOV, today=date(2026, 12, 2))
        take_snapshot(session, date(2026, 12, 1), today=date(2026, 12, 2))  # December: no usage imported yet
    session.commit()
    index = {(s.month, s.unit_id): s.index for s in session.scalars(select(UnitSnapshot))}
    b = p.units["B"].id
    assert index[(OCT, b)] == 5.0  # 0.2 x 25, October's usage
    assert index[(NOV, b)] == round(0.2 * november, 2)
    assert index[(date(2026, 12, 1), b)] == round(0.2 * november, 2)  # the latest month before it, not 0
