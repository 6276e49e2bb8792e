"""IT staff log in, switch to large font and see the units list (real Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from lms.auth.models import Role
from tests.e2e.helpers import log_in
from tests.factories import make_unit, make_user

pytestmark = pytest.mark.e2e


def test_it_staff_large_font_units_list(live_server, page, session):
    make_unit(session, code="H-TAMDAO", name="Huyện Tam Đảo")
    make_user(session, Role.IT_STAFF, username="cntt")
    session.commit()
    log_in(page, live_server, "cntt")
    page.get_by_role("button", name="A lớn").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\bfs-large\b"))
    page.get_by_role("link", name="Đơn vị", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Các đơn vị trong tỉnh")
    expect(page.locator("#units-table").get_by_text("Huyện Tam Đảo")).to_be_visible()
    page.wait_for_load_state("load")  # the stylesheet, not only the HTML
    expect(page.locator("html")).to_have_css("font-size", "21px")
