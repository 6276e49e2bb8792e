"""Vietnamese text typed in the legacy font encodings TCVN3 (ABC) and VNI, back to Unicode.

Before Unicode (TCVN 6909:2001), Vietnamese offices typed with 8-bit fonts: the ABC fonts
(``.VnTime``) of **TCVN3**, from the national standard TCVN 5712:1993 (table VN3), and the **VNI**
fonts (``VNI-Times``). A spreadsheet typed that way stores each font byte as the Latin-1 (or, on a
Vietnamese Windows, the Windows-1258) character of the same number, so that today it reads
"NguyÔn V¨n An" (TCVN3) or "Nguyeãn Vaên An" (VNI) for "Nguyễn Văn An".

* TCVN3 gives one byte to each lower-case letter with its tone, and to the seven capital base letters
  Ă Â Ê Ô Ơ Ư Đ; capitals with a tone were typed with the capital fonts (``.VnTimeH``), which draw the
  lower-case codes as capitals. So a word typed in capitals ("NGUYÔN") is put back in capitals.
  The VN1 table of the same standard also gives codes to some toned capitals (Ằ at 0xAF...): they are
  read too.
* VNI writes a vowel followed by one character for its marks (``a`` + ``ù`` = á, ``a`` + ``ê`` = ă,
  ``a`` + ``é`` = ắ, ``e`` + ``â`` = ê...); ơ, ư, đ and the toned i and ỵ have a character of their own.

``convert(text, encoding)`` converts; ``detect(values)`` says which of the two a column of values is
written in, if any: it converts every word that has a non-ASCII character and keeps the encoding
whose words are Vietnamese syllables where the text as it is mostly is not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["ENCODINGS", "convert", "detect", "is_vietnamese_word"]

ENCODINGS = {"tcvn3": "TCVN3 (ABC, .VnTime)", "vni": "VNI (VNI-Times)"}

# tones in the order of the tables below: ngang, huyền, hỏi, ngã, sắc, nặng
TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")


def _with_tone(vowel: str, tone: int) -> str:
    return unicodedata.normalize("NFC", vowel + TONES[tone])


# -- TCVN3 -----------------------------------------------------------------------------------------
# TCVN 5712:1993, table VN3: the byte of each vowel with each tone (ngang, huyền, hỏi, ngã, sắc, nặng).
_TCVN3_VOWELS = {
    "a": (0x61, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0x65, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0x69, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0x6F, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0x75, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0x79, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TCVN3_OTHERS = {0xAE: "đ", 0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ"}
# VN1 of the same standard: toned capitals in places VN3 leaves free, and the five tone marks alone
_TCVN1_CAPITALS = {
    0xAF: "Ằ",
    0xBA: "Ẳ",
    0xBF: "Ẵ",
    0xC0: "Ắ",
    0xC1: "Ầ",
    0xC2: "Ẩ",
    0xC3: "Ẫ",
    0xC4: "Ấ",
    0xC5: "Ề",
    0xCD: "Ể",
    0xD9: "Ễ",
    0xDA: "Ế",
    0xDB: "Ồ",
    0xE0: "Ổ",
    0xF0: "Ỗ",
    0xFF: "Ố",
    0xB0: "\u0300",
    0xB1: "\u0309",
    0xB2: "\u0303",
    0xB3: "\u0301",
    0xB4: "\u0323",
}


def _tcvn3_bytes() -> dict[int, str]:
    table = {}
    for vowel, codes in _TCVN3_VOWELS.items():
        for tone, code in enumerate(codes):
            if code >= 0x80:
                table[code] = _with_tone(vowel, tone)
    table.update(_TCVN3_OTHERS)
    table.update(_TCVN1_CAPITALS)
    return table


def _byte_views(table: dict[int, str]) -> dict[str, str]:
    """Each byte as the character Excel stored for it: Latin-1 (a Western Windows) and Windows-1258."""
    chars = {}
    for byte, unicode in table.items():
        chars[chr(byte)] = unicode
        try:
            chars.setdefault(bytes([byte]).decode("cp1258"), unicode)
        except UnicodeDecodeError:
            pass
    return chars


_TCVN3 = _byte_views(_tcvn3_bytes())

# -- VNI -------------------------------------------------------------------------------------------
# the character after a vowel, for its marks: (added letter mark, tone index)
_VNI_MARKS = {
    "ù": ("", 4),
    "ø": ("", 1),
    "û": ("", 2),
    "õ": ("", 3),
    "ï": ("", 5),
    "â": ("\u0302", 0),
    "á": ("\u0302", 4),
    "à": ("\u0302", 1),
    "å": ("\u0302", 2),
    "ã": ("\u0302", 3),
    "ä": ("\u0302", 5),
    "ê": ("\u0306", 0),
    "é": ("\u0306", 4),
    "è": ("\u0306", 1),
    "ú": ("\u0306", 2),
    "ü": ("\u0306", 3),
    "ë": ("\u0306", 5),
}
_VNI_MARKS.update({k.upper(): v for k, v in list(_VNI_MARKS.items())})
# which marks each base takes: a takes ^ and ˘, e and o take ^, the others a tone only
_VNI_BASES = {"a": ("", "\u0302", "\u0306"), "e": ("", "\u0302"), "o": ("", "\u0302"), "u": ("",), "y": ("",)}
_VNI_BASES.update({"ơ": ("",), "ư": ("",)})
# characters that are a letter by themselves
_VNI_LETTERS = {
    "ô": "ơ",
    "ö": "ư",
    "ñ": "đ",
    "í": "í",
    "ì": "ì",
    "æ": "ỉ",
    "ó": "ĩ",
    "ò": "ị",
    "î": "ỵ",
}
_VNI_LETTERS.update({k.upper(): v.upper() for k, v in list(_VNI_LETTERS.items())})


def _vni(text: str) -> str:
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        base = _VNI_LETTERS.get(ch, ch)
        following = text[i + 1] if i + 1 < n else ""
        mark = _VNI_MARKS.get(following)
        allowed = _VNI_BASES.get(base.lower())
        if mark is not None and allowed is not None and mark[0] in allowed:
            out.append(unicodedata.normalize("NFC", base + mark[0] + TONES[mark[1]]))
            i += 2
            continue
        out.append(base)
        i += 1
    return "".join(out)


def _tcvn3(text: str) -> str:
    converted = "".join(_TCVN3.get(ch, ch) for ch in text)
    # capitals typed with a .VnTimeH font: a word whose plain letters are all capitals
    return _WORD.sub(_capitalised, converted)


_WORD = re.compile(r"\w+")


def _capitalised(match: re.Match) -> str:
    """A word whose plain letters are all capitals (two or more, or one beside a capital Đ, Ă...)
    was typed in capitals: its toned letters too."""
    word = match.group(0)
    plain = [c for c in word if c.isascii() and c.isalpha()]
    capitals = [c for c in word if not c.isascii() and c.isupper()]
    if plain and all(c.isupper() for c in plain) and (len(plain) >= 2 or capitals):
        return word.upper()
    return word


def convert(text: str, encoding: str) -> str:
    """``text`` typed in ``encoding`` ("tcvn3" or "vni") as Unicode, NFC."""
    if encoding == "tcvn3":
        return unicodedata.normalize("NFC", _tcvn3(text))
    if encoding == "vni":
        return unicodedata.normalize("NFC", _vni(text))
    raise ValueError(encoding)


# -- is it Vietnamese? -----------------------------------------------------------------------------
_NUCLEI = set(VOWELS) | set(
    "ai ao au ay âu ây eo êu ia iê iu iêu oa oă oai oao oay oe oeo oi ôi ơi ua uâ uây uê ui uô uôi uơ ươ ươi "
    "ươu ưa ưi ưu uy uya uyê uyu yê yêu".split()
)
_SYLLABLE = re.compile(
    r"^(ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnpqrstvx])?([aăâeêioôơuưy]{1,3})(ch|ng|nh|[cmnpt])?$"
)
_MARKS = set(TONES[1:])


def is_vietnamese_word(word: str) -> bool:
    """Whether ``word`` (any case) spells one Vietnamese syllable: onset, vowels, ending, one tone."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in _MARKS]
    if len(tones) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _MARKS))
    match = _SYLLABLE.match(bare)
    if match is None:
        return False
    nucleus = match.group(2)
    return nucleus in _NUCLEI


_TOKEN = re.compile(r"[^\s\d.,;:!?()\[\]/\\\"'_@&*+=<>|-]+")  # « and » are letters in TCVN3


def _words(values: Iterable[str], limit: int) -> list[str]:
    words = []
    for value in values:
        for word in _TOKEN.findall(value):
            if not word.isascii():
                words.append(word)
                if len(words) >= limit:
                    return words
    return words


def detect(values: Iterable[str], sample: int = 400) -> str | None:
    """ "tcvn3" or "vni" when the words of ``values`` read as Vietnamese once converted from that
    encoding (at least 80% of them) and clearly less so as they are; else ``None``."""
    words = _words(values, sample)
    if not words:
        return None
    as_is = sum(map(is_vietnamese_word, words)) / len(words)
    best, best_score = None, 0.0
    for encoding in ENCODINGS:
        score = sum(is_vietnamese_word(convert(w, encoding)) for w in words) / len(words)
        if score > best_score:
            best, best_score = encoding, score
    if best_score >= 0.8 and best_score - as_is >= 0.3:
        return best
    return None
