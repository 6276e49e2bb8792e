import datetime as dt
import io
import logging
import re
import unicodedata
from decimal import Decimal

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from certificates import render
from certificates.codes import make_serial
from certificates.render import (
    TEMPLATE_VERSION,
    certificate_context,
    harfbuzz_subset_available,
    qr_svg,
    render_certificate_html,
    render_certificate_pdf,
    vn_date,
)

HOLDER = "Nguyễn Thị Thủy Hằng"
SERIAL = make_serial("VP", 2026, 123)
URL = "https://hoctap.vinhphuc.gov.vn/xac-minh/R998-BJX2-TCVC-84JY-F3NT-V8P8-TKEH"


def sample(**overrides):
    data = {
        "holder_name": HOLDER,
        "unit_name": "Văn phòng Ủy ban nhân dân huyện Tam Đảo",
        "course_title": "An toàn thông tin cơ bản",
        "score_percent": 92.5,
        "issued_on": dt.date(2026, 3, 5),
        "expires_on": None,
        "serial": SERIAL,
        "verify_url": URL,
        "issuer_parent": "Ủy ban nhân dân tỉnh Vĩnh Phúc",
        "issuer_name": "Sở Thông tin và Truyền thông",
        "signer_title": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        "signer_name": "Trần Văn Minh",
        "place": "Vĩnh Phúc",
    }
    data.update(overrides)
    return data


