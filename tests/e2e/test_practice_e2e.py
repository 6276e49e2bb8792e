"""One practice scenario of each application, done in Chromium with the keyboard only.

No mouse: focus moves with Tab (``tab_to`` presses Tab until the element has the focus, so the
page's own tab order is what gets there), text is typed, selects change with the arrow keys,
checkboxes with Space, links and buttons with Enter. The portal exercise runs in the extra-large
font with high contrast, as an older official would set them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from lms.auth.models import Role
from tests.factories import PASSWORD, make_user
from tests.practice.helpers import load_course_with_practice

pytestmark = pytest.mark.e2e

MAX_TABS = 200


def tab_to(page: Page, target: Locator, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the keyboard focus."""
    handle = target.element_handle()
    for _ in range(MAX_TABS):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"never reached {target} with the Tab key")


def press(page: Page, target: Locator, key: str = "Enter") -> None:
    tab_to(page, target)
    page.keyboard.press(key)


def type_into(page: Page, target: Locator, text: str) -> None:
    """Focus the field with Tab, clear it with the keyboard, type the text."""
    tab_to(page, target)
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)
    expect(target).to_have_value(text)


def choose(page: Page, select: Locator, label: str) -> None:
    """Move a select down with the arrow keys until the option ``label`` is chosen."""
    tab_to(page, select)
    page.keyboard.press("Home")
    for _ in range(30):
        if select.evaluate("(s) => s.options[s.selectedIndex].text") == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {label!r}")


