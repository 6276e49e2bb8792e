"""Printable activation slips: an A4 PDF, eight slips a page (cut along the dotted lines), one per
official, with the login, the one-time code in large letters and a QR code of the activation page
with the code filled in. The unit head hands them out; the official types the code and their year
of birth, then chooses a password (``lms.auth.tokens``)."""

from __future__ import annotations

import atexit
import functools
import threading
from datetime import datetime

import segno
from flask import render_template

from lms.auth.tokens import Slip

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
SLIP_CSS = f"""
@font-face {{ font-family: SlipFont; src: url("file://{FONT_DIR}/DejaVuSans.ttf"); }}
@font-face {{ font-family: SlipFont; font-weight: bold; src: url("file://{FONT_DIR}/DejaVuSans-Bold.ttf"); }}
@font-face {{ font-family: SlipMono; src: url("file://{FONT_DIR}/DejaVuSansMono-Bold.ttf"); }}
@page {{ size: A4; margin: 8mm; }}
body {{ font-family: SlipFont; font-size: 9pt; margin: 0; }}
.sheet {{ display: flex; flex-wrap: wrap; }}
.slip {{ box-sizing: border-box; width: 97mm; height: 70mm; padding: 4mm 5mm; border: 0.4pt dashed #666;
         page-break-inside: avoid; position: relative; overflow: hidden; }}
.slip h2 {{ font-size: 9.5pt; margin: 0 0 1.5mm 0; }}
.who {{ font-weight: bold; font-size: 11pt; margin: 0; }}
.unit {{ margin: 0 0 1.5mm 0; color: #333; }}
.login, .code-label {{ margin: 0.8mm 0; }}
.code {{ font-family: SlipMono; font-size: 20pt; letter-spacing: 1.5pt; margin: 0.5mm 0 1mm 0; }}
.top {{ display: flex; }}
.left {{ width: 60mm; overflow-wrap: anywhere; }}
.qr {{ width: 26mm; height: 26mm; margin-left: 2mm; }}
.steps {{ margin: 1mm 0 0 0; padding-left: 4mm; font-size: 8pt; }}
.url {{ font-weight: bold; overflow-wrap: anywhere; }}
.expires {{ font-size: 7.5pt; color: #333; margin: 1mm 0 0 0; }}
"""


@functools.cache
def _stylesheet():
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return CSS(string=SLIP_CSS, font_config=fonts), fonts


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=1)


def render_slips(slips: list[Slip], *, unit_name: str, activate_url: str, expires_at: datetime | None) -> bytes:
    """The PDF of ``slips``; ``activate_url``: the absolute URL of the activation page (the code is added
    to it in each QR code)."""
    from weasyprint import HTML

    items = [
        {"slip": s, "qr": qr_data_uri(f"{activate_url}?code={s.shown_code}")}
        for s in sorted(slips, key=lambda s: (s.official.sort_key, s.official.id))
    ]
    html = render_template(
        "auth/slips_pdf.html", items=items, unit_name=unit_name, activate_url=activate_url, expires_at=expires_at
    )
    css, fonts = _stylesheet()
    with _lock:  # FontConfiguration is not documented as thread-safe
        return HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)


_lock = threading.Lock()
# FontConfiguration.__del__ removes its temporary font folder; at interpreter shutdown it runs too late
# ("'NoneType' object is not callable"): drop the cached one while modules are alive
atexit.register(_stylesheet.cache_clear)
