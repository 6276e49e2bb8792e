"""The monthly report for the provincial leadership, as PDF (WeasyPrint) and XLSX.

In the style of the provincial report: a heading block, numbered sections, tables; the month next to
the previous month and the same month a year earlier; the units that improved and those that fell
back. Numbers in Vietnamese formats (``1.234``, ``45,5%``); in the XLSX they stay numbers, with
number formats, so Excel shows them in the reader's own format.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from adoption import indicators as ind
from adoption import links
from adoption.months import label


@dataclass(frozen=True)
class ReportLine:
    label: str
    now: tuple[int, int] | None  # (part, whole) or None for a ratio of documents
    shares: tuple[float | None, float | None, float | None]  # this month, previous, a year earlier
    counts: tuple[tuple[int, int], ...] = ()  # (part, whole) for the three months

    @property
    def change(self) -> float | None:
        now, before = self.shares[0], self.shares[1]
        return None if now is None or before is None else 100 * (now - before)


@dataclass(frozen=True)
class ReportData:
    month: date
    previous: date
    last_year: date
    today: date
    current: ind.MonthIndicators
    lines: tuple[ReportLine, ...]
    blocks: tuple[tuple[str, ind.Figures], ...]
    categories: tuple[ind.CategoryFigures, ...]
    improved: tuple[ind.UnitMove, ...]
    fell_back: tuple[ind.UnitMove, ...]
    trend: tuple[ind.MonthIndicators, ...]
    excluded: tuple[str, ...]


def headline_lines(figures: list[ind.MonthIndicators]) -> tuple[ReportLine, ...]:
    """The report's five indicators over (this month, previous, a year earlier)."""

    def line(text, part, whole, share):
        return ReportLine(
            text,
            (part(figures[0].total), whole(figures[0].total)),
            tuple(share(f.total) for f in figures),
            tuple((part(f.total), whole(f.total)) for f in figures),
        )

    return (
        line(
            _("Đơn vị sử dụng phần mềm quản lý văn bản và điều hành"),
            lambda t: t.dms_units,
            lambda t: t.units,
            lambda t: t.dms_share,
        ),
        line(
            _("Văn bản đến được xử lý trên phần mềm"),
            lambda t: t.dms_processed,
            lambda t: t.dms_received,
            lambda t: t.incoming_share,
        ),
        line(
            _("Văn bản đi được phát hành điện tử có ký số"),
            lambda t: t.dms_signed,
            lambda t: t.dms_sent,
            lambda t: t.outgoing_share,
        ),
        line(
            _("Cổng thông tin thành phần cập nhật trong 30 ngày"),
            lambda t: t.portals_fresh,
            lambda t: t.portals,
            lambda t: t.portal_share,
        ),
        line(
            _("Cán bộ sử dụng thư điện tử công vụ"),
            lambda t: t.mail_users,
            lambda t: t.officials,
            lambda t: t.mail_share,
        ),
    )


def report_data(session: Session, month: date, filters: ind.Filters, today: date) -> ReportData:
    previous, last_year = ind.comparison_months(month)
    trend = [m for m in ind.trend_months(session, upto=month, limit=13)]
    figures = ind.indicators_for(session, sorted({month, previous, last_year, *trend}), filters, today)
    improved, fell_back = ind.unit_changes(session, month)
    current = figures[month]
    return ReportData(
        month=month,
        previous=previous,
        last_year=last_year,
        today=today,
        current=current,
        lines=headline_lines([figures[month], figures[previous], figures[last_year]]),
        blocks=current.blocks,
        categories=current.categories,
        improved=tuple(improved[:10]),
        fell_back=tuple(fell_back[:10]),
        trend=tuple(figures[m] for m in trend),
        excluded=filters.excluded,
    )


REPORT_CSS = """
@page { size: A4; margin: 20mm 15mm 20mm 30mm;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "Noto Serif", serif; font-size: 11pt; color: #000; line-height: 1.35; }
.heading { display: flex; justify-content: space-between; text-align: center; font-size: 10.5pt; }
.heading div { width: 48%; } .heading b { display: block; }
.date { text-align: right; font-style: italic; margin: 3mm 0 6mm; }
h1 { font-size: 14pt; text-align: center; margin: 4mm 0 1mm; }
p.subtitle { text-align: center; font-weight: bold; margin: 0 0 6mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0 3mm; }
th, td { border: 0.5pt solid #444; padding: 1mm 1.5mm; font-size: 9.5pt; vertical-align: top; }
th { background: #eef1f6; }
td.num { text-align: right; white-space: nowrap; }
p.note { font-size: 9.5pt; }
"""


def to_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = CSS(string=links.report_font_css() + REPORT_CSS, font_config=fonts)
    return HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)


