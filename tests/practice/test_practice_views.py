"""Practice pages: doing a scenario through the forms, saving every step, checking, retrying, results."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from lms import events
from lms.auth.models import Role
from practice import services
from practice.models import PracticeRun, PracticeTry, Scenario
from tests.factories import login_as, make_official, make_unit, make_user
from tests.practice.helpers import load_course_with_practice

REGISTER_GIAY_MOI = {
    "doc": "giay-moi",
    "step": "register",
    "co_quan": "Ủy ban nhân dân tỉnh Vĩnh Phúc",
    "so_ky_hieu": "215/GM-UBND",
    "ngay_van_ban": "20/11/2026",
    "trich_yeu": "Họp trực tuyến về triển khai Kế hoạch chuyển đổi số năm 2027",
    "do_mat": "thuong",
    "do_khan": "hoa_toc",
    "ngay_den": "20/11/2026",
}


@pytest.fixture
def qlvb(session):
    _course, scenarios = load_course_with_practice(session, "qlvb")
    session.commit()
    return {s.slug: s for s in scenarios}


@pytest.fixture
def learner(client, session):
    user = make_user(session, Role.OFFICIAL)
    login_as(client, user)
    return user


def _run(session, user, scenario) -> PracticeRun:
    session.expire_all()
    return services.get_run(session, user.official_id, scenario.id)


def _start(client, scenario):
    response = client.post(f"/practice/{scenario.id}/start")
    assert response.status_code == 302
    return response


def test_official_does_a_scenario_through_the_pages_fails_then_passes(client, session, qlvb, learner):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    assert client.get("/practice/").status_code == 200
    page = client.get(f"/practice/{scenario.id}")
    assert "Bắt đầu làm bài" in page.text
    assert "được trình đúng người" in page.text  # what will be checked, in words
    _start(client, scenario)
    home = client.get(f"/practice/{scenario.id}/app/")
    assert "Họp trực tuyến về triển khai" in home.text and "Nhiệm vụ" in home.text

    wrong = {**REGISTER_GIAY_MOI, "do_khan": "thuong"}
    assert client.post(f"/practice/{scenario.id}/do/register", data=wrong).status_code == 302
    client.post(f"/practice/{scenario.id}/do/submit", data={"doc": "giay-moi", "to": "giam-doc"})
    client.post(f"/practice/{scenario.id}/check")
    result = client.get(f"/practice/{scenario.id}/result")
    assert "Xem lại ô «Độ khẩn»" in result.text
    run = _run(session, learner, scenario)
    assert run.tries == 1 and run.first_passed_at is None and not run.last_passed

    client.post(f"/practice/{scenario.id}/restart")
    assert client.post(f"/practice/{scenario.id}/do/register", data=REGISTER_GIAY_MOI).status_code == 302
    client.post(f"/practice/{scenario.id}/do/submit", data={"doc": "giay-moi", "to": "giam-doc"})
    client.post(f"/practice/{scenario.id}/check")
    result = client.get(f"/practice/{scenario.id}/result")
    assert "Bạn đã làm đúng toàn bộ bài thực hành" in result.text
    run = _run(session, learner, scenario)
    assert (run.tries, run.tries_to_pass, run.last_passed) == (2, 2, True)
    tries = session.scalars(select(PracticeTry).where(PracticeTry.run_id == run.id).order_by(PracticeTry.number)).all()
    assert [(t.number, t.passed) for t in tries] == [(1, False), (2, True)]
    assert tries[0].failed == [{"check": 0, "condition": "wrong_field"}]


def test_a_form_error_is_shown_beside_its_field_and_nothing_is_saved(client, session, qlvb, learner):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    _start(client, scenario)
    response = client.post(f"/practice/{scenario.id}/do/register", data={**REGISTER_GIAY_MOI, "co_quan": " "})
    assert response.status_code == 422
    assert 'id="f-co_quan"' in response.text and 'aria-invalid="true"' in response.text
    assert "Hãy ghi cơ quan ban hành văn bản." in response.text
    assert "215/GM-UBND" in response.text  # what was typed is kept
    run = _run(session, learner, scenario)
    assert run.steps == 0 and run.state["documents"]["giay-moi"]["book"] is None


def test_starting_again_asks_first(client, session, qlvb, learner):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    _start(client, scenario)
    client.post(f"/practice/{scenario.id}/do/register", data=REGISTER_GIAY_MOI)
    page = client.get(f"/practice/{scenario.id}/restart")
    assert page.status_code == 200 and "(1 bước)" in page.text and "Đồng ý, làm lại từ đầu" in page.text
    assert _run(session, learner, scenario).steps == 1  # asking changed nothing
    client.post(f"/practice/{scenario.id}/restart")
    run = _run(session, learner, scenario)
    assert run.steps == 0 and run.state["documents"]["giay-moi"]["book"] is None


def test_every_step_is_saved_and_shown_after_logging_in_again(client, session, qlvb, learner):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    _start(client, scenario)
    client.post(f"/practice/{scenario.id}/do/register", data=REGISTER_GIAY_MOI)
    run = _run(session, learner, scenario)
    assert run.steps == 1 and run.state["documents"]["giay-moi"]["book"]["so_den"] == 1245

    other_browser = client.application.test_client()
    login_as(other_browser, learner)
    page = other_browser.get(f"/practice/{scenario.id}/app/doc/giay-moi")
    assert "Số đến" in page.text and "1245" in page.text
    assert "Đã lưu 1 bước" in page.text


def test_the_replica_carries_the_officials_own_name(client, session, qlvb, learner):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    _start(client, scenario)
    name = learner.official.full_name
    assert name in client.get(f"/practice/{scenario.id}/app/").text
    assert _run(session, learner, scenario).state["people"]["van-thu"]["name"] == name


def test_the_first_success_is_kept_and_announced_once(client, session, qlvb, learner):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    received = []

    def receiver(sender, **kw):
        received.append(kw)

    events.practice_passed.connect(receiver)
    try:
        _start(client, scenario)
        client.post(f"/practice/{scenario.id}/do/register", data=REGISTER_GIAY_MOI)
        client.post(f"/practice/{scenario.id}/do/submit", data={"doc": "giay-moi", "to": "giam-doc"})
        client.post(f"/practice/{scenario.id}/check")
        first = _run(session, learner, scenario).first_passed_at
        client.post(f"/practice/{scenario.id}/check")
        client.post(f"/practice/{scenario.id}/restart")
        client.post(f"/practice/{scenario.id}/check")
    finally:
        events.practice_passed.disconnect(receiver)
    run = _run(session, learner, scenario)
    assert len(received) == 1
    assert received[0]["official_id"] == learner.official_id and received[0]["tries"] == 1
    assert received[0]["topic"] == "qlvb" and received[0]["course_id"] == scenario.course_id
    assert run.first_passed_at == first and run.tries_to_pass == 1
    assert run.tries == 3 and not run.last_passed  # the restart started the exercise again


def test_runs_are_per_official(client, session, qlvb, learner):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    _start(client, scenario)
    client.post(f"/practice/{scenario.id}/do/register", data=REGISTER_GIAY_MOI)
    other = make_user(session, Role.OFFICIAL)
    other_client = client.application.test_client()
    login_as(other_client, other)
    _start(other_client, scenario)
    assert "Chờ tiếp nhận" in other_client.get(f"/practice/{scenario.id}/app/doc/giay-moi").text
    assert _run(session, other, scenario).state["documents"]["giay-moi"]["book"] is None


def test_a_changed_scenario_starts_again_at_the_next_visit(client, session, qlvb, learner):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    _start(client, scenario)
    client.post(f"/practice/{scenario.id}/do/register", data=REGISTER_GIAY_MOI)
    client.post(f"/practice/{scenario.id}/check")
    session.get(Scenario, scenario.id).spec_hash = "changed"
    session.commit()
    page = client.get(f"/practice/{scenario.id}/app/", follow_redirects=True)
    assert "vừa được cập nhật" in page.text
    run = _run(session, learner, scenario)
    assert run.spec_hash == "changed" and run.steps == 0 and run.tries == 1
    assert run.state["documents"]["giay-moi"]["book"] is None


@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "/do/no_such_action"),
        ("get", "/app/no_such_page"),
        ("get", "/app/doc/no-such-document"),
    ],
)
def test_unknown_actions_pages_and_objects_are_404(client, qlvb, learner, method, path):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    _start(client, scenario)
    assert getattr(client, method)(f"/practice/{scenario.id}{path}").status_code == 404


def test_unpublished_scenario_is_404(client, session, qlvb, learner):
    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    scenario.published = False
    session.commit()
    assert client.get(f"/practice/{scenario.id}").status_code == 404
    assert client.post(f"/practice/{scenario.id}/start").status_code == 404


def test_a_document_the_persona_cannot_see_is_404(client, session, qlvb, learner):
    scenario = qlvb["kiem-tra-quyen-xem-cua-dong-nghiep"]
    _start(client, scenario)
    run = _run(session, learner, scenario)
    state = dict(run.state)
    state["people"] = {**state["people"], state["me"]: {**state["people"][state["me"]], "admin": False}}
    run.state = state
    session.commit()
    assert client.get(f"/practice/{scenario.id}/app/doc/bc-xac-minh").status_code == 404
    assert client.get(f"/practice/{scenario.id}/app/access").status_code == 404


def test_two_tabs_saving_a_step_at_once_lose_nothing(app, session, qlvb, learner):
    """The run's version column: the second writer of a stale copy is refused, not silently applied."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    scenario = qlvb["vao-so-giay-moi-hoa-toc"]
    services.start_run(session, learner.official, scenario)
    session.commit()
    from lms.extensions import db

    first, second = Session(db.engine), Session(db.engine)
    try:
        run_a = services.get_run(first, learner.official_id, scenario.id)
        run_b = services.get_run(second, learner.official_id, scenario.id)
        services.apply_action(first, run_a, "register", REGISTER_GIAY_MOI)
        first.commit()
        with pytest.raises(StaleDataError):
            services.apply_action(second, run_b, "return", {"doc": "giay-moi", "reason": "Gửi nhầm"})
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()
    run = _run(session, learner, scenario)
    assert run.state["documents"]["giay-moi"]["status"] == "da_vao_so" and run.steps == 1


