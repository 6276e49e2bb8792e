"""Bulk import of units and officials from CSV or XLSX, as HR offices keep them.

``read_table`` reads the file (``lms.spreadsheet``: bounded cost whatever the file) and finds its
header row among the first rows by the known column names (title rows, merged cells and blank
rows above it are usual); every row keeps its own row number in the file (and the sheet's name).
A column typed in a legacy font encoding (TCVN3, VNI) is converted to Unicode there and reported.

``import_units`` / ``import_officials`` then validate every row and plan it against the database:
new, updated (with each change, before and after), unchanged or refused. If any row is refused,
nothing is written and every error is reported by row and column. A plan that renames officials,
or that rests on a legacy-encoding conversion, is written only with the matching confirmation
(``CONFIRMATIONS``); ``dry_run`` plans without writing (the preview). Otherwise every row is written
in the caller's transaction. Re-importing the same file changes nothing (match on the official
code, then on the e-mail; units on their code).

Columns are a registry (``UNIT_COLUMNS_SPEC``, ``OFFICIAL_COLUMNS_SPEC``): a new column is one
``Column`` entry, with its label, the other spellings accepted in a header, and whether the
downloadable template shows it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms import spreadsheet, vnlegacy
from lms.org.models import Category, Level, Official, Position, Unit, UnitKind
from lms.org.services import (
    EXAMPLE_CODE_PREFIX,
    OrgError,
    notify_officials_changed,
    save_official,
    save_unit,
    staff_below,
)
from lms.text import clean_text, fold, join_name, split_full_name
from lms.time import local_today

MAX_ROWS_DEFAULT = 50_000
MAX_COLUMNS = 60  # cells read per row (an HR sheet has 10 to 40 columns)
CONFIRMATIONS = ("renames", "legacy")  # what a file may need the user to confirm


class ImportFileError(OrgError):
    """The file as a whole cannot be read (encoding, format, size, empty)."""


@dataclass(frozen=True)
class RowError:
    row: int  # the row number in the file, as Excel shows it in the margin
    column: str
    message: str
    sheet: str | None = None  # the worksheet's name (XLSX)


@dataclass(frozen=True)
class Column:
    key: str  # the dict key of a row (``ma_can_bo``)
    label: str  # the header in the template and in messages (``Mã cán bộ``)
    aliases: tuple[str, ...] = ()  # other headers meaning the same column
    in_template: bool = True


UNIT_COLUMNS_SPEC = (
    Column("ma_don_vi", "Mã đơn vị", ("ma_dv",)),
    Column("ten_don_vi", "Tên đơn vị", ("don_vi", "ten_co_quan", "co_quan_don_vi")),
    Column("loai", "Loại", ("loai_don_vi", "khoi")),
    Column("ma_don_vi_cha", "Mã đơn vị cha", ("ma_don_vi_cap_tren", "don_vi_cha")),
    Column("hieu_luc_tu", "Hiệu lực từ", ("ngay_hieu_luc",)),
    Column("hieu_luc_den", "Hiệu lực đến", ("ngay_het_hieu_luc",)),
)
OFFICIAL_COLUMNS_SPEC = (
    Column("ma_can_bo", "Mã cán bộ", ("ma_cb", "ma_nhan_vien", "ma_so_can_bo", "so_hieu_can_bo")),
    Column("ho", "Họ", ("ho_cb",)),
    Column("ten_dem", "Tên đệm", ("dem", "ten_lot")),
    Column("ten", "Tên", ("ten_goi",)),
    Column("ho_ten", "Họ và tên", ("ho_va_ten", "ho_ten_can_bo", "ho_va_ten_can_bo")),
    Column("email", "Email", ("thu_dien_tu", "e_mail", "email_cong_vu", "thu_cong_vu", "dia_chi_email")),
    Column("dien_thoai", "Điện thoại", ("so_dien_thoai", "sdt", "dt", "di_dong", "dien_thoai_di_dong")),
    Column("ma_don_vi", "Mã đơn vị", ("ma_dv",)),
    Column("chuc_vu", "Chức vụ", ("chuc_danh",)),
    Column("phan_loai", "Phân loại", ("doi_tuong",)),
    Column("cap", "Cấp", ("cap_hanh_chinh",)),
    Column("nam_sinh", "Năm sinh", ()),
    Column("ngay_sinh", "Ngày sinh", ("ngay_thang_nam_sinh",), in_template=False),
    Column("dang_cong_tac", "Đang công tác", ("con_cong_tac", "trang_thai")),
    # "có": the official's account gets the unit-head role for their unit; "không": the role ends; empty: unchanged
    Column("thu_truong", "Thủ trưởng đơn vị", ("thu_truong_don_vi", "la_thu_truong", "truong_don_vi")),
)
UNIT_COLUMNS = [c.key for c in UNIT_COLUMNS_SPEC if c.in_template]
UNIT_COLUMN_LABELS = {c.key: c.label for c in UNIT_COLUMNS_SPEC}
OFFICIAL_COLUMNS = [c.key for c in OFFICIAL_COLUMNS_SPEC if c.in_template]
OFFICIAL_COLUMN_LABELS = {c.key: c.label for c in OFFICIAL_COLUMNS_SPEC}


def header_key(name: str) -> str:
    return "_".join(fold(name).replace("/", " ").replace("-", " ").replace(".", " ").split())


def _header_keys() -> dict[str, str]:
    keys = {}
    for column in UNIT_COLUMNS_SPEC + OFFICIAL_COLUMNS_SPEC:
        for spelling in (column.key, header_key(column.label), *column.aliases):
            keys.setdefault(spelling, column.key)
    return keys


HEADER_KEYS = _header_keys()
OFFICIAL_ALIASES = {k: v for k, v in HEADER_KEYS.items() if k != v}  # kept for callers of the old name


# -- reading files ---------------------------------------------------------------------------------
@dataclass
class LegacyColumn:
    column: str  # the header as written in the file
    encoding: str  # "tcvn3" or "vni"
    examples: list[tuple[str, str]]  # (as typed, converted)

    @property
    def encoding_name(self) -> str:
        return vnlegacy.ENCODINGS[self.encoding]


class Table(list):
    """The data rows as dicts keyed by column (``Mã đơn vị`` -> ``ma_don_vi``), with where they come from."""

    def __init__(self, rows=(), numbers=None, sheet=None, header_row=1, encoding=None, legacy=(), ignored=()):
        super().__init__(rows)
        self.numbers: list[int] = list(numbers) if numbers is not None else [i + 2 for i in range(len(self))]
        self.sheet: str | None = sheet
        self.header_row: int = header_row
        self.encoding: str | None = encoding
        self.legacy: list[LegacyColumn] = list(legacy)
        self.ignored: list[str] = list(ignored)


def read_table(filename: str, data: bytes, max_rows: int = MAX_ROWS_DEFAULT) -> Table:
    """The rows under the header row. ``ImportFileError`` when the file cannot be read at all."""
    if not data or (len(data) < 4096 and not data.strip()):  # a bigger blank file: "no rows" below
        raise ImportFileError(_("Tệp trống, không có dữ liệu."))
    try:
        sheet = spreadsheet.read_sheet(filename, data, max_rows, MAX_COLUMNS)
    except spreadsheet.SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from None
    if not sheet.rows:
        raise ImportFileError(_("Tệp trống, không có dữ liệu."))
    at = _find_header(sheet.rows[: spreadsheet.TITLE_ROWS + 1])
    header_row, header_cells = sheet.rows[at]
    labels = [clean_text(spreadsheet.cell_text(v)) for v in header_cells]
    keys: list[str | None] = []
    ignored = []
    for cell, label in zip(header_cells, labels, strict=True):
        key = _column_of(cell)  # as typed: a legacy encoding is read before anything is composed
        if key in keys:  # a second column of the same name: the first one counts
            key = None
        keys.append(key)
        if key is None and label:
            ignored.append(label)
    body = sheet.rows[at + 1 :]
    if not body:
        raise ImportFileError(_("Tệp trống: chỉ có dòng tiêu đề, chưa có dòng dữ liệu nào."))
    if len(body) > max_rows:
        raise spreadsheet_error_too_many(max_rows)
    columns = {key: i for i, key in enumerate(keys) if key}
    raw = {key: [values[i] if i < len(values) else None for _n, values in body] for key, i in columns.items()}
    legacy = []
    for key, values in raw.items():
        texts = [v for v in values if isinstance(v, str)]
        encoding = vnlegacy.detect(texts)
        if encoding:
            converted = [vnlegacy.convert(v, encoding) if isinstance(v, str) else v for v in values]
            examples = [(a, b) for a, b in zip(values, converted, strict=True) if isinstance(a, str) and a != b]
            legacy.append(LegacyColumn(labels[columns[key]], encoding, list(dict.fromkeys(examples))[:3]))
            raw[key] = converted
    cleaned: dict[str, str] = {}  # the same values come back row after row (units, positions...)

    def clean(value):
        if not isinstance(value, str):
            return value
        if value not in cleaned:
            cleaned[value] = clean_text(value)
        return cleaned[value]

    rows = [dict(zip(raw, map(clean, values), strict=True)) for values in zip(*raw.values(), strict=True)]
    rows = rows or [{} for _ in body]
    return Table(
        rows,
        numbers=[n for n, _v in body],
        sheet=sheet.name,
        header_row=header_row,
        encoding=sheet.encoding,
        legacy=legacy,
        ignored=ignored,
    )


def spreadsheet_error_too_many(max_rows: int) -> ImportFileError:
    return ImportFileError(str(spreadsheet.too_many_rows(max_rows)))


def _column_of(label) -> str | None:
    """The column a header names, written in Unicode or in a legacy font encoding (a whole sheet typed
    in .VnTime has its header in TCVN3 too)."""
    text = spreadsheet.cell_text(label)
    key = HEADER_KEYS.get(header_key(text))
    if key is None and not text.isascii():
        for encoding in vnlegacy.ENCODINGS:
            key = key or HEADER_KEYS.get(header_key(vnlegacy.convert(text, encoding)))
    return key


def _find_header(rows: list[tuple[int, list]]) -> int:
    """The index of the row naming the most known columns (at least two), the earliest on a tie; else 0."""
    best, best_score = 0, 1
    for index, (_number, values) in enumerate(rows):
        found = {_column_of(v) for v in values} - {None}
        if len(found) > best_score:
            best, best_score = index, len(found)
    return best


# -- value parsing ---------------------------------------------------------------------------------
def _text(value) -> str:
    return clean_text(value if isinstance(value, str) else spreadsheet.cell_text(value))


def _enum_lookup(enum_cls, extra: dict[str, str] | None = None) -> dict[str, str]:
    table = {}
    for member in enum_cls:
        table[fold(member.value.replace("_", " "))] = member.value
        table[fold(str(member.label))] = member.value
    for k, v in (extra or {}).items():
        table[fold(k)] = v
    return table


def _lookups():
    return {
        "category": _enum_lookup(
            Category, {"nguoi lao dong": "hop_dong", "hd": "hop_dong", "hop dong lao dong": "hop_dong"}
        ),
        "level": _enum_lookup(Level, {"tinh": "tinh", "huyen": "huyen", "xa": "xa"}),
        "position": _enum_lookup(
            Position,
            {
                "lanh dao": "leader",
                "chuyen vien": "specialist",
                "van thu": "clerk",
                "bien tap vien": "portal_editor",
                "quan tri cong": "portal_editor",
                "cntt": "it_officer",
                "can bo cntt": "it_officer",
            },
        ),
        "kind": _enum_lookup(
            UnitKind,
            {
                "so": "so_ban_nganh",
                "so ban nganh": "so_ban_nganh",
                "huyen": "huyen",
                "xa": "xa",
                "su nghiep": "su_nghiep",
            },
        ),
    }


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
_EXCEL_EPOCH = date(1899, 12, 30)


def _parse_date(value) -> date | None:
    """An Excel date cell, or text as ngày/tháng/năm (01/07/2025, 1-7-2025, 01.07.2025) or ISO."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    text = text.split(" ")[0] if re.fullmatch(r"\S+ 0?0:00(:00)?", text) else text
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar day, no time of day
        except ValueError:
            continue
    raise ValueError(text)


