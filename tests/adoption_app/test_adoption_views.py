"""The usage pages: import and match through the web, a unit's page and form, an official's page,
the report downloads; object rules (another unit, another official)."""

import io
import unicodedata

from sqlalchemy import select

from adoption.models import System, UnitReport, UsageRow
from adoption.months import add_months, local_today, month_start
from lms.auth.models import Role
from tests.adoption_app.factories import run_import, small_province, usage_csv
from tests.factories import login_as, make_user

LAST = add_months(month_start(local_today()), -1)
LAST_ARG = LAST.strftime("%Y-%m")


def _upload(client, system: System, data: bytes, month: str = LAST_ARG, name: str = "thu.csv"):
    return client.post(
        "/adoption/import",
        data={"system": system.value, "month": month, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _text(response) -> str:
    return unicodedata.normalize("NFC", response.get_data(as_text=True))


def test_it_staff_import_a_month_then_match_a_row_by_hand(client, session):
    p = small_province(session)
    staff = make_user(session, Role.IT_STAFF)
    login_as(client, staff)
    data = usage_csv(
        System.EMAIL,
        [
            {"mailbox": "a1@thu.gov.vn", "last_login": LAST.replace(day=3).strftime("%d/%m/%Y"), "messages_sent": "2"},
            {"mailbox": "ai.do@khac.vn", "last_login": LAST.replace(day=4).strftime("%d/%m/%Y")},
        ],
    )
    r = _upload(client, System.EMAIL, data)
    assert r.status_code == 200
    assert "2 dòng số liệu Thư điện tử công vụ" in _text(r) and "1 dòng chưa ghép được" in _text(r)
    page = _text(client.get(f"/adoption/?month={LAST_ARG}"))
    assert "1/11 cán bộ sử dụng" in page and "(9,1%)" in page
    row = session.scalar(select(UsageRow).where(UsageRow.label == "ai.do@khac.vn"))
    r = client.get(f"/adoption/unmatched/{row.id}?q=Giang")
    assert r.status_code == 200 and "Vũ Thị Giang" in _text(r)
    r = client.post(f"/adoption/unmatched/{row.id}", data={"choice": f"official:{p.people['b2'].id}"})
    assert r.status_code == 302
    page = _text(client.get(f"/adoption/?month={LAST_ARG}"))
    assert "2/11 cán bộ sử dụng" in page and "(18,2%)" in page


def test_a_wrong_file_is_refused_with_errors_by_row(client, session):
    small_province(session)
    login_as(client, make_user(session, Role.IT_STAFF))
    data = usage_csv(System.EMAIL, [{"mailbox": "a1@thu.gov.vn", "last_login": "ngày mai"}])
    r = _upload(client, System.EMAIL, data)
    assert r.status_code == 400 and "Đăng nhập lần cuối" in _text(r) and "import-errors" in _text(r)
    r = _upload(client, System.EMAIL, data, month=add_months(month_start(local_today()), 1).strftime("%Y-%m"))
    assert r.status_code == 400 and "tháng chưa đến" in _text(r)
    assert session.scalar(select(UsageRow.id)) is None


def test_choosing_nobody_is_refused_and_matching_keeps_the_row(client, session):
    small_province(session)
    login_as(client, make_user(session, Role.IT_STAFF))
    _upload(client, System.EMAIL, usage_csv(System.EMAIL, [{"mailbox": "x@khac.vn", "last_login": ""}]))
    row = session.scalar(select(UsageRow))
    r = client.post(f"/adoption/unmatched/{row.id}", data={})
    assert r.status_code == 400 and "Hãy chọn cán bộ" in _text(r)
    assert client.post(f"/adoption/unmatched/{row.id}", data={"choice": "official:999999"}).status_code == 404


def test_unit_head_sees_and_reports_for_their_unit_only(client, session):
    p = small_province(session)
    head = make_user(session, Role.UNIT_HEAD, unit=p.units["D"])
    login_as(client, head)
    assert client.get("/adoption/my-unit").headers["Location"].endswith(f"/adoption/units/{p.units['D'].id}")
    assert client.get(f"/adoption/units/{p.units['A'].id}").status_code == 403
    assert client.get(f"/adoption/units/{p.units['A'].id}/report").status_code == 403
    r = client.get(f"/adoption/units/{p.units['D'].id}/report?month={LAST_ARG}")
    assert r.status_code == 200 and "Ngô Thị Nga" in _text(r)
    form = {
        "month": LAST_ARG,
        "dms_received": "20",
        "dms_processed": "15",
        "dms_sent": "6",
        "dms_signed": "6",
        "has_portal": "y",
        "portal_articles": "3",
        "portal_last_update": LAST.replace(day=20).strftime("%d/%m/%Y"),
        "email_users": [str(p.people["d1"].id)],
        "dms_users": [str(p.people["d2"].id)],
    }
    r = client.post(f"/adoption/units/{p.units['D'].id}/report", data=form)
    assert r.status_code == 302
    report = session.scalar(select(UnitReport))
    assert (report.month, report.dms_processed, report.has_portal) == (LAST, 15, True)
    page = _text(client.get(f"/adoption/units/{p.units['D'].id}?month={LAST_ARG}"))
    assert "1/3 cán bộ" in page  # d1 of d1, d2 and the head (an official of D too)
    # someone of another unit cannot be ticked in
    form["email_users"] = [str(p.people["a1"].id)]
    r = client.post(f"/adoption/units/{p.units['D'].id}/report", data=form)
    assert r.status_code == 400 and "không thuộc đơn vị" in _text(r)
    form["email_users"], form["dms_processed"] = [], "25"
    r = client.post(f"/adoption/units/{p.units['D'].id}/report", data=form)
    assert r.status_code == 400 and "không thể lớn hơn" in _text(r)


def test_staff_states_certified_but_not_using(client, session):
    p = small_province(session)
    from tests.adoption_app.factories import give_certificate

    give_certificate(session, p.people["a1"], "email")
    give_certificate(session, p.people["a2"], "email")
    run_import(
        session,
        System.EMAIL,
        LAST,
        [
            {"mailbox": "a1@thu.gov.vn", "last_login": LAST.strftime("%d/%m/%Y")},
            {"mailbox": "a3@thu.gov.vn", "last_login": LAST.strftime("%d/%m/%Y")},
        ],
        local_today(),
    )
    session.commit()
    login_as(client, make_user(session, Role.IT_STAFF))
    unit = p.units["A"].id
    page = _text(client.get(f"/adoption/units/{unit}?month={LAST_ARG}&show=certified_not_using"))
    assert "Trần Thị Bình" in page and "Lê Văn An" not in page
    page = _text(client.get(f"/adoption/units/{unit}?month={LAST_ARG}&show=using_not_certified"))
    assert "Nguyễn Thị Thủy Hằng" in page and "Lê Văn An" not in page and "Trần Thị Bình" not in page
    page = _text(client.get(f"/adoption/units/{unit}?month={LAST_ARG}&show=neither"))
    assert "Phạm Văn Cường" in page and "Nguyễn Thị Thủy Hằng" not in page


def test_an_official_sees_their_own_usage_not_anothers(client, session):
    p = small_province(session)
    run_import(
        session,
        System.EMAIL,
        LAST,
        [{"mailbox": "a1@thu.gov.vn", "last_login": LAST.strftime("%d/%m/%Y")}],
        local_today(),
    )
    session.commit()
    me = make_user(session, Role.OFFICIAL, unit=p.units["A"])
    login_as(client, me)
    assert client.get(f"/adoption/officials/{me.official_id}").status_code == 200
    assert client.get(f"/adoption/officials/{p.people['a1'].id}").status_code == 403
    assert client.get("/adoption/officials/999999").status_code == 404
    login_as(client, make_user(session, Role.UNIT_HEAD, unit=p.units["A"]))
    r = client.get(f"/adoption/officials/{p.people['a1'].id}")
    assert r.status_code == 200 and "Thư điện tử công vụ" in _text(r)


def test_report_pdf_and_xlsx(client, session):
    small_province(session)
    run_import(
        session,
        System.EMAIL,
        LAST,
        [{"mailbox": f"{k}@thu.gov.vn", "last_login": LAST.strftime("%d/%m/%Y")} for k in ("a1", "a2", "c1")],
        local_today(),
    )
    session.commit()
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.get(f"/adoption/report.pdf?month={LAST_ARG}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    from pypdf import PdfReader

    text = unicodedata.normalize("NFC", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages))
    text = " ".join(text.split())
    assert "BÁO CÁO" in text and "I. Các chỉ số chung của tỉnh" in text
    assert "3/11 (27,3%)" in text  # officials using e-mail, Vietnamese decimal comma
    r = client.get(f"/adoption/report.xlsx?month={LAST_ARG}&exclude=vien_chuc")
    assert r.status_code == 200
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    mail = next(row for row in rows if row[0] == "Cán bộ sử dụng thư điện tử công vụ")
    assert mail[1:4] == [3, 8, 3 / 8]  # a3, d1, d2 (viên chức) left out: 8 officials
    cell = next(c for row in ws.iter_rows() for c in row if c.value == 3 / 8)
    assert cell.number_format == "0.0%"
    assert any("Không tính cán bộ thuộc: Viên chức" in str(row[0]) for row in rows)


def test_templates_download(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.get("/adoption/import/template/dms.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    r = client.get("/adoption/import/template/email.csv")
    assert r.status_code == 200 and "Hộp thư" in r.data.decode("utf-8-sig")
    assert client.get("/adoption/import/template/fax.csv").status_code == 404


def test_province_page_without_data(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.get("/adoption/")
    assert r.status_code == 200 and "chưa có số liệu sử dụng" in _text(r)


def test_a_form_sent_again_replaces_the_first(client, session):
    """The staff lines are updated in place (a new list would break their unique (report, official))."""
    p = small_province(session)
    login_as(client, make_user(session, Role.IT_STAFF))
    unit = p.units["C"].id
    form = {
        "month": LAST_ARG,
        "dms_received": "5",
        "dms_processed": "1",
        "dms_sent": "0",
        "dms_signed": "0",
        "email_users": [str(p.people["c1"].id)],
    }
    assert client.post(f"/adoption/units/{unit}/report", data=form).status_code == 302
    form["email_users"] = [str(p.people["c2"].id), str(p.people["c3"].id)]
    assert client.post(f"/adoption/units/{unit}/report", data=form).status_code == 302
    report = session.scalar(select(UnitReport))
    session.refresh(report)
    assert {line.official_id for line in report.officials if line.uses_email} == {p.people["c2"].id, p.people["c3"].id}
