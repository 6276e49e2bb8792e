"""Server-rendered SVG charts (no JavaScript, no CDN): a bar chart of the index by unit and a trend
chart (one line per unit over the monthly snapshots). Accessible: ``role="img"``, ``<title>`` and
``<desc>``; the pages print the same values as a table. Colours are SVG presentation attributes (not
``style=``), so the strict CSP allows them and WeasyPrint draws them in the PDF report.
"""

from __future__ import annotations

from datetime import date
from itertools import count

from markupsafe import Markup, escape

from lms.formatting import format_decimal

# text sizes in pixels at the chart's own width (no text under 14 px on screen, issue 16)
TICK_PX, LABEL_PX = 14, 15
PALETTE = ("#1f5fa8", "#b5471b", "#2e7d32", "#6a3d9a", "#8c6d00", "#00838f", "#ad1457", "#4e5b6e")
_ids = count(1)


def _num(value: float) -> str:
    return format_decimal(value, 1)  # the reader's decimal mark (the PDF report: Vietnamese)


def bar_chart(units, *, title: str, desc: str, width: int = 900, bar_height: int = 26, max_label: int = 40) -> Markup:
    """Horizontal bars, one per ``RankedUnit`` (in the given order), 0-100 scale with gridlines."""
    n = max(len(units), 1)
    label_w, right_pad, top, bottom = 390, 70, 32, 24
    plot_w = width - label_w - right_pad
    height = top + n * (bar_height + 8) + bottom
    uid = next(_ids)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="bc-t{uid} bc-d{uid}">',
        f'<title id="bc-t{uid}">{escape(title)}</title><desc id="bc-d{uid}">{escape(desc)}</desc>',
    ]
    for tick in range(0, 101, 20):
        x = label_w + plot_w * tick / 100
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - bottom + 4}" stroke="#c8ccd4" '
            f'stroke-width="1"/><text x="{x:.1f}" y="{top - 10}" font-size="{TICK_PX}" text-anchor="middle" '
            f'fill="#333">{tick}</text>'
        )
    for i, u in enumerate(units):
        y = top + i * (bar_height + 8)
        w = plot_w * max(0.0, min(100.0, u.index)) / 100
        name = u.unit_name if len(u.unit_name) <= max_label else u.unit_name[: max_label - 1] + "…"
        fill = "#b5471b" if u.is_bottom else ("#2e7d32" if u.is_top else "#1f5fa8")
        out.append(
            f'<text x="{label_w - 8}" y="{y + bar_height * 0.7:.1f}" font-size="{LABEL_PX}" text-anchor="end" '
            f'fill="#111">{u.rank}. {escape(name)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{fill}">'
            f"<title>{escape(u.unit_name)}: {_num(u.index)}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_height * 0.7:.1f}" font-size="{LABEL_PX}" '
            f'fill="#111">{_num(u.index)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def trend_chart(
    series: dict[str, list[tuple[date, float]]], months: list[date], *, title: str, desc: str, width: int = 900
) -> Markup:
    """One line per series name over ``months`` (0-100 on the y axis), with a legend."""
    uid = next(_ids)
    names = list(series)
    left, right, top = 50, 40, 18
    plot_h = 220
    legend_rows = (len(names) + 2) // 3
    height = top + plot_h + 36 + legend_rows * 22 + 8
    plot_w = width - left - right
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="tc-t{uid} tc-d{uid}">',
        f'<title id="tc-t{uid}">{escape(title)}</title><desc id="tc-d{uid}">{escape(desc)}</desc>',
    ]

    def xy(i: int, value: float) -> tuple[float, float]:
        x = left + (plot_w * i / (len(months) - 1) if len(months) > 1 else plot_w / 2)
        return x, top + plot_h * (1 - max(0.0, min(100.0, value)) / 100)

    for tick in range(0, 101, 25):
        _x, y = xy(0, tick)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#c8ccd4" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 5:.1f}" font-size="{TICK_PX}" text-anchor="end" fill="#333">{tick}</text>'
        )
    for i, month in enumerate(months):
        x, _y = xy(i, 0)
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 20}" font-size="{TICK_PX}" text-anchor="middle" '
            f'fill="#333">{month.month:02d}/{month.year}</text>'
        )
    index_of = {m: i for i, m in enumerate(months)}
    for k, name in enumerate(names):
        color = PALETTE[k % len(PALETTE)]
        points = [xy(index_of[m], v) for m, v in series[name] if m in index_of]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for x, y in points:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>')
        lx = left + (k % 3) * (plot_w / 3)
        ly = top + plot_h + 42 + (k // 3) * 22
        label = name if len(name) <= 30 else name[:29] + "…"
        out.append(
            f'<rect x="{lx:.1f}" y="{ly - 9}" width="14" height="4" fill="{color}"/>'
            f'<text x="{lx + 20:.1f}" y="{ly - 2}" font-size="{TICK_PX}" fill="#111">{escape(label)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))
