"""The merge / split / rename page (``org.unit_changes``): form -> preview (nothing written) -> confirm."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select, update

from lms.auth.models import AuditLog, Role, RoleAssignment, User
from lms.extensions import db
from lms.org.models import Official, Unit, UnitKind, UnitSuccession
from lms.org.services import record_succession
from tests.factories import login_as, make_official, make_unit, make_user

URL = "/org/units/changes"
ON = "01/07/2025"


@pytest.fixture
def province(client, session):
    """Two communes: A (2 officials + its head's, 1 retired, a sub-unit C with 1 official) and B (1 official)."""
    district = make_unit(session, code="H-TD", name="Huyện Tam Đảo", kind=UnitKind.HUYEN)
    a = make_unit(session, code="XA-A", name="Xã Hợp Châu", kind=UnitKind.XA, parent_id=district.id)
    b = make_unit(session, code="XA-B", name="Xã Minh Quang", kind=UnitKind.XA, parent_id=district.id)
    c = make_unit(session, code="TB-C", name="Trạm y tế Hợp Châu", kind=UnitKind.SU_NGHIEP, parent_id=a.id)
    people = [make_official(session, a), make_official(session, a), make_official(session, b)]
    retired = make_official(session, a, active=False)
    person_c = make_official(session, c)
    head = make_user(session, Role.UNIT_HEAD, unit=a)
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    login_as(client, staff)
    yield {
        "district": district,
        "a": a,
        "b": b,
        "c": c,
        "people": people,
        "retired": retired,
        "person_c": person_c,
        "head": head,
        "staff": staff,
    }
    # unit.parent_id is ON DELETE RESTRICT: detach the units so the table cleanup can run
    db.session.rollback()
    session.execute(update(Unit).values(parent_id=None))
    session.commit()


def merge_form(p, **over):
    data = {
        "kind": "merge",
        "old_ids": [p["a"].id, p["b"].id],
        "successor_mode": "new",
        "new_code": "XA-HCMQ",
        "new_name": "Xã Hợp Châu Minh Quang",
        "new_kind": "xa",
        "new_parent_id": "0",
        "effective_on": ON,
        "note": "Nghị quyết số 1234/NQ-UBTVQH15",
        "action": "preview",
    }
    data.update(over)
    return data


def digest_of(response) -> str:
    found = re.search(r'name="digest" value="([0-9a-f]+)"', response.text)
    assert found, response.text
    return found.group(1)


def preview_and_confirm(client, data):
    preview = client.post(URL, data=data)
    assert preview.status_code == 200, preview.text
    return preview, client.post(URL, data={**data, "action": "confirm", "digest": digest_of(preview)})


def count(session, model) -> int:
    db.session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_merge_preview_writes_nothing_then_confirm_writes_everything(client, session, province):
    p = province
    units_before = count(session, Unit)
    preview = client.post(URL, data=merge_form(p, move_heads="y"))
    assert preview.status_code == 200
    text = preview.text
    assert "Xem trước" in text and "Xã Hợp Châu Minh Quang" in text
    assert "4 cán bộ đang công tác sẽ chuyển" in text  # the retired one is not counted
    assert "Xã Hợp Châu: 3 người" in text and "Xã Minh Quang: 1 người" in text
    assert "Trạm y tế Hợp Châu (TB-C)" in text  # the sub-unit follows
    assert p["head"].name in text and "Quyền thủ trưởng của những người này sẽ chuyển sang" in text
    assert count(session, Unit) == units_before and count(session, UnitSuccession) == 0
    assert session.get(Unit, p["a"].id).valid_until is None

    r = client.post(URL, data={**merge_form(p, move_heads="y"), "action": "confirm", "digest": digest_of(preview)})
    assert r.status_code == 302
    db.session.rollback()
    new = session.scalar(select(Unit).where(Unit.code == "XA-HCMQ"))
    assert r.headers["Location"].endswith(f"/org/units/{new.id}")
    assert new.valid_from == date(2025, 7, 1) and new.kind == UnitKind.XA
    for old in (p["a"], p["b"]):
        assert session.get(Unit, old.id).valid_until == date(2025, 7, 1)
    links = session.scalars(select(UnitSuccession).order_by(UnitSuccession.predecessor_id)).all()
    assert [(x.predecessor_id, x.successor_id, x.kind) for x in links] == [
        (p["a"].id, new.id, "merge"),
        (p["b"].id, new.id, "merge"),
    ]
    assert links[0].note == "Nghị quyết số 1234/NQ-UBTVQH15"
    moved = {session.get(Official, o.id).unit_id for o in [*p["people"], p["retired"]]}
    assert moved == {new.id}
    assert session.get(Unit, p["c"].id).parent_id == new.id
    assert session.get(Official, p["person_c"].id).unit_id == p["c"].id  # sub-unit staff stay in the sub-unit
    head_roles = session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == p["head"].id)).all()
    assert [(a.role, a.unit_id, a.scope) for a in head_roles] == [(Role.UNIT_HEAD, new.id, f"unit:{new.id}")]
    actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-3:] == ["role.assign", "role.revoke", "unit.merge"]
    entry = session.scalar(select(AuditLog).where(AuditLog.action == "unit.merge"))
    new = session.scalars(select(Unit).where(Unit.code == "XA-HCMQ")).one()
    assert entry.actor_id == p["staff"].id and entry.target == f"unit:{new.id}"
    assert entry.data["from_units"] == [p["a"].id, p["b"].id]
    assert (entry.data["staff_moved"], entry.data["heads_moved"]) == (4, 1)
    page = client.get(r.headers["Location"])
    assert "Đã ghi: Sáp nhập, đơn vị mới Xã Hợp Châu Minh Quang" in page.text


