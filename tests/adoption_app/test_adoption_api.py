"""adoption.api: what other features read (the ranking's usage component, training targeting)."""

from datetime import date

import pytest

from adoption import api
from adoption.models import System
from tests.adoption_app.factories import run_import, small_province
from tests.adoption_app.test_adoption_indicators import OCT, TODAY, dms_rows, email_rows, portal_rows


@pytest.fixture
def october(session):
    p = small_province(session)
    for system, rows in ((System.EMAIL, email_rows), (System.DMS, dms_rows), (System.PORTAL, portal_rows)):
        run_import(session, system, OCT, rows(p), TODAY)
    session.commit()
    return p


def test_nothing_before_the_first_import(session):
    assert api.latest_month(session) is None
    assert api.unit_usage_scores(session) == (None, {})
    assert api.low_usage_units(session) == [] and api.low_usage_officials(session, "email") == []


def test_unit_scores_of_the_latest_month(session, october):
    p = october
    month, scores = api.unit_usage_scores(session)
    assert month == OCT and set(scores) == {u.id for u in p.units.values()}
    assert scores[p.units["A"].id] == pytest.approx(100 * (2 / 4 + 10 / 20 + 1) / 3, abs=0.01)
    assert api.unit_usage_scores(session, date(2026, 9, 1)) == (date(2026, 9, 1), {})


def test_low_usage_units_and_officials(session, october):
    p = october
    low = api.low_usage_units(session, below=30, today=TODAY)
    # D: no e-mail (0/2), no document data (not in the file: 0), no portal -> 0; C: 21.1; B: 25.0
    assert [u.unit_name for u in low] == ["Trung tâm Dữ liệu D", "Xã Đồng Cỏ", "Sở Thử Nghiệm B"]
    assert low[1].portal_stale and not low[0].uses_dms
    names = [o.full_name for o in api.low_usage_officials(session, "email", unit_ids=[p.units["A"].id])]
    assert names == ["Trần Thị Bình", "Phạm Văn Cường"]  # a2, a4 (list order: by given name)
    assert api.low_usage_officials(session, "security") == []