def test_portal_scenario_through_the_pages(client, session, learner):
    _course, scenarios = load_course_with_practice(session, "portal")
    session.commit()
    scenario = next(s for s in scenarios if s.slug == "dang-thong-bao-lich-tiep-cong-dan")
    _start(client, scenario)
    base = f"/practice/{scenario.id}"
    assert client.get(f"{base}/app/new").status_code == 200
    saved = client.post(
        f"{base}/do/save_page",
        data={
            "category": "thong-bao",
            "title": "THÔNG BÁO LỊCH TIẾP CÔNG DÂN THÁNG 12",
            "summary": "Giám đốc Sở tiếp công dân ngày 15/12/2026.",
            "body": "Giám đốc Sở Nội vụ tiếp công dân ngày 15/12/2026 tại trụ sở Sở.",
            "submit_now": "0",
        },
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/app/edit/tin-moi-1")
    client.post(f"{base}/do/attach", data={"page": "tin-moi-1", "file": "tb-scan"})
    client.post(f"{base}/do/submit", data={"page": "tin-moi-1"})
    client.post(f"{base}/check")
    result = client.get(f"{base}/result").text
    assert "viết toàn chữ in hoa" in result
    assert "thong-bao-tiep-cong-dan-anh-chup.pdf" in result  # the wrong file is named
    assert "chưa đính kèm tệp cần có" in result
    preview = client.get(f"{base}/app/preview/tin-moi-1")
    assert preview.status_code == 200 and "15/12/2026" in preview.text


def test_email_scenario_through_the_pages(client, session, learner):
    _course, scenarios = load_course_with_practice(session, "email")
    session.commit()
    scenario = next(s for s in scenarios if s.slug == "tra-loi-va-chuyen-tiep-thu-moi")
    _start(client, scenario)
    base = f"/practice/{scenario.id}"
    reply_all = client.get(f"{base}/app/compose?mode=reply_all&source=thu-moi").text
    assert "vanphong@stc.vinhphuc.gov.vn" in reply_all  # reply all fills in every recipient
    reply = client.get(f"{base}/app/compose?mode=reply&source=thu-moi").text
    assert re.search(r'id="f-to" name="to" value="cds@skhcn.vinhphuc.gov.vn"', reply)
    client.post(
        f"{base}/do/send",
        data={
            "mode": "reply_all",
            "source": "thu-moi",
            "to": "cds@skhcn.vinhphuc.gov.vn, vanphong@stc.vinhphuc.gov.vn, vanphong@stp.vinhphuc.gov.vn",
            "subject": "Re: Mời dự lớp tập huấn",
            "body": "Sở Nội vụ xác nhận cử ông An tham dự.",
        },
    )
    client.post(f"{base}/check")
    result = client.get(f"{base}/result").text
    assert "người không cần nhận" in result and "Chuyển tiếp" in result
    bad = client.post(f"{base}/do/send", data={"mode": "new", "to": "không phải địa chỉ"})
    assert bad.status_code == 422 and "không phải là địa chỉ thư hợp lệ" in bad.text


def test_phishing_link_records_the_click_never_the_password(client, session, learner):
    _course, scenarios = load_course_with_practice(session, "email")
    session.commit()
    scenario = next(s for s in scenarios if s.slug == "nhan-dien-va-bao-cao-thu-lua-dao")
    _start(client, scenario)
    base = f"/practice/{scenario.id}"
    opened = client.post(f"{base}/do/open_link", data={"message": "lua-dao-hop-thu", "index": "0"})
    assert opened.headers["Location"].endswith("/app/link/lua-dao-hop-thu.0")
    assert "Xác minh tài khoản thư điện tử" in client.get(opened.headers["Location"]).text
    client.post(f"{base}/do/enter_password", data={"message": "lua-dao-hop-thu", "fake_password": "Bi-mat-123"})
    run = _run(session, learner, scenario)
    assert run.state["events"]["password"] == ["lua-dao-hop-thu"]
    assert "Bi-mat-123" not in str(run.state)


# -- results for unit heads and staff ----------------------------------------------------------------


def _pass(session, official, scenario):
    from practice.loader import replay

    run = services.start_run(session, official, scenario)
    run.state = replay(services.replica_of(scenario), scenario.spec["setup"], scenario.spec["solution"])
    services.check_run(session, run)


def test_unit_head_sees_practice_results_of_own_staff_only(client, session, qlvb):
    unit, other_unit = make_unit(session), make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    staff = make_official(session, unit, family_name="Trần", middle_name="Thị", given_name="Bích")
    outsider = make_official(session, other_unit)
    _pass(session, staff, qlvb["vao-so-giay-moi-hoa-toc"])
    _pass(session, outsider, qlvb["vao-so-giay-moi-hoa-toc"])
    session.commit()
    login_as(client, head)
    assert client.get("/practice/my-unit").headers["Location"].endswith(f"/practice/units/{unit.id}")
    page = client.get(f"/practice/units/{unit.id}")
    assert page.status_code == 200
    row = re.search(r"Trần Thị Bích.*?</tr>", page.text, re.S).group(0)
    assert "1/8" in row  # qlvb: one exercise passed of eight
    assert client.get(f"/practice/units/{other_unit.id}").status_code == 403
    assert client.get("/practice/units").status_code == 403
    dashboard = client.get("/dashboard").text
    assert "Thực hành của cán bộ trong đơn vị" in dashboard


def _count_links(page: str) -> dict[str, int]:
    return {html.unescape(href): int(n) for href, n in re.findall(r'<a href="([^"]+)"[^>]*?data-count="(\d+)"', page)}


def _listed(client, url: str) -> list[str]:
    """The names of the staff list ``url`` opens, over every page (``rel="next"``)."""
    names, seen = [], set()
    while url and url not in seen:
        seen.add(url)
        page = client.get(url)
        assert page.status_code == 200, url
        names += re.findall(r'<tr data-row>\s*<th scope="row">(?:<a [^>]*>)?([^<]+)<', page.text)
        following = re.search(r'<a href="([^"]+)" rel="next"', page.text)
        url = html.unescape(following.group(1)) if following else None
    return names


def test_the_passed_count_opens_only_those_who_passed_and_the_staff_count_opens_all(client, session, qlvb, monkeypatch):
    """In "a/b cán bộ đã làm đạt", a opens the list of the a who passed (paginated like the rest), b all b."""
    monkeypatch.setattr("practice.views.PER_PAGE", 2)
    unit = make_unit(session)
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    staff = [make_official(session, unit, given_name=f"Người {n}") for n in range(5)]
    for official in staff[:3]:
        _pass(session, official, qlvb["vao-so-giay-moi-hoa-toc"])
    services.start_run(session, staff[3], qlvb["vao-so-giay-moi-hoa-toc"])  # started, not passed
    _pass(session, make_official(session, make_unit(session)), qlvb["vao-so-giay-moi-hoa-toc"])  # another unit
    session.commit()
    login_as(client, head)
    panel = client.get("/dashboard").text
    panel = panel[panel.index('id="practice-unit-panel"') :]
    links = _count_links(panel[: panel.index("</section>")])
    passed_url = f"/practice/units/{unit.id}?show=passed"
    assert links[passed_url] == 3 and links[f"/practice/units/{unit.id}"] == 6  # the head is on the staff too
    passed = _listed(client, passed_url)
    assert sorted(passed) == sorted(o.full_name for o in staff[:3])
    assert len(_listed(client, f"/practice/units/{unit.id}")) == 6
    unit_page = client.get(f"/practice/units/{unit.id}").text
    assert _count_links(unit_page)[passed_url] == 3  # the unit page's own count opens the same list
    login_as(client, make_user(session, Role.IT_STAFF))
    every_unit = _count_links(client.get("/practice/units").text)
    assert every_unit[passed_url] == 3 and len(_listed(client, passed_url)) == 3


def test_it_staff_see_every_unit_and_set_the_course_requirement(client, session, qlvb):
    unit = make_unit(session, name="Sở Thử Nghiệm")
    _pass(session, make_official(session, unit), qlvb["vao-so-giay-moi-hoa-toc"])
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    login_as(client, staff)
    units = client.get("/practice/units").text
    assert "Sở Thử Nghiệm" in units
    manage = client.get("/practice/manage").text
    assert "Vào sổ và trình ngay giấy mời hỏa tốc" in manage
    course_id = qlvb["vao-so-giay-moi-hoa-toc"].course_id
    assert not services.course_requires_practice(session, course_id)
    client.post(f"/practice/manage/courses/{course_id}/requirement", data={"required": "1"})
    session.expire_all()
    assert services.course_requires_practice(session, course_id)
    client.post(f"/practice/manage/courses/{course_id}/requirement", data={"required": "0"})
    session.expire_all()
    assert not services.course_requires_practice(session, course_id)
    assert client.post("/practice/manage/courses/999999/requirement", data={"required": "1"}).status_code == 404


def test_official_dashboard_panel_points_to_the_next_exercise(client, session, qlvb, learner):
    panel = client.get("/dashboard").text
    assert "Thực hành trên phần mềm" in panel and "0/8" in panel
    assert "Vào sổ và trình ngay giấy mời hỏa tốc" in panel
