"""Bulk import of units and officials from CSV or XLSX.

The whole file is read and validated first; if any row is wrong nothing is written and every
error is reported by row and column. Otherwise every row is written in the caller's transaction.
Re-importing the same file updates instead of duplicating (match on the official code, then on
the e-mail; units on their code).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.org.models import Category, Level, Official, Position, Unit, UnitKind
from lms.org.services import OrgError, notify_officials_changed, save_official, save_unit, staff_below
from lms.text import clean_text, fold, split_full_name
from lms.time import local_today

MAX_ROWS_DEFAULT = 50_000


class ImportFileError(OrgError):
    """The file as a whole cannot be read (encoding, format, size, empty)."""


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number as the user sees it in Excel (header = row 1)
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# -- reading files ---------------------------------------------------------------------------------
def header_key(name: str) -> str:
    return "_".join(fold(name).replace("/", " ").replace("-", " ").split())


def read_table(filename: str, data: bytes, max_rows: int = MAX_ROWS_DEFAULT) -> list[dict[str, str]]:
    """Rows as dicts keyed by normalised header (``Mã đơn vị`` -> ``ma_don_vi``)."""
    name = (filename or "").lower()
    if not data or not data.strip():
        raise ImportFileError(_("Tệp trống, không có dữ liệu."))
    if name.endswith(".xlsx"):
        rows = _read_xlsx(data)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _read_csv(data)
    else:
        raise ImportFileError(_("Chỉ nhận tệp .csv hoặc .xlsx."))
    rows = [r for r in rows if any(clean_text(v) for v in r)]
    if not rows:
        raise ImportFileError(_("Tệp trống, không có dữ liệu."))
    header = [header_key(h) for h in rows[0]]
    if len(rows) < 2:
        raise ImportFileError(_("Tệp chỉ có dòng tiêu đề, chưa có dòng dữ liệu nào."))
    if len(rows) - 1 > max_rows:
        raise ImportFileError(
            _("Tệp có %(n)d dòng, vượt quá giới hạn %(m)d dòng mỗi lần nhập.", n=len(rows) - 1, m=max_rows)
        )
    out = []
    for values in rows[1:]:
        record = {}
        for i, key in enumerate(header):
            if key:
                record[key] = clean_text(values[i]) if i < len(values) and values[i] is not None else ""
        out.append(record)
    return out


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "Tệp không ở bảng mã UTF-8. Trong Excel, hãy chọn Lưu thành → "
                '"CSV UTF-8 (phân cách bằng dấu phẩy)" rồi tải lên lại.'
            )
        ) from None
    if "\x00" in text:
        raise ImportFileError(_("Tệp có ký tự không hợp lệ (có thể là tệp nhị phân, không phải CSV)."))
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise ImportFileError(_("Không đọc được tệp CSV: %(e)s", e=str(exc))) from None


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(_("Không mở được tệp Excel. Hãy kiểm tra tệp có đúng định dạng .xlsx.")) from None
    try:
        ws = wb.worksheets[0]
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in row])
        return rows
    finally:
        wb.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- value parsing ---------------------------------------------------------------------------------
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


def _parse_date(value: str) -> date | None:
    value = clean_text(value)
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar day, no time of day
        except ValueError:
            continue
    raise ValueError(value)


def _truthy(value: str) -> bool | None:
    v = fold(value)
    if v in {"", "co", "x", "1", "true", "yes", "dang cong tac", "con"}:
        return True
    if v in {"khong", "0", "false", "no", "nghi", "da nghi"}:
        return False
    return None


# -- units -----------------------------------------------------------------------------------------
UNIT_COLUMNS = ["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cha", "hieu_luc_tu", "hieu_luc_den"]
UNIT_COLUMN_LABELS = {
    "ma_don_vi": "Mã đơn vị",
    "ten_don_vi": "Tên đơn vị",
    "loai": "Loại",
    "ma_don_vi_cha": "Mã đơn vị cha",
    "hieu_luc_tu": "Hiệu lực từ",
    "hieu_luc_den": "Hiệu lực đến",
}


def import_units(session: Session, rows: list[dict[str, str]], progress: Callable | None = None) -> ImportResult:
    result = ImportResult(rows=len(rows))
    lookups = _lookups()
    missing = [c for c in ("ma_don_vi", "ten_don_vi", "loai") if rows and c not in rows[0]]
    if missing:
        result.errors.append(RowError(1, ", ".join(UNIT_COLUMN_LABELS[c] for c in missing), _("Thiếu cột bắt buộc.")))
        return result
    existing = {u.code: u for u in session.scalars(select(Unit))}
    in_file: dict[str, int] = {}
    parsed = []
    for i, row in enumerate(rows, start=2):
        err = lambda col, msg, i=i: result.errors.append(RowError(i, UNIT_COLUMN_LABELS.get(col, col), msg))  # noqa: E731
        code = clean_text(row.get("ma_don_vi")).upper()
        name = clean_text(row.get("ten_don_vi"))
        if not code:
            err("ma_don_vi", _("Thiếu mã đơn vị."))
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
        kind = lookups["kind"].get(fold(row.get("loai", "")))
        if kind is None:
            err(
                "loai",
                _("Loại đơn vị “%(v)s” không hợp lệ. Dùng: sở/ban/ngành, huyện, xã, sự nghiệp.", v=row.get("loai", "")),
            )
        dates = {}
        for col in ("hieu_luc_tu", "hieu_luc_den"):
            try:
                dates[col] = _parse_date(row.get(col, ""))
            except ValueError:
                err(col, _("Ngày “%(v)s” không đúng dạng ngày/tháng/năm.", v=row.get(col)))
        parsed.append((i, code, name, kind, clean_text(row.get("ma_don_vi_cha")).upper(), dates))
    for i, code, _name, _kind, parent, _dates in parsed:
        if parent and parent not in existing and parent not in in_file:
            result.errors.append(
                RowError(i, UNIT_COLUMN_LABELS["ma_don_vi_cha"], _("Không có đơn vị cha mã %(c)s.", c=parent))
            )
        if parent and parent == code:
            result.errors.append(
                RowError(i, UNIT_COLUMN_LABELS["ma_don_vi_cha"], _("Đơn vị không thể là cha của chính nó."))
            )
    if result.errors:
        return result
    units = dict(existing)
    old_parents = {code: unit.parent_id for code, unit in existing.items()}
    for n, (_i, code, name, kind, _parent, dates) in enumerate(parsed, start=1):
        unit = units.get(code)
        if unit is None:
            unit = Unit(code=code)
            units[code] = unit
            result.created += 1
        else:
            result.updated += 1
        unit.name, unit.kind = name, UnitKind(kind)
        unit.valid_from, unit.valid_until = dates.get("hieu_luc_tu"), dates.get("hieu_luc_den")
        save_unit(session, unit)
        if progress:
            progress(n)
    for _i, code, _name, _kind, parent, _dates in parsed:
        units[code].parent_id = units[parent].id if parent else None
    session.flush()
    moved = [u.id for code, u in units.items() if code in old_parents and old_parents[code] != u.parent_id]
    if moved:  # a unit placed under another one: its staff (and its sub-units') now belong there too
        notify_officials_changed(session, staff_below(session, moved))
    return result


# -- officials -------------------------------------------------------------------------------------
OFFICIAL_COLUMNS = [
    "ma_can_bo", "ho", "ten_dem", "ten", "ho_ten", "email", "dien_thoai", "ma_don_vi",
    "chuc_vu", "phan_loai", "cap", "nam_sinh", "dang_cong_tac",
]  # fmt: skip
OFFICIAL_COLUMN_LABELS = {
    "ma_can_bo": "Mã cán bộ",
    "ho": "Họ",
    "ten_dem": "Tên đệm",
    "ten": "Tên",
    "ho_ten": "Họ và tên",
    "email": "Email",
    "dien_thoai": "Điện thoại",
    "ma_don_vi": "Mã đơn vị",
    "chuc_vu": "Chức vụ",
    "phan_loai": "Phân loại",
    "cap": "Cấp",
    "nam_sinh": "Năm sinh",
    "dang_cong_tac": "Đang công tác",
}
OFFICIAL_ALIASES = {
    "ho_va_ten": "ho_ten",
    "thu_dien_tu": "email",
    "e_mail": "email",
    "so_dien_thoai": "dien_thoai",
    "ten_goi": "ten",
}


def import_officials(
    session: Session, rows: list[dict[str, str]], progress: Callable | None = None, today: date | None = None
) -> ImportResult:
    result = ImportResult(rows=len(rows))
    lookups = _lookups()
    today = today or local_today()
    rows = [{OFFICIAL_ALIASES.get(k, k): v for k, v in r.items()} for r in rows]
    header = set(rows[0]) if rows else set()
    missing = []
    if "ma_don_vi" not in header:
        missing.append("ma_don_vi")
    if "ten" not in header and "ho_ten" not in header:
        missing.append("ho_ten")
    if missing:
        result.errors.append(
            RowError(1, ", ".join(OFFICIAL_COLUMN_LABELS[c] for c in missing), _("Thiếu cột bắt buộc."))
        )
        return result
    units = {u.code: u for u in session.scalars(select(Unit))}
    seen_codes: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    parsed = []
    for i, row in enumerate(rows, start=2):

        def err(col, msg, i=i):
            result.errors.append(RowError(i, OFFICIAL_COLUMN_LABELS.get(col, col), msg))

        code = clean_text(row.get("ma_can_bo")).upper() or None
        if code:
            if len(code) > 32:
                err("ma_can_bo", _("Mã cán bộ dài quá 32 ký tự."))
            elif code in seen_codes:
                err("ma_can_bo", _("Mã %(c)s bị trùng với dòng %(r)d.", c=code, r=seen_codes[code]))
            else:
                seen_codes[code] = i
        family, middle, given = (clean_text(row.get(k)) for k in ("ho", "ten_dem", "ten"))
        if not given and row.get("ho_ten"):
            family, middle, given = split_full_name(row["ho_ten"])
        if not given:
            err("ten", _("Thiếu tên (hoặc họ và tên) của cán bộ."))
        for col, value in (("ho", family), ("ten_dem", middle), ("ten", given)):
            if len(value) > 80:
                err(col, _("Quá dài (tối đa 80 ký tự)."))
        email = clean_text(row.get("email")).lower() or None
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
        unit_code = clean_text(row.get("ma_don_vi")).upper()
        unit = units.get(unit_code)
        if not unit_code:
            err("ma_don_vi", _("Thiếu mã đơn vị."))
        elif unit is None:
            err("ma_don_vi", _("Không có đơn vị mã “%(c)s”. Hãy nhập danh sách đơn vị trước.", c=unit_code))
        values = {}
        for col, key, default in (
            ("chuc_vu", "position", "specialist"),
            ("phan_loai", "category", "cong_chuc"),
            ("cap", "level", None),
        ):
            raw = clean_text(row.get(col))
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
        birth_year = None
        raw_year = clean_text(row.get("nam_sinh"))
        if raw_year:
            try:
                birth_year = int(raw_year)
            except ValueError:
                err("nam_sinh", _("Năm sinh “%(v)s” phải là số, ví dụ 1975.", v=raw_year))
            else:
                if not 1930 <= birth_year <= today.year - 15:
                    err("nam_sinh", _("Năm sinh %(v)d không hợp lý.", v=birth_year))
        active = _truthy(row.get("dang_cong_tac", ""))
        if active is None:
            err("dang_cong_tac", _("Ghi “có” hoặc “không”."))
        phone = clean_text(row.get("dien_thoai"))
        if phone and (len(phone) > 32 or not all(c in "0123456789 +.-()" for c in phone)):
            err("dien_thoai", _("Số điện thoại “%(v)s” không hợp lệ.", v=phone))
        parsed.append(
            dict(
                code=code,
                family=family,
                middle=middle,
                given=given,
                email=email,
                phone=phone,
                unit=unit,
                birth_year=birth_year,
                active=active,
                **values,
            )
        )
    if result.errors:
        return result

    # match existing officials: code first, then e-mail; an e-mail owned by another person is an error
    by_code = {o.code: o for o in session.scalars(select(Official).where(Official.code.in_(list(seen_codes))))}
    by_email = {o.email: o for o in session.scalars(select(Official).where(Official.email.in_(list(seen_emails))))}
    plan = []
    for i, p in enumerate(parsed, start=2):
        target = by_code.get(p["code"]) if p["code"] else None
        if target is None and p["email"]:
            target = by_email.get(p["email"])
            if target is not None and p["code"] and target.code and target.code != p["code"]:
                result.errors.append(
                    RowError(
                        i,
                        OFFICIAL_COLUMN_LABELS["email"],
                        _("Thư điện tử này đã thuộc cán bộ mã %(c)s.", c=target.code),
                    )
                )
        elif target is not None and p["email"]:
            owner = by_email.get(p["email"])
            if owner is not None and owner.id != target.id:
                result.errors.append(
                    RowError(i, OFFICIAL_COLUMN_LABELS["email"], _("Thư điện tử này đã thuộc một cán bộ khác."))
                )
        plan.append((target, p))
    if result.errors:
        return result
    saved = []
    for n, (target, p) in enumerate(plan, start=1):
        if target is None:
            target = Official()
            result.created += 1
        else:
            result.updated += 1
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
        save_official(session, target, notify=False)
        saved.append(target)
        if progress:
            progress(n)
    notify_officials_changed(session, saved)  # once for the whole file
    return result


def _default_level(unit: Unit) -> Level:
    return {UnitKind.HUYEN: Level.HUYEN, UnitKind.XA: Level.XA}.get(unit.kind, Level.TINH)


# -- templates -------------------------------------------------------------------------------------
OFFICIAL_EXAMPLES = [
    [
        "VP-000001",
        "Nguyễn",
        "Thị Thủy",
        "Hằng",
        "",
        "hang.nguyen@vinhphuc.gov.vn",
        "0912345678",
        "STTTT",
        "Chuyên viên",
        "Công chức",
        "Cấp tỉnh",
        "1975",
        "có",
    ],
    [
        "VP-000002",
        "",
        "",
        "",
        "Trần Văn Bình",
        "binh.tran@vinhphuc.gov.vn",
        "",
        "H-TAMDAO",
        "Văn thư",
        "Công chức",
        "Cấp huyện",
        "1968",
        "có",
    ],
]
UNIT_EXAMPLES = [
    ["STTTT", "Sở Thông tin và Truyền thông", "Sở, ban, ngành", "", "", ""],
    ["H-TAMDAO", "Huyện Tam Đảo", "Huyện, thị xã, thành phố", "", "", "2025-07-01"],
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
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def iter_errors_text(errors: Iterable[RowError]) -> list[str]:
    return [_("Dòng %(r)d, cột “%(c)s”: %(m)s", r=e.row, c=e.column, m=e.message) for e in errors]
