"""Training targeting lists low usage beside low competency: adoption fills training's need-source hook.

The small province's October (tests.adoption_app.test_adoption_indicators): usage scores A 66.67,
B 25, C 21.11, D 0; in unit A, a2 and a4 did not use official e-mail. Nobody has started a course.
"""

import pytest

from adoption.models import System
from lms.auth.models import Role
from lms.topics import Topic
from tests.adoption_app.factories import run_import, small_province
from tests.adoption_app.test_adoption_indicators import OCT, TODAY, dms_rows, email_rows, portal_rows
from tests.factories import login_as, make_user
from tests.training.factories import make_session
from training import services
from training.targeting import need_sources, reason_label


@pytest.fixture
def october(session):
    p = small_province(session)
    for system, rows in ((System.EMAIL, email_rows), (System.DMS, dms_rows), (System.PORTAL, portal_rows)):
        run_import(session, system, OCT, rows(p), TODAY)
    session.commit()
    return p


def test_units_and_officials_with_low_usage_are_listed_with_the_reason(app, client, session, october):
    p = october
    assert [s.name for s in need_sources(app)] == ["usage"]
    training_session = make_session(session, topic=Topic.EMAIL, target_unit_ids=[p.units["A"].id])
    session.commit()
    proposal = services.propose_targets(session, training_session)
    # units: every index is 0 (nobody started), so none stands out on competency; usage: a quarter of 4
    # is 1, the cut is D's 0, below the median (21.11 + 25) / 2
    assert [(u.unit_name, u.reasons) for u in proposal.units if u.flagged] == [("Trung tâm Dữ liệu D", ("usage",))]
    assert proposal.cuts == {"competency": 0.0, "usage": 0.0}
    people = {o.official_id: o for o in proposal.officials}
    a2, a4 = p.people["a2"].id, p.people["a4"].id
    assert [o.official_id for o in proposal.officials[:2]] == [a2, a4]  # both reasons first (list order)
    assert people[a2].reasons == ("competency", "usage")
    assert people[a2].details == ("không dùng thư công vụ tháng 10/2026",)
    assert people[p.people["a1"].id].reasons == ("competency",)
    assert set(people) == {p.people[k].id for k in ("a1", "a2", "a3", "a4")}  # the session's unit only
    assert reason_label(people[a2].reasons, proposal.sources) == "Cả hai: năng lực còn yếu, ít sử dụng"

    login_as(client, make_user(session, Role.IT_STAFF))
    page = client.get(f"/training/{training_session.id}/targeting").text
    assert '<span class="badge bad">Ít sử dụng</span>' in page and "Cả hai: năng lực còn yếu, ít sử dụng" in page
    assert "Lấy số liệu tháng gần nhất đã nhập: 10/2026." in page  # what the usage score is, and its month
    assert "không dùng thư công vụ tháng 10/2026" in page


def test_topics_without_a_personal_application_list_no_usage_officials(session, october):
    training_session = make_session(session, topic=Topic.SECURITY)
    session.commit()
    proposal = services.propose_targets(session, training_session)
    assert all(o.reasons == ("competency",) for o in proposal.officials)
    assert any(u.flagged for u in proposal.units)  # units still stand out on usage