def _birth_year(value, today: date) -> int:
    """A year (1975, 1975.0, "1975"), or a date typed into the year column (its year). A year typed
    into a cell formatted as a date arrives as a date in 1905: that serial number is the year."""
    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        serial = (day - _EXCEL_EPOCH).days
        if day.year < 1910 and 1900 <= serial <= today.year:
            return serial
        return day.year
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value)
    if text.isdecimal():
        return int(text)
    return _parse_date(text).year  # ValueError when it is no date either


def _truthy(value: str) -> bool | None:
    v = fold(value)
    if v in {"", "co", "x", "1", "true", "yes", "dang cong tac", "con", "con cong tac"}:
        return True
    if v in {"khong", "0", "false", "no", "nghi", "da nghi", "nghi huu", "nghi viec", "chuyen cong tac"}:
        return False
    return None


def _phone(value) -> tuple[str, str | None]:
    """``(phone, warning)``. A phone column stored as a number lost its leading 0 (0912 345 678 became
    912345678): a 9- or 10-digit number that does not start with 84 gets it back, with a warning."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else _text(value)
    if re.fullmatch(r"\d+(\.\d+)?[eE]\+\d+", text):
        raise ValueError(
            _(
                "Excel đã đổi số điện thoại “%(v)s” sang dạng số mũ, các chữ số cuối đã mất. Hãy định dạng cột "
                "là Văn bản (Text) rồi gõ lại số.",
                v=text,
            )
        )
    if text.isdecimal() and not text.startswith(("0", "84")):
        if len(text) in (9, 10):
            restored = "0" + text
            return restored, _("Số “%(v)s” có vẻ đã mất số 0 ở đầu (ô kiểu số): đã ghi là %(p)s.", v=text, p=restored)
        return text, _("Số “%(v)s” có vẻ bị cắt (thiếu chữ số). Hãy kiểm tra lại.", v=text)
    if text and (len(text) > 32 or not all(c in "0123456789 +.-()" for c in text)):
        raise ValueError(_("Số điện thoại “%(v)s” không hợp lệ.", v=text))
    return text, None


def _is_example(code: str) -> bool:
    return code.upper().startswith(EXAMPLE_CODE_PREFIX)


# -- plans and results -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    column: str
    before: str
    after: str


@dataclass
class RowPlan:
    row: int
    status: str  # "new", "updated", "unchanged" or "refused"
    label: str  # who or what: "VP-1 Nguyễn Văn An"
    changes: list[Change] = field(default_factory=list)


@dataclass
class ImportResult:
    kind: str = "officials"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    rows: int = 0
    plans: list[RowPlan] = field(default_factory=list)
    renames: list[RowPlan] = field(default_factory=list)  # officials whose name changes
    needs: list[str] = field(default_factory=list)  # confirmations this file needs (CONFIRMATIONS)
    missing: list[str] = field(default_factory=list)  # ... of which not given
    written: bool = False
    stale: bool = False  # the plan is not the one previewed (``expect_digest``)
    sheet: str | None = None
    header_row: int = 1
    encoding: str | None = None
    legacy: list[LegacyColumn] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    # officials: accounts that writing the file creates, and invitation e-mails it queues (lms.auth.accounts)
    new_accounts: int = 0
    invitations: int = 0

    @property
    def ok(self) -> bool:
        """No row refused and nothing left to confirm: written, or (``dry_run``) writable."""
        return not self.errors and not self.missing and not self.stale

    @property
    def refused(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def changed(self) -> list[RowPlan]:
        return [p for p in self.plans if p.status == "updated"]

    def digest(self) -> str:
        """What the preview showed: the plan of every row and the conversions; a confirmation of
        another digest is refused (the data or the file changed meanwhile)."""
        body = [
            self.kind,
            [(p.row, p.status, p.label, [(c.column, c.before, c.after) for c in p.changes]) for p in self.plans],
            [(c.column, c.encoding) for c in self.legacy],
        ]
        return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()[:32]


def _start(kind: str, rows) -> tuple[ImportResult, list[int], str | None]:
    numbers = list(getattr(rows, "numbers", None) or [i + 2 for i in range(len(rows))])
    sheet = getattr(rows, "sheet", None)
    result = ImportResult(
        kind=kind,
        rows=len(rows),
        sheet=sheet,
        header_row=getattr(rows, "header_row", 1),
        encoding=getattr(rows, "encoding", None),
        legacy=list(getattr(rows, "legacy", [])),
        ignored=list(getattr(rows, "ignored", [])),
    )
    if result.legacy:
        result.needs.append("legacy")
    return result, numbers, sheet


def _finish(result: ImportResult, confirm: Iterable[str], expect_digest: str | None) -> bool:
    """Whether the plan may be written now (no error, every confirmation given, the previewed plan)."""
    result.missing = [n for n in result.needs if n not in set(confirm)]
    if expect_digest is not None and expect_digest != result.digest():
        result.stale = True
    return result.ok


def _show(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("có") if value else _("không")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(getattr(value, "label", value))


def _diff(pairs: Iterable[tuple[str, object, object]]) -> list[Change]:
    return [Change(column, _show(before), _show(after)) for column, before, after in pairs if before != after]


# -- units -----------------------------------------------------------------------------------------
def import_units(
    session: Session,
    rows: list[dict],
    progress: Callable | None = None,
    *,
    confirm: Iterable[str] = (),
    dry_run: bool = False,
    expect_digest: str | None = None,
) -> ImportResult:
    result, numbers, sheet = _start("units", rows)
    lookups = _lookups()
    header = set(rows[0]) if rows else set()
    missing = [c for c in ("ma_don_vi", "ten_don_vi", "loai") if c not in header]
    if missing:
        result.errors.append(
            RowError(
                result.header_row,
                ", ".join(UNIT_COLUMN_LABELS[c] for c in missing),
                _("Thiếu cột bắt buộc. Dòng tiêu đề phải có các cột: %(c)s.", c=_required_units()),
                sheet,
            )
        )
        return result
    existing = {u.code: u for u in session.scalars(select(Unit))}
    by_id = {u.id: u for u in existing.values()}
    in_file: dict[str, int] = {}
    parsed = []
    for i, row in zip(numbers, rows, strict=True):
        before = len(result.errors)

        def err(col, msg, i=i):
            result.errors.append(RowError(i, UNIT_COLUMN_LABELS.get(col, col), msg, sheet))

        code = _text(row.get("ma_don_vi")).upper()
        name = _text(row.get("ten_don_vi"))
        if not code:
            err("ma_don_vi", _("Thiếu mã đơn vị."))
        elif _is_example(code):
            err("ma_don_vi", _example_message())
        elif len(code) > 32:
            err("ma_don_vi", _("Mã đơn vị dài quá 32 ký tự."))
        elif code in in_file:
            err("ma_don_vi", _("Mã %(c)s bị trùng với dòng %(r)d.", c=code, r=in_file[code]))
        else:
            in_file[code] = i
        if not name:
            err("ten_don_vi", _("Thiếu tên đơn vị."))
        elif len(name) > 255:
            err("ten_don_vi", _("Tên đơn vị dài quá 255 ký tự."))
        kind = lookups["kind"].get(fold(_text(row.get("loai"))))
        if kind is None:
            err(
                "loai",
                _(
                    "Loại đơn vị “%(v)s” không hợp lệ. Dùng: sở/ban/ngành, huyện, xã, sự nghiệp.",
                    v=_text(row.get("loai")),
                ),
            )
        dates = {}
        for col in ("hieu_luc_tu", "hieu_luc_den"):
            try:
                dates[col] = _parse_date(row.get(col))
            except ValueError:
                err(col, _("Ngày “%(v)s” không đúng dạng ngày/tháng/năm, ví dụ 01/07/2025.", v=_text(row.get(col))))
        parent = _text(row.get("ma_don_vi_cha")).upper()
        parsed.append([i, code, name, kind, parent, dates, len(result.errors) > before])
    for entry in parsed:
        i, code, _name, _kind, parent, _dates, _bad = entry
        problem = None
        if parent and parent not in existing and parent not in in_file:
            problem = _("Không có đơn vị cha mã %(c)s.", c=parent)
        elif parent and parent == code:
            problem = _("Đơn vị không thể là cha của chính nó.")
        if problem:
            result.errors.append(RowError(i, UNIT_COLUMN_LABELS["ma_don_vi_cha"], problem, sheet))
            entry[-1] = True
    for i, code, name, kind, parent, dates, bad in parsed:
        unit = existing.get(code)
        label = f"{code} {name}".strip()
        if bad:
            result.plans.append(RowPlan(i, "refused", label))
            continue
        if unit is None:
            result.plans.append(RowPlan(i, "new", label))
            result.created += 1
            continue
        old_parent = by_id[unit.parent_id].code if unit.parent_id in by_id else ""
        changes = _diff(
            [
                (UNIT_COLUMN_LABELS["ten_don_vi"], unit.name, name),
                (UNIT_COLUMN_LABELS["loai"], unit.kind, UnitKind(kind)),
                (UNIT_COLUMN_LABELS["ma_don_vi_cha"], old_parent, parent),
                (UNIT_COLUMN_LABELS["hieu_luc_tu"], unit.valid_from, dates.get("hieu_luc_tu")),
                (UNIT_COLUMN_LABELS["hieu_luc_den"], unit.valid_until, dates.get("hieu_luc_den")),
            ]
        )
        result.plans.append(RowPlan(i, "updated" if changes else "unchanged", label, changes))
        if changes:
            result.updated += 1
        else:
            result.unchanged += 1
    if not _finish(result, confirm, expect_digest) or dry_run:
        return result
    units = dict(existing)
    old_parents = {code: unit.parent_id for code, unit in existing.items()}
    for n, (_i, code, name, kind, _parent, dates, _bad) in enumerate(parsed, start=1):
        unit = units.get(code)
        if unit is None:
            unit = Unit(code=code)
            units[code] = unit
        unit.name, unit.kind = name, UnitKind(kind)
        unit.valid_from, unit.valid_until = dates.get("hieu_luc_tu"), dates.get("hieu_luc_den")
        save_unit(session, unit)
        if progress:
            progress(n)
    for _i, code, _name, _kind, parent, _dates, _bad in parsed:
        units[code].parent_id = units[parent].id if parent else None
    session.flush()
    moved = [u.id for code, u in units.items() if code in old_parents and old_parents[code] != u.parent_id]
    if moved:  # a unit placed under another one: its staff (and its sub-units') now belong there too
        notify_officials_changed(session, staff_below(session, moved))
    result.written = True
    return result


def _required_units() -> str:
    return ", ".join(UNIT_COLUMN_LABELS[c] for c in ("ma_don_vi", "ten_don_vi", "loai"))


def _example_message() -> str:
    return _(
        "Đây là dòng ví dụ của tệp mẫu (mã bắt đầu bằng %(p)s): hãy xoá dòng này, hoặc thay bằng mã thật.",
        p=EXAMPLE_CODE_PREFIX,
    )


# -- officials -------------------------------------------------------------------------------------
def import_officials(
    session: Session,
    rows: list[dict],
    progress: Callable | None = None,
    today: date | None = None,
    *,
    confirm: Iterable[str] = (),
    dry_run: bool = False,
    expect_digest: str | None = None,
    actor=None,
    ip: str = "",
    invite: bool = True,
) -> ImportResult:
    """Officials from ``rows`` (see the module's docstring). Writing also gives every active official
    without an account one (``lms.auth.accounts.provide_accounts``: no password, an invitation e-mail
    queued when ``invite`` and there is an address), moves the unit-head role of an official who
    changes unit, and grants or ends it as the "Thủ trưởng đơn vị" column says; ``actor`` and ``ip``
    go to the audit log."""
    from lms.auth import accounts

    invite = invite and accounts.local_passwords()
    result, numbers, sheet = _start("officials", rows)
    lookups = _lookups()
    today = today or local_today()
    header = set(rows[0]) if rows else set()
    missing = []
    if "ma_don_vi" not in header:
        missing.append("ma_don_vi")
    if "ten" not in header and "ho_ten" not in header:
        missing.append("ho_ten")
    if missing:
        result.errors.append(
            RowError(
                result.header_row,
                ", ".join(OFFICIAL_COLUMN_LABELS[c] for c in missing),
                _(
                    "Thiếu cột bắt buộc. Dòng tiêu đề phải có cột “Mã đơn vị” và “Họ và tên” "
                    "(hoặc ba cột “Họ”, “Tên đệm”, “Tên”)."
                ),
                sheet,
            )
        )
        return result
    units = {u.code: u for u in session.scalars(select(Unit))}
    units_by_id = {u.id: u for u in units.values()}
    seen_codes: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    parsed = []
    for i, row in zip(numbers, rows, strict=True):
        before = len(result.errors)

        def err(col, msg, i=i):
            result.errors.append(RowError(i, OFFICIAL_COLUMN_LABELS.get(col, col), msg, sheet))

        code = _text(row.get("ma_can_bo")).upper() or None
        if code:
            if _is_example(code):
                err("ma_can_bo", _example_message())
            elif len(code) > 32:
                err("ma_can_bo", _("Mã cán bộ dài quá 32 ký tự."))
            elif code in seen_codes:
                err("ma_can_bo", _("Mã %(c)s bị trùng với dòng %(r)d.", c=code, r=seen_codes[code]))
            else:
                seen_codes[code] = i
        family, middle, given = (_text(row.get(k)) for k in ("ho", "ten_dem", "ten"))
        if not given and _text(row.get("ho_ten")):
            family, middle, given = split_full_name(_text(row.get("ho_ten")))
        if not given:
            err("ten", _("Thiếu tên (hoặc họ và tên) của cán bộ."))
        for col, value in (("ho", family), ("ten_dem", middle), ("ten", given)):
            if len(value) > 80:
                err(col, _("Quá dài (tối đa 80 ký tự)."))
        email = _text(row.get("email")).lower() or None
        if email:
            try:
                email = validate_email(email, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                err("email", _("Địa chỉ thư điện tử “%(v)s” không hợp lệ.", v=email))
                email = None
            else:
                if email in seen_emails:
                    err("email", _("Thư điện tử %(e)s bị trùng với dòng %(r)d.", e=email, r=seen_emails[email]))
                else:
                    seen_emails[email] = i
        if not code and not email:
            err("ma_can_bo", _("Cần có mã cán bộ hoặc thư điện tử để nhận diện người này khi nhập lại."))
        unit_code = _text(row.get("ma_don_vi")).upper()
        unit = units.get(unit_code)
        if not unit_code:
            err("ma_don_vi", _("Thiếu mã đơn vị."))
        elif _is_example(unit_code):
            err("ma_don_vi", _example_message())
        elif unit is None:
            err("ma_don_vi", _("Không có đơn vị mã “%(c)s”. Hãy nhập danh sách đơn vị trước.", c=unit_code))
        values = {}
        for col, key, default in (
            ("chuc_vu", "position", "specialist"),
            ("phan_loai", "category", "cong_chuc"),
            ("cap", "level", None),
        ):
            raw = _text(row.get(col))
            if not raw:
                values[key] = default
                continue
            value = lookups[key].get(fold(raw))
            if value is None:
                choices = ", ".join(
                    str(m.label) for m in {"position": Position, "category": Category, "level": Level}[key]
                )
                err(col, _("Giá trị “%(v)s” không hợp lệ. Chọn một trong: %(c)s.", v=raw, c=choices))
            values[key] = value
        birth_year = _birth(row, today, err)
        active = _truthy(_text(row.get("dang_cong_tac")))
        if active is None:
            err("dang_cong_tac", _("Ghi “có” hoặc “không”."))
        head = _truthy(_text(row.get("thu_truong"))) if _text(row.get("thu_truong")) else None
        if _text(row.get("thu_truong")) and head is None:
            err("thu_truong", _("Ghi “có” (là thủ trưởng đơn vị), “không”, hoặc để trống."))
        try:
            phone, warning = _phone(row.get("dien_thoai"))
        except ValueError as exc:
            err("dien_thoai", str(exc))
            phone, warning = "", None
        if warning:
            result.warnings.append(RowError(i, OFFICIAL_COLUMN_LABELS["dien_thoai"], warning, sheet))
        parsed.append(
            dict(
                row=i,
                bad=len(result.errors) > before,
                code=code,
                family=family,
                middle=middle,
                given=given,
                email=email,
                phone=phone,
                unit=unit,
                birth_year=birth_year,
                active=active,
                head=head,
                **values,
            )
        )

    # match existing officials: code first, then e-mail; an e-mail owned by another person is an error
    by_code = _officials_by(session, Official.code, list(seen_codes))
    by_email = _officials_by(session, Official.email, list(seen_emails))
    known_ids = sorted({o.id for o in by_code.values()} | {o.id for o in by_email.values()})
    with_account = set(accounts.accounts_of_ids(session, known_ids))
    heads = accounts.unit_head_ids(session, known_ids)
    head_label = OFFICIAL_COLUMN_LABELS["thu_truong"]
    plan = []
    for p in parsed:
        i = p["row"]
        target = by_code.get(p["code"]) if p["code"] else None
        problem = None
        if target is None and p["email"]:
            target = by_email.get(p["email"])
            if target is not None and p["code"] and target.code and target.code != p["code"]:
                problem = _("Thư điện tử này đã thuộc cán bộ mã %(c)s.", c=target.code)
        elif target is not None and p["email"]:
            owner = by_email.get(p["email"])
            if owner is not None and owner.id != target.id:
                problem = _("Thư điện tử này đã thuộc một cán bộ khác.")
        if problem:
            result.errors.append(RowError(i, OFFICIAL_COLUMN_LABELS["email"], problem, sheet))
            p["bad"] = True
        name = join_name(p["family"], p["middle"], p["given"])
        label = " ".join(filter(None, [p["code"] or (target.code if target else None), name]))
        if p["bad"]:
            result.plans.append(RowPlan(i, "refused", label))
            continue
        plan.append((target, p))
        if p["active"] and (target is None or target.id not in with_account):
            result.new_accounts += 1
            result.invitations += bool(invite and (p["email"] or (target.email if target else None)))
        if target is None:
            p["head_change"] = bool(p["head"])
            result.plans.append(RowPlan(i, "new", label, _diff([(head_label, False, True)]) if p["head"] else []))
            result.created += 1
            continue
        level = Level(p["level"]) if p["level"] else _default_level(p["unit"])
        old_unit = units_by_id.get(target.unit_id)
        changes = _diff(
            [
                (OFFICIAL_COLUMN_LABELS["ho_ten"], target.full_name, name),
                (OFFICIAL_COLUMN_LABELS["ma_don_vi"], _unit_label(old_unit), _unit_label(p["unit"])),
                (OFFICIAL_COLUMN_LABELS["email"], target.email or "", p["email"] or target.email or ""),
                (OFFICIAL_COLUMN_LABELS["dien_thoai"], target.phone or "", p["phone"]),
                (OFFICIAL_COLUMN_LABELS["chuc_vu"], target.position, Position(p["position"])),
                (OFFICIAL_COLUMN_LABELS["phan_loai"], target.category, Category(p["category"])),
                (OFFICIAL_COLUMN_LABELS["cap"], target.level, level),
                (OFFICIAL_COLUMN_LABELS["nam_sinh"], target.birth_year, p["birth_year"]),
                (OFFICIAL_COLUMN_LABELS["dang_cong_tac"], target.active, p["active"]),
                (head_label, target.id in heads, target.id in heads if p["head"] is None else p["head"]),
            ]
        )
        p["head_change"] = p["head"] is not None and p["head"] != (target.id in heads)
        row_plan = RowPlan(i, "updated" if changes else "unchanged", label, changes)
        result.plans.append(row_plan)
        if changes:
            result.updated += 1
        else:
            result.unchanged += 1
        if target.full_name != name:
            result.renames.append(row_plan)
    if result.renames:
        result.needs.append("renames")
    if not _finish(result, confirm, expect_digest) or dry_run:
        return result
    saved, moves = [], []
    for n, (target, p) in enumerate(plan, start=1):
        if target is None:
            target = Official()
        else:
            moves.append((target, target.unit_id))
        target.code = p["code"] or target.code
        target.family_name, target.middle_name, target.given_name = p["family"], p["middle"], p["given"]
        target.email = p["email"] or target.email
        target.phone = p["phone"]
        target.unit_id = p["unit"].id
        target.position = Position(p["position"])
        target.category = Category(p["category"])
        target.level = Level(p["level"]) if p["level"] else _default_level(p["unit"])
        target.birth_year = p["birth_year"]
        target.active = p["active"]
        save_official(session, target, notify=False, flush=False)
        saved.append(target)
        if n % 1_000 == 0:
            session.flush()  # the ORM inserts a thousand new officials in a few statements
        if progress:
            progress(n)
    notify_officials_changed(session, saved)  # once for the whole file (flushes the rest)
    # accounts follow the officials: created for those without one, unit-head roles moved and set
    from lms.time import utcnow

    accounts.provide_accounts(session, saved, utcnow(), invite=invite, actor=actor, ip=ip)
    accounts.follow_unit_moves(session, moves, actor, ip)
    for target, p in zip(saved, [p for _t, p in plan], strict=True):
        if p.get("head_change"):
            accounts.set_unit_head(session, actor, target, bool(p["head"]), ip)
    result.written = True
    return result


def _officials_by(session: Session, column, values: list[str]) -> dict[str, Official]:
    found = {}
    for start in range(0, len(values), 5_000):  # bounded IN lists, whatever the file's size
        chunk = values[start : start + 5_000]
        found.update({getattr(o, column.key): o for o in session.scalars(select(Official).where(column.in_(chunk)))})
    return found


def _unit_label(unit: Unit | None) -> str:
    return f"{unit.code} ({unit.name})" if unit is not None else ""


def _birth(row: dict, today: date, err: Callable) -> int | None:
    """The birth year, from "Năm sinh" (a year, or a date) and/or "Ngày sinh" (a date); they must agree."""
    years = {}
    raw_year, raw_day = row.get("nam_sinh"), row.get("ngay_sinh")
    if _text(raw_year):
        try:
            years["nam_sinh"] = _birth_year(raw_year, today)
        except ValueError:
            err("nam_sinh", _("Năm sinh “%(v)s” phải là năm (ví dụ 1975) hoặc ngày (27/03/1975).", v=_text(raw_year)))
    if _text(raw_day):
        try:
            years["ngay_sinh"] = _parse_date(raw_day).year
        except ValueError:
            err("ngay_sinh", _("Ngày sinh “%(v)s” không đúng dạng ngày/tháng/năm, ví dụ 27/03/1975.", v=_text(raw_day)))
    if len(years) == 2 and years["nam_sinh"] != years["ngay_sinh"]:
        err("nam_sinh", _("Năm sinh %(y)d khác năm của ngày sinh (%(d)d).", y=years["nam_sinh"], d=years["ngay_sinh"]))
        return None
    for col, year in years.items():
        if not 1930 <= year <= today.year - 15:
            err(col, _("Năm sinh %(v)d không hợp lý.", v=year))
            return None
    return next(iter(years.values()), None)


def _default_level(unit: Unit) -> Level:
    return {UnitKind.HUYEN: Level.HUYEN, UnitKind.XA: Level.XA}.get(unit.kind, Level.TINH)


# -- templates -------------------------------------------------------------------------------------
# The example rows use codes that no unit or official can have (``EXAMPLE_CODE_PREFIX``): a template
# imported unchanged is refused row by row instead of overwriting real people.
OFFICIAL_EXAMPLES = [
    [
        "VIDU-000001",
        "Nguyễn",
        "Thị Thủy",
        "Hằng",
        "",
        "vidu.hang@example.com",
        "0912345678",
        "VIDU-SO",
        "Chuyên viên",
        "Công chức",
        "Cấp tỉnh",
        "1975",
        "có",
        "không",
    ],
    [
        "VIDU-000002",
        "",
        "",
        "",
        "Trần Văn Bình",
        "vidu.binh@example.com",
        "",
        "VIDU-HUYEN",
        "Văn thư",
        "Công chức",
        "Cấp huyện",
        "1968",
        "có",
        "có",
    ],
]
UNIT_EXAMPLES = [
    ["VIDU-SO", "Sở Thông tin và Truyền thông (ví dụ)", "Sở, ban, ngành", "", "", ""],
    ["VIDU-HUYEN", "Huyện Tam Đảo (ví dụ)", "Huyện, thị xã, thành phố", "", "", "2025-07-01"],
]


def template_rows(kind: str) -> tuple[list[str], list[list[str]]]:
    if kind == "units":
        return [UNIT_COLUMN_LABELS[c] for c in UNIT_COLUMNS], UNIT_EXAMPLES
    return [OFFICIAL_COLUMN_LABELS[c] for c in OFFICIAL_COLUMNS], OFFICIAL_EXAMPLES


def template_csv(kind: str) -> bytes:
    header, examples = template_rows(kind)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(examples)
    return buf.getvalue().encode("utf-8-sig")


def template_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, examples = template_rows(kind)
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sach"
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in examples:
        ws.append(row)
    for col in ws.columns:
        ws.column_dimensions[col[0].column_letter].width = max(12, len(str(col[0].value)) + 4)
        if col[0].value == OFFICIAL_COLUMN_LABELS["dien_thoai"]:
            for cell in col:
                cell.number_format = "@"  # text: a phone number keeps its leading 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def error_text(e: RowError) -> str:
    if e.sheet:
        return _("Trang “%(s)s”, dòng %(r)d, cột “%(c)s”: %(m)s", s=e.sheet, r=e.row, c=e.column, m=e.message)
    return _("Dòng %(r)d, cột “%(c)s”: %(m)s", r=e.row, c=e.column, m=e.message)


def iter_errors_text(errors: Iterable[RowError]) -> list[str]:
    return [error_text(e) for e in errors]
