"""Render a certificate of course completion to PDF (pure: a plain dict in, bytes out).

Input keys (all required; ``expires_on`` may be ``None``)::

    holder_name, unit_name, course_title, score_percent, issued_on, expires_on, serial,
    verify_url, issuer_parent, issuer_name, signer_title, signer_name, place

``issued_on``/``expires_on`` are :class:`datetime.date` in local (Asia/Ho_Chi_Minh) terms; a
``datetime`` is refused so that a UTC timestamp never silently becomes the wrong calendar day.
``score_percent`` is a number in 0..100. Every text is NFC-normalised and stripped;
``issuer_parent``, ``issuer_name`` and ``signer_title`` are set in capitals, as official documents
require. ``signer_title`` may contain a newline (``"KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC"``).

The template is ``templates/certificates/certificate_pdf.html`` + ``certificate_pdf.css``; the font
is the shipped Noto Serif (``fonts/``), referenced with absolute ``file://`` URLs. The Jinja
environment, the WeasyPrint :class:`~weasyprint.text.fonts.FontConfiguration` and the parsed
:class:`~weasyprint.CSS` are built once, on first use, and reused (WeasyPrint itself is imported
lazily: importing it costs about a second).
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import threading
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

__all__ = [
    "FONT_DIR",
    "FONT_FAMILY",
    "FONT_FILES",
    "REQUIRED_KEYS",
    "TEMPLATE_VERSION",
    "CertificateRenderer",
    "certificate_context",
    "get_renderer",
    "harfbuzz_subset_available",
    "qr_svg",
    "render_certificate_html",
    "render_certificate_pdf",
    "vn_date",
]

#: Bump whenever the template, its CSS, the fonts or the context preparation change the output:
#: the application re-renders stored PDFs whose version differs.
TEMPLATE_VERSION = "2026.2"

PACKAGE_DIR = Path(__file__).resolve().parent
FONT_DIR = PACKAGE_DIR / "fonts"
TEMPLATE_DIR = PACKAGE_DIR / "templates"
HTML_TEMPLATE = "certificates/certificate_pdf.html"
CSS_FILE = TEMPLATE_DIR / "certificates" / "certificate_pdf.css"

FONT_FAMILY = "CertSerif"
#: (font-weight, font-style) -> file in FONT_DIR
FONT_FILES = {
    ("normal", "normal"): "NotoSerif-Regular.ttf",
    ("bold", "normal"): "NotoSerif-Bold.ttf",
    ("normal", "italic"): "NotoSerif-Italic.ttf",
}

REQUIRED_KEYS = (
    "holder_name",
    "unit_name",
    "course_title",
    "score_percent",
    "issued_on",
    "expires_on",
    "serial",
    "verify_url",
    "issuer_parent",
    "issuer_name",
    "signer_title",
    "signer_name",
    "place",
)
_TEXT_KEYS = tuple(k for k in REQUIRED_KEYS if k not in {"score_percent", "issued_on", "expires_on"})
_UPPER_KEYS = frozenset({"issuer_parent", "issuer_name", "signer_title"})
#: Above these lengths (characters) the body is set tighter so it stays clear of the footer.
COMPACT_LIMITS = {"course_title": 110, "unit_name": 75, "holder_name": 34}


# --------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------


def vn_date(day: dt.date) -> str:
    """``ngày 05 tháng 3 năm 2026``: days below 10 and months 1-2 take a leading zero (NĐ 30/2020)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def _score_text(score: object) -> str:
    if isinstance(score, bool) or not isinstance(score, (Real, Decimal)):
        raise TypeError(f"score_percent must be a number, got {score!r}")
    value = Decimal(str(score))
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError(f"score_percent must be within 0..100, got {score!r}")
    value = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{value:f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + "%"


def _as_date(value: object, key: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise TypeError(f"{key} must be a datetime.date (local calendar day), got {value!r}")
    return value


def _nfc(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a str, got {type(value).__name__}")
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise ValueError(f"{key} must not be empty")
    return text


def qr_svg(url: str) -> str:
    """Inline SVG (no XML declaration) of a QR code for ``url``, error correction M or better."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=1, border=4, dark="#000", omitsize=True, svgclass="qr-code", lineclass=None)


def certificate_context(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and prepare the template values (NFC text, Vietnamese dates, QR code)."""
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise KeyError(f"certificate data lacks {', '.join(missing)}")
    ctx: dict[str, Any] = {}
    for key in _TEXT_KEYS:
        text = _nfc(data[key], key)
        ctx[key] = text.upper() if key in _UPPER_KEYS else text
    issued_on = _as_date(data["issued_on"], "issued_on")
    expires_on = None if data["expires_on"] is None else _as_date(data["expires_on"], "expires_on")
    if expires_on is not None and expires_on < issued_on:
        raise ValueError("expires_on is before issued_on")
    ctx.update(
        issued_on=issued_on,
        expires_on=expires_on,
        issued_on_iso=issued_on.isoformat(),
        issued_on_text=vn_date(issued_on),
        expires_on_text=vn_date(expires_on) if expires_on else "Không thời hạn",
        place_date_text=f"{ctx['place']}, {vn_date(issued_on)}",
        score_text=_score_text(data["score_percent"]),
        qr_svg=Markup(qr_svg(ctx["verify_url"])),
        compact=(
            len(ctx["course_title"]) > COMPACT_LIMITS["course_title"]
            or len(ctx["unit_name"]) > COMPACT_LIMITS["unit_name"]
            or len(ctx["holder_name"]) > COMPACT_LIMITS["holder_name"]
        ),
        template_version=TEMPLATE_VERSION,
    )
    return ctx


def font_face_css() -> str:
    """@font-face rules binding FONT_FAMILY to the shipped files through absolute file:// URLs."""
    rules = []
    for (weight, style), filename in FONT_FILES.items():
        path = FONT_DIR / filename
        if not path.is_file():
            raise FileNotFoundError(path)
        rules.append(
            f"@font-face {{ font-family: {FONT_FAMILY}; font-weight: {weight}; font-style: {style}; "
            f'src: url("{path.as_uri()}") format("truetype"); }}'
        )
    return "\n".join(rules) + "\n"


def harfbuzz_subset_available() -> bool:
    """True when WeasyPrint subsets fonts with HarfBuzz rather than fontTools (~17x slower).

    Mirrors WeasyPrint 70's own test in ``weasyprint/pdf/fonts.py``: the ``harfbuzz-subset``
    library was dlopen'ed (``weasyprint.text.ffi.harfbuzz_subset``) and HarfBuzz is >= 4.1.0.
    Debian package: ``libharfbuzz-subset0``.
    """
    from weasyprint.text import ffi  # imported lazily: WeasyPrint takes ~1 s to import

    return ffi.harfbuzz_subset is not None and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))


# --------------------------------------------------------------------------------------------
# Renderer (built once, reused)
# --------------------------------------------------------------------------------------------


class CertificateRenderer:
    """Holds the Jinja template, the FontConfiguration and the parsed CSS; reuse one instance."""

    def __init__(self) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=True,
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )
        self.template = env.get_template(HTML_TEMPLATE)
        self.css_text = font_face_css() + CSS_FILE.read_text(encoding="utf-8")
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(string=self.css_text, font_config=self.font_config)
        # FontConfiguration is not documented as thread-safe: serialise renders within a process.
        self._lock = threading.Lock()

    def html(self, data: dict[str, Any], *, standalone: bool = False) -> str:
        """The certificate HTML. ``standalone=True`` inlines the CSS (for a browser preview)."""
        ctx = certificate_context(data)
        return self.template.render(**ctx, inline_css=Markup(self.css_text) if standalone else "")

    def pdf_from_html(self, html: str) -> bytes:
        from weasyprint import HTML

        with self._lock:
            return HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(
                stylesheets=[self.stylesheet], font_config=self.font_config
            )

    def pdf(self, data: dict[str, Any]) -> bytes:
        return self.pdf_from_html(self.html(data))


@functools.cache
def get_renderer() -> CertificateRenderer:
    """The process-wide renderer (created on first call)."""
    return CertificateRenderer()


# WeasyPrint copies each @font-face file into a private temporary folder that
# FontConfiguration.__del__ removes; at interpreter shutdown that __del__ runs too late
# ("'NoneType' object is not callable") and the folder is left behind in /tmp.
# Dropping the cached renderer at exit lets it clean up while modules are still alive.
atexit.register(get_renderer.cache_clear)


def render_certificate_html(data: dict[str, Any], *, standalone: bool = False) -> str:
    """HTML of the certificate; the stylesheet is applied separately unless ``standalone``."""
    return get_renderer().html(data, standalone=standalone)


def render_certificate_pdf(data: dict[str, Any]) -> bytes:
    """PDF bytes (one A4 landscape page, fonts subset and embedded)."""
    return get_renderer().pdf(data)
