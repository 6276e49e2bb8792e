"""Reading uploaded spreadsheets at a bounded cost (lms.spreadsheet), for both importers."""

import codecs
import io
import unicodedata
import zipfile

import pytest
from openpyxl import Workbook

from lms import spreadsheet
from lms.org import imports
from lms.spreadsheet import SpreadsheetError, read_csv, read_sheet, read_xlsx
from quizzes import tabular

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def raw_xlsx(sheet_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook around a worksheet's XML, written by hand (openpyxl would not write these)."""
    wb = Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    source = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            archive.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def sheet_of(rows_xml: str, dimension: str = "") -> bytes:
    return f"<worksheet {NS}>{dimension}<sheetData>{rows_xml}</sheetData></worksheet>".encode()


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


@pytest.fixture
def no_parsing(monkeypatch):
    """Fails the test if openpyxl is asked to open the workbook: the refusal must come before."""

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr("openpyxl.load_workbook", refuse)


def test_million_row_sheet_is_refused_before_parsing(no_parsing):
    rows = "".join(f'<row r="{i}">{cell(f"A{i}", f"X{i}")}</row>' for i in range(1, 60_000))
    data = raw_xlsx(sheet_of(rows))
    with pytest.raises(SpreadsheetError, match="vượt quá giới hạn 50000"):
        read_xlsx(data, max_rows=50_000)
    with pytest.raises(SpreadsheetError, match="vượt quá"):
        tabular.read_xlsx(data)  # the question reader: 10,000 rows


def test_rows_are_counted_even_when_the_tag_is_cut_by_a_chunk_border(monkeypatch):
    monkeypatch.setattr(spreadsheet, "CHUNK", 7)  # every tag crosses a border somewhere
    rows = "".join(f"<x:row>{cell('A1', 'a')}</x:row>" for _ in range(25))
    data = raw_xlsx(sheet_of(rows).replace(b"<worksheet ", b'<worksheet xmlns:x="urn:x" '))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert spreadsheet.count_tags(archive, "xl/worksheets/sheet1.xml", 10_000, 10_000) == (25, 25)


def test_zip_bomb_is_refused_before_parsing(no_parsing):
    data = raw_xlsx(sheet_of(f'<row r="1">{cell("A1", "a")}</row>'), {"xl/media/zeros.bin": bytes(50 << 20)})
    assert len(data) < 200_000  # 50 MB of zeros in a small upload
    with pytest.raises(SpreadsheetError, match="giải nén lớn bất thường"):
        read_xlsx(data, max_rows=100)


def test_declared_sizes_over_the_total_are_refused(monkeypatch, no_parsing):
    monkeypatch.setattr(spreadsheet, "MAX_UNCOMPRESSED", 10_000)
    data = raw_xlsx(sheet_of("".join(f'<row r="{i}">{cell(f"A{i}", "x" * 50)}</row>' for i in range(1, 200))))
    with pytest.raises(SpreadsheetError, match="giải nén"):
        read_xlsx(data, max_rows=1000)


def test_too_many_cells_per_row_is_refused_before_parsing(no_parsing):
    wide = "".join(f'<c r="A{i}"><v>1</v></c>' for i in range(3000))
    data = raw_xlsx(sheet_of(f'<row r="1">{wide}</row><row r="2">{wide}</row>'))
    with pytest.raises(SpreadsheetError, match="quá nhiều ô"):
        read_xlsx(data, max_rows=10, max_columns=20)


def test_a_false_dimension_does_not_pad_the_sheet():
    data = raw_xlsx(sheet_of(f'<row r="1">{cell("A1", "a")}</row>', '<dimension ref="A1:XFD1048576"/>'))
    sheet = read_xlsx(data, max_rows=10)
    assert sheet.rows == [(1, ["a"])]


def test_a_row_number_past_excel_s_last_row_is_refused():
    data = raw_xlsx(sheet_of(f'<row r="1">{cell("A1", "a")}</row><row r="1048580">{cell("A1048580", "b")}</row>'))
    with pytest.raises(SpreadsheetError, match="Không mở được"):
        read_xlsx(data, max_rows=10)


def test_blank_rows_keep_the_file_s_row_numbers_and_cost_nothing():
    wb = Workbook()
    ws = wb.active
    ws.title = "Cán bộ"
    ws["A1"] = "Tiêu đề"
    ws["A4"] = "Mã"
    ws["A7"] = "X1"
    ws["C7"] = None
    buf = io.BytesIO()
    wb.save(buf)
    sheet = read_xlsx(buf.getvalue(), max_rows=10)
    assert sheet.name == "Cán bộ" and [n for n, _ in sheet.rows] == [1, 4, 7]
    text = "a,b\n\n,\nc,d\n"
    assert [n for n, _ in read_csv(text.encode(), 10).rows] == [1, 4]


def test_csv_row_limit_counts_records_not_lines():
    text = "h\n" + "".join(f'"x{i}\nsecond line"\n' for i in range(30))
    sheet = read_csv(text.encode(), max_rows=30)
    assert len(sheet.rows) == 31 and sheet.rows[-1][0] == 31  # Excel's row 31, not line 61
    with pytest.raises(SpreadsheetError, match="vượt quá"):
        read_csv(("h\n" + "x\n" * 200).encode(), max_rows=100)


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """As Excel writes Windows-1258: letters with ^, ˘ or the horn precomposed, the tone as a combining mark."""
    out = b""
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch)
        tone = "".join(c for c in decomposed if c in TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
        out += base.encode("cp1258") + tone.encode("cp1258")
    return out


def test_csv_encodings_are_decoded_to_nfc():
    name = "Nguyễn Thị Thủy Hằng Phạm Đức Ước"
    cp1258_bytes = cp1258(name)
    assert "\u0303".encode("cp1258") in cp1258_bytes  # the tone is a combining mark
    for data, encoding in [
        (name.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + name.encode("utf-8"), "utf-8"),
        (b"", "utf-16"),
        (cp1258_bytes, "windows-1258"),
    ]:
        head, tail = "Ho va ten,Ma don vi\n", ",X\n"
        if encoding == "utf-16":
            data = codecs.BOM_UTF16_LE + (head + name + tail).encode("utf-16-le")
        else:
            data = head.encode() + data + tail.encode()
        table = imports.read_table("a.csv", data)
        assert table.encoding == encoding
        assert table[0]["ho_ten"] == name  # NFC: the same code points as the precomposed text
    with pytest.raises(SpreadsheetError, match="bảng mã"):
        read_csv(b"a\n\x81\x8d\n", 10)


def test_files_of_other_types_are_refused():
    with pytest.raises(SpreadsheetError, match="Chỉ nhận"):
        read_sheet("x.ods", b"PK", 10)
    with pytest.raises(SpreadsheetError, match="Không mở được"):
        read_sheet("x.xlsx", b"PK\x03\x04 not a zip", 10)


def test_question_rows_keep_their_line_numbers_past_blank_rows():
    text = "type,question,option_1,option_2,correct\n\nsingle,Câu một?,a,b,1\n\n\nsingle,Câu hai?,a,b,9\n"
    result = tabular.parse_rows(tabular.read_csv(text.encode()))
    assert [(e.line, e.column) for e in result.errors] == [(6, "correct")]
