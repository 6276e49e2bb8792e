"""Behaviour of the replicas beyond the bundled scenarios' checks: rights, delegation, search,
the compose form, the workflow rules. Pure: states and form posts, no database."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from practice.loader import read_scenario
from practice.replicas import REPLICAS
from practice.replicas.base import ActionError, add_working_days, evaluate_checks, parse_day

CONTENT = Path(__file__).resolve().parents[2] / "courses" / "content"


def _start(path: str):
    source = read_scenario(CONTENT / path)
    replica = REPLICAS[source.app]
    return source, replica, replica.initial_state(source.spec["setup"], "Người Học")


def _act(replica, state, action, **form):
    new, _outcome = replica.act(state, action, form)
    return new


def test_working_days_skip_the_weekend():
    from datetime import date

    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)
    assert add_working_days(friday, 3) == date(2026, 11, 25)
    assert parse_day("23/11/2026") == date(2026, 11, 23) == parse_day("2026-11-23")
    assert parse_day("31/02/2026") is None


def test_a_delegate_directs_documents_only_within_the_delegation():
    from practice.replicas.qlvb import available_steps, visibility

    _source, replica, state = _start("qlvb/practice/03-chi-dao-giao-xu-ly.md")
    state = copy.deepcopy(state)
    state["play"].append("pho-giam-doc")
    state["acting"] = "pho-giam-doc"
    assert "assign" not in available_steps(state, "cv-ubnd")
    state["delegations"].append(
        {"from": "giam-doc", "to": "pho-giam-doc", "start": "2026-11-20", "end": "2026-11-21", "scope": ["xu_ly"]}
    )
    assert "assign" in available_steps(state, "cv-ubnd")
    assert visibility(state, "pho-giam-doc")["cv-ubnd"] in ("delegated", "submitted")
    state["today"] = "2026-11-23"  # the delegation has ended
    assert "assign" not in available_steps(state, "cv-ubnd")
    with pytest.raises(ActionError):
        _act(replica, state, "assign", doc="cv-ubnd", lead="truong-cchc", deadline="25/11/2026", opinion="Làm.")


def test_a_delegate_may_not_delegate_again():
    _source, replica, state = _start("qlvb/practice/05-uy-quyen-khi-nghi-phep.md")
    state["delegations"].append(
        {"from": "giam-doc", "to": "truong-phong", "start": "2026-11-20", "end": "2026-11-30", "scope": ["xu_ly"]}
    )
    with pytest.raises(ActionError, match="không được ủy quyền lại"):
        _act(replica, state, "delegate", to="pho-phong", start="23/11/2026", end="25/11/2026", scope=["xu_ly"])


def test_delegation_dates_are_checked():
    _source, replica, state = _start("qlvb/practice/05-uy-quyen-khi-nghi-phep.md")
    with pytest.raises(ActionError) as caught:
        _act(replica, state, "delegate", to="pho-phong", start="25/11/2026", end="23/11/2026", scope=["xu_ly"])
    assert caught.value.field == "end"
    with pytest.raises(ActionError) as caught:
        _act(replica, state, "delegate", to="pho-phong", start="19/11/2026", end="23/11/2026", scope=["xu_ly"])
    assert caught.value.field == "start"


def test_only_people_with_the_right_to_approve_can_be_chosen_or_sign():
    from practice.replicas.qlvb import approver_choices

    _source, replica, state = _start("qlvb/practice/04-soan-trinh-phat-hanh-van-ban-tra-loi.md")
    assert approver_choices(state) == ["pho-giam-doc", "giam-doc"]
    with pytest.raises(ActionError) as caught:
        _act(
            replica,
            state,
            "draft",
            reply_to="cv-tai-chinh",
            kind="Công văn",
            abstract="V/v trả lời",
            recipients="Sở Tài chính",
            approver="van-thu",
            submit_now="1",
        )
    assert caught.value.field == "approver"
    state = _act(
        replica,
        state,
        "draft",
        reply_to="cv-tai-chinh",
        kind="Công văn",
        abstract="V/v trả lời",
        recipients="Sở Tài chính",
        approver="pho-giam-doc",
        submit_now="1",
    )
    state = _act(replica, state, "switch_role", **{"as": "van-thu"})
    with pytest.raises(ActionError):
        _act(replica, state, "approve", doc="du-thao-1")  # the clerk has no right to approve
    state = _act(replica, state, "switch_role", **{"as": "pho-giam-doc"})
    state = _act(replica, state, "approve", doc="du-thao-1")
    assert state["documents"]["du-thao-1"]["signed_by"] == "pho-giam-doc"


def test_search_by_abstract_ignores_diacritics_and_case():
    _source, replica, state = _start("qlvb/practice/08-tim-van-ban-va-don-doc.md")
    _template, context = replica.page(state, "home", None, {"q": "PHAN CAP quan ly tai san"})
    assert [d["key"] for d in context["rows"]] == ["stc-tai-san"]


def test_the_route_records_every_step_with_the_persona():
    _source, replica, state = _start("qlvb/practice/01-vao-so-giay-moi-hoa-toc.md")
    state = _act(replica, state, "return", doc="tb-noi-vu", reason="Thử")
    route = state["documents"]["tb-noi-vu"]["route"]
    assert [(r["action"], r["actor"]) for r in route] == [("return", "van-thu")]
    assert state["clock"] > f"{state['today']}T08:00"


def test_an_editor_cannot_publish_and_cannot_schedule_in_the_past():
    _source, replica, state = _start("portal/practice/01-dang-thong-bao-lich-tiep-cong-dan.md")
    with pytest.raises(ActionError, match="biên tập viên"):
        _act(replica, state, "publish", page="tin-hoi-nghi")
    _source, replica, state = _start("portal/practice/03-duyet-va-hen-gio-dang-tin.md")
    with pytest.raises(ActionError) as caught:
        _act(replica, state, "schedule", page="tb-thi-tuyen", at="19/11/2026 07:30")
    assert caught.value.field == "at"


def test_editing_a_published_page_takes_it_back_to_draft_and_delete_removes_it_from_the_list():
    _source, replica, state = _start("portal/practice/04-sua-trang-thong-tin-da-cu.md")
    state = _act(replica, state, "save_page", page="lien-he", category="gioi-thieu", title="Liên hệ", body="Mới")
    assert state["pages"]["lien-he"]["status"] == "draft"
    state = _act(replica, state, "delete", page="co-cau")
    assert "co-cau" not in state["page_order"] and state["pages"]["co-cau"]["status"] == "deleted"


def test_published_required_fails_on_a_page_still_pending():
    """``page_posted`` with ``status: published`` (no bundled scenario asks for it)."""
    from practice.replicas.portal import PagePosted

    _source, replica, state = _start("portal/practice/07-dinh-chinh-tin-da-dang.md")
    state["pages"]["tin-thi-tuyen"]["status"] = "pending"
    check = {
        "kind": "page_posted",
        "label": "",
        "hints": {},
        "params": {
            "page": "tin-thi-tuyen",
            "category": "tin-hoat-dong",
            "title_contains": [],
            "title_max_words": 25,
            "summary": True,
            "body_contains": [],
            "attachments": [],
            "wrong_attachments": [],
            "status": "published",
        },
    }
    outcome = evaluate_checks(state, [check], {"page_posted": PagePosted()})[0]
    assert [f.condition for f in outcome.failures] == ["not_published"]


def test_reply_all_leaves_me_out_and_forward_carries_the_attachments():
    _source, replica, state = _start("email/practice/02-tra-loi-va-chuyen-tiep-thu-moi.md")
    _t, reply_all = replica.page(state, "compose", None, {"mode": "reply_all", "source": "thu-moi"})
    assert state["me"]["address"] not in reply_all["to"] and "cds@skhcn.vinhphuc.gov.vn" in reply_all["to"]
    assert reply_all["subject"].startswith("Re: ")
    state = _act(
        replica,
        state,
        "send",
        mode="forward",
        source="thu-moi",
        to="Phạm Thu Hà <ha.pt@sonv.vinhphuc.gov.vn>",
        subject="Fwd: mời",
        body="Chuyển chị.",
        keep_attachments="1",
    )
    sent = [m for m in state["messages"].values() if m["mine"]][0]
    assert sent["to"] == ["ha.pt@sonv.vinhphuc.gov.vn"]
    assert [a["name"] for a in sent["attachments"]] == ["Giay-moi-tap-huan-hop-truc-tuyen.pdf"]


def test_a_draft_is_saved_then_sent_as_the_same_message():
    _source, replica, state = _start("email/practice/01-gui-bao-cao-co-tep-dinh-kem.md")
    state = _act(replica, state, "save_draft", to="tonghop@vpubnd.vinhphuc.gov.vn", subject="Báo cáo", body="...")
    (draft,) = [k for k, m in state["messages"].items() if m["folder"] == "drafts"]
    state = _act(replica, state, "send", draft=draft, to="tonghop@vpubnd.vinhphuc.gov.vn", subject="Báo cáo")
    assert state["messages"][draft]["folder"] == "sent" and state["messages"][draft]["sent"]
    assert sum(1 for m in state["messages"].values() if m["mine"]) == 1


def test_folder_names_are_unique_and_system_folders_are_not_targets():
    _source, replica, state = _start("email/practice/06-sap-xep-thu-vao-thu-muc.md")
    with pytest.raises(ActionError):
        _act(replica, state, "new_folder", name="thư rác")
    state = _act(replica, state, "new_folder", name="Dự án")
    with pytest.raises(ActionError):
        _act(replica, state, "new_folder", name="dự án")
    with pytest.raises(ActionError):
        _act(replica, state, "move", message="cds-1", folder="sent")


def test_text_longer_than_a_person_types_is_refused_not_stored():
    _source, replica, state = _start("email/practice/01-gui-bao-cao-co-tep-dinh-kem.md")
    with pytest.raises(ActionError) as caught:
        _act(replica, state, "send", to="tonghop@vpubnd.vinhphuc.gov.vn", subject="x" * 501)
    assert caught.value.field == "subject"
    with pytest.raises(ActionError) as caught:
        _act(replica, state, "send", to="tonghop@vpubnd.vinhphuc.gov.vn", subject="Báo cáo", body="x" * 5001)
    assert caught.value.field == "body"


def test_a_run_cannot_grow_without_bound():
    """Thousands of drafts would make the saved state huge: the replica refuses the step instead."""
    _source, replica, state = _start("email/practice/01-gui-bao-cao-co-tep-dinh-kem.md")
    with pytest.raises(ActionError, match="Làm lại từ đầu"):
        for _ in range(1000):
            state = _act(replica, state, "save_draft", to="a@vinhphuc.gov.vn", subject="Nháp", body="y" * 4000)
    assert len(state["log"]) <= 300
