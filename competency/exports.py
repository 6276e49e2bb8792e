"""The tables of the ranking and of a unit's staff (written as CSV or XLSX by ``lms.exports``), and
the PDF ranking report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from flask_babel import gettext as _

from competency.rankings import RankedUnit, block_label
from competency.staff import StaffRow
from lms.topics import Topic

FONT_DIR = Path(__file__).resolve().parents[2] / "certificates" / "fonts"


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def ranking_table(units: list[RankedUnit], extra_columns=()) -> tuple[list[str], list[list]]:
    """``extra_columns``: (name, heading) of the registered parts of the index with a weight (a
    column each, their score 0-100; empty where a unit has no figure or a month's snapshot is shown)."""
    header = [
        _("Khối"),
        _("Hạng"),
        _("Mã đơn vị"),
        _("Đơn vị"),
        _("Số cán bộ"),
        _("Tỷ lệ tham gia (%)"),
        *[_("Có chứng nhận: %(t)s (%%)", t=t.label) for t in Topic],
        _("Điểm cao nhất bình quân"),
        *[_("%(l)s (0–100)", l=label) for _name, label in extra_columns],
        _("Chỉ số (0–100)"),
        _("Điểm"),
        _("Điểm tối đa"),
        _("Tỷ lệ so với tối đa (%)"),
        _("Thay đổi hạng"),
        _("Ghi chú"),
    ]
    rows = []
    for u in units:
        cov = u.coverage_map
        notes = []
        if u.is_top:
            notes.append(_("Dẫn đầu"))
        if u.is_bottom:
            notes.append(_("Cuối bảng"))
        if u.too_few:
            notes.append(_("Quá ít cán bộ để so sánh"))
        rows.append(
            [
                block_label(u.block),
                u.rank,
                u.unit_code,
                u.unit_name,
                u.officials,
                _pct(u.participation),
                *[_pct(cov[t.value]) if t.value in cov else None for t in Topic],
                round(u.avg_best, 1) if u.avg_best is not None else None,
                *[_score(u.extra_map.get(name)) for name, _label in extra_columns],
                u.index,
                u.points,
                u.max_points,
                u.percent,
                u.rank_change,
                "; ".join(notes),
            ]
        )
    return header, rows


def staff_table(rows: Iterable[StaffRow], status_label) -> tuple[list[str], Iterator[list]]:
    """The header and the lines (lazily: ``rows`` may be streamed from the database)."""
    header = [_("Mã"), _("Họ và tên")]
    for t in Topic:
        header += [f"{t.label}: " + _("tình trạng"), f"{t.label}: " + _("điểm cao nhất"), f"{t.label}: " + _("hết hạn")]
    header += [_("Số chủ đề có chứng nhận")]

    def lines():
        for r in rows:
            line = [r.code, r.full_name]
            for c in r.cells:
                line += [status_label(c.status), c.best_percent, c.cert_expires_on]  # a date cell in XLSX
            line.append(r.certified)
            yield line

    return header, lines()


def font_face_css() -> str:
    files = {
        ("normal", "normal"): "NotoSerif-Regular.ttf",
        ("bold", "normal"): "NotoSerif-Bold.ttf",
        ("normal", "italic"): "NotoSerif-Italic.ttf",
    }
    return "\n".join(
        f'@font-face {{ font-family: "Noto Serif"; font-weight: {w}; font-style: {s}; '
        f'src: url("{(FONT_DIR / f).as_uri()}") format("truetype"); }}'
        for (w, s), f in files.items()
    )


REPORT_CSS = """
@page { size: A4; margin: 16mm 14mm 16mm 14mm;
  @bottom-right { content: "Trang " counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "Noto Serif", serif; font-size: 10pt; color: #111; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; }
p.meta { text-align: center; margin: 0 0 4mm; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0; }
th, td { border: 0.5pt solid #666; padding: 1mm 1.5mm; font-size: 8.5pt; }
th { background: #eef1f6; }
td.num { text-align: right; }
svg { width: 100%; height: auto; }
.formula p { margin: 1mm 0; }
"""


def ranking_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = CSS(string=font_face_css() + REPORT_CSS, font_config=fonts)
    return HTML(string=html, base_url=str(FONT_DIR)).write_pdf(stylesheets=[css], font_config=fonts)


def dated_name(stem: str, today: date, ext: str) -> str:
    return f"{stem}-{today.isoformat()}.{ext}"
