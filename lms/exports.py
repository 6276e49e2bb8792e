"""Spreadsheet downloads: the one writer of every CSV and XLSX file the app serves.

* **Formula injection** (OWASP "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return would be run as a formula by Excel or LibreOffice
  (``=HYPERLINK(...)`` in an official's name). In CSV such a cell is prefixed with a single quote;
  in XLSX it is written as a string cell with Excel's own "quote prefix" (the text unchanged, shown
  as text, never a formula). Numbers stay numbers (``-3`` is a number, not text).
* **Dialects** of CSV, chosen on the export button (``?dialect=vn``): ``standard`` (comma, decimal
  point, ISO dates) and ``vn``, what Excel on Vietnamese Windows reads by a double click (semicolon,
  decimal comma, dd/mm/yyyy). Both UTF-8 with a BOM (Excel then reads Vietnamese correctly).
* **XLSX**: dates are date cells (shown dd/mm/yyyy), numbers are numbers, text is text.
* ``Content-Type`` is sent once with its charset; downloads are ``no-store``.
* ``@spreadsheet_export`` marks a view as one of the app's exports; the security test walks every
  such route with injection payloads in the data and fails for any spreadsheet served by a route
  that is not marked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from flask import Response, request

from lms.time import VN_TZ

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class CsvDialect:
    key: str
    delimiter: str
    decimal: str
    date_format: str


STANDARD = CsvDialect("standard", ",", ".", "%Y-%m-%d")
VIETNAMESE_EXCEL = CsvDialect("vn", ";", ",", "%d/%m/%Y")
DIALECTS = {d.key: d for d in (STANDARD, VIETNAMESE_EXCEL)}


def dialect_from_request() -> CsvDialect:
    return DIALECTS.get(request.args.get("dialect", ""), STANDARD)


def neutralise(text: str) -> str:
    """OWASP's advice for a cell a spreadsheet would take for a formula: a leading single quote."""
    return "'" + text if text.startswith(FORMULA_START) else text


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


def _number_text(value: float | Decimal, dialect: CsvDialect) -> str:
    text = format(value, "f") if isinstance(value, Decimal) else repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace(".", dialect.decimal)


def _local(value: datetime) -> datetime:
    return value.astimezone(VN_TZ).replace(tzinfo=None) if value.tzinfo is not None else value


def csv_cell(value, dialect: CsvDialect = STANDARD) -> str:
    """One value as CSV text: numbers in the dialect's notation, dates in its format, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _number_text(value, dialect)
    if isinstance(value, datetime):
        return _local(value).strftime(dialect.date_format + " %H:%M")
    if isinstance(value, date):
        return value.strftime(dialect.date_format)
    return neutralise(str(value))


def to_csv(header: Iterable, rows: Iterable[Iterable], dialect: CsvDialect = STANDARD) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow([csv_cell(v, dialect) for v in header])
    for row in rows:
        writer.writerow([csv_cell(v, dialect) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(
    header: Iterable,
    rows: Iterable[Iterable],
    *,
    sheet: str = "Sheet",
    title: str | None = None,
    text_columns: Iterable[str] = (),
) -> bytes:
    """A workbook written row by row (openpyxl's write-only mode keeps no cells in memory).

    ``text_columns``: headers of columns formatted as text (``@``), so what a person types there in
    Excel stays as typed (a phone number keeps its leading 0)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    header = list(header)
    text_columns = set(text_columns)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_name(sheet))
    ws.freeze_panes = "A3" if title else "A2"
    as_text = {i for i, name in enumerate(header) if name in text_columns}
    for i, name in enumerate(header, start=1):
        dimension = ws.column_dimensions[get_column_letter(i)]
        dimension.width = max(10, min(40, len(str(name)) + 2))
        if i - 1 in as_text:
            dimension.number_format = "@"

    def cell(value, font=None, text=False):
        if isinstance(value, datetime):
            value = _local(value)  # Excel has no time zones
        elif isinstance(value, str) and type(value) is not str:
            value = str(value)  # a str enum: its text
        if isinstance(value, str | bool | int | float | Decimal | date) or value is None:
            out = WriteOnlyCell(ws, value=value)
        else:
            out = WriteOnlyCell(ws, value=str(value))
        if isinstance(value, datetime):
            out.number_format = "dd/mm/yyyy hh:mm"
        elif isinstance(value, date):
            out.number_format = "dd/mm/yyyy"
        elif isinstance(out.value, str):
            out.data_type = "s"  # openpyxl takes any text starting with "=" for a formula
            if is_formula_like(out.value):
                out.quotePrefix = True  # Excel shows it as text, also once the cell is edited
        if text:
            out.number_format = "@"
        if font is not None:
            out.font = font
        return out

    if title:
        ws.append([cell(title, Font(bold=True, size=13))])
    bold = Font(bold=True)
    ws.append([cell(name, bold) for name in header])
    for row in rows:
        ws.append([cell(v, text=i in as_text) for i, v in enumerate(row)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def neutralise_workbook(workbook) -> None:
    """For a workbook a feature lays out itself (several sheets, formats): every text cell becomes a
    string cell, and text that looks like a formula gets Excel's quote prefix, as ``to_xlsx`` does."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl takes any text starting with "=" for a formula
                    if is_formula_like(cell.value):
                        cell.quotePrefix = True


def _sheet_name(name: str) -> str:
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in name).strip("' ") or "Sheet"
    return cleaned[:31]


def download(body: bytes, filename: str, mimetype: str) -> Response:
    """An attachment, its type and charset said once, never cached."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        disposition += f"; filename*=UTF-8''{quote(filename)}"
    response = Response(body, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})
    response.headers["Content-Type"] = mimetype  # as given: werkzeug's mimetype= would add a charset again
    return response


def send_table(
    header: Iterable,
    rows: Iterable[Iterable],
    *,
    fmt: str,
    stem: str,
    sheet: str = "Sheet",
    title: str | None = None,
    text_columns: Iterable[str] = (),
) -> Response:
    """The table as ``stem.csv`` (in the dialect the request asks for) or ``stem.xlsx``."""
    if fmt == "xlsx":
        body = to_xlsx(header, rows, sheet=sheet, title=title, text_columns=text_columns)
        return download(body, f"{stem}.xlsx", XLSX_MIMETYPE)
    if fmt != "csv":
        raise ValueError(f"unknown spreadsheet format {fmt!r}")
    dialect = dialect_from_request()
    suffix = "" if dialect is STANDARD else f"-{dialect.key}"
    return download(to_csv(header, rows, dialect), f"{stem}{suffix}.csv", CSV_MIMETYPE)


def spreadsheet_export(view: Callable) -> Callable:
    """Mark a view as a spreadsheet export (the security test sweeps every marked route)."""
    view.spreadsheet_export = True
    return view