def pdf_text(pdf: bytes) -> str:
    """All page text, NFC, with runs of white space collapsed to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def embedded_fonts(pdf: bytes):
    """(BaseFont, font program) for every font reachable from the pages, XObjects included."""
    reader = PdfReader(io.BytesIO(pdf))
    found, seen = [], set()

    def walk_resources(resources):
        if isinstance(resources, IndirectObject):
            resources = resources.get_object()
        if not isinstance(resources, DictionaryObject):
            return
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            key = id(font)
            if key in seen:
                continue
            seen.add(key)
            descendants = font.get("/DescendantFonts")
            targets = [d.get_object() for d in descendants] if descendants else [font]
            for target in targets:
                descriptor = target["/FontDescriptor"].get_object()
                stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3") or descriptor["/FontFile"]
                found.append((str(font["/BaseFont"]), stream.get_object().get_data()))
        for xobject in (resources.get("/XObject") or {}).values():
            walk_resources(xobject.get_object().get("/Resources"))

    for page in reader.pages:
        walk_resources(page.get("/Resources"))
    return found


@pytest.fixture(scope="module")
def pdf_and_logs():
    handler = _ListHandler()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        pdf = render_certificate_pdf(sample())
    finally:
        logger.removeHandler(handler)
    return pdf, handler.records


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def pdf(pdf_and_logs):
    return pdf_and_logs[0]


# ---------------------------------------------------------------- PDF content


def test_pdf_text_contains_holder_course_and_serial(pdf):
    text = pdf_text(pdf)
    assert HOLDER in text
    assert "An toàn thông tin cơ bản" in text
    assert SERIAL in text


def test_pdf_holder_name_extracts_exactly(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    lines = [" ".join(line.split()) for line in reader.pages[0].extract_text().splitlines()]
    assert HOLDER in [unicodedata.normalize("NFC", line) for line in lines]


def test_pdf_has_official_header_title_dates_and_signer(pdf):
    text = pdf_text(pdf)
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ỦY BAN NHÂN DÂN TỈNH VĨNH PHÚC",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "GIẤY CHỨNG NHẬN",
        "Hoàn thành khóa học",
        "Văn phòng Ủy ban nhân dân huyện Tam Đảo",
        "92,5%",
        "Vĩnh Phúc, ngày 05 tháng 3 năm 2026",
        "Không thời hạn",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Trần Văn Minh",
    ]:
        assert expected in text, expected


def test_pdf_prints_the_verification_url(pdf):
    assert URL in pdf_text(pdf)


def test_pdf_is_one_a4_landscape_page(pdf):
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(842, abs=1)
    assert float(box.height) == pytest.approx(595, abs=1)


def test_pdf_embeds_only_the_shipped_noto_serif(pdf):
    fonts = embedded_fonts(pdf)
    assert fonts, "no embedded font found"
    names = set()
    for base_font, program in fonts:
        assert re.fullmatch(r"/[A-Z]{6}\+CertSerif(-Bold|-Italic)?", base_font), base_font
        ttf = TTFont(io.BytesIO(program))
        assert ttf["name"].getDebugName(1) == "Noto Serif"
        names.add(ttf["name"].getDebugName(4))
    assert names == {"Noto Serif Regular", "Noto Serif Bold", "Noto Serif Italic"}


def test_rendering_logs_no_weasyprint_warning(pdf_and_logs):
    # A missing font file or an unsupported CSS property is only a log WARNING in WeasyPrint.
    _, records = pdf_and_logs
    assert [r.getMessage() for r in records] == []


def test_harfbuzz_subset_is_available():
    # Without libharfbuzz-subset0 WeasyPrint falls back to fontTools: ~17x slower, warnings each render.
    assert harfbuzz_subset_available() is True


def test_long_content_still_fits_on_one_page():
    data = sample(
        holder_name="Tôn Nữ Thị Phương Thảo Nguyên",
        unit_name="Phòng Văn hóa - Thông tin, Ủy ban nhân dân thành phố Phúc Yên, tỉnh Vĩnh Phúc "
        "và các đơn vị sự nghiệp trực thuộc",
        course_title="Bồi dưỡng kiến thức, kỹ năng chuyển đổi số, an toàn thông tin mạng và khai thác cơ sở "
        "dữ liệu quốc gia về dân cư phục vụ cải cách hành chính cấp xã theo Đề án 06 của Chính phủ",
        expires_on=dt.date(2028, 2, 29),
        signer_title="TL. CHỦ TỊCH\nKT. CHÁNH VĂN PHÒNG\nPHÓ CHÁNH VĂN PHÒNG",
    )
    assert certificate_context(data)["compact"] is True
    pdf = render_certificate_pdf(data)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "ngày 29 tháng 02 năm 2028" in pdf_text(pdf)


def test_nfd_input_is_rendered_as_nfc():
    nfd = unicodedata.normalize("NFD", HOLDER)
    assert nfd != HOLDER
    html = render_certificate_html(sample(holder_name=nfd))
    assert HOLDER in html and nfd not in html
    assert HOLDER in pdf_text(render_certificate_pdf(sample(holder_name=nfd)))


# ---------------------------------------------------------------- HTML and context


def test_html_escapes_user_text_and_inlines_the_qr_svg():
    html = render_certificate_html(sample(holder_name="<b>Lê Văn Tám</b>"))
    assert "&lt;b&gt;Lê Văn Tám&lt;/b&gt;" in html
    assert "<svg" in html and "qr-code" in html
    assert "<style>" not in html


def test_standalone_html_inlines_the_stylesheet():
    html = render_certificate_html(sample(), standalone=True)
    assert "<style>" in html and "@font-face" in html and "A4 landscape" in html


def test_qr_svg_encodes_the_url():
    import segno

    svg = qr_svg(URL)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    expected_path = re.search(r' d="([^"]+)"', segno.make(URL, error="m", micro=False).svg_inline()).group(1)
    assert re.search(r' d="([^"]+)"', svg).group(1) == expected_path
    assert qr_svg(URL + "X") != svg


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2026, 3, 5), "ngày 05 tháng 3 năm 2026"),
        (dt.date(2026, 1, 15), "ngày 15 tháng 01 năm 2026"),
        (dt.date(2026, 2, 9), "ngày 09 tháng 02 năm 2026"),
        (dt.date(2026, 12, 31), "ngày 31 tháng 12 năm 2026"),
    ],
)
def test_vn_date(day, text):
    assert vn_date(day) == text


@pytest.mark.parametrize(
    ("score", "text"),
    [
        (92.5, "92,5%"),
        (100, "100%"),
        (0, "0%"),
        (Decimal("87.25"), "87,3%"),
        (66.666, "66,7%"),
        (80.0, "80%"),
    ],
)
def test_score_text(score, text):
    assert certificate_context(sample(score_percent=score))["score_text"] == text


def test_context_uppercases_issuer_and_signer_title():
    ctx = certificate_context(sample())
    assert ctx["issuer_parent"] == "ỦY BAN NHÂN DÂN TỈNH VĨNH PHÚC"
    assert ctx["issuer_name"] == "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"
    assert ctx["expires_on_text"] == "Không thời hạn"
    assert certificate_context(sample(expires_on=dt.date(2027, 3, 5)))["expires_on_text"] == (
        "ngày 05 tháng 3 năm 2027"
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"issued_on": dt.datetime(2026, 3, 5, 1, 0)}, TypeError),
        ({"issued_on": "2026-03-05"}, TypeError),
        ({"expires_on": dt.date(2026, 3, 4)}, ValueError),
        ({"score_percent": 100.1}, ValueError),
        ({"score_percent": float("nan")}, ValueError),
        ({"score_percent": "90"}, TypeError),
        ({"score_percent": True}, TypeError),
        ({"holder_name": "   "}, ValueError),
        ({"holder_name": None}, TypeError),
    ],
)
def test_context_rejects_bad_values(overrides, error):
    with pytest.raises(error):
        certificate_context(sample(**overrides))


def test_context_requires_every_key():
    data = sample()
    del data["signer_name"]
    with pytest.raises(KeyError, match="signer_name"):
        certificate_context(data)


def test_template_version_is_a_nonempty_string():
    assert isinstance(TEMPLATE_VERSION, str) and TEMPLATE_VERSION


def test_font_faces_use_absolute_file_urls_to_the_package():
    css = render.font_face_css()
    urls = re.findall(r'url\("([^"]+)"\)', css)
    assert len(urls) == 3
    assert all(u.startswith("file:///") and "/certificates/fonts/NotoSerif-" in u for u in urls)


def test_renderer_is_reused():
    assert render.get_renderer() is render.get_renderer()
