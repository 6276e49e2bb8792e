"""Issue 16's walk-through for IT staff, by clicking only: from the province ranking to the weakest
unit, an on-site support session there on a working day, then inviting the unit's staff and reading
how many people were invited. Each step is saved as a screenshot in
tests/e2e/walkthrough-shots/it-staff/ (git ignores it) for a person to look at."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from lms.auth.models import Role
from lms.time import local_today
from lms.topics import Topic
from lms.workdays import is_working_day
from tests.competency.factories import certify, graded_attempt, topic_setup
from tests.e2e.helpers import log_in
from tests.e2e.walkthrough import Walk
from tests.factories import make_official, make_unit, make_user

pytestmark = pytest.mark.e2e


def _province(session):
    """Two communes: Xã Hợp Châu has its staff certified in every topic, Xã Minh Quang is the weakest
    (nobody certified, e-mail attempts failed), with five officials and no unit-head account."""
    courses = topic_setup(session)
    strong = make_unit(session, code="X-HOPCHAU", name="Xã Hợp Châu")
    weak = make_unit(session, code="X-MINHQUANG", name="Xã Minh Quang")
    for n in range(5):
        good = make_official(session, strong, family_name="Trần", middle_name="Văn", given_name=f"Giỏi{n}")
        for course, quiz in courses.values():
            graded_attempt(session, quiz, good, 90)
            certify(session, good, course)
        weak_one = make_official(session, weak, family_name="Lê", middle_name="Thị", given_name=f"Yếu{n}")
        graded_attempt(session, courses[Topic.EMAIL][1], weak_one, 30)
    make_user(session, Role.IT_STAFF, username="cntt")
    session.commit()
    return weak


def test_it_staff_walk_from_the_ranking_to_a_support_session_for_the_weakest_unit(live_server, page, session):
    _province(session)
    walk = Walk(page, "it-staff")

    log_in(page, live_server, "cntt")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    walk.shot("dashboard")

    page.get_by_role("navigation").get_by_role("link", name="Xếp hạng đơn vị").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Xếp hạng năng lực ứng dụng CNTT của các đơn vị")
    last = page.locator("table.ranking tbody tr").filter(has_text="Cuối bảng")
    expect(last).to_have_count(1)
    expect(last).to_contain_text("Xã Minh Quang")
    walk.shot("ranking")

    last.get_by_role("link", name="Xã Minh Quang").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xã Minh Quang")
    support = page.locator("#support-unit")
    expect(support).to_contain_text("Chủ đề yếu nhất")
    walk.shot("weakest-unit")

    support.get_by_role("link", name="Tổ chức buổi hỗ trợ tại đơn vị này").click()
    expect(page.get_by_label("Hình thức")).to_have_value("onsite")
    expect(page.get_by_label("Xã Minh Quang (X-MINHQUANG)")).to_be_checked()
    expect(page.get_by_label("Tên buổi tập huấn")).to_have_value("Hỗ trợ tại đơn vị: Xã Minh Quang")
    walk.shot("new-session-form")
    day = page.get_by_label("Bắt đầu (giờ Việt Nam)").input_value()[:10]  # dd/mm/yyyy, as proposed
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hỗ trợ tại đơn vị: Xã Minh Quang"))
    expect(page.locator(".flash-success").first).to_contain_text("Đã tạo buổi tập huấn")
    walk.shot("session-created")
    d, m, y = (int(x) for x in day.split("/"))
    chosen = date(y, m, d)
    assert chosen > local_today() and is_working_day(chosen), chosen  # the form proposed a working day

    page.get_by_role("link", name="Mời cán bộ và đơn vị").click()
    expect(page.locator("#lagging-units").get_by_label(re.compile("Xã Minh Quang"))).to_be_checked()
    walk.shot("invite")
    page.get_by_role("button", name="Gửi lời mời").click()
    headless = page.locator("#headless-units")
    expect(headless).to_contain_text("Xã Minh Quang: mời thẳng 5 cán bộ của đơn vị")
    walk.shot("invite-who")
    headless.get_by_label(re.compile("Xã Minh Quang: mời thẳng")).check()
    page.get_by_role("button", name="Tính lại").click()
    expect(page.locator("#invite-reach")).to_contain_text("Lời mời sẽ đến 5 người")
    walk.shot("invite-reach")
    page.get_by_role("button", name="Xác nhận gửi lời mời").click()
    expect(page.locator(".flash-success").first).to_contain_text("Đã mời 5 cán bộ và 1 đơn vị")
    walk.shot("invited")
