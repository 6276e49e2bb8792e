import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from competency.snapshots import take_snapshot
from lms.auth.models import Role
from lms.topics import Topic
from tests.certificates_app.factories import pdf_text
from tests.competency.factories import certify, graded_attempt, topic_setup
from tests.factories import login_as, make_official, make_unit, make_user


@pytest.fixture
def world(session):
    t = topic_setup(session)
    x = make_unit(session, name="Sở Xây dựng")
    y = make_unit(session, name="Sở Y tế")
    people_x = [
        make_official(session, x, family_name="Trần", middle_name="Thị", given_name=n) for n in ("Ánh", "Bảo", "Châu")
    ]
    people_y = [make_official(session, y) for _ in range(2)]
    graded_attempt(session, t[Topic.QLVB][1], people_x[0], 92)
    certify(session, people_x[0], t[Topic.QLVB][0])
    graded_attempt(session, t[Topic.EMAIL][1], people_x[1], 45)
    graded_attempt(session, t[Topic.EMAIL][1], people_y[0], 75)
    take_snapshot(session, date(2026, 10, 1))
    users = {
        "head_x": make_user(session, Role.UNIT_HEAD, x),
        "head_y": make_user(session, Role.UNIT_HEAD, y),
        "it": make_user(session, Role.IT_STAFF),
        "official": make_user(session, Role.OFFICIAL, x),
    }
    session.commit()
    return {"x": x, "y": y, "users": users, "people_x": people_x}


def get(client, user, url):
    login_as(client, user)
    return client.get(url)


def test_official_sees_own_four_topics(client, world):
    r = get(client, world["users"]["official"], "/competency/me")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    for topic in Topic:
        assert topic.label in html
    assert "Chưa bắt đầu" in html and "/certificates" in html


def test_official_page_lists_own_certificates(client, session, world):
    user = world["users"]["official"]
    t = topic_setup(session)
    from lms.org.models import Official

    cert = certify(session, session.get(Official, user.official_id), t[Topic.SECURITY][0])
    session.commit()
    html = get(client, user, "/competency/me").get_data(as_text=True)
    assert cert.serial in html and f"/certificates/{cert.id}/pdf" in html
    assert "Có chứng nhận còn hiệu lực" in html