def test_merge_without_ticking_keeps_the_head_role_on_the_old_unit(client, session, province):
    p = province
    role_audits = select(func.count()).where(AuditLog.action.in_(["role.assign", "role.revoke"]))
    before = session.scalar(role_audits)
    preview, r = preview_and_confirm(client, merge_form(p))
    assert "Cảnh báo: quyền thủ trưởng vẫn gắn với đơn vị cũ" in preview.text
    assert r.status_code == 302
    db.session.rollback()
    head_roles = session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == p["head"].id)).all()
    assert [(a.role, a.unit_id) for a in head_roles] == [(Role.UNIT_HEAD, p["a"].id)]
    assert session.scalar(role_audits) == before
    assert session.scalar(select(AuditLog.data).where(AuditLog.action == "unit.merge"))["heads_moved"] == 0


def test_rename_into_an_existing_unit(client, session, province):
    p = province
    target = make_unit(session, code="XA-MOI", name="Xã Tam Đảo Mới", kind=UnitKind.XA)
    session.commit()
    data = {
        "kind": "rename",
        "old_ids": [p["a"].id],
        "successor_mode": "existing",
        "successor_id": target.id,
        "effective_on": "2025-07-01",  # as a browser's date picker sends it
        "action": "preview",
    }
    _preview, r = preview_and_confirm(client, data)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/org/units/{target.id}")
    db.session.rollback()
    assert session.get(Unit, p["a"].id).valid_until == date(2025, 7, 1)
    assert session.get(Unit, target.id).valid_from is None  # an existing unit keeps its start
    assert {session.get(Official, o.id).unit_id for o in p["people"][:2]} == {target.id}
    assert session.get(Official, p["people"][2].id).unit_id == p["b"].id
    assert session.get(Unit, p["c"].id).parent_id == target.id
    link = session.scalar(select(UnitSuccession))
    assert (link.predecessor_id, link.successor_id, link.kind) == (p["a"].id, target.id, "rename")
    assert session.scalar(select(AuditLog).where(AuditLog.action == "unit.rename")) is not None


