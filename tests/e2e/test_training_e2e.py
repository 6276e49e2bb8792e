"""IT staff schedule an on-site session for the units lagging on official e-mail, invite, an official accepts."""

import re

import pytest
from playwright.sync_api import expect

from lms.auth.models import Role
from tests.e2e.helpers import log_in
from tests.factories import make_unit, make_user

pytestmark = pytest.mark.e2e


def test_onsite_session_for_lagging_units_invite_and_accept(live_server, page, session):
    unit = make_unit(session, code="X-DAOTRU", name="Xã Đạo Trù")
    make_unit(session, code="X-DAIDINH", name="Xã Đại Đình")
    learner = make_user(session, Role.OFFICIAL, unit=unit, username="canbo")
    make_user(session, Role.IT_STAFF, username="cntt")
    session.commit()
    name = learner.official.full_name

    log_in(page, live_server, "cntt")
    page.goto(f"{live_server}/training/new")
    page.get_by_label("Tên buổi tập huấn").fill("Hỗ trợ thư điện tử công vụ tại xã")
    page.get_by_label("Chủ đề").select_option("email")
    page.get_by_label("Hình thức").select_option("onsite")
    page.get_by_label("Bắt đầu (giờ Việt Nam)").fill("06/05/2031 08:00")
    page.get_by_label("Kết thúc (giờ Việt Nam)").fill("6/5/2031 11h")
    page.get_by_label("Địa điểm").fill("UBND xã Đạo Trù")
    page.get_by_label("Tìm đơn vị").fill("dao tru")  # without accents, as people type in a hurry
    expect(page.get_by_label("Xã Đại Đình (X-DAIDINH)")).to_be_hidden()
    page.get_by_label("Xã Đạo Trù (X-DAOTRU)").check()
    expect(page.locator("#target_unit_ids [data-checklist-count]")).to_contain_text("Đã chọn 1 trên 2.")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hỗ trợ thư điện tử công vụ tại xã"))

    page.get_by_role("link", name="Mời cán bộ và đơn vị").click()
    expect(page.locator("#lagging-units").get_by_text("Xã Đạo Trù")).to_be_visible()
    page.locator("#lagging-officials").get_by_label(name).check()
    page.get_by_role("button", name="Gửi lời mời").click()
    expect(page.locator("#invite-reach")).to_contain_text("1 cán bộ được mời trực tiếp")  # said before confirming
    page.get_by_role("button", name="Xác nhận gửi lời mời").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã mời 1 cán bộ và 1 đơn vị")
    page.get_by_role("button", name="Đăng xuất").click()

    log_in(page, live_server, "canbo")
    panel = page.locator("#training-panel")
    expect(panel.get_by_role("link", name="Hỗ trợ thư điện tử công vụ tại xã")).to_be_visible()
    panel.get_by_role("button", name="Nhận lời").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã xác nhận chỗ tham dự")
    expect(page.locator("#training-panel").get_by_role("heading", name="Sắp tới")).to_be_visible()
