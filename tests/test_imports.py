import io

from openpyxl import Workbook
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.org import imports
from lms.org.models import Official, Unit
from tests.factories import login_as, make_unit, make_user

HEADER = "Mã cán bộ,Họ,Tên đệm,Tên,Họ và tên,Email,Điện thoại,Mã đơn vị,Chức vụ,Phân loại,Cấp,Năm sinh,Đang công tác\n"
GOOD = HEADER + (
    "VP-1,Nguyễn,Thị Thủy,Hằng,,hang@vp.gov.vn,0912345678,STTTT,Chuyên viên,Công chức,Cấp tỉnh,1975,có\n"
    "VP-2,,,,Trần Văn Bình,binh@vp.gov.vn,,STTTT,van thu,cong chuc,tinh,1968,có\n"
)


def rows(text: str, name="x.csv"):
    return imports.read_table(name, text.encode("utf-8"))


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_good_file_imports_and_reimport_updates(session):
    make_unit(session, code="STTTT")
    result = imports.import_officials(session, rows(GOOD))
    assert result.ok and (result.created, result.updated) == (2, 0)
    binh = session.scalar(select(Official).where(Official.code == "VP-2"))
    assert (binh.family_name, binh.middle_name, binh.given_name, binh.position.value) == (
        "Trần",
        "Văn",
        "Bình",
        "clerk",
    )
    again = imports.import_officials(session, rows(GOOD.replace("1968", "1969")))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)  # only VP-2's birth year changed
    assert count(session, Official) == 2 and binh.birth_year == 1969


def test_reimport_matches_on_email_when_no_code(session):
    make_unit(session, code="STTTT")
    text = HEADER + ",Lê,Văn,Cường,,cuong@vp.gov.vn,,STTTT,,,,1980,có\n"
    imports.import_officials(session, rows(text))
    result = imports.import_officials(session, rows(text.replace("1980", "1981")))
    assert (result.created, result.updated) == (0, 1)


def test_bad_rows_write_nothing_and_report_each_error(session):
    make_unit(session, code="STTTT")
    bad = HEADER + (
        "VP-1,Nguyễn,Văn,An,,khong-phai-email,,STTTT,,,,1975,có\n"
        "VP-1,Trần,Văn,Ba,,ba@vp.gov.vn,,KHONGCO,,,,1975,có\n"
        "VP-3,Lê,Văn,,,,,STTTT,Giám đốc sở,,,năm,có\n"
        "VP-4,Lê,Văn,Tư,,tu@vp.gov.vn,,STTTT,,,,1975,có\n"
    )
    result = imports.import_officials(session, rows(bad))
    assert not result.ok
    got = {(e.row, e.column) for e in result.errors}
    assert (2, "Email") in got  # bad e-mail
    assert (3, "Mã cán bộ") in got  # duplicate code
    assert (3, "Mã đơn vị") in got  # unknown unit
    assert (4, "Tên") in got  # missing given name
    assert (4, "Chức vụ") in got  # unknown position
    assert (4, "Năm sinh") in got  # not a number
    assert count(session, Official) == 0  # nothing written, not even row 5


def test_duplicate_email_in_file(session):
    make_unit(session, code="STTTT")
    text = HEADER + "A1,Lê,,An,,a@vp.gov.vn,,STTTT,,,,,có\nA2,Lê,,Ba,,A@vp.gov.vn,,STTTT,,,,,có\n"
    result = imports.import_officials(session, rows(text))
    assert [(e.row, e.column) for e in result.errors] == [(3, "Email")]


def test_wrong_columns(session):
    result = imports.import_officials(session, rows("ten_khac,cot_la\nx,y\n"))
    assert result.errors[0].row == 1 and "Thiếu cột" in result.errors[0].message