def test_split_explains_that_staff_move_by_an_import(client, session, province):
    p = province
    data = {
        "kind": "split",
        "old_ids": [p["a"].id],
        "successor_mode": "new",
        "new_code": "XA-A2",
        "new_name": "Xã Hợp Châu 2",
        "new_kind": "xa",
        "new_parent_id": str(p["district"].id),
        "effective_on": ON,
        "move_heads": "y",
        "action": "preview",
    }
    preview, r = preview_and_confirm(client, data)
    assert "Chia tách không tự chuyển cán bộ: 3 cán bộ đang công tác vẫn thuộc Xã Hợp Châu." in preview.text
    assert 'href="/org/import"' in preview.text
    assert "Chia tách không chuyển quyền thủ trưởng" in preview.text
    assert r.status_code == 302
    db.session.rollback()
    new = session.scalar(select(Unit).where(Unit.code == "XA-A2"))
    assert new.parent_id == p["district"].id
    assert session.get(Unit, p["a"].id).valid_until is None  # more parts may follow
    assert {session.get(Official, o.id).unit_id for o in p["people"][:2]} == {p["a"].id}
    assert session.get(Unit, p["c"].id).parent_id == p["a"].id
    assert [a.unit_id for a in session.get(User, p["head"].id).roles] == [p["a"].id]
    # the last part ends the old unit
    last = {**data, "new_code": "XA-A3", "new_name": "Xã Hợp Châu 3", "end_old": "y"}
    _preview, r = preview_and_confirm(client, last)
    assert r.status_code == 302
    db.session.rollback()
    assert session.get(Unit, p["a"].id).valid_until == date(2025, 7, 1)
    assert session.scalar(select(func.count()).select_from(UnitSuccession).where(UnitSuccession.kind == "split")) == 2


@pytest.mark.parametrize(
    ("case", "field_message"),
    [
        ("no_old", "Hãy chọn ít nhất một đơn vị cũ."),
        ("new_is_old", "Đơn vị mới không thể đồng thời là đơn vị cũ."),
        ("old_ended", "đã chấm dứt hoạt động từ ngày 01/01/2024."),
        ("duplicate_code", "Mã XA-B đã có (đơn vị Xã Minh Quang)."),
        ("bad_date", "Tháng 2 năm 2025 không có ngày 31."),
        ("no_date", "Hãy nhập ngày có hiệu lực."),
        ("blank_date", "Hãy nhập ngày có hiệu lực."),
        ("no_name", "Hãy nhập tên của đơn vị mới."),
        ("two_olds_rename", "Chia tách hoặc đổi tên: chỉ chọn một đơn vị cũ."),
    ],
)
def test_errors_come_back_on_the_form_and_nothing_is_written(client, session, province, case, field_message):
    p = province
    data = merge_form(p)
    if case == "no_old":
        data["old_ids"] = []
    elif case == "new_is_old":
        data.update(successor_mode="existing", successor_id=p["a"].id)
    elif case == "old_ended":
        ended = make_unit(session, code="XA-CU", name="Xã Đã Giải Thể", valid_until=date(2024, 1, 1))
        session.commit()
        data["old_ids"] = [p["a"].id, ended.id]
    elif case == "duplicate_code":
        data["new_code"] = "xa-b"
    elif case == "bad_date":
        data["effective_on"] = "31/02/2025"
    elif case == "no_date":
        data["effective_on"] = ""
    elif case == "blank_date":
        data["effective_on"] = "   "
    elif case == "no_name":
        data["new_name"] = "  "
    elif case == "two_olds_rename":
        data["kind"] = "rename"
    units_before, audit_before = count(session, Unit), count(session, AuditLog)
    for action in ("preview", "confirm"):
        r = client.post(URL, data={**data, "action": action, "digest": "x"})
        assert r.status_code == 400
        assert field_message in r.text
        assert 'class="error"' in r.text and 'name="digest"' not in r.text  # no confirm button
        assert "Nghị quyết số 1234/NQ-UBTVQH15" in r.text  # input kept
    assert count(session, Unit) == units_before and count(session, AuditLog) == audit_before
    assert count(session, UnitSuccession) == 0
    assert session.get(Unit, p["a"].id).valid_until is None
    assert {session.get(Official, o.id).unit_id for o in p["people"]} == {p["a"].id, p["b"].id}


def test_a_confirmation_that_does_not_match_the_preview_writes_nothing(client, session, province):
    p = province
    preview = client.post(URL, data=merge_form(p))
    make_official(session, p["b"])  # the situation changed since the preview
    session.commit()
    r = client.post(URL, data={**merge_form(p), "action": "confirm", "digest": digest_of(preview)})
    assert r.status_code == 200 and "Thông tin đã thay đổi từ lúc xem trước" in r.text
    assert "5 cán bộ đang công tác sẽ chuyển" in r.text  # a fresh preview
    assert count(session, UnitSuccession) == 0


