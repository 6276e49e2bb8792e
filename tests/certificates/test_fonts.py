from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

import certificates

FONT_DIR = Path(certificates.__file__).resolve().parent / "fonts"
SHIPPED = {
    "NotoSerif-Regular.ttf": "Noto Serif Regular",
    "NotoSerif-Bold.ttf": "Noto Serif Bold",
    "NotoSerif-Italic.ttf": "Noto Serif Italic",
}

VIETNAMESE = (
    [chr(cp) for cp in range(0x1EA0, 0x1EFA)]  # Ạ ... ỹ: every letter with a stacked or dot-below mark
    + list("ăâđêôơưĂÂĐÊÔƠƯ")
    + list("àáãảạèéẽẻẹìíĩỉịòóõỏọùúũủụỳýỹỷỵÀÁÃẢẠÈÉẼẺẸÌÍĨỈỊÒÓÕỎỌÙÚŨỦỤỲÝỸỶỴ")
    + ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]  # combining grave, acute, tilde, hook, dot below
)


@pytest.mark.parametrize(("filename", "full_name"), SHIPPED.items())
def test_shipped_font_covers_every_vietnamese_letter(filename, full_name):
    font = TTFont(FONT_DIR / filename)
    cmap = font.getBestCmap()
    missing = [f"U+{ord(ch):04X}" for ch in VIETNAMESE if ord(ch) not in cmap]
    assert missing == []
    assert font["name"].getDebugName(4) == full_name


def test_font_licence_is_shipped_alongside():
    text = (FONT_DIR / "LICENSE-NotoSerif.txt").read_text(encoding="utf-8")
    assert "SIL Open Font License" in text
