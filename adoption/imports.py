"""Reading the monthly usage exports of the three systems (CSV or XLSX), row by row.

Files are read with the kernel's bounded reader (``lms.spreadsheet``: CSV encodings, XLSX limits, row
numbers as in the file), the header found under title rows, headers folded to keys such as
``van_ban_den`` (``lms.org.imports.header_key``). Each system accepts the column names its export uses (aliases
below; ``docs/usage-imports.md`` documents them). Validation is all or nothing: every wrong cell is
reported by row and column and nothing is written. A row that matches nobody is not an error: it is
kept and listed for IT staff to match by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from adoption.models import System
from adoption.months import label, parse_month
from lms import spreadsheet, vnlegacy
from lms.org.imports import ImportFileError, RowError, header_key
from lms.text import clean_text, fold

__all__ = ["COLUMNS", "ImportFileError", "ParsedRow", "ParsedFile", "RowError", "parse_rows", "read_usage_file"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the header our templates use
    aliases: tuple[str, ...] = ()
    kind: str = "text"  # text | int | date

    @property
    def names(self) -> tuple[str, ...]:
        return (header_key(self.label), *self.aliases)


_MONTH = Column("month", "Tháng", ("ky_bao_cao", "thang_bao_cao"))
_UNIT = Column("unit", "Đơn vị", ("ma_don_vi", "ten_don_vi", "co_quan", "don_vi_cong_tac"))
_NAME = Column("name", "Họ và tên", ("ho_ten", "can_bo", "nguoi_dung", "chu_hop_thu", "ten_can_bo"))

COLUMNS: dict[System, tuple[Column, ...]] = {
    System.DMS: (
        _MONTH,
        Column("account", "Tài khoản", ("ten_dang_nhap", "account", "username", "tai_khoan_dang_nhap")),
        Column("email", "Thư điện tử", ("email", "e_mail", "hop_thu", "dia_chi_thu")),
        _NAME,
        _UNIT,
        Column("received", "Văn bản đến", ("so_van_ban_den", "vb_den", "tiep_nhan", "van_ban_den_tiep_nhan"), "int"),
        Column(
            "processed",
            "Xử lý trên phần mềm",
            ("xu_ly_dien_tu", "vb_den_xu_ly_tren_phan_mem", "da_xu_ly", "xu_ly_tren_he_thong"),
            "int",
        ),
        Column("sent", "Văn bản đi", ("so_van_ban_di", "vb_di", "phat_hanh", "van_ban_di_phat_hanh"), "int"),
        Column("signed", "Ký số", ("van_ban_ky_so", "vb_di_ky_so", "da_ky_so", "so_van_ban_ky_so"), "int"),
    ),
    System.PORTAL: (
        _MONTH,
        _UNIT,
        Column("portal", "Địa chỉ cổng", ("cong_thanh_phan", "dia_chi", "ten_mien", "website", "trang_thong_tin")),
        Column("articles", "Số tin bài trong tháng", ("so_tin_bai", "tin_bai", "so_bai_dang", "bai_viet"), "int"),
        Column(
            "last_update",
            "Ngày cập nhật gần nhất",
            ("cap_nhat_gan_nhat", "ngay_cap_nhat", "cap_nhat_lan_cuoi", "ngay_dang_tin_gan_nhat"),
            "date",
        ),
    ),
    System.EMAIL: (
        _MONTH,
        Column("mailbox", "Hộp thư", ("dia_chi_thu", "email", "thu_dien_tu", "e_mail", "tai_khoan")),
        _NAME,
        _UNIT,
        Column(
            "last_login",
            "Đăng nhập lần cuối",
            ("lan_dang_nhap_cuoi", "dang_nhap_gan_nhat", "last_login", "lan_dang_nhap_gan_nhat"),
            "date",
        ),
        Column("messages_sent", "Số thư đã gửi", ("thu_gui", "so_thu_gui", "da_gui", "thu_da_gui"), "int"),
    ),
}

#: at least one of each group must be a column of the file
REQUIRED: dict[System, tuple[tuple[str, ...], ...]] = {
    System.DMS: (("account", "email", "name", "unit"), ("received", "processed", "sent", "signed")),
    System.PORTAL: (("unit", "portal"), ("last_update",)),
    System.EMAIL: (("mailbox",), ("last_login", "messages_sent")),
}


@dataclass
class ParsedRow:
    row_number: int
    values: dict  # column key -> parsed value (str, int, date or None)

    def text(self, key: str) -> str:
        return self.values.get(key) or ""


@dataclass
class ParsedFile:
    system: System
    month: date
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


_INT_PLAIN = re.compile(r"^\d+$")
_INT_GROUPED = re.compile(r"^\d{1,3}([.,\u00a0 ]\d{3})+$")  # 1.234 (Vietnamese), 1,234, 1 234


def parse_int(value: str) -> int | None:
    """A count: ``""`` -> None; ``1.234`` / ``1 234`` -> 1234; ValueError for anything else."""
    value = (value or "").replace("\u00a0", " ").strip()
    if not value:
        return None
    if _INT_PLAIN.match(value):
        return int(value)
    if _INT_GROUPED.match(value):
        return int(re.sub(r"\D", "", value))
    raise ValueError(value)


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


def parse_day(value: str) -> date | None:
    """A day, with or without a time after it (exports often give ``05/11/2026 08:31``)."""
    value = (value or "").strip()
    if not value:
        return None
    head = value.replace("T", " ").split(" ")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(head, fmt).date()  # noqa: DTZ007 - a calendar day, no time of day
        except ValueError:
            continue
    raise ValueError(value)


def read_usage_file(system: System, month: date, filename: str, data: bytes, max_rows: int) -> ParsedFile:
    """Read and validate a file; ``ImportFileError`` when the file as a whole cannot be read."""
    present, rows, header_row = read_columns(system, filename, data, max_rows)
    return parse_rows(system, month, present, rows, header_row)


def _column_of(system: System, cell) -> str | None:
    """The column of ``system`` a header cell names (typed in Unicode or in a legacy font encoding)."""
    names = _names(system)
    text = spreadsheet.cell_text(cell)
    key = names.get(header_key(text))
    if key is None and text and not text.isascii():
        for encoding in vnlegacy.ENCODINGS:
            key = key or names.get(header_key(vnlegacy.convert(text, encoding)))
    return key


def _names(system: System) -> dict[str, str]:
    return {name: c.key for c in COLUMNS[system] for name in c.names}


def _clean(value) -> str:
    """A cell as NFC text; plain ASCII (mailboxes, accounts, numbers) without the Unicode work."""
    text = spreadsheet.cell_text(value)
    if text.isascii() and text.isprintable():
        return " ".join(text.split())
    return clean_text(text)


def read_columns(
    system: System, filename: str, data: bytes, max_rows: int
) -> tuple[set[str], list[tuple[int, dict[str, str]]], int]:
    """(the columns found, [(row number in the file, {column: text})], the header's row number), with the
    kernel's bounded reader
    (``lms.spreadsheet``: CSV encodings, XLSX limits, row numbers as in the file). The header is the row
    among the first ones naming the most of the system's columns (title rows above it are skipped);
    a text column typed in TCVN3/VNI is converted."""
    if not data or (len(data) < 4096 and not data.strip()):
        raise ImportFileError(_("Tệp trống, không có dữ liệu."))
    try:
        sheet = spreadsheet.read_sheet(filename, data, max_rows)
    except spreadsheet.SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from None
    if not sheet.rows:
        raise ImportFileError(_("Tệp trống, không có dữ liệu."))
    head = sheet.rows[: spreadsheet.TITLE_ROWS + 1]
    scores = [len({_column_of(system, v) for v in values} - {None}) for _n, values in head]
    at = max(range(len(head)), key=lambda i: (scores[i], -i)) if max(scores) > 0 else 0
    keys: list[str | None] = []
    for cell in sheet.rows[at][1]:
        key = _column_of(system, cell)
        keys.append(key if key not in keys else None)  # a second column of the same name: the first counts
    body = sheet.rows[at + 1 :]
    if not body:
        raise ImportFileError(_("Tệp trống: chỉ có dòng tiêu đề, chưa có dòng dữ liệu nào."))
    if len(body) > max_rows:
        raise ImportFileError(str(spreadsheet.too_many_rows(max_rows)))
    columns = {key: i for i, key in enumerate(keys) if key}
    raw = {key: [values[i] if i < len(values) else None for _n, values in body] for key, i in columns.items()}
    for key in ("name", "unit"):
        texts = [v for v in raw.get(key, ()) if isinstance(v, str)]
        encoding = vnlegacy.detect(texts) if texts else None
        if encoding:
            raw[key] = [vnlegacy.convert(v, encoding) if isinstance(v, str) else v for v in raw[key]]
    cleaned: dict = {}

    def clean(value) -> str:
        if value is None:
            return ""
        if value not in cleaned:
            cleaned[value] = _clean(value)
        return cleaned[value]

    rows = [(number, {key: clean(raw[key][i]) for key in columns}) for i, (number, _values) in enumerate(body)]
    return set(columns), rows, sheet.rows[at][0]


def parse_rows(
    system: System, month: date, present: set[str], rows: list[tuple[int, dict[str, str]]], header_row: int = 1
) -> ParsedFile:
    """Validate the rows (``present``: the columns the file has); every wrong cell becomes an error."""
    parsed = ParsedFile(system=system, month=month)
    columns = {c.key: c for c in COLUMNS[system]}
    missing = [group for group in REQUIRED[system] if not any(k in present for k in group)]
    if missing:
        labels = " / ".join(columns[k].label for group in missing for k in group)
        parsed.errors.append(RowError(header_row, labels, _("Thiếu cột bắt buộc.")))
        return parsed
    seen: dict[str, int] = {}
    for number, record in rows:
        values: dict = {}

        def err(key: str, message: str, number=number) -> None:
            parsed.errors.append(RowError(number, columns[key].label, message))

        for key in present:
            raw = record.get(key) or ""  # NFC and trimmed by read_columns
            column = columns[key]
            try:
                if column.kind == "int":
                    values[key] = parse_int(raw)
                elif column.kind == "date":
                    values[key] = parse_day(raw)
                else:
                    values[key] = raw
            except ValueError:
                if column.kind == "int":
                    err(key, _("“%(v)s” phải là số nguyên không âm, ví dụ 125 hoặc 1.250.", v=raw))
                else:
                    err(key, _("Ngày “%(v)s” không đúng dạng ngày/tháng/năm.", v=raw))
        if values.get("month"):
            row_month = parse_month(values["month"])
            if row_month is None:
                err("month", _("Tháng “%(v)s” không đúng dạng tháng/năm, ví dụ 11/2026.", v=values["month"]))
            elif row_month != month:
                err(
                    "month",
                    _(
                        "Dòng này của tháng %(r)s, không phải tháng đang nhập (%(m)s).",
                        r=label(row_month),
                        m=label(month),
                    ),
                )
        identity = _identity(system, values)
        if not identity:
            key = {System.DMS: "account", System.PORTAL: "unit", System.EMAIL: "mailbox"}[system]
            err(key, _("Dòng không cho biết của ai (thiếu tài khoản, hộp thư, họ tên hoặc đơn vị)."))
        elif identity in seen:
            key = {System.DMS: "account", System.PORTAL: "unit", System.EMAIL: "mailbox"}[system]
            err(key, _("Trùng với dòng %(r)d.", r=seen[identity]))
        else:
            seen[identity] = number
        if system == System.EMAIL and values.get("mailbox") and "@" not in values["mailbox"]:
            err("mailbox", _("“%(v)s” không phải địa chỉ thư điện tử.", v=values["mailbox"]))
        for low, high in (("processed", "received"), ("signed", "sent")):
            if values.get(low) is not None and values.get(high) is not None and values[low] > values[high]:
                err(low, _("Không thể lớn hơn cột “%(c)s”.", c=columns[high].label))
        parsed.rows.append(ParsedRow(number, values))
    return parsed


def fold_key(value: str | None) -> str:
    """``lms.text.fold`` with a fast path for plain ASCII (mailboxes, accounts): the same result."""
    if not value:
        return ""
    if value.isascii():
        return " ".join(value.lower().split())
    return fold(value)


def _identity(system: System, values: dict) -> str:
    """What makes a row one person's (or one unit's): duplicates of it in a file are errors."""
    if system == System.EMAIL:
        return fold_key(values.get("mailbox"))
    if system == System.PORTAL:
        return fold_key(values.get("portal")) or fold(values.get("unit"))
    for key in ("account", "email"):
        if values.get(key):
            return f"{key}:{fold_key(values[key])}"
    if values.get("name"):
        return f"name:{fold(values['name'])}|{fold(values.get('unit'))}"
    return f"unit:{fold(values.get('unit'))}" if values.get("unit") else ""


# -- templates (docs/ and the import page) -------------------------------------------------------
EXAMPLES: dict[System, list[list[str]]] = {
    System.DMS: [
        ["11/2026", "hang.nt", "hang.nguyen@vinhphuc.gov.vn", "Nguyễn Thị Thủy Hằng", "STTTT", "42", "40", "12", "9"],
        ["11/2026", "", "", "", "Huyện Tam Đảo", "310", "251", "96", "40"],
    ],
    System.PORTAL: [
        ["11/2026", "STTTT", "stttt.vinhphuc.gov.vn", "18", "28/11/2026"],
        ["11/2026", "Huyện Tam Đảo", "tamdao.vinhphuc.gov.vn", "0", "02/09/2026"],
    ],
    System.EMAIL: [
        ["11/2026", "hang.nguyen@vinhphuc.gov.vn", "Nguyễn Thị Thủy Hằng", "STTTT", "29/11/2026 16:05", "37"],
        ["11/2026", "binh.tran@vinhphuc.gov.vn", "Trần Văn Bình", "H-TAMDAO", "", "0"],
    ],
}


def template_rows(system: System) -> tuple[list[str], list[list[str]]]:
    return [c.label for c in COLUMNS[system]], EXAMPLES[system]


def template_csv(system: System) -> bytes:
    import csv
    import io

    header, rows = template_rows(system)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def template_xlsx(system: System) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = template_rows(system)
    wb = Workbook()
    ws = wb.active
    ws.title = "Su dung"
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col in ws.columns:
        ws.column_dimensions[col[0].column_letter].width = max(12, len(str(col[0].value)) + 4)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