def log_in_by_keyboard(page: Page, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/login")
    type_into(page, page.get_by_label("Tên đăng nhập hoặc thư điện tử"), username)
    type_into(page, page.get_by_label("Mật khẩu"), PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Xin chào")


def open_exercise(page: Page, title: str) -> None:
    press(page, page.get_by_role("link", name="Thực hành", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thực hành trên phần mềm")
    press(page, page.get_by_role("link", name=title))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    press(page, page.get_by_role("button", name="Bắt đầu làm bài"))
    expect(page.locator("#replica")).to_be_visible()


def check_and_pass(page: Page) -> None:
    press(page, page.get_by_role("button", name="Kiểm tra kết quả"))
    expect(page.locator(".result-box")).to_contain_text("Bạn đã làm đúng toàn bộ bài thực hành.")


def test_clerk_registers_and_submits_an_express_invitation_by_keyboard(live_server, page, session):
    load_course_with_practice(session, "qlvb")
    make_user(session, Role.OFFICIAL, username="vanthu")
    session.commit()
    log_in_by_keyboard(page, live_server, "vanthu")
    open_exercise(page, "Vào sổ và trình ngay giấy mời hỏa tốc")

    press(page, page.get_by_role("link", name="Họp trực tuyến về triển khai Kế hoạch chuyển đổi số năm 2027"))
    press(page, page.get_by_role("link", name="Tiếp nhận và vào sổ"))
    form = page.locator("#step-form")
    expect(form.get_by_role("heading", level=5)).to_have_text("Tiếp nhận và vào sổ")

    # "show me": the guide box walks the fields; Escape ends it and gives the focus back
    press(page, page.get_by_role("button", name="Chỉ cho tôi"))
    bubble = page.locator(".guide-bubble")
    expect(bubble).to_contain_text("Đọc văn bản gốc trước")
    expect(page.locator("#doc-original")).to_have_class(re.compile("guide-highlight"))
    page.keyboard.press("Enter")  # the focus is on "Bước tiếp" in the box
    expect(bubble).to_contain_text("Cơ quan ban hành")
    expect(page.locator("#f-co_quan").locator("xpath=..")).to_have_class(re.compile("guide-highlight"))
    page.keyboard.press("Escape")
    expect(bubble).to_have_count(0)
    expect(page.get_by_role("button", name="Chỉ cho tôi")).to_be_focused()

    type_into(page, form.get_by_label("Cơ quan ban hành"), "Ủy ban nhân dân tỉnh Vĩnh Phúc")
    type_into(page, form.get_by_label("Trích yếu"), "Họp trực tuyến về triển khai Kế hoạch chuyển đổi số năm 2027")
    choose(page, form.get_by_label("Độ mật"), "Thường")
    choose(page, form.get_by_label("Độ khẩn"), "Hỏa tốc")
    press(page, form.get_by_role("button", name="Vào sổ"))
    expect(page.locator(".flash-success")).to_contain_text("Đã vào sổ văn bản đến, số đến 1245.")

    press(page, page.get_by_role("link", name="Trình lãnh đạo"))
    form = page.locator("#step-form")
    choose(page, form.get_by_label("Trình cho"), "Nguyễn Văn Hùng — Giám đốc Sở")
    press(page, form.get_by_role("button", name="Trình", exact=True))
    expect(page.locator(".flash-success")).to_contain_text("Đã trình văn bản cho Nguyễn Văn Hùng.")
    expect(page.locator("#doc-route")).to_contain_text("Tiếp nhận và vào sổ")
    check_and_pass(page)


def test_editor_posts_a_notice_with_its_pdf_by_keyboard_in_large_high_contrast(live_server, page, session):
    load_course_with_practice(session, "portal")
    make_user(session, Role.OFFICIAL, username="bientap")
    session.commit()
    log_in_by_keyboard(page, live_server, "bientap")
    press(page, page.get_by_role("button", name="A rất lớn"))
    press(page, page.get_by_role("button", name="Tương phản cao"))
    expect(page.locator("html")).to_have_class(re.compile(r"fs-xlarge.*contrast"))
    open_exercise(page, "Viết và gửi duyệt thông báo lịch tiếp công dân")

    press(page, page.get_by_role("link", name="Viết tin mới"))
    expect(page.locator("#replica").get_by_role("heading", level=3)).to_have_text("Viết tin mới")
    choose(page, page.get_by_label("Chuyên mục"), "Thông báo")
    type_into(page, page.get_by_label("Tiêu đề tin"), "Thông báo lịch tiếp công dân định kỳ tháng 12 năm 2026")
    type_into(page, page.get_by_label("Tóm tắt (sapo)"), "Giám đốc Sở Nội vụ tiếp công dân ngày 15/12/2026.")
    type_into(
        page, page.get_by_label("Nội dung"), "Giám đốc Sở tiếp công dân sáng thứ Ba, ngày 15/12/2026, tại trụ sở Sở."
    )
    press(page, page.get_by_role("button", name="Lưu", exact=True))
    expect(page.locator(".flash-success")).to_contain_text("Đã lưu bản nháp.")

    choose(
        page,
        page.get_by_label("Tệp trên máy của bạn"),
        "thong-bao-lich-tiep-cong-dan-12-2026.pdf (PDF có chữ (tìm kiếm được): Bản đã ký số)",
    )
    press(page, page.get_by_role("button", name="Đính kèm"))
    expect(page.locator("#portal-attach")).to_contain_text("thong-bao-lich-tiep-cong-dan-12-2026.pdf")
    press(page, page.get_by_role("button", name="Gửi duyệt", exact=True))
    expect(page.locator(".flash-success")).to_contain_text("Đã gửi duyệt.")
    check_and_pass(page)


def test_official_sends_the_report_to_the_right_people_with_the_right_file_by_keyboard(live_server, page, session):
    load_course_with_practice(session, "email")
    make_user(session, Role.OFFICIAL, username="chuyenvien")
    session.commit()
    log_in_by_keyboard(page, live_server, "chuyenvien")
    open_exercise(page, "Gửi báo cáo có tệp đính kèm, đúng người nhận và người cần biết")

    press(page, page.get_by_role("link", name="Đề nghị gửi báo cáo kết quả công tác quý III năm 2026"))
    expect(page.locator("#msg-from")).to_contain_text("tonghop@vpubnd.vinhphuc.gov.vn")
    press(page, page.get_by_role("link", name="Soạn thư"))
    expect(page.locator("#replica").get_by_role("heading", level=3)).to_have_text("Soạn thư")
    type_into(page, page.get_by_label("Đến"), "tonghop@vpubnd.vinhphuc.gov.vn")
    type_into(page, page.get_by_label("CC (gửi đồng thời)"), "binh.tv@sonv.vinhphuc.gov.vn")
    type_into(page, page.get_by_label("Tiêu đề"), "Sở Nội vụ gửi báo cáo kết quả công tác quý III năm 2026")
    type_into(
        page,
        page.get_by_label("Nội dung"),
        "Kính gửi Phòng Tổng hợp, Sở Nội vụ gửi báo cáo quý III năm 2026 trong tệp đính kèm. Trân trọng.",
    )
    final = page.get_by_label(re.compile("Bao-cao-ket-qua-quy-III-2026.docx"))
    press(page, final, "Space")
    expect(final).to_be_checked()
    press(page, page.get_by_role("button", name="Gửi", exact=True))
    expect(page.locator(".flash-success")).to_contain_text("Đã gửi thư")
    check_and_pass(page)
