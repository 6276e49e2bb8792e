"""Reading an uploaded spreadsheet (CSV or XLSX) without letting the file eat the server.

Both importers (units and officials in ``lms.org.imports``, questions in ``quizzes.tabular``) read
their files here. Whatever the file claims, the cost of reading it is bounded:

* **XLSX** is a ZIP archive. Before anything is parsed, the archive's directory is checked: at most
  ``MAX_MEMBERS`` parts, at most ``MAX_UNCOMPRESSED`` bytes once uncompressed, no part expanding
  more than ``MAX_RATIO`` times (a "zip bomb"); the shared strings and styles (which openpyxl
  loads whole) have their own caps. Python's ``zipfile`` never returns more than a part's declared
  size, so these declared sizes bound what is read. Then the worksheet's XML is streamed once,
  counting its rows and cells with a byte search (no XML parsing) and stopping as soon as there
  are more than the limits allow (``max_rows`` plus ``TITLE_ROWS`` and ``BLANK_ROWS``; on average
  ``max_columns`` cells a row): a file of a million rows is refused after reading its first rows.
  Only then is it parsed, by openpyxl in read-only (streaming) mode, its declared dimension
  ignored, stopping at the row limit, with at most ``max_columns`` columns per row and row numbers
  up to Excel's own maximum.
* **CSV** is decoded as it is read (UTF-8 with or without BOM, UTF-16 with a BOM, else
  Windows-1258 as Excel saves "CSV" on Vietnamese Windows; the callers normalise each value to
  NFC), record by record, stopping at the row limit too.

The limit counts non-empty rows: ``max_rows`` data rows plus ``TITLE_ROWS`` for a header and the
title rows above it. Blank rows cost nothing but keep their place: every row comes with its
number in the file (what Excel shows in the margin), for the errors.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from posixpath import dirname, join, normpath

from flask_babel import gettext as _

TITLE_ROWS = 20  # non-empty rows allowed above the data: the header and title rows over it
BLANK_ROWS = 1_000  # empty but formatted rows an XLSX may carry beside its data rows
MAX_COLUMNS = 64  # default: cells beyond this column are not read, and the average row has no more
EXCEL_MAX_ROW = 1_048_576
MAX_MEMBERS = 2_000  # parts in the archive
MAX_UNCOMPRESSED = 256 * 1024 * 1024  # all parts together, uncompressed
MAX_RATIO = 100  # uncompressed / compressed size of one part (Excel's own files: 5 to 20)
RATIO_FLOOR = 1024 * 1024  # parts smaller than this are not checked for their ratio
MAX_SHARED_STRINGS = 64 * 1024 * 1024  # xl/sharedStrings.xml, loaded whole by openpyxl
MAX_STYLES = 8 * 1024 * 1024  # xl/styles.xml, loaded whole too
CHUNK = 1024 * 1024

_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")  # a row or a cell element


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read (type, encoding, size, damaged); the message is for the user."""


@dataclass
class Sheet:
    """The non-empty rows of a file, each with its row number in the file."""

    rows: list[tuple[int, list]] = field(default_factory=list)
    name: str | None = None  # the worksheet's name (XLSX)
    encoding: str | None = None  # the text encoding found (CSV): "utf-8", "utf-16", "windows-1258"


def too_many_rows(max_rows: int) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "Tệp có hơn %(m)d dòng dữ liệu, vượt quá giới hạn %(m)d dòng mỗi lần nhập. Hãy chia thành nhiều tệp.",
            m=max_rows,
        )
    )


def too_many_cells(max_columns: int) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "Tệp có quá nhiều ô (trung bình hơn %(c)d cột mỗi dòng, kể cả ô trống đã định dạng). "
            "Hãy chỉ giữ các cột cần nhập rồi tải lên lại.",
            c=max_columns,
        )
    )


