"""Officials and units from spreadsheets shaped like a provincial HR office's: title rows, merged
cells, blank rows, Excel dates, phone numbers as numbers, Windows-1258 CSV, TCVN3/VNI text;
re-imports that rename people; the template's example rows; the preview before writing."""

import io
import re
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from lms.auth.models import AuditLog, Role
from lms.org import imports
from lms.org.models import Official, Unit
from lms.org.services import OrgError, save_official
from tests.factories import login_as, make_official, make_unit, make_user
from tests.test_spreadsheet import cp1258
from tests.test_vnlegacy import tcvn5712

HEADER = ["STT", "Mã cán bộ", "Họ và tên", "Ngày sinh", "Điện thoại", "Thư điện tử", "Mã đơn vị", "Giới tính"]


def hr_xlsx(rows, header=HEADER, sheet="DS cán bộ 2025", number_formats=None) -> bytes:
    """Three title rows (merged across the table), a blank row, the header on row 5, then ``rows``;
    a ``None`` row is left blank in the file."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws["A1"] = "UBND TỈNH VĨNH PHÚC"
    ws["A2"] = "DANH SÁCH CÁN BỘ, CÔNG CHỨC NĂM 2025"
    ws["A3"] = "(Kèm theo Công văn số 123/SNV ngày 01/07/2025)"
    for r in (1, 2, 3):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(header))
    ws.append([])  # row 4: blank
    ws.append(header)  # row 5
    for row in rows:
        ws.append(row if row is not None else [])
    for column, fmt in (number_formats or {}).items():
        for cell in ws[column][5:]:
            cell.number_format = fmt
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def unit(session):
    return make_unit(session, code="STTTT", name="Sở Thông tin và Truyền thông")


def test_title_rows_merged_cells_and_blank_rows_keep_the_file_s_row_numbers(session, unit):
    data = hr_xlsx(
        [
            [1, "VP-1", "Nguyễn Văn An", None, None, "an@vp.gov.vn", "STTTT", "Nam"],
            None,  # row 7 blank
            [2, "VP-2", "Lê Thị Bình", None, None, "khong-phai-email", "STTTT", "Nữ"],  # row 8
            [3, "VP-3", "Trần Văn Cường", None, None, "cuong@vp.gov.vn", "KHONG-CO", "Nam"],  # row 9
        ]
    )
    table = imports.read_table("ds.xlsx", data)
    assert (table.header_row, table.sheet, table.numbers) == (5, "DS cán bộ 2025", [6, 8, 9])
    assert table.ignored == ["STT", "Giới tính"]
    result = imports.import_officials(session, table)
    assert {(e.sheet, e.row, e.column) for e in result.errors} == {
        ("DS cán bộ 2025", 8, "Email"),
        ("DS cán bộ 2025", 9, "Mã đơn vị"),
    }
    assert imports.error_text(result.errors[0]).startswith("Trang “DS cán bộ 2025”, dòng 8, cột “Email”")
    assert (result.created, result.refused, result.written) == (1, 2, False)
    assert count(session, Official) == 0


def test_a_header_missing_a_required_column_is_reported_on_its_own_row(session, unit):
    data = hr_xlsx([[1, "VP-1", "Nguyễn Văn An"]], header=["STT", "Mã cán bộ", "Họ và tên"])
    result = imports.import_officials(session, imports.read_table("ds.xlsx", data))
    assert [(e.row, e.column) for e in result.errors] == [(5, "Mã đơn vị")]
    assert "Thiếu cột bắt buộc" in result.errors[0].message


def test_excel_dates_text_dates_and_birth_years(session, unit):
    header = ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Năm sinh", "Ngày sinh"]
    data = hr_xlsx(
        [
            ["VP-1", "Nguyễn Văn An", "STTTT", None, datetime(1975, 3, 27)],  # an Excel date cell
            ["VP-2", "Lê Thị Bình", "STTTT", None, "27/03/1981"],  # dd/mm/yyyy typed as text
            ["VP-3", "Trần Văn Cường", "STTTT", datetime(1968, 12, 1), None],  # a date in "Năm sinh"
            ["VP-4", "Phạm Thị Dung", "STTTT", 1990, None],  # a year typed into a date-formatted cell
            ["VP-5", "Hoàng Văn Em", "STTTT", "1979", "05/06/1979"],  # both, agreeing
        ],
        header=header,
        number_formats={"D": "dd/mm/yyyy"},
    )
    assert isinstance(load_workbook(io.BytesIO(data))["DS cán bộ 2025"]["D9"].value, datetime)  # 1990 -> 1905
    result = imports.import_officials(session, imports.read_table("ds.xlsx", data))
    assert result.ok and result.written, result.errors
    years = dict(session.execute(select(Official.code, Official.birth_year)).all())
    assert years == {"VP-1": 1975, "VP-2": 1981, "VP-3": 1968, "VP-4": 1990, "VP-5": 1979}

    bad = hr_xlsx(
        [
            ["VP-6", "Lê Văn Phúc", "STTTT", 1980, "05/06/1979"],  # row 6: they disagree
            ["VP-7", "Lê Văn Quý", "STTTT", None, "31/02/1980"],  # row 7: no such day
            ["VP-8", "Lê Văn Sang", "STTTT", "khoảng 1980", None],  # row 8: no year
        ],
        header=header,
    )
    errors = imports.import_officials(session, imports.read_table("ds.xlsx", bad)).errors
    assert {(e.row, e.column) for e in errors} == {(6, "Năm sinh"), (7, "Ngày sinh"), (8, "Năm sinh")}


def test_phone_numbers_stored_as_numbers_get_their_leading_zero_back(session, unit):
    header = ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Điện thoại"]
    data = hr_xlsx(
        [
            ["VP-1", "Nguyễn Văn An", "STTTT", 912345678],  # a mobile number in a number cell
            ["VP-2", "Lê Thị Bình", "STTTT", 2113862555],  # a landline (0211 ...) in a number cell
            ["VP-3", "Trần Văn Cường", "STTTT", "0987 654 321"],  # text: kept as typed
            ["VP-4", "Phạm Thị Dung", "STTTT", 84912345678],  # with the country code
            ["VP-5", "Hoàng Văn Em", "STTTT", 12345],  # too short: kept, with a warning
        ],
        header=header,
    )
    result = imports.import_officials(session, imports.read_table("ds.xlsx", data))
    assert result.written, result.errors
    phones = dict(session.execute(select(Official.code, Official.phone)).all())
    assert phones == {
        "VP-1": "0912345678",
        "VP-2": "02113862555",
        "VP-3": "0987 654 321",
        "VP-4": "84912345678",
        "VP-5": "12345",
    }
    assert [(w.row, w.column) for w in result.warnings] == [(6, "Điện thoại"), (7, "Điện thoại"), (10, "Điện thoại")]
    assert "mất số 0" in result.warnings[0].message and "bị cắt" in result.warnings[2].message
    csv_text = "Mã cán bộ,Họ và tên,Mã đơn vị,Điện thoại\nVP-9,Lê Văn Sang,STTTT,9.12346E+08\n"
    errors = imports.import_officials(session, imports.read_table("a.csv", csv_text.encode())).errors
    assert [(e.row, e.column) for e in errors] == [(2, "Điện thoại")] and "số mũ" in errors[0].message


def test_windows_1258_csv_from_excel_is_imported_in_nfc(session, unit):
    text = "Mã cán bộ;Họ và tên;Mã đơn vị\r\nVP-1;Nguyễn Thị Thủy Hằng;STTTT\r\nVP-2;Đặng Quốc Việt;STTTT\r\n"
    table = imports.read_table("ds.csv", cp1258(text))
    assert table.encoding == "windows-1258"
    result = imports.import_officials(session, table)
    assert result.written, result.errors
    names = set(session.scalars(select(Official.family_name + " " + Official.middle_name + " " + Official.given_name)))
    assert names == {"Nguyễn Thị Thủy Hằng", "Đặng Quốc Việt"}


def test_tcvn3_and_vni_columns_are_converted_and_need_a_confirmation(session, unit):
    header = ["Mã cán bộ", "Họ", "Tên đệm", "Tên", "Mã đơn vị"]
    data = hr_xlsx(
        [
            ["VP-1", "NguyÔn", "V¨n", "An", "STTTT"],  # TCVN3 (.VnTime)
            ["VP-2", "TrÇn", "ThÞ", "H»ng", "STTTT"],
            ["VP-3", "§µo", "Quèc", "B¶o", "STTTT"],
        ],
        header=header,
    )
    table = imports.read_table("ds.xlsx", data)
    assert [(c.column, c.encoding) for c in table.legacy] == [("Họ", "tcvn3"), ("Tên đệm", "tcvn3"), ("Tên", "tcvn3")]
    assert ("NguyÔn", "Nguyễn") in table.legacy[0].examples
    result = imports.import_officials(session, table)
    assert (result.written, result.missing, result.errors) == (False, ["legacy"], [])
    assert count(session, Official) == 0
    result = imports.import_officials(session, table, confirm=["legacy"])
    assert result.written
    assert set(session.scalars(select(Official.given_name))) == {"An", "Hằng", "Bảo"}
    assert set(session.scalars(select(Official.family_name))) == {"Nguyễn", "Trần", "Đào"}

    # a CSV of TCVN3 bytes, read as Windows-1258: 0xDE (ị) arrives as a combining tilde, 0xD2 (ề) as a hook
    legacy_csv = tcvn5712("Mã cán bộ,Họ và tên,Mã đơn vị\nVP-9,Phạm Thị Hiền,STTTT\n").encode("latin-1")
    assert b"Th\xde Hi\xd2n" in legacy_csv
    table = imports.read_table("ds.csv", legacy_csv)
    assert table.encoding == "windows-1258" and table[0]["ho_ten"] == "Phạm Thị Hiền"
    assert table.header_row == 1 and table[0]["ma_can_bo"] == "VP-9"  # the header, in TCVN3 too, was found
    assert table[0]["ma_don_vi"] == "STTTT"  # "Mã đơn vị": its ị arrived as a combining tilde

    units = "Mã đơn vị,Tên đơn vị,Loại\nX-A,Xaõ Ñoàng Taâm,xa\nX-B,Phöôøng Traàn Phuù,xa\n"
    table = imports.read_table("dv.csv", units.encode())
    assert [(c.column, c.encoding) for c in table.legacy] == [("Tên đơn vị", "vni")]
    assert imports.import_units(session, table, confirm=["legacy"]).written
    assert set(session.scalars(select(Unit.name).where(Unit.code.like("X-%")))) == {"Xã Đồng Tâm", "Phường Trần Phú"}


def test_a_reimport_that_renames_people_lists_them_and_needs_a_confirmation(session, unit):
    other = make_unit(session, code="H-TAMDAO", name="Huyện Tam Đảo")
    an = make_official(
        session, unit, code="VP-1", family_name="Nguyễn", middle_name="Văn", given_name="An", email="an@vp.gov.vn"
    )
    make_official(session, unit, code="VP-2", family_name="Lê", middle_name="Thị", given_name="Bình", birth_year=1980)
    session.flush()
    text = (
        "Mã cán bộ,Họ và tên,Mã đơn vị,Email,Năm sinh\n"
        "VP-1,Trần Thị Cúc,H-TAMDAO,cuc@vp.gov.vn,1980\n"  # another person under an existing code
        "VP-2,Lê Thị Bình,STTTT,,1981\n"  # the same person, one change
    )
    result = imports.import_officials(session, imports.read_table("ds.csv", text.encode()))
    assert (result.created, result.updated, result.unchanged, result.written) == (0, 2, 0, False)
    assert result.missing == ["renames"] and [p.row for p in result.renames] == [2]
    changes = {(c.column, c.before, c.after) for c in result.renames[0].changes}
    assert ("Họ và tên", "Nguyễn Văn An", "Trần Thị Cúc") in changes
    assert ("Mã đơn vị", "STTTT (Sở Thông tin và Truyền thông)", "H-TAMDAO (Huyện Tam Đảo)") in changes
    assert ("Email", "an@vp.gov.vn", "cuc@vp.gov.vn") in changes
    assert an.full_name == "Nguyễn Văn An"  # nothing written
    result = imports.import_officials(session, imports.read_table("ds.csv", text.encode()), confirm=["renames"])
    assert result.written and (an.full_name, an.unit_id, an.email) == ("Trần Thị Cúc", other.id, "cuc@vp.gov.vn")


def test_the_template_imported_unchanged_is_refused_row_by_row(session, unit):
    for kind in ("units", "officials"):
        for ext, data in (("csv", imports.template_csv(kind)), ("xlsx", imports.template_xlsx(kind))):
            run = imports.import_units if kind == "units" else imports.import_officials
            result = run(session, imports.read_table(f"mau.{ext}", data))
            assert {e.row for e in result.errors} == {2, 3}, (kind, ext)
            assert all("dòng ví dụ của tệp mẫu" in e.message for e in result.errors)
            assert not result.written
    assert count(session, Official) == 0 and count(session, Unit) == 1
    with pytest.raises(OrgError, match="VIDU-"):
        save_official(session, Official(code="vidu-1", given_name="An", unit_id=unit.id))


def test_the_preview_counts_new_updated_unchanged_and_refused_rows(session, unit):
    make_official(session, unit, code="VP-1", family_name="Nguyễn", middle_name="Văn", given_name="An", email=None)
    make_official(session, unit, code="VP-2", family_name="Lê", middle_name="", given_name="Bình", email=None)
    session.flush()
    text = (
        "Mã cán bộ,Họ và tên,Mã đơn vị,Năm sinh,Chức vụ\n"
        "VP-1,Nguyễn Văn An,STTTT,1980,Chuyên viên\n"  # unchanged
        "VP-2,Lê Bình,STTTT,1980,Văn thư\n"  # updated: position
        "VP-3,Trần Văn Cường,STTTT,1985,\n"  # new
        "VP-4,Phạm Dung,STTTT,1985,Giám đốc sở\n"  # refused
    )
    result = imports.import_officials(session, imports.read_table("ds.csv", text.encode()), dry_run=True)
    statuses = [(p.row, p.status) for p in result.plans]
    assert statuses == [(2, "unchanged"), (3, "updated"), (4, "new"), (5, "refused")]
    assert (result.created, result.updated, result.unchanged, result.refused) == (1, 1, 1, 1)
    assert [(c.column, c.before, c.after) for c in result.changed[0].changes] == [("Chức vụ", "Chuyên viên", "Văn thư")]


# -- the page: upload -> preview -> confirm ---------------------------------------------------------
def upload(client, text: str, name="ds.csv", kind="officials"):
    return client.post(
        "/org/import",
        data={"kind": kind, "file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def confirm_fields(page: str) -> dict:
    form = re.search(r'<form method="post" class="prose" id="import-confirm">(.*?)</form>', page, re.S).group(1)
    return dict(re.findall(r'name="(csrf_token|token|kind|digest)"[^>]*value="([^"]*)"', form))


def test_the_page_previews_then_writes_on_confirmation(client, session, unit):
    staff = make_user(session, Role.IT_STAFF)
    make_official(session, unit, code="VP-1", family_name="Nguyễn", middle_name="Văn", given_name="An")
    session.commit()
    login_as(client, staff)
    text = "Mã cán bộ,Họ và tên,Mã đơn vị\nVP-1,Trần Văn An,STTTT\nVP-2,Lê Thị Bình,STTTT\n"
    r = upload(client, text)
    assert r.status_code == 200 and "1 mới, 1 cập nhật, 0 không đổi, 0 bị từ chối" in r.text
    assert "Nguyễn Văn An" in r.text and "Trần Văn An" in r.text and 'name="confirm_renames"' in r.text
    assert count(session, Official) == 1  # a preview writes nothing
    fields = confirm_fields(r.text)
    r = client.post("/org/import", data={**fields, "action": "confirm"})
    assert r.status_code == 400 and "Hãy đánh dấu các ô xác nhận" in r.text
    assert count(session, Official) == 1
    fields = confirm_fields(r.text)
    r = client.post("/org/import", data={**fields, "action": "confirm", "confirm_renames": "y"})
    assert r.status_code == 302
    assert "1 mới, 1 cập nhật" in client.get("/org/import").text
    session.expire_all()
    assert count(session, Official) == 2
    assert session.scalar(select(Official).where(Official.code == "VP-1")).full_name == "Trần Văn An"
    log = session.scalar(select(AuditLog).where(AuditLog.action == "import.officials"))
    assert (log.data["created"], log.data["updated"], log.data["confirmed"]) == (1, 1, ["renames"])
    r = client.post("/org/import", data={**fields, "action": "confirm", "confirm_renames": "y"})
    assert r.status_code == 400 and "không còn" in r.text  # the kept file went with the confirmation


def test_a_confirmation_of_a_plan_that_changed_meanwhile_is_refused(client, session, unit):
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    login_as(client, staff)
    r = upload(client, "Mã cán bộ,Họ và tên,Mã đơn vị\nVP-1,Lê Thị Bình,STTTT\n")
    fields = confirm_fields(r.text)
    make_official(session, unit, code="VP-1", family_name="Nguyễn", middle_name="Văn", given_name="An")
    session.commit()  # someone saved VP-1 after the preview: the file now renames them
    r = client.post("/org/import", data={**fields, "action": "confirm", "confirm_renames": "y"})
    assert r.status_code == 400 and "đã thay đổi từ lúc xem trước" in r.text
    session.expire_all()
    assert session.scalar(select(Official).where(Official.code == "VP-1")).full_name == "Nguyễn Văn An"


def test_a_forged_token_is_refused(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    session.commit()
    r = upload(client, "Mã đơn vị,Tên đơn vị,Loại\nX-1,Xã Một,xa\n", kind="units")
    fields = confirm_fields(r.text)
    for token in ("../../secret_key", "0" * 32 + ".csv"):
        r = client.post("/org/import", data={**fields, "token": token, "action": "confirm"})
        assert r.status_code == 400 and "không còn" in r.text
    assert count(session, Unit) == 0


def test_cli_import_needs_yes_for_renames(runner, tmp_path, session, unit):
    make_official(session, unit, code="VP-1", family_name="Nguyễn", middle_name="Văn", given_name="An")
    session.commit()
    path = tmp_path / "ds.csv"
    path.write_text("Mã cán bộ,Họ và tên,Mã đơn vị\nVP-1,Trần Thị Cúc,STTTT\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-officials", str(path)])
    assert result.exit_code != 0 and "Nguyễn Văn An" in result.output and "--yes" in result.output
    session.expire_all()
    assert session.scalar(select(Official.given_name).where(Official.code == "VP-1")) == "An"
    result = runner.invoke(args=["lms", "import-officials", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.scalar(select(Official.given_name).where(Official.code == "VP-1")) == "Cúc"
