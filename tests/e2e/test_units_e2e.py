"""IT staff log in, switch to large font and see the units list (real Chromium)."""

import pytest

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
    assert "fs-large" in page.locator("html").get_attribute("class")
    page.get_by_role("link", name="Đơn vị", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Các đơn vị trong tỉnh"
    assert page.locator("#units-table").get_by_text("Huyện Tam Đảo").is_visible()
    size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size == pytest.approx(21, abs=0.5)