def test_confirm_without_csrf_token_is_refused(app, client, session, province):
    app.config["WTF_CSRF_ENABLED"] = True
    r = client.post(URL, data={**merge_form(province), "action": "confirm"})
    assert r.status_code == 400
    assert count(session, UnitSuccession) == 0


def test_filter_narrows_the_old_unit_checkboxes_and_keeps_default_date(client, session, province):
    p = province
    r = client.get(URL, query_string={"q": "minh quang"})
    assert r.status_code == 200
    assert f'id="old-{p["b"].id}"' in r.text and f'id="old-{p["a"].id}"' not in r.text
    # a unit ticked before filtering stays listed
    r = client.post(f"{URL}?q=minh+quang", data=merge_form(p, action="preview"))
    assert f'id="old-{p["a"].id}" value="{p["a"].id}" checked' in r.text
    from lms.time import local_today

    assert f'value="{local_today().strftime("%d/%m/%Y")}"' in client.get(URL).text  # shown day first


def test_history_is_listed_newest_first_and_paginated(client, session, province):
    p = province
    olds = [make_unit(session, code=f"OLD{i:02d}", name=f"Đơn vị cũ {i:02d}") for i in range(22)]
    record_succession(session, olds[:21], p["b"], date(2020, 1, 1), note="cũ nhất")
    record_succession(session, [olds[21]], p["a"], date(2024, 6, 1), kind="rename", note="mới nhất")
    session.commit()
    first = client.get(URL)
    assert "Trang 1 / 2" in first.text
    table = first.text.split('id="succession-history"')[1]
    assert table.index("mới nhất") < table.index("cũ nhất")
    assert "Đổi tên" in table and "01/06/2024" in table
    second = client.get(URL, query_string={"page": 2}).text.split('id="succession-history"')[1]
    assert "Trang 2 / 2" in second and second.count("cũ nhất") == 2


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.UNIT_HEAD])
def test_officials_and_unit_heads_may_not_record_changes(client, session, province, role):
    user = make_user(session, role, unit=province["a"])
    login_as(client, user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data={**merge_form(province), "action": "confirm"}).status_code == 403
    assert count(session, UnitSuccession) == 0


def test_merged_staff_count_in_the_new_units_ranking_entry(client, session, province):
    from competency.rankings import RankingFilters, rank_units
    from lms.time import local_today
    from lms.topics import Topic
    from tests.competency.factories import graded_attempt, topic_setup

    p = province
    today = local_today()
    quizzes = topic_setup(session)
    graded_attempt(session, quizzes[Topic.EMAIL][1], p["people"][0], 80)
    session.commit()
    before = {u.unit_code: u for u in rank_units(session, RankingFilters(), today=today)}
    assert before["XA-A"].officials == 3 and before["XA-B"].officials == 1

    data = merge_form(p, effective_on=today.strftime("%d/%m/%Y"))
    _preview, r = preview_and_confirm(client, data)
    assert r.status_code == 302
    db.session.rollback()
    after = {u.unit_code: u for u in rank_units(session, RankingFilters(), today=today)}
    assert "XA-A" not in after and "XA-B" not in after
    assert after["XA-HCMQ"].officials == 4 and after["XA-HCMQ"].participants == 1
    assert after["TB-C"].officials == 1  # the sub-unit is still ranked on its own


def assert_no_loop(parents: dict[str, int | None]) -> None:
    """Going up ``parent_id`` from any unit ends at the top."""
    by_id = dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())
    for start in by_id:
        seen, up = set(), start
        while up is not None:
            assert up not in seen, f"loop through unit {up}: {parents}"
            seen.add(up)
            up = by_id[up]