def test_wrong_encoding_empty_and_unknown_type():
    for data, name, words in [
        (b"Ma,Ten\n\x81\x8d,x\n", "a.csv", "UTF-8"),  # neither UTF-8 nor Windows-1258 (0x81 is in neither)
        (b"", "a.csv", "trống"),
        (HEADER.encode(), "a.csv", "tiêu đề"),
        (b"\x00\x01\x02binary", "a.xlsx", "Excel"),
        (b"data", "a.pdf", ".csv"),
    ]:
        try:
            imports.read_table(name, data)
        except imports.ImportFileError as exc:
            assert words in str(exc), (name, str(exc))
        else:
            raise AssertionError(f"{name} accepted")


def test_too_many_rows_refused():
    text = HEADER + "".join(f"X{i},Lê,,An,,,,STTTT,,,,,có\n" for i in range(30))
    try:
        imports.read_table("big.csv", text.encode(), max_rows=20)
    except imports.ImportFileError as exc:
        assert "vượt quá" in str(exc)
    else:
        raise AssertionError("huge file accepted")


def test_bom_and_semicolons_accepted(session):
    make_unit(session, code="STTTT")
    data = GOOD.replace(",", ";").encode("utf-8-sig")
    result = imports.import_officials(session, imports.read_table("x.csv", data))
    assert result.ok and result.created == 2


def test_xlsx_import_of_units_with_parent_in_same_file(session):
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cha", "Hiệu lực từ", "Hiệu lực đến"])
    ws.append(["X-HOPCHAU", "Xã Hợp Châu", "Xã, phường, thị trấn", "H-TAMDAO", "", ""])
    ws.append(["H-TAMDAO", "Huyện Tam Đảo", "huyen", "", "", "01/07/2025"])
    buf = io.BytesIO()
    wb.save(buf)
    result = imports.import_units(session, imports.read_table("u.xlsx", buf.getvalue()))
    assert result.ok and result.created == 2
    xa = session.scalar(select(Unit).where(Unit.code == "X-HOPCHAU"))
    assert xa.parent.code == "H-TAMDAO" and xa.parent.valid_until.isoformat() == "2025-07-01"


def test_import_page_shows_errors_by_row_and_column(client, session):
    make_unit(session, code="STTTT")
    login_as(client, make_user(session, Role.IT_STAFF))
    bad = HEADER + "VP-1,Nguyễn,Văn,An,,sai-email,,STTTT,,,,1975,có\n"
    r = client.post(
        "/org/import",
        data={"kind": "officials", "file": (io.BytesIO(bad.encode()), "ds.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and "Chưa ghi dòng nào" in r.text and "sai-email" in r.text
    r = client.post(
        "/org/import",
        data={"kind": "officials", "file": (io.BytesIO(GOOD.encode()), "ds.csv")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 200 and "2 mới" in r.text


def test_import_form_without_a_file_is_refused_with_a_message(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.post("/org/import", data={"kind": "officials"}, content_type="multipart/form-data")
    assert r.status_code == 400
    assert "Hãy chọn một tệp." in r.text


def test_upload_over_the_size_limit_gets_a_message(app, client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        r = client.post(
            "/org/import",
            data={"kind": "units", "file": (io.BytesIO(b"x" * 5000), "big.csv")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024
    assert r.status_code == 413 and "quá lớn" in r.text


def test_templates_download_and_reimport(client, session):
    login_as(client, make_user(session, Role.IT_STAFF))
    for ext in ("csv", "xlsx"):
        r = client.get(f"/org/import/template/units.{ext}")
        assert r.status_code == 200
        parsed = imports.read_table(f"t.{ext}", r.data)
        assert parsed[0]["ma_don_vi"] == "VIDU-SO"  # example codes no unit can have


def test_cli_import_with_errors_exits_nonzero(runner, tmp_path, session):
    path = tmp_path / "ds.csv"
    path.write_text(HEADER + "VP-1,Nguyễn,Văn,An,,x@y.vn,,NOPE,,,,1975,có\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-officials", str(path)])
    assert result.exit_code != 0 and "NOPE" in result.output