def test_unit_head_sees_own_unit_only(client, world):
    head = world["users"]["head_x"]
    x, y = world["x"], world["y"]
    r = get(client, head, f"/competency/units/{x.id}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Trần Thị Ánh" in html and "<svg" in html
    for url in (
        f"/competency/units/{y.id}",
        f"/competency/units/{y.id}/staff.csv",
        f"/competency/units/{y.id}/staff.xlsx",
    ):
        assert client.get(url).status_code == 403
    assert client.get("/competency/units/999999").status_code == 404
    for url in ("/competency/", "/competency/ranking.csv", "/competency/ranking.xlsx", "/competency/ranking.pdf"):
        assert client.get(url).status_code == 403
    assert client.get("/competency/my-unit").headers["Location"].endswith(f"/competency/units/{x.id}")


def test_official_cannot_open_dashboards(client, world):
    user = world["users"]["official"]
    login_as(client, user)
    for url in (f"/competency/units/{world['x'].id}", "/competency/", "/competency/ranking.xlsx"):
        assert client.get(url).status_code == 403


def test_staff_table_filter_sort_and_exports(client, world):
    head = world["users"]["head_x"]
    x = world["x"]
    r = get(client, head, f"/competency/units/{x.id}?show=not_started")
    html = r.get_data(as_text=True)
    assert "Trần Thị Châu" in html and "Trần Thị Ánh" not in html
    r = client.get(f"/competency/units/{x.id}/staff.csv?show=failing")
    assert r.headers["Content-Disposition"].startswith('attachment; filename="can-bo-')
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    # Ánh passed one topic and has not started the others: she too has topics not passed yet
    assert rows[0][:2] == ["Mã", "Họ và tên"] and [row[1] for row in rows[1:]] == ["Trần Thị Ánh", "Trần Thị Bảo"]
    r = client.get(f"/competency/units/{x.id}/staff.xlsx?sort=score&dir=desc")
    ws = load_workbook(io.BytesIO(r.data)).active
    names = [ws.cell(row=i, column=2).value for i in range(3, ws.max_row + 1)]
    assert names[:2] == ["Trần Thị Ánh", "Trần Thị Bảo"] and len(names) == 5
    header = [c.value for c in ws[2]]
    qlvb_status = header.index(f"{Topic.QLVB.label}: tình trạng") + 1
    assert ws.cell(row=3, column=qlvb_status).value == "Có chứng nhận còn hiệu lực"


def test_it_staff_ranking_page_and_drill_down(client, world):
    it = world["users"]["it"]
    r = get(client, it, "/competency/?topic=email&age_group=40_49")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'role="img"' in html and "<title" in html and "<desc" in html
    assert "Cách tính chỉ số năng lực" in html and "Theo phân loại cán bộ" in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None and "style=" not in html  # charts need no script
    assert get(client, it, f"/competency/units/{world['y'].id}").status_code == 200


def test_ranking_exports(client, world):
    login_as(client, world["users"]["it"])
    rows = list(csv.reader(io.StringIO(client.get("/competency/ranking.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][1] == "Hạng" and {r[3] for r in rows[1:]} == {"Sở Xây dựng", "Sở Y tế"}
    ws = load_workbook(io.BytesIO(client.get("/competency/ranking.xlsx").data)).active
    assert ws["A1"].value.startswith("Xếp hạng năng lực") and ws["D3"].value in ("Sở Xây dựng", "Sở Y tế")
    r = client.get("/competency/ranking.pdf")
    assert r.mimetype == "application/pdf"
    from pypdf import PdfReader

    box = PdfReader(io.BytesIO(r.data)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait
    text = pdf_text(r.data)
    assert "XẾP HẠNG NĂNG LỰC ỨNG DỤNG CÔNG NGHỆ THÔNG TIN" in text
    assert "Sở Xây dựng" in text and "Cách tính chỉ số năng lực" in text
    assert "Sở, ban, ngành và đơn vị sự nghiệp" in text


def test_dashboard_panels(client, world):
    for name in ("official", "head_x", "it"):
        r = get(client, world["users"][name], "/dashboard")
        assert r.status_code == 200
    assert "Xếp hạng đơn vị" in r.get_data(as_text=True)


def test_an_unchanged_rank_says_so_in_words(app):
    """Before: a bare "=" after "Hạng trong khối"."""
    from types import SimpleNamespace

    from flask import render_template_string

    macro = '{% from "competency/_status.html" import change %}{{ change(u) }}'
    with app.test_request_context("/"):
        same = render_template_string(macro, u=SimpleNamespace(rank_change=0))
        up = render_template_string(macro, u=SimpleNamespace(rank_change=2))
    assert same == '<span class="rank-same">= không đổi</span>'
    assert "▲ 2" in up


def test_a_unit_head_sees_the_ranking_of_their_block_from_the_dashboard(client, world):
    """Before: the dashboard showed "Hạng 1/2" but the ranking answered 403 to a unit head."""
    head = world["users"]["head_x"]
    dashboard = get(client, head, "/dashboard").text
    assert 'href="/competency/my-block"' in dashboard
    r = client.get("/competency/my-block")
    assert r.status_code == 200
    page = r.text
    assert "Sở Xây dựng" in page and "Sở Y tế" in page  # both units of the block, with their figures
    assert re.search(r'id="my-rank">Đơn vị Sở Xây dựng đứng hạng \d/2 trong khối', page)
    assert f"/competency/units/{world['y'].id}" not in page  # no drill-down into another unit
    assert "ranking.xlsx" not in page and client.get("/competency/").status_code == 403
    unit_page = client.get(f"/competency/units/{world['x'].id}").text
    assert 'href="/competency/my-block"' in unit_page


def test_the_staff_tabs_say_what_they_count(client, world):
    """Before: "Đã đạt (0)" while staff held certificates (the tab counts those who passed all four)."""
    page = get(client, world["users"]["head_x"], f"/competency/units/{world['x'].id}").text
    tabs = page[page.index('class="tabs"') : page.index("</ul>", page.index('class="tabs"'))]
    assert re.search(r">Đạt cả bốn chủ đề \(\d+\)</a>", tabs) and ">Đã đạt (" not in tabs
    assert "đã đạt bài kiểm tra hoặc có chứng nhận ở cả bốn chủ đề" in page
