"""The IT staff's targeting page: units and officials by need, what stands out, pages, the choice kept."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.topics import Topic
from tests.competency.factories import graded_attempt, make_course, make_final_quiz
from tests.factories import login_as, make_official, make_unit, make_user
from tests.training.factories import make_session
from training import services
from training.models import Participant
from training.targeting import BELOW, FlagRule, NeedSource, propose_targets, reason_label, stand_out


# -- the flag rule, by hand ------------------------------------------------------------------------------------
def test_the_lowest_quarter_stands_out_with_ties_at_the_edge_but_not_when_most_are_level():
    values = {1: 0.0, 2: 10.0, 3: 10.0, 4: 40.0, 5: 80.0, 6: 90.0, 7: 95.0, 8: 100.0}
    # 8 units: a quarter is 2; the 2nd lowest is 10, and unit 3 has 10 too; the median is 60
    assert stand_out(values, FlagRule(), 50) == ({1, 2, 3}, 10.0)
    assert stand_out(values, FlagRule(mode=BELOW), 50) == ({1, 2, 3, 4}, 50)
    assert stand_out(values, FlagRule(mode=BELOW), 0) == (set(), 0)
    # before anyone started every unit is at 0: none stands out (it used to flag 36 of 38)
    assert stand_out(dict.fromkeys(range(38), 0.0), FlagRule(), 50) == (set(), 0.0)
    five = {1: 0.0, 2: 0.0, 3: 0.0, 4: 20.0, 5: 30.0}  # a quarter of 5 is 2: the cut is 0, the median too
    assert stand_out(five, FlagRule(), 50) == (set(), 0.0)
    assert stand_out({}, FlagRule(), 50) == (set(), None)


def test_the_rule_read_from_the_page_keeps_defaults_for_what_it_cannot_read():
    assert FlagRule.from_args({}) == FlagRule()
    rule = FlagRule.from_args({"rule": "below", "below_index": "32,5", "below_score": "200"})
    assert rule == FlagRule(BELOW, 32.5, 100.0)
    assert FlagRule.from_args({"rule": "x", "below_index": "nan", "below_score": "abc"}) == FlagRule()
    assert FlagRule.from_args(rule.as_args()) == rule


# -- the proposal on a hand-worked province --------------------------------------------------------------------
@pytest.fixture
def province(session):
    """Topic e-mail. Index = 100 x (0.60 x certified + 0.25 x avg best / 100 + 0.15 x took part):
    Xã Yếu 0 (nobody started); Xã Trượt 0.25 x 45 + 15 = 26.25 (40 and 50); Xã Vừa 0.25 x 80 + 7.5 =
    27.5 (80, one not started); Xã Mạnh 0.25 x 90 + 15 = 37.5 (90 and 90)."""
    quiz = make_final_quiz(session, make_course(session, Topic.EMAIL))
    units = {name: make_unit(session, name=name) for name in ("Xã Mạnh", "Xã Trượt", "Xã Vừa", "Xã Yếu")}
    people = {}
    for key, unit, given, score in (
        ("w1", "Xã Yếu", "An", None),
        ("w2", "Xã Yếu", "Bình", None),
        ("f1", "Xã Trượt", "Cúc", 40),
        ("f2", "Xã Trượt", "Dung", 50),
        ("m1", "Xã Vừa", "Giang", 80),
        ("m2", "Xã Vừa", "Hà", None),
        ("s1", "Xã Mạnh", "Khoa", 90),
        ("s2", "Xã Mạnh", "Lan", 90),
    ):
        people[key] = make_official(session, units[unit], given_name=given)
        if score is not None:
            graded_attempt(session, quiz, people[key], score)
    session.commit()
    return units, people


def test_units_and_officials_by_need_with_what_stands_out(session, province):
    units, people = province
    proposal = propose_targets(session, Topic.EMAIL, sources=[])
    assert [(u.unit_name, u.index, u.reasons) for u in proposal.units] == [
        ("Xã Yếu", 0.0, ("competency",)),  # 4 units: a quarter is 1 (the cut: 0, below the median 26.875)
        ("Xã Trượt", 26.25, ()),
        ("Xã Vừa", 27.5, ()),
        ("Xã Mạnh", 37.5, ()),
    ]
    # need: not started 100; failing 50 + 40 x (70 - score) / 70: Cúc 67.14, Dung 61.43; Giang (80) and the
    # Xã Mạnh pair passed. Hà (need 100) comes after Xã Yếu's pair: her unit is further down the list,
    # whatever its name ("Xã Vừa" sorts before "Xã Yếu": the old page sorted by unit name)
    assert [(o.full_name.split()[-1], round(o.need, 2)) for o in proposal.officials] == [
        ("An", 100.0),
        ("Bình", 100.0),
        ("Hà", 100.0),
        ("Cúc", 67.14),
        ("Dung", 61.43),
    ]
    below = propose_targets(session, Topic.EMAIL, rule=FlagRule(BELOW, 27.0), sources=[])
    assert [u.unit_name for u in below.units if u.flagged] == ["Xã Yếu", "Xã Trượt"]


def _usage(units, people):
    """A source like adoption's: usage scores per unit, and the officials it lists."""
    scores = {"Xã Yếu": 90.0, "Xã Trượt": 60.0, "Xã Vừa": 10.0, "Xã Mạnh": 20.0}
    listed = [people["s1"], people["w1"]]
    return NeedSource(
        "usage",
        "Ít sử dụng",
        units=lambda session: {units[n].id: (s, f"thư công vụ {s:g}%") for n, s in scores.items()},
        officials=lambda session, topic, unit_ids: [
            (o.id, o.unit_id, o.full_name, o.unit.name, "không dùng thư công vụ") for o in listed
        ],
        explain=lambda session: "Điểm sử dụng.",
    )