def read_sheet(filename: str, data: bytes, max_rows: int, max_columns: int = MAX_COLUMNS) -> Sheet:
    """The first worksheet of an .xlsx, or a .csv/.txt file; ``SpreadsheetError`` when it cannot be read."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return read_xlsx(data, max_rows, max_columns)
    if name.endswith((".csv", ".txt")):
        return read_csv(data, max_rows, max_columns)
    raise SpreadsheetError(_("Chỉ nhận tệp .csv hoặc .xlsx."))


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# -- CSV -------------------------------------------------------------------------------------------
def _encodings(data: bytes, utf8_only: bool = False) -> list[tuple[str, str]]:
    """The (codec, name) to try, in order: UTF-16 with its BOM; else UTF-8 (BOM or not), then Windows-1258
    ("CSV (Comma delimited)" from Excel on Vietnamese Windows: tone marks as combining characters)."""
    if utf8_only:
        return [("utf-8-sig", "utf-8")]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return [("utf-16", "utf-16")]
    return [("utf-8-sig", "utf-8"), ("cp1258", "windows-1258")]


def _unknown_encoding(utf8_only: bool = False) -> SpreadsheetError:
    if utf8_only:
        return SpreadsheetError(
            _(
                "Tệp không ở bảng mã UTF-8. Trong Excel, hãy chọn Lưu thành → "
                '"CSV UTF-8 (phân cách bằng dấu phẩy)" rồi tải lên lại.'
            )
        )
    return SpreadsheetError(
        _(
            "Không nhận ra bảng mã của tệp (không phải UTF-8 hay Windows-1258). Trong Excel, hãy chọn "
            'Lưu thành → "CSV UTF-8 (phân cách bằng dấu phẩy)" rồi tải lên lại.'
        )
    )


def read_csv(data: bytes, max_rows: int, max_columns: int = MAX_COLUMNS, utf8_only: bool = False) -> Sheet:
    """The records of a CSV file, decoded as they are read (the whole text never sits in memory at once);
    values as typed, not yet NFC: the caller normalises each value (``lms.text.clean_text``) after
    checking it for a legacy font encoding, whose bytes must not be composed first (TCVN3's ``ị`` is
    Windows-1258's combining tilde)."""
    for codec, name in _encodings(data, utf8_only):
        stream = io.TextIOWrapper(io.BytesIO(data), encoding=codec, newline="")
        try:
            return _read_csv_lines(stream, max_rows, max_columns, name)
        except UnicodeDecodeError:
            continue
    raise _unknown_encoding(utf8_only)


def _read_csv_lines(lines: io.TextIOBase, max_rows: int, max_columns: int, encoding: str | None) -> Sheet:
    """The delimiter (``,`` ``;`` or tab) is the first line's most frequent one. A record's number is its
    row in Excel (a quoted line break stays in its cell)."""
    first = lines.readline()
    delimiter = max((",", ";", "\t"), key=first.count)
    sheet = Sheet(encoding=encoding)
    limit = max_rows + TITLE_ROWS
    try:
        for number, record in enumerate(csv.reader(itertools.chain([first], lines), delimiter=delimiter), start=1):
            if any("\x00" in v for v in record):
                raise SpreadsheetError(_("Tệp có ký tự không hợp lệ (có thể là tệp nhị phân, không phải CSV)."))
            if any(not is_blank(v) for v in record):
                if len(sheet.rows) >= limit:
                    raise too_many_rows(max_rows)
                sheet.rows.append((number, record[:max_columns]))
    except csv.Error as exc:
        raise SpreadsheetError(_("Không đọc được tệp CSV: %(e)s", e=str(exc))) from None
    return sheet


# -- XLSX ------------------------------------------------------------------------------------------
def _unreadable() -> SpreadsheetError:
    return SpreadsheetError(_("Không mở được tệp Excel. Hãy kiểm tra tệp có đúng định dạng .xlsx."))


def _too_big() -> SpreadsheetError:
    return SpreadsheetError(
        _("Tệp Excel khi giải nén lớn bất thường (có thể là tệp hỏng hoặc tệp độc hại). Hệ thống không mở tệp này.")
    )


def check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse an archive whose parts are too many, too big or compressed too well to be a spreadsheet."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _too_big()
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        raise _too_big()
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _too_big()
        name = info.filename.lower()
        if name.endswith("sharedstrings.xml") and info.file_size > MAX_SHARED_STRINGS:
            raise _too_big()
        if name.endswith("styles.xml") and info.file_size > MAX_STYLES:
            raise _too_big()


def _first_sheet_part(archive: zipfile.ZipFile) -> str:
    """The path of the first worksheet (workbook order), as openpyxl picks it."""
    from openpyxl.xml.functions import fromstring  # defusedxml's when installed

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
    root = fromstring(archive.read("_rels/.rels"))
    workbook = next(
        r.get("Target") for r in root.iter(f"{{{pkg_ns}}}Relationship") if r.get("Type", "").endswith("/officeDocument")
    )
    workbook = normpath(workbook.lstrip("/"))
    sheets = fromstring(archive.read(workbook)).find(f"{{{main}}}sheets")
    first_id = sheets[0].get(f"{{{rel_ns}}}id")
    rels_path = join(dirname(workbook), "_rels", workbook.rsplit("/", 1)[-1] + ".rels")
    for rel in fromstring(archive.read(rels_path)).iter(f"{{{pkg_ns}}}Relationship"):
        if rel.get("Id") == first_id:
            target = rel.get("Target")
            return normpath(target.lstrip("/") if target.startswith("/") else join(dirname(workbook), target))
    raise KeyError(first_id)


def count_tags(archive: zipfile.ZipFile, part: str, max_rows: int, max_cells: int) -> tuple[int, int]:
    """``(rows, cells)`` elements of a worksheet part, by a byte search over the stream (no XML
    parsing); stops as soon as either is over its maximum."""
    rows = cells = 0
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            buf = tail + chunk
            last = buf.rfind(b"<", max(0, len(buf) - 64))  # a tag cut by the border waits for the next round
            end = last if last != -1 else len(buf)
            found = _TAG.findall(buf, 0, end)
            cells += found.count(b"c")
            rows += len(found)
            tail = buf[end:]
            if rows - cells > max_rows or cells > max_cells:
                break
        else:
            found = _TAG.findall(tail)
            cells += found.count(b"c")
            rows += len(found)
    return rows - cells, cells


def read_xlsx(data: bytes, max_rows: int, max_columns: int = MAX_COLUMNS) -> Sheet:
    """The first worksheet: at most ``max_rows`` (+ ``TITLE_ROWS``) non-empty rows and, on average,
    ``max_columns`` cells in each (formatted blank cells count)."""
    from openpyxl import load_workbook

    max_cells = (max_rows + TITLE_ROWS) * max_columns

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _unreadable() from None
    with archive:
        check_archive(archive)
        try:
            part = _first_sheet_part(archive)
            rows, cells = count_tags(archive, part, max_rows + TITLE_ROWS + BLANK_ROWS, max_cells)
        except Exception:  # noqa: BLE001 - a damaged package, whatever the way
            raise _unreadable() from None
        if rows > max_rows + TITLE_ROWS + BLANK_ROWS:
            raise too_many_rows(max_rows)
        if cells > max_cells:
            raise too_many_cells(max_columns)
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
            raise _unreadable() from None
        try:
            worksheet = workbook.worksheets[0]
            sheet = Sheet(name=worksheet.title)
            if not hasattr(worksheet, "reset_dimensions"):  # a chartsheet first
                raise _unreadable()
            worksheet.reset_dimensions()  # the declared size is not trusted (it pads rows with blanks)
            limit = max_rows + TITLE_ROWS
            number = 0
            for values in worksheet.iter_rows(values_only=True, max_col=max_columns):
                number += 1
                if number > EXCEL_MAX_ROW:
                    raise _unreadable()
                values = _trim(values)
                if values and any(not is_blank(v) for v in values):
                    if len(sheet.rows) >= limit:
                        raise too_many_rows(max_rows)
                    sheet.rows.append((number, values))
            return sheet
        except SpreadsheetError:
            raise
        except Exception:  # noqa: BLE001 - a damaged sheet (bad XML, impossible dates...)
            raise _unreadable() from None
        finally:
            workbook.close()


def _trim(values) -> list:
    """The row without its trailing empty cells."""
    end = len(values)
    while end and (values[end - 1] is None or values[end - 1] == ""):
        end -= 1
    return list(values[:end])


def cell_text(value) -> str:
    """A cell as text: dates as ISO (``2025-07-01``), whole numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