def to_xlsx(data: ReportData) -> bytes:
    """One sheet per section; shares as numbers with a percent format, counts with a thousands one."""
    from flask import current_app
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Chỉ số")[:31]
    ws.append(
        [
            _(
                "Báo cáo tình hình sử dụng các ứng dụng công nghệ thông tin cốt lõi — tỉnh %(p)s",
                p=current_app.config.get("PROVINCE_NAME", ""),
            )
        ]
    )
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([_("Tháng %(m)s; số liệu lập ngày %(d)s", m=label(data.month), d=data.today.strftime("%d/%m/%Y"))])
    if data.excluded:
        ws.append([_("Không tính cán bộ thuộc: %(c)s", c=", ".join(_category(c) for c in data.excluded))])
    ws.append([])
    header = [
        _("Chỉ số"),
        _("Số lượng"),
        _("Trên tổng số"),
        _("Tháng %(m)s", m=label(data.month)),
        _("Tháng %(m)s", m=label(data.previous)),
        _("Tháng %(m)s", m=label(data.last_year)),
        _("Thay đổi so với tháng trước (điểm %)"),
    ]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = bold
    for line in data.lines:
        ws.append(
            [
                line.label,
                line.now[0],
                line.now[1],
                *line.shares,
                round(line.change, 1) if line.change is not None else None,
            ]
        )
        row = ws[ws.max_row]
        row[1].number_format = row[2].number_format = "#,##0"
        for cell in row[3:6]:
            cell.number_format = "0.0%"
        row[6].number_format = "+0.0;-0.0;0.0"
    _block_sheet(wb.create_sheet(_("Theo khối")[:31]), data, bold)
    _category_sheet(wb.create_sheet(_("Theo phân loại")[:31]), data, bold)
    _moves_sheet(wb.create_sheet(_("Đơn vị tăng, giảm")[:31]), data, bold)
    _trend_sheet(wb.create_sheet(_("Diễn biến")[:31]), data, bold)
    for sheet in wb.worksheets:
        sheet.column_dimensions["A"].width = 52
        for letter in "BCDEFG":
            sheet.column_dimensions[letter].width = 16
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _category(value: str) -> str:
    from lms.org.models import Category

    return Category(value).label


def _header(ws, names, bold) -> None:
    ws.append(names)
    for cell in ws[ws.max_row]:
        cell.font = bold


def _block_sheet(ws, data: ReportData, bold) -> None:
    _header(
        ws,
        [
            _("Khối"),
            _("Số đơn vị"),
            _("Đơn vị dùng phần mềm QLVB"),
            _("Cổng thông tin"),
            _("Cổng cập nhật trong 30 ngày"),
            _("Số cán bộ"),
            _("Cán bộ dùng thư công vụ"),
            _("Tỷ lệ dùng thư công vụ"),
        ],
        bold,
    )
    for block, f in data.blocks:
        ws.append(
            [
                links.block_label(block),
                f.units,
                f.dms_units,
                f.portals,
                f.portals_fresh,
                f.officials,
                f.mail_users,
                f.mail_share,
            ]
        )
        ws[ws.max_row][7].number_format = "0.0%"


def _category_sheet(ws, data: ReportData, bold) -> None:
    _header(
        ws,
        [
            _("Phân loại"),
            _("Số cán bộ"),
            _("Dùng thư công vụ"),
            _("Tỷ lệ"),
            _("Dùng phần mềm QLVB"),
            _("Tỷ lệ"),
            _("Ghi chú"),
        ],
        bold,
    )
    for c in data.categories:
        note = _("Không tính vào chỉ số chung") if c.excluded else ""
        ws.append([_category(c.category), c.officials, c.mail_users, c.mail_share, c.dms_users, c.dms_share, note])
        row = ws[ws.max_row]
        row[3].number_format = row[5].number_format = "0.0%"


def _moves_sheet(ws, data: ReportData, bold) -> None:
    _header(ws, [_("Đơn vị"), _("Khối"), _("Điểm sử dụng tháng này"), _("Tháng trước"), _("Thay đổi")], bold)
    for title, moves in ((_("Đơn vị tiến bộ"), data.improved), (_("Đơn vị giảm"), data.fell_back)):
        ws.append([title])
        ws[ws.max_row][0].font = bold
        for m in moves:
            ws.append([m.unit_name, links.block_label(m.block), m.score, m.previous, m.change])
            for cell in ws[ws.max_row][2:5]:
                cell.number_format = "0.0"


def _trend_sheet(ws, data: ReportData, bold) -> None:
    _header(
        ws,
        [
            _("Tháng"),
            _("Đơn vị dùng phần mềm QLVB"),
            _("Văn bản đến xử lý trên phần mềm"),
            _("Văn bản đi có ký số"),
            _("Cổng cập nhật trong 30 ngày"),
            _("Cán bộ dùng thư công vụ"),
        ],
        bold,
    )
    for f in data.trend:
        t = f.total
        ws.append([label(f.month), t.dms_share, t.incoming_share, t.outgoing_share, t.portal_share, t.mail_share])
        for cell in ws[ws.max_row][1:6]:
            cell.number_format = "0.0%"
