"""IT staff import a month of e-mail usage with two unmatched rows, match them by hand, and see the
province's "officials using official e-mail" figure change, in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from adoption.models import System
from adoption.months import add_months, local_today, month_start
from lms.auth.models import Role
from tests.adoption_app.factories import small_province, usage_csv
from tests.e2e.helpers import log_in
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def test_it_staff_import_email_usage_match_two_rows_and_see_the_figure_change(live_server, page, session):
    small_province(session)  # eleven active officials
    make_user(session, Role.IT_STAFF, username="cntt")
    session.commit()
    month = add_months(month_start(local_today()), -1)
    day = month.replace(day=12).strftime("%d/%m/%Y")
    data = usage_csv(
        System.EMAIL,
        [
            {"mailbox": "a1@thu.gov.vn", "last_login": day, "messages_sent": "4"},
            {"mailbox": "c1@thu.gov.vn", "last_login": day},
            {"mailbox": "d2@thu.gov.vn", "last_login": "", "messages_sent": "2"},
            {"mailbox": "giang.vu@gmail.com", "name": "Vũ Thị Giang", "last_login": day},
            {"mailbox": "dung.do.cu@thu.gov.vn", "name": "Đỗ Văn Dũng", "last_login": day},
        ],
    )

    log_in(page, live_server, "cntt")
    page.get_by_role("link", name="Sử dụng ứng dụng").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sử dụng ba ứng dụng cốt lõi trong tỉnh")
    page.get_by_role("link", name="Nhập số liệu sử dụng").click()
    page.get_by_label("Thư điện tử công vụ").check()
    expect(page.get_by_label("Tháng của số liệu")).to_have_value(f"{month.month:02d}/{month.year}")
    page.get_by_label("Chọn tệp (.csv hoặc .xlsx)").set_input_files(
        {"name": "thu-cong-vu.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Kiểm tra và nhập").click()
    result = page.locator("#import-result")
    expect(result).to_contain_text("3 dòng ghép được, 2 dòng chưa ghép được")

    result.get_by_role("link", name="Xem chỉ số của tháng").click()
    expect(page.locator("#mail-figure")).to_have_text("3/11 cán bộ sử dụng (27,3%)")
    page.get_by_role("link", name="Ghép các dòng này").click()
    rows = page.locator("#unmatched-table tbody tr")
    expect(rows).to_have_count(2)

    for mailbox, person in (("giang.vu@gmail.com", "Vũ Thị Giang"), ("dung.do.cu@thu.gov.vn", "Đỗ Văn Dũng")):
        rows.filter(has_text=mailbox).get_by_role("link", name=re.compile("Ghép")).click()
        expect(page.locator("#row-label")).to_have_text(mailbox)
        page.get_by_label(re.compile(person)).check()
        page.get_by_role("button", name="Ghép và ghi nhớ").click()
        expect(page.locator(".flash-success")).to_contain_text("Đã ghép 1 dòng")
    expect(page.locator("#all-matched")).to_be_visible()

    page.get_by_role("link", name="Về trang chỉ số").click()
    expect(page.locator("#mail-figure")).to_have_text("5/11 cán bộ sử dụng (45,5%)")
    expect(page.locator("#unmatched-note")).to_have_count(0)
