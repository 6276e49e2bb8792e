"""Walk-through (issue 16): a unit head goes from the dashboard to the weakest of their staff, assigns
them a course, sees it on that person's page and goes back to the list as it was, clicking only.
Each step is saved as a screenshot in tests/e2e/walkthrough-shots/unit-head/ (git ignores it)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.auth.models import Role
from lms.time import local_today
from lms.topics import Topic
from tests.competency.factories import graded_attempt, topic_setup
from tests.e2e.helpers import log_in
from tests.e2e.walkthrough import Walk
from tests.factories import make_course, make_official, make_unit, make_user

pytestmark = pytest.mark.e2e


def _person(session, unit, family, middle, given):
    return make_official(session, unit, family_name=family, middle_name=middle, given_name=given)


@pytest.fixture
def unit_with_staff(session, app):
    app.config["CERT_RENDER_ON_ISSUE"] = False
    t = topic_setup(session)
    unit = make_unit(session, name="Phòng Văn hóa và Thông tin")
    head = make_user(session, Role.UNIT_HEAD, unit, username="truongphong")
    hung = _person(session, unit, "Lê", "Văn", "Hùng")
    lan = _person(session, unit, "Phạm", "Thị", "Lan")
    duc = _person(session, unit, "Ngô", "Minh", "Đức")
    star = _person(session, unit, "Vũ", "Thị", "Hoa")
    for _ in range(2):
        make_official(session, unit)  # not started
    graded_attempt(session, t[Topic.EMAIL][1], hung, 25)  # the weakest: one try, far below the pass mark
    graded_attempt(session, t[Topic.EMAIL][1], lan, 45)
    graded_attempt(session, t[Topic.QLVB][1], lan, 80)
    graded_attempt(session, t[Topic.QLVB][1], duc, 90)  # passed one topic, has not started the others
    for topic in Topic:
        graded_attempt(session, t[topic][1], star, 92)
    course = make_course(session, Topic.EMAIL, lessons=3, title="Thư công vụ cho người mới bắt đầu")
    session.commit()
    yield head, unit, hung, course
    app.config["CERT_RENDER_ON_ISSUE"] = True


def test_a_unit_head_walks_to_the_weakest_staff_member_and_assigns_a_course(live_server, page, unit_with_staff):
    head, unit, hung, course = unit_with_staff
    due = (local_today() + timedelta(days=45)).strftime("%d/%m/%Y")
    walk = Walk(page, "unit-head")
    log_in(page, live_server, "truongphong")

    # 1. the dashboard counts the staff and leads to those with a topic not passed, lowest score first
    counts = page.locator("#unit-staff-counts")
    expect(counts).to_contain_text("Tất cả: 7 người")
    expect(counts).to_contain_text("Có chủ đề chưa đạt: 3 người")
    walk.shot("dashboard")
    page.locator("#weakest-staff").click()

    # 2. the unit's table on that tab: as many rows as the count said, the weakest first
    expect(page).to_have_url(re.compile(r"show=failing&sort=score"))
    expect(page.locator('.tabs a[aria-current="true"]')).to_have_text("Có chủ đề chưa đạt (3)")
    rows = page.locator("table.staff tbody tr[data-row]")
    expect(rows).to_have_count(3)
    expect(rows.first.locator("th")).to_have_text("Lê Văn Hùng")
    walk.shot("unit-weakest-first")
    rows.first.get_by_role("link", name="Lê Văn Hùng").click()

    # 3. their page: where they stand on each topic, no course yet, what can be done
    expect(page.get_by_role("heading", level=1)).to_have_text("Lê Văn Hùng")
    email = page.locator("#staff-topics tr", has_text=Topic.EMAIL.label)
    expect(email).to_contain_text("25,0")
    expect(email).to_contain_text("chưa đạt")
    expect(page.locator("main")).to_contain_text("Chưa tham gia khóa học nào.")
    walk.shot("staff-member")
    page.locator("#assign-course").click()

    # 4. the assignment form, opened for this person alone
    expect(page.get_by_role("heading", level=1)).to_have_text("Giao khóa học")
    expect(page.locator(f'input[name="official_ids"][value="{hung.id}"]')).to_be_checked()
    expect(page.locator('input[name="target"][value="chosen"]')).to_be_checked()
    expect(page.locator("[data-checklist-count]")).to_contain_text("Đã chọn 1 trên 7.")
    page.locator("#course_id").select_option(label=course.title)
    page.locator("#due_on").fill(due)
    walk.shot("assign-form")
    page.get_by_role("button", name="Giao khóa học").click()

    # 5. back on their page: done, and the course is there with its due day
    expect(page.get_by_role("heading", level=1)).to_have_text("Lê Văn Hùng")
    expect(page.locator(".flash").first).to_contain_text(f"Đã giao khóa học “{course.title}” cho 1 cán bộ.")
    assigned = page.locator("#staff-courses tr", has_text=course.title)
    expect(assigned).to_contain_text("Được giao")
    expect(assigned).to_contain_text(due)
    expect(assigned).to_contain_text("0/3")
    walk.shot("staff-member-course-assigned")

    # 6. back to the list as it was left: the same tab and order
    page.locator("#back-to-list").click()
    expect(page).to_have_url(re.compile(rf"/competency/units/{unit.id}\?show=failing&sort=score$"))
    expect(page.locator('.tabs a[aria-current="true"]')).to_have_text("Có chủ đề chưa đạt (3)")
    walk.shot("back-to-the-list")
    assert sorted(p.name for p in walk.folder.glob("*.png"))[-1] == "06-back-to-the-list.png"
