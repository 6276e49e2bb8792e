"""A small server-rendered SVG chart: usage before and after a training, attendees next to the
comparison group. Accessible (``role="img"``, title, description); the page prints the same counts
as a table. Colours are presentation attributes, so the strict CSP allows them."""

from __future__ import annotations

from itertools import count

from markupsafe import Markup, escape

from adoption.format import vn_pct

_ids = count(1)
BEFORE, AFTER = "#8fa9c8", "#1f5fa8"


def before_after_chart(
    groups: list[tuple[str, float | None, float | None]], *, title: str, desc: str, before_label: str, after_label: str
) -> Markup:
    """``groups`` = [(name, share before, share after)], shares 0..1 (None = no data)."""
    uid = next(_ids)
    width, height, left, top, plot_h, bar_w = 520, 250, 44, 24, 170, 46
    group_w = (width - left - 20) / max(1, len(groups))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart before-after" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="ba-t{uid} ba-d{uid}">',
        f'<title id="ba-t{uid}">{escape(title)}</title><desc id="ba-d{uid}">{escape(desc)}</desc>',
    ]
    for tick in range(0, 101, 25):
        y = top + plot_h * (1 - tick / 100)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#c8ccd4" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#333">{tick}%</text>'
        )
    for i, (name, before, after) in enumerate(groups):
        x0 = left + i * group_w + (group_w - 2 * bar_w - 8) / 2
        for j, (value, colour) in enumerate(((before, BEFORE), (after, AFTER))):
            x = x0 + j * (bar_w + 8)
            h = plot_h * (value or 0)
            y = top + plot_h - h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w}" height="{h:.1f}" fill="{colour}"/>'
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle" '
                f'fill="#111">{escape(vn_pct(value, 0))}</text>'
            )
        out.append(
            f'<text x="{x0 + bar_w + 4:.1f}" y="{top + plot_h + 18}" font-size="12" text-anchor="middle" '
            f'fill="#111">{escape(name)}</text>'
        )
    legend_y = height - 12
    out.append(
        f'<rect x="{left}" y="{legend_y - 9}" width="14" height="10" fill="{BEFORE}"/>'
        f'<text x="{left + 20}" y="{legend_y}" font-size="11" fill="#111">{escape(before_label)}</text>'
        f'<rect x="{left + 180}" y="{legend_y - 9}" width="14" height="10" fill="{AFTER}"/>'
        f'<text x="{left + 200}" y="{legend_y}" font-size="11" fill="#111">{escape(after_label)}</text>'
    )
    out.append("</svg>")
    return Markup("".join(out))
