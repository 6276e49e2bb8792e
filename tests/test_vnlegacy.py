"""TCVN3 (ABC) and VNI text back to Unicode: every letter with every tone, lower and upper case."""

import subprocess
import unicodedata

import pytest

from lms.vnlegacy import convert, detect, is_vietnamese_word

TONES = {"ngang": "", "huyền": "\u0300", "hỏi": "\u0309", "ngã": "\u0303", "sắc": "\u0301", "nặng": "\u0323"}
VOWELS = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"]


def letter(vowel: str, tone: str) -> str:
    return unicodedata.normalize("NFC", vowel + TONES[tone])


ALL_LOWER = [letter(v, t) for v in VOWELS for t in TONES] + ["đ"]
ALL_UPPER = [c.upper() for c in ALL_LOWER]


def tcvn5712(text: str) -> str:
    """``text`` encoded by glibc's iconv (TCVN 5712:1993), as the Latin-1 characters Excel keeps for
    those bytes: a reference written by other people than the converter's table."""
    out = subprocess.run(["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"], input=text.encode(), capture_output=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode("latin-1")


def test_tcvn3_every_lower_case_letter_with_every_tone_matches_the_standard():
    assert len(ALL_LOWER) == 73
    for char in ALL_LOWER:
        typed = tcvn5712(char)
        assert len(typed) == 1 and (typed.isascii() or ord(typed) >= 0xA0), (char, typed)  # one VN3 byte
        assert convert(typed, "tcvn3") == char, (char, typed)
    # the whole alphabet in one string: no letter depends on its neighbour
    assert convert(tcvn5712(" ".join(ALL_LOWER)), "tcvn3") == " ".join(ALL_LOWER)


def test_tcvn3_capitals():
    # the seven capitals of their own (Ă Â Ê Ô Ơ Ư Đ) have a code in TCVN3
    for char in "ĂÂÊÔƠƯĐ":
        assert convert(tcvn5712(char), "tcvn3") == char
    # a toned capital was typed with the capital font (.VnTimeH) over the lower-case code: a word whose
    # plain letters are capitals comes back in capitals, every toned letter with it
    for upper, lower in zip(ALL_UPPER, ALL_LOWER, strict=True):
        typed = tcvn5712(lower)
        typed = typed.upper() if typed.isascii() else typed  # a, e, i... were typed as A, E, I
        assert convert("T" + typed + "N", "tcvn3") == "T" + upper + "N", upper
    assert convert(tcvn5712("nguyễn").replace("nguy", "NGUY").replace("n", "N"), "tcvn3") == "NGUYỄN"
    # a capital initial alone is not a word in capitals: Lª is Lê
    assert convert("Lª ThÞ Hµ", "tcvn3") == "Lê Thị Hà"


def test_tcvn3_capitals_of_the_vn1_table_are_read_too():
    for char in "ẰẲẴẮẦẨẪẤỀỂỄẾỒỔỖỐ":
        typed = tcvn5712(char)
        if len(typed) == 1 and ord(typed) >= 0xA0:  # those VN1 puts in the upper half
            assert convert(typed, "tcvn3") == char, char


# VNI: the vowel (ơ and ư have a character of their own: ô, ö) and one character for the marks
VNI_LOWER = {
    "a": ["a", "aø", "aû", "aõ", "aù", "aï"],
    "ă": ["aê", "aè", "aú", "aü", "aé", "aë"],
    "â": ["aâ", "aà", "aå", "aã", "aá", "aä"],
    "e": ["e", "eø", "eû", "eõ", "eù", "eï"],
    "ê": ["eâ", "eà", "eå", "eã", "eá", "eä"],
    "i": ["i", "ì", "æ", "ó", "í", "ò"],
    "o": ["o", "oø", "oû", "oõ", "où", "oï"],
    "ô": ["oâ", "oà", "oå", "oã", "oá", "oä"],
    "ơ": ["ô", "ôø", "ôû", "ôõ", "ôù", "ôï"],
    "u": ["u", "uø", "uû", "uõ", "uù", "uï"],
    "ư": ["ö", "öø", "öû", "öõ", "öù", "öï"],
    "y": ["y", "yø", "yû", "yõ", "yù", "î"],
}


def test_vni_every_letter_with_every_tone_lower_and_upper_case():
    pairs = []
    for vowel, spellings in VNI_LOWER.items():
        for tone, typed in zip(TONES, spellings, strict=True):
            pairs.append((typed, letter(vowel, tone)))
    pairs.append(("ñ", "đ"))
    assert len(pairs) == 73
    for typed, char in pairs:
        assert convert(typed, "vni") == char, (typed, char)
        assert convert(typed.upper(), "vni") == char.upper(), (typed.upper(), char.upper())
    assert convert(" ".join(t for t, _ in pairs), "vni") == " ".join(c for _, c in pairs)


def test_vni_names():
    assert convert("Nguyeãn Vaên An", "vni") == "Nguyễn Văn An"
    assert convert("Ñaøo Thò Höông", "vni") == "Đào Thị Hương"
    assert convert("TRÖÔØNG QUYØNH", "vni") == "TRƯỜNG QUỲNH"
    assert convert("Phöôøng Ñoàng Taâm", "vni") == "Phường Đồng Tâm"


@pytest.mark.parametrize(
    "word,ok",
    [
        ("Nguyễn", True),
        ("nghiêng", True),
        ("giữa", True),
        ("quyết", True),
        ("Khuê", True),
        ("Hoàng", True),
        ("NguyÔn", False),
        ("V¨n", False),
        ("Nguyeãn", False),
        ("Vaên", False),
        ("hòaa", False),
        ("Smith", False),
    ],
)
def test_vietnamese_syllables(word, ok):
    assert is_vietnamese_word(word) is ok


def test_detection_by_column():
    assert detect(["NguyÔn V¨n An", "§µo ThÞ H»ng", "TrÇn Quèc B¶o"]) == "tcvn3"
    assert detect(["Nguyeãn Vaên An", "Ñaøo Thò Haèng", "Traàn Quoác Baûo"]) == "vni"
    # Unicode, even with Latin-1 letters only, and plain ASCII, are left alone
    assert detect(["Nguyễn Văn An", "Đào Thị Hằng", "Trần Quốc Bảo"]) is None
    assert detect(["Hà Thu", "Lê Hà", "Võ Thị Sáu", "ÔNG"]) is None
    assert detect(["VP-0001", "an@vp.gov.vn", "0912345678"]) is None
    assert detect([]) is None
