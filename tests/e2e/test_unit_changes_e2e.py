"""IT staff merge two communes into a new one in Chromium: form, preview, confirm, history."""

import re

import pytest
from playwright.sync_api import expect

from lms.auth.models import Role
from lms.org.models import UnitKind
from tests.e2e.helpers import log_in
from tests.factories import make_official, make_unit, make_user

pytestmark = pytest.mark.e2e


def test_it_staff_merge_two_communes_into_a_new_unit(live_server, page, session):
    a = make_unit(session, code="XA-HC", name="Xã Hợp Châu", kind=UnitKind.XA)
    b = make_unit(session, code="XA-MQ", name="Xã Minh Quang", kind=UnitKind.XA)
    for unit in (a, a, b):
        make_official(session, unit)
    make_user(session, Role.IT_STAFF, username="cntt")
    session.commit()

    log_in(page, live_server, "cntt")
    page.get_by_role("link", name="Đơn vị", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Các đơn vị trong tỉnh")
    page.get_by_role("link", name="Sáp nhập, chia tách, đổi tên đơn vị").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sáp nhập, chia tách, đổi tên đơn vị")

    for label in ("Xã Hợp Châu (XA-HC)", "Xã Minh Quang (XA-MQ)"):
        box = page.get_by_label(label)
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    page.get_by_label("Tạo đơn vị mới").check()
    page.get_by_label("Mã đơn vị mới").fill("XA-HCMQ")
    page.get_by_label("Tên đơn vị mới").fill("Xã Hợp Châu Minh Quang")
    page.get_by_label("Khối của đơn vị mới").select_option(label="Xã, phường, thị trấn")
    page.get_by_label("Ngày có hiệu lực", exact=True).fill("2025-07-01")
    page.get_by_label("Ghi chú (số quyết định, nghị quyết)").fill("Nghị quyết số 1234/NQ-UBTVQH15")
    page.get_by_role("button", name="Xem trước").click()

    preview = page.locator("#change-preview")
    expect(preview.get_by_role("heading", level=2)).to_have_text("Xem trước: Sáp nhập")
    expect(preview).to_contain_text("Xã Hợp Châu Minh Quang (XA-HCMQ) — sẽ được tạo mới")
    expect(preview.get_by_role("listitem").filter(has_text="chấm dứt hoạt động")).to_have_text(
        [
            "Xã Hợp Châu (XA-HC): chấm dứt hoạt động từ ngày 01/07/2025",
            "Xã Minh Quang (XA-MQ): chấm dứt hoạt động từ ngày 01/07/2025",
        ]
    )
    expect(preview).to_contain_text("3 cán bộ đang công tác sẽ chuyển sang Xã Hợp Châu Minh Quang")
    preview.get_by_role("button", name="Xác nhận và ghi").click()

    expect(page).to_have_url(re.compile(r"/org/units/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Xã Hợp Châu Minh Quang")
    expect(page.locator(".flash-success")).to_contain_text(
        "Đã ghi: Sáp nhập, đơn vị mới Xã Hợp Châu Minh Quang, hiệu lực từ 01/07/2025."
    )

    page.goto(f"{live_server}/org/units/changes#history")
    rows = page.locator("#succession-history tbody tr")
    expect(rows).to_have_count(2)
    for old in ("Xã Hợp Châu (XA-HC)", "Xã Minh Quang (XA-MQ)"):
        expect(rows.filter(has_text=old).get_by_role("cell")).to_have_text(
            ["01/07/2025", "Sáp nhập", old, "Xã Hợp Châu Minh Quang (XA-HCMQ)", "Nghị quyết số 1234/NQ-UBTVQH15"]
        )
