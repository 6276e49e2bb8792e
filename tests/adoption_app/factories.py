"""Builders for usage tests: example files (CSV/XLSX bytes) and a small province worked by hand."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from adoption.imports import COLUMNS, read_usage_file
from adoption.models import System
from adoption.services import import_usage
from lms.org.models import Category, UnitKind
from tests.factories import make_official, make_unit


def usage_csv(system: System, rows: list[dict], header: list[str] | None = None) -> bytes:
    """A CSV with our template's headers (or ``header``), rows given by column key."""
    columns = COLUMNS[system]
    header = header or [c.label for c in columns]
    keys = [c.key for c in columns]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(k, "") for k in keys])
    return buf.getvalue().encode("utf-8-sig")


def usage_xlsx(system: System, rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    columns = COLUMNS[system]
    wb = Workbook()
    ws = wb.active
    ws.append([c.label for c in columns])
    for row in rows:
        ws.append([row.get(c.key) for c in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run_import(session, system: System, month: date, rows: list[dict], today: date, actor=None):
    parsed = read_usage_file(system, month, "usage.csv", usage_csv(system, rows), max_rows=50_000)
    assert parsed.ok, parsed.errors
    return import_usage(session, parsed, "usage.csv", actor=actor, today=today)


@dataclass
class Province:
    units: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)


def small_province(session) -> Province:
    """Four units in two blocks, eleven active officials of four categories, one who left.

    A (sở): a1 a2 công chức, a3 viên chức, a4 cán bộ; B (sở): b1 công chức, b2 hợp đồng;
    C (xã): c1 cán bộ, c2 c3 công chức; D (sự nghiệp, block of the sở): d1 d2 viên chức.
    """
    p = Province()
    p.units["A"] = make_unit(session, code="SO-A", name="Sở Thử Nghiệm A", kind=UnitKind.SO_BAN_NGANH)
    p.units["B"] = make_unit(session, code="SO-B", name="Sở Thử Nghiệm B", kind=UnitKind.SO_BAN_NGANH)
    p.units["C"] = make_unit(session, code="XA-C", name="Xã Đồng Cỏ", kind=UnitKind.XA)
    p.units["D"] = make_unit(session, code="SN-D", name="Trung tâm Dữ liệu D", kind=UnitKind.SU_NGHIEP)
    specs = {
        "a1": ("A", Category.CONG_CHUC, "Lê", "Văn", "An"),
        "a2": ("A", Category.CONG_CHUC, "Trần", "Thị", "Bình"),
        "a3": ("A", Category.VIEN_CHUC, "Nguyễn", "Thị Thủy", "Hằng"),
        "a4": ("A", Category.CAN_BO, "Phạm", "Văn", "Cường"),
        "b1": ("B", Category.CONG_CHUC, "Đỗ", "Văn", "Dũng"),
        "b2": ("B", Category.HOP_DONG, "Vũ", "Thị", "Giang"),
        "c1": ("C", Category.CAN_BO, "Hoàng", "Văn", "Hải"),
        "c2": ("C", Category.CONG_CHUC, "Bùi", "Thị", "Lan"),
        "c3": ("C", Category.CONG_CHUC, "Đặng", "Văn", "Minh"),
        "d1": ("D", Category.VIEN_CHUC, "Ngô", "Thị", "Nga"),
        "d2": ("D", Category.VIEN_CHUC, "Dương", "Văn", "Phúc"),
    }
    for key, (unit, category, family, middle, given) in specs.items():
        p.people[key] = make_official(
            session,
            p.units[unit],
            category=category,
            family_name=family,
            middle_name=middle,
            given_name=given,
            email=f"{key}@thu.gov.vn",
            code=f"CB-{key.upper()}",
        )
    p.people["gone"] = make_official(session, p.units["A"], active=False, email="gone@thu.gov.vn", code="CB-GONE")
    session.commit()
    return p


def give_certificate(session, official, topic: str, valid_until: date | None = None) -> None:
    """A valid certificate of ``topic`` in the competency summary (what the staff states read)."""
    from competency.models import CompetencySummary, cert_until_column

    summary = session.get(CompetencySummary, official.id)
    if summary is None:
        summary = CompetencySummary(official_id=official.id, participated=1, n_best=0)
        session.add(summary)
    setattr(summary, cert_until_column(topic).key, valid_until or date(2099, 12, 31))
    session.flush()