@pytest.mark.parametrize(
    ("kind", "old", "successor", "placed_under"),
    [
        ("merge", "district", "b", None),  # Huyện Tam Đảo merges into its own commune: the commune has no parent left
        ("rename", "a", "c", "district"),  # Xã Hợp Châu becomes its own sub-unit: that one moves up to the district
    ],
)
def test_a_successor_whose_parent_ends_moves_to_that_parents_parent(
    client, session, province, kind, old, successor, placed_under
):
    p = province
    make_unit(session, code="XA-KHAC", name="Xã Đạo Trù", kind=UnitKind.XA, parent_id=p["district"].id)
    session.commit()
    data = {
        "kind": kind,
        "old_ids": [p[old].id],
        "successor_mode": "existing",
        "successor_id": p[successor].id,
        "effective_on": ON,
        "action": "preview",
    }
    preview, r = preview_and_confirm(client, data)
    ended, above = p[old], p[placed_under] if placed_under else None
    shown = re.sub(r"\s+", " ", preview.text)
    where = f"chuyển sang trực thuộc {above.name}." if above else "không còn đơn vị cấp trên."
    assert f"{p[successor].name} đang trực thuộc {ended.name} (sẽ chấm dứt) nên sẽ {where}" in shown
    assert r.status_code == 302
    db.session.rollback()
    parents = {u.code: u.parent_id for u in session.scalars(select(Unit))}
    assert parents[p[successor].code] == (above.id if above else None)
    assert session.get(Unit, ended.id).valid_until == date(2025, 7, 1)
    if old == "district":  # the district's other communes go under the successor, the health station stays
        assert parents["XA-A"] == parents["XA-KHAC"] == p["b"].id and parents["TB-C"] == p["a"].id
    else:
        assert parents["XA-A"] == parents["XA-B"] == parents["XA-KHAC"] == p["district"].id
    assert_no_loop(parents)
    entry = session.scalar(select(AuditLog).where(AuditLog.action == f"unit.{kind}"))
    assert entry.data["moved_under"] == (above.id if above else "province")


def test_a_split_keeps_the_successors_parent(client, session, province):
    """Only a merger or rename moves the successor: a split's unit may go on (more parts follow)."""
    p = province
    data = {
        "kind": "split",
        "old_ids": [p["a"].id],
        "successor_mode": "existing",
        "successor_id": p["c"].id,
        "effective_on": ON,
        "action": "preview",
    }
    preview, r = preview_and_confirm(client, data)
    assert "sẽ chấm dứt) nên" not in preview.text and r.status_code == 302
    db.session.rollback()
    assert session.get(Unit, p["c"].id).parent_id == p["a"].id


@pytest.mark.parametrize("mode", ["new", "existing"])
def test_sub_units_are_never_placed_under_their_own_descendant(client, session, province, mode):
    """A loop in ``parent_id`` is refused: here the successor sits (or would sit) under Xã Hợp Châu's sub-unit."""
    p = province
    below_c = make_unit(session, code="TO-C1", name="Tổ y tế thôn 1", kind=UnitKind.SU_NGHIEP, parent_id=p["c"].id)
    session.commit()
    # the district ends: its sub-unit Xã Hợp Châu is placed under the successor, which sits below Xã Hợp Châu
    data = merge_form(p, old_ids=[p["district"].id])
    if mode == "new":
        data["new_parent_id"] = str(p["c"].id)
        field = "new_parent_id"
    else:
        data.update(successor_mode="existing", successor_id=below_c.id)
        field = "successor_id"
    units_before = count(session, Unit)
    for action in ("preview", "confirm"):
        r = client.post(URL, data={**data, "action": action, "digest": "x"})
        assert r.status_code == 400
        assert f'id="{field}-error">Đơn vị mới nằm dưới Xã Hợp Châu, một đơn vị trực thuộc đơn vị cũ.</p>' in r.text
        assert 'name="digest"' not in r.text
    assert count(session, Unit) == units_before and count(session, UnitSuccession) == 0
    assert session.get(Unit, p["a"].id).parent_id == p["district"].id


@pytest.mark.parametrize("mode", ["new", "existing"])
def test_record_succession_refuses_a_loop_itself(session, province, mode):
    """The service checks too (the command line calls it without a preview); nothing is changed."""
    from lms.org.services import OrgError

    p = province
    if mode == "new":
        successor = Unit(code="XA-MOI", name="Xã Mới", kind=UnitKind.XA, parent_id=p["c"].id)
    else:
        successor = make_unit(session, code="TO-C1", name="Tổ y tế thôn 1", parent_id=p["c"].id)
        session.commit()
    with pytest.raises(OrgError, match="Đơn vị mới nằm dưới Xã Hợp Châu"):
        record_succession(session, [p["district"]], successor, date(2025, 7, 1))
    db.session.rollback()
    assert session.get(Unit, p["a"].id).parent_id == p["district"].id
    assert session.get(Unit, p["district"].id).valid_until is None