def test_a_registered_source_adds_its_units_and_officials_with_the_reason(session, province):
    units, people = province
    source = _usage(units, people)
    proposal = propose_targets(session, Topic.EMAIL, sources=[source])
    # usage: a quarter of 4 is 1, the cut 10 (Xã Vừa), below the median 40
    assert [(u.unit_name, u.reasons) for u in proposal.units] == [
        ("Xã Yếu", ("competency",)),
        ("Xã Vừa", ("usage",)),
        ("Xã Trượt", ()),
        ("Xã Mạnh", ()),
    ]
    assert proposal.units[1].score_map == {"usage": (10.0, "thư công vụ 10%")}
    order = [(o.full_name.split()[-1], o.reasons) for o in proposal.officials]
    assert order == [
        ("An", ("competency", "usage")),  # both reasons first
        ("Bình", ("competency",)),
        ("Hà", ("competency",)),  # Xã Vừa is now second among the units, Xã Trượt third
        ("Cúc", ("competency",)),
        ("Dung", ("competency",)),
        ("Khoa", ("usage",)),  # listed by usage alone: need 0
    ]
    labels = [reason_label(o.reasons, [source]) for o in proposal.officials]
    assert labels[0] == "Cả hai: năng lực còn yếu, ít sử dụng"
    assert labels[1] == "Năng lực còn yếu" and labels[-1] == "Ít sử dụng"
    assert proposal.officials[-1].details == ("không dùng thư công vụ",)


def test_officials_of_the_sessions_target_units_only(session, province):
    units, people = province
    training_session = make_session(session, topic=Topic.EMAIL, target_unit_ids=[units["Xã Trượt"].id])
    session.commit()
    proposal = services.propose_targets(session, training_session)
    assert [o.official_id for o in proposal.officials] == [people["f1"].id, people["f2"].id]
    assert len(proposal.units) == 4  # any unit can still be invited


# -- the page: pages, the choice kept across them, everyone in the list ------------------------------------------
@pytest.fixture
def crowd(session):
    """60 officials who have not started (officials: 50 a page), 36 in one unit and one in each of 24
    others (units: 20 a page)."""
    units = [make_unit(session, name=f"Xã Số {n:02d}") for n in range(25)]
    people = [make_official(session, units[0]) for _ in range(36)] + [make_official(session, u) for u in units[1:]]
    training_session = make_session(session, topic=Topic.EMAIL, capacity=None)
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    return training_session, people, staff


def _boxes(html: str, name: str) -> list[int]:
    return [int(v) for v in re.findall(rf'name="{name}" value="(\d+)"', html)]


def _ticked(html: str, name: str) -> list[int]:
    return [int(v) for v in re.findall(rf'name="{name}" value="(\d+)" id="[^"]+" checked', html)]


