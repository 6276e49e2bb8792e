"""The unit head's page of one staff member (issue 16): per topic status, best score, attempts,
certificate and expiry; courses with due days; training sessions; actions (assign a course, send to a
session, a new activation slip) that come back to this page; a way back to the list it came from,
filters kept (a path of this site only); a unit head never sees another unit's staff."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from courses.models import Enrolment
from lms.auth.models import Role
from lms.auth.services import create_user
from lms.org.models import Official
from lms.topics import Topic
from tests.competency.factories import certify, graded_attempt, topic_setup
from tests.factories import PASSWORD, login_as, make_official, make_unit, make_user
from tests.training.factories import make_session
from training.models import Participant, ParticipantState, SessionKind


@pytest.fixture
def world(session):
    t = topic_setup(session)
    x, y = make_unit(session, name="Sở Xây dựng"), make_unit(session, name="Sở Y tế")
    anh = make_official(session, x, family_name="Trần", middle_name="Thị", given_name="Ánh", birth_year=1975)
    other = make_official(session, y)
    graded_attempt(session, t[Topic.QLVB][1], anh, 60)
    graded_attempt(session, t[Topic.QLVB][1], anh, 92)
    cert = certify(session, anh, t[Topic.QLVB][0])
    graded_attempt(session, t[Topic.EMAIL][1], anh, 45)
    users = {
        "head_x": make_user(session, Role.UNIT_HEAD, x),
        "head_y": make_user(session, Role.UNIT_HEAD, y),
        "it": make_user(session, Role.IT_STAFF),
        "anh": create_user(session, "anh", PASSWORD, official=anh, must_change_password=False),
    }
    session.commit()
    return {"t": t, "x": x, "y": y, "anh": anh, "other": other, "cert": cert, "users": users}


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.text


def _row(page: str, table_id: str, header: str) -> str:
    table = page[page.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    return next(r for r in re.findall(r"<tr>.*?</tr>", table, re.S) if header in r)


def test_the_page_shows_each_topic_with_score_attempts_certificate_and_expiry(client, world):
    login_as(client, world["users"]["head_x"])
    page = _page(client, f"/competency/staff/{world['anh'].id}")
    assert "Trần Thị Ánh" in page and "Sở Xây dựng" in page
    qlvb = _row(page, "staff-topics", Topic.QLVB.label)
    assert "92,0" in qlvb and ">2<" in qlvb  # best score, two attempts
    assert world["cert"].serial in qlvb and world["cert"].expires_on.strftime("%d/%m/%Y") in qlvb
    email = _row(page, "staff-topics", Topic.EMAIL.label)
    assert "45,0" in email and ">1<" in email and world["cert"].serial not in email
    security = _row(page, "staff-topics", Topic.SECURITY.label)
    assert "Chưa bắt đầu" in security


def test_the_way_back_keeps_the_list_filters_and_accepts_only_paths_of_this_site(client, world):
    login_as(client, world["users"]["head_x"])
    unit = world["x"].id
    listing = _page(client, f"/competency/units/{unit}?show=failing&sort=score&dir=desc")
    back = f"/competency/units/{unit}?show=failing&sort=score&dir=desc"
    href = html.unescape(re.search(r'<a href="([^"]+)">Trần Thị Ánh</a>', listing).group(1))
    assert urlsplit(href).path == f"/competency/staff/{world['anh'].id}"
    assert parse_qs(urlsplit(href).query)["back"] == [back]  # the list as it was: filter, sort, order
    page = _page(client, href)
    assert f'href="{html.escape(back)}" id="back-to-list"' in page
    for bad in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        page = _page(client, f"/competency/staff/{world['anh'].id}?back={quote(bad)}")
        assert f'href="/competency/units/{unit}" id="back-to-list"' in page, bad


def test_a_unit_head_cannot_open_another_units_staff(client, world):
    login_as(client, world["users"]["head_y"])
    assert client.get(f"/competency/staff/{world['anh'].id}").status_code == 403
    assert client.get("/competency/staff/999999").status_code == 404
    login_as(client, world["users"]["anh"])
    assert client.get(f"/competency/staff/{world['anh'].id}").status_code == 403  # officials: no
    login_as(client, world["users"]["it"])
    page = _page(client, f"/competency/staff/{world['anh'].id}")
    assert 'id="assign-course"' not in page  # the assignment form lists a head's own staff only


def test_assigning_a_course_from_the_page_comes_back_to_it_and_shows_the_course(client, session, world):
    login_as(client, world["users"]["head_x"])
    anh, course = world["anh"], world["t"][Topic.SECURITY][0]
    here = f"/competency/staff/{anh.id}?back=/competency/units/{world['x'].id}?show%3Dfailing"
    page = _page(client, here)
    link = re.search(r'id="assign-course" href="([^"]+)"', page).group(1)
    form = _page(client, html.unescape(link))
    assert re.search(rf'<input[^>]*checked[^>]*value="{anh.id}"|<input[^>]*value="{anh.id}"[^>]*checked', form)
    assert re.search(r'<input[^>]*checked[^>]*value="chosen"|<input[^>]*value="chosen"[^>]*checked', form)
    assert f'name="next" value="{html.escape(here)}"' in form
    r = client.post(
        "/courses/assignments",
        data={
            "course_id": course.id,
            "unit_id": world["x"].id,
            "target": "chosen",
            "official_ids": [anh.id],
            "due_on": "31/12/2026",
            "next": here,
        },
    )
    assert r.status_code == 302 and r.headers["Location"] == here
    enrolment = session.scalars(select(Enrolment).where(Enrolment.official_id == anh.id)).one()
    assert enrolment.due_on.isoformat() == "2026-12-31"
    row = _row(_page(client, here), "staff-courses", course.title)
    assert "31/12/2026" in row and "Được giao" in row and "0/" in row
    # another site as ``next``: the assignment page itself
    r = client.post(
        "/courses/assignments",
        data={
            "course_id": world["t"][Topic.EMAIL][0].id,
            "unit_id": world["x"].id,
            "target": "chosen",
            "official_ids": [anh.id],
            "due_on": "31/12/2026",
            "next": "https://evil.example/",
        },
    )
    assert r.status_code == 302 and r.headers["Location"] == "/courses/assignments"


def test_another_units_official_is_not_prefilled_in_the_assignment_form(client, world):
    login_as(client, world["users"]["head_x"])
    form = _page(client, f"/courses/assignments?official_id={world['other'].id}")
    assert world["other"].full_name not in form
    assert not re.search(r'<input[^>]*checked[^>]*value="chosen"|<input[^>]*value="chosen"[^>]*checked', form)


def test_sending_to_a_session_from_the_page_comes_back_to_it(client, session, world):
    anh = world["anh"]
    ours = make_session(session, title="Tập huấn thư công vụ", kind=SessionKind.ONSITE, target_unit_ids=[world["x"].id])
    theirs = make_session(session, title="Buổi của Sở Y tế", kind=SessionKind.ONSITE, target_unit_ids=[world["y"].id])
    session.commit()
    login_as(client, world["users"]["head_x"])
    here = f"/competency/staff/{anh.id}"
    page = _page(client, here)
    nominate = page[page.index('id="staff-nominate"') :]
    assert "Tập huấn thư công vụ" in nominate and "Buổi của Sở Y tế" not in nominate
    assert f'action="/training/{theirs.id}/nominate"' not in page
    r = client.post(f"/training/{ours.id}/nominate", data={"official_id": [str(anh.id)], "next": here})
    assert r.status_code == 302 and r.headers["Location"] == here
    p = session.scalars(select(Participant).where(Participant.official_id == anh.id)).one()
    assert p.state == ParticipantState.REGISTERED
    page = _page(client, here)
    row = _row(page, "staff-training-table", "Tập huấn thư công vụ")
    assert ParticipantState.REGISTERED.label in row
    assert 'id="staff-nominate"' not in page  # nothing left to send them to


def test_a_new_activation_slip_from_the_page(client, session, world):
    login_as(client, world["users"]["head_x"])
    here = f"/competency/staff/{world['anh'].id}"
    page = _page(client, here)
    account = world["users"]["anh"]
    assert f'name="one" value="slips:{account.id}"' in page and f'name="next" value="{here}"' in page
    r = client.post("/accounts/action", data={"unit": world["x"].id, "one": f"slips:{account.id}", "next": here})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    session.get(Official, world["anh"].id).birth_year = None  # no second factor: no slip, back with a word
    session.commit()
    r = client.post("/accounts/action", data={"unit": world["x"].id, "one": f"slips:{account.id}", "next": here})
    assert r.status_code == 302 and r.headers["Location"] == here
    assert "chưa có năm sinh" in _page(client, here)


def test_it_staff_assign_a_course_to_the_unit_from_its_staff_list_and_come_back(client, session, world):
    """The unit's staff list (IT staff's page of a unit's officials) leads to the assignment form with
    the unit chosen; saving comes back to the list as it was."""
    login_as(client, world["users"]["it"])
    x, course = world["x"], world["t"][Topic.SECURITY][0]
    here = f"/competency/units/{x.id}?show=failing"
    link = re.search(r'id="assign-unit" href="([^"]+)"', _page(client, here)).group(1)
    form = _page(client, html.unescape(link))
    assert re.search(rf'<option selected value="{x.id}">', form), "the unit is chosen"
    assert f'name="next" value="{html.escape(here)}"' in form
    r = client.post(
        "/courses/assignments",
        data={"course_id": course.id, "unit_id": x.id, "due_on": "31/12/2026", "next": here},
    )
    assert r.status_code == 302 and r.headers["Location"] == here
    enrolled = set(session.scalars(select(Enrolment.official_id).where(Enrolment.course_id == course.id)))
    assert world["anh"].id in enrolled and world["other"].id not in enrolled


def test_a_unit_head_sees_the_unit_assignment_action_for_their_unit_only(client, world):
    login_as(client, world["users"]["head_x"])
    page = _page(client, f"/competency/units/{world['x'].id}")
    link = html.unescape(re.search(r'id="assign-unit" href="([^"]+)"', page).group(1))
    assert parse_qs(urlsplit(link).query)["unit_id"] == [str(world["x"].id)]
    form = _page(client, f"/courses/assignments?unit_id={world['y'].id}")  # another unit: not chosen, not listed
    assert "Sở Y tế" not in form
