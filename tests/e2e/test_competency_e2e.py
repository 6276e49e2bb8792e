"""A unit head opens the competency dashboard, filters "not started" and downloads the XLSX (Chromium)."""

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from lms.auth.models import Role
from lms.topics import Topic
from tests.competency.factories import graded_attempt, topic_setup
from tests.e2e.helpers import log_in
from tests.factories import make_official, make_unit, make_user

pytestmark = pytest.mark.e2e


def test_unit_head_filters_not_started_and_exports_xlsx(live_server, page, session):
    t = topic_setup(session)
    unit = make_unit(session, name="Huyện Tam Đảo")
    active = make_official(session, unit, family_name="Lê", middle_name="Văn", given_name="Hoạt")
    make_official(session, unit, family_name="Đỗ", middle_name="Thị", given_name="Nghỉ")
    graded_attempt(session, t[Topic.QLVB][1], active, 55)
    make_user(session, Role.UNIT_HEAD, unit, username="truongdonvi")
    session.commit()

    log_in(page, live_server, "truongdonvi")
    page.get_by_role("link", name="Năng lực đơn vị").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Huyện Tam Đảo")
    expect(page.get_by_role("row").filter(has_text="Lê Văn Hoạt")).to_have_count(1)

    page.get_by_role("link", name="Chưa bắt đầu (").click()
    staff = page.locator("table.staff")
    expect(page).to_have_url(re.compile(r"not_started|status="))
    expect(staff.get_by_text("Đỗ Thị Nghỉ")).to_be_visible()
    expect(staff.get_by_text("Lê Văn Hoạt")).to_have_count(0)

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải Excel (XLSX)").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as fh:
        ws = load_workbook(io.BytesIO(fh.read())).active
    names = [ws.cell(row=i, column=2).value for i in range(3, ws.max_row + 1)]
    assert "Đỗ Thị Nghỉ" in names and "Lê Văn Hoạt" not in names