def test_pages_keep_the_choice_and_lead_to_the_right_invitations(client, session, crowd):
    training_session, people, staff = crowd
    url = f"/training/{training_session.id}/targeting"
    login_as(client, staff)
    first = client.get(url).text
    page_one = _boxes(first, "official_id")
    order = [o.official_id for o in services.propose_targets(session, training_session).officials]
    assert len(page_one) == 50 and page_one == order[:50]
    assert len(_boxes(first, "unit_id")) == 20 and "Trang 1 / 2 — tổng 60 mục" in first
    assert "Chọn tất cả 60 người trong danh sách" in first

    chosen = order[:2]
    second = client.post(
        url, data={"official_id": chosen, "shown_official_id": page_one, "opage": "1", "goto": "o:2"}
    ).text
    assert _boxes(second, "official_id") == order[50:]
    assert sorted(_boxes(second, "kept_official_id")) == sorted(chosen)  # carried from page 1
    assert "Đã chọn 0 đơn vị và 2 cán bộ." in second

    # back on page 1 after ticking one on page 2: the three stay ticked where they are
    back = client.post(
        url,
        data={
            "official_id": [order[55]],
            "kept_official_id": chosen,
            "shown_official_id": order[50:],
            "opage": "2",
            "goto": "o:1",
        },
    ).text
    assert _ticked(back, "official_id") == chosen and _boxes(back, "kept_official_id") == [order[55]]

    # untick one on page 1, then send: the invitations go to the two left chosen
    data = {"official_id": [order[1]], "kept_official_id": [order[55]], "shown_official_id": order[:50]}
    preview = client.post(url, data={**data, "action": "preview"}).text
    assert "Lời mời sẽ đến 2 người: 2 cán bộ được mời trực tiếp" in preview
    assert session.scalars(select(Participant)).all() == []
    r = client.post(url, data={**data, "action": "confirm"})
    assert r.status_code == 302
    assert {p.official_id for p in session.scalars(select(Participant))} == {order[1], order[55]}


def test_choose_everyone_in_the_list_without_ticking_each(client, session, crowd):
    training_session, people, staff = crowd
    url = f"/training/{training_session.id}/targeting"
    login_as(client, staff)
    preview = client.post(url, data={"all_officials": "1", "action": "preview"}).text
    assert "Lời mời sẽ đến 60 người: 60 cán bộ được mời trực tiếp" in preview
    r = client.post(url, data={"official_id": [o.id for o in people], "action": "confirm"})
    assert r.status_code == 302
    assert len(session.scalars(select(Participant)).all()) == 60
    again = client.get(url).text
    assert "Chọn tất cả" not in again and again.count("Đã mời") >= 50  # everyone is invited now


def test_units_are_paged_and_their_choice_kept(client, session, crowd):
    training_session, _people, staff = crowd
    url = f"/training/{training_session.id}/targeting"
    login_as(client, staff)
    first = _boxes(client.get(url).text, "unit_id")
    page = client.post(url, data={"unit_id": first[:1], "shown_unit_id": first, "upage": "1", "goto": "u:2"}).text
    assert len(_boxes(page, "unit_id")) == 5 and _boxes(page, "kept_unit_id") == first[:1]
    preview = client.post(url, data={"kept_unit_id": first[:1], "unit_id": _boxes(page, "unit_id")[:1]}).text
    assert preview.count('name="unit_id"') == 2  # the confirmation carries both units


def test_the_page_says_how_weak_is_decided_and_applies_a_threshold(client, session, province):
    staff = make_user(session, Role.IT_STAFF)
    training_session = make_session(session, topic=Topic.EMAIL)
    session.commit()
    login_as(client, staff)
    url = f"/training/{training_session.id}/targeting"
    page = client.get(url).text
    assert "Thế nào là “cần hỗ trợ”" in page
    assert "tức từ 0,0 điểm trở xuống, và thấp hơn mức của đa số đơn vị: 1 trên 4 đơn vị." in page
    assert page.count('<span class="badge bad">Năng lực còn yếu</span>') == 1
    page = client.post(url, data={"rule": "below", "below_index": "27", "action": "apply"}).text
    assert "khi chỉ số dưới 27,0 điểm: 2 trên 4 đơn vị." in page
    assert page.count('<span class="badge bad">Năng lực còn yếu</span>') == 2
    assert "Đơn vị yếu" not in page
