"""Vietnamese text helpers: normalisation, folding, collation and names.

Pure functions over ``str``, standard library only (no PyICU).

* ``nfc`` / ``clean_text``: what every piece of text goes through on the way in
  (store and compare NFC, see ENGINEERING.md "Text").
* ``fold``: accent- and case-insensitive form, for *search and dedup only*;
  never for display or sorting.
* ``vi_sort_key``: a sort key that mirrors the CLDR/ICU ``vi`` collation
  (letters primary, tones secondary, case tertiary).
* ``name_sort_key``: the official list order (tên, then họ, then tên đệm,
  then earlier birth first).
* ``split_full_name`` / ``join_name`` / ``slugify``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "clean_text",
    "collation_string",
    "fold",
    "join_name",
    "name_sort_key",
    "nfc",
    "slugify",
    "split_full_name",
    "vi_sort_key",
]

# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

# Invisible format characters that turn up in pasted/exported text.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_HSPACE_RUN = re.compile(r"[^\S\n]+")  # whitespace other than newline
_BLANK_LINES = re.compile(r"\n{3,}")
_WS_RUN = re.compile(r"\s+")


def nfc(s: str | None) -> str:
    """NFC-normalise and strip. ``None`` gives ``""``. Nothing else changes."""
    if s is None:
        return ""
    return unicodedata.normalize("NFC", s).strip()


def clean_text(s: str | None) -> str:
    """Normalise free text on the way in.

    NFC; line endings become ``\\n``; control characters are removed except
    newline and tab; zero-width characters, BOM and soft hyphen are removed;
    every run of horizontal whitespace (spaces, tabs, no-break spaces...)
    becomes one space; lines are stripped; at most one blank line is kept
    between paragraphs; the result is stripped. A single-line input therefore
    comes out as a single line with single spaces.
    """
    if s is None:
        return ""
    if s.isascii() and s.isprintable() and "  " not in s and s.strip() == s:
        return s  # nothing to do (the common case of codes, e-mails, numbers): no pass over each character
    s = unicodedata.normalize("NFC", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    s = "".join(ch for ch in s if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    # Unicode line/paragraph separators and other vertical breaks count as newline.
    s = s.replace("\u2028", "\n").replace("\u2029", "\n")
    lines = (_HSPACE_RUN.sub(" ", line).strip() for line in s.split("\n"))
    s = "\n".join(lines)
    s = _BLANK_LINES.sub("\n\n", s)
    # Removing characters can bring a mark next to a new base: compose again.
    return unicodedata.normalize("NFC", s).strip()


# --------------------------------------------------------------------------
# Folding (search only)
# --------------------------------------------------------------------------

# đ has no canonical decomposition; ð (U+00F0, the casefold of U+00D0 "Ð")
# is what legacy TCVN3/VNI/CP1258 conversions often leave instead of Đ.
_FOLD_MAP = str.maketrans({"đ": "d", "ð": "d"})


def fold(s: str | None) -> str:
    """Accent- and case-insensitive form of ``s`` for search and dedup.

    NFC -> casefold -> NFD -> drop nonspacing marks -> đ->d -> collapse
    whitespace (and strip). ``fold("Đặng Thị Ánh Tuyết") == "dang thi anh tuyet"``,
    ``fold("hòa") == fold("hoà") == "hoa"``. Idempotent.
    """
    if not s:
        return ""
    s = unicodedata.normalize("NFC", s).casefold()
    s = unicodedata.normalize("NFD", s)
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    s = s.translate(_FOLD_MAP)
    # Re-compose what NFD split without marks (e.g. Hangul jamo).
    s = unicodedata.normalize("NFC", s)
    return _WS_RUN.sub(" ", s).strip()


# --------------------------------------------------------------------------
# Collation (CLDR/ICU "vi", standard variant)
# --------------------------------------------------------------------------

_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"

# The Vietnamese alphabet, with the loanword letters f j w z in their usual
# Latin places. Each entry is (base letter, letter-forming mark or "").
_ALPHABET = [
    (unicodedata.normalize("NFD", letter)[0], unicodedata.normalize("NFD", letter)[1:])
    for letter in "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
]
_LETTER_WEIGHT = {entry: 2000 + i for i, entry in enumerate(_ALPHABET)}
_LETTER_MARKS = {_BREVE, _CIRCUMFLEX, _HORN}

# Tones are secondary: ngang (no mark) < huyền < hỏi < ngã < sắc < nặng.
_TONE_WEIGHT = {
    "\u0300": 1,  # huyền (grave)
    "\u0309": 2,  # hỏi (hook above)
    "\u0303": 3,  # ngã (tilde)
    "\u0301": 4,  # sắc (acute)
    "\u0323": 5,  # nặng (dot below)
}

# Primary weight bands (ICU root: spaces < punctuation < symbols < digits < letters).
_W_SPACE = 1
_W_PUNCT = 100
_W_SYMBOL = 200
_W_DIGIT = 1000
_W_OTHER_LETTER = 10_000


def _classify(ch: str) -> tuple[int, str, bool, bool]:
    """Return (primary weight, lower-case letter, is word char, is upper)."""
    low = ch.lower()[0]  # "İ".lower() is two code points
    if low == "ð":  # legacy stand-in for đ
        low = "đ"
    is_upper = low != ch
    weight = _LETTER_WEIGHT.get((low, ""))
    if weight is not None:
        return weight, low, True, is_upper
    cat = unicodedata.category(ch)
    if cat == "Nd":
        return _W_DIGIT + unicodedata.decimal(ch, 0), low, True, False
    if cat[0] in "LN":
        return _W_OTHER_LETTER + ord(low), low, True, is_upper
    if cat[0] == "Z" or ch.isspace():
        return _W_SPACE, low, False, False
    if cat[0] == "P":
        return _W_PUNCT, low, False, False
    return _W_SYMBOL, low, False, False


def vi_sort_key(s: str | None) -> tuple:
    """Sort key following the CLDR/ICU Vietnamese collation, three levels.

    Returns ``(primary, secondary, tertiary)``, three tuples of ints:

    * primary: one weight per base letter, in the Vietnamese alphabet order
      a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y (f j w z in
      their Latin places); digits sort before letters, spaces and punctuation
      before digits (every whitespace run counts as one space);
    * secondary: per word (run of letters/digits), the tone weights
      ngang < huyền < hỏi < ngã < sắc < nặng. Tones are recorded per word, not
      per vowel, so old and new tone placement ("hòa"/"hoà") give equal keys;
      other diacritics (é in loanwords, ü...) are secondary too, after nặng;
    * tertiary: case per letter, lower before upper.

    The whole string's primary is compared first, then the secondary, then
    the tertiary, like ICU: "ang" < "anh" whatever the tones. Input is
    normalised first, so NFC and NFD input give equal keys. ``None`` sorts
    like ``""``.
    """
    if not s:
        return ((), (), ())
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFC", s)).strip()
    primary: list[int] = []
    secondary: list[tuple[int, ...]] = []
    tertiary: list[int] = []
    word_marks: list[int] = []
    in_word = False
    last_was_space = False

    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        i += 1
        # Gather the combining marks that follow this base character.
        marks = []
        while i < n and unicodedata.combining(text[i]):
            marks.append(text[i])
            i += 1
        if unicodedata.combining(ch):  # a stray leading mark: secondary only
            marks.insert(0, ch)
            ch = ""
        if ch:
            weight, low, is_word_char, is_upper = _classify(ch)
        else:
            weight, low, is_word_char, is_upper = None, "", in_word, False

        if weight is not None and not is_word_char:
            if in_word:
                secondary.append(tuple(word_marks))
                word_marks = []
                in_word = False
            if weight == _W_SPACE:
                if last_was_space:
                    continue
                last_was_space = True
            else:
                last_was_space = False
            primary.append(weight)
            tertiary.append(0)
            if marks:
                secondary.append(tuple(_mark_weight(m) for m in marks))
            continue

        last_was_space = False
        in_word = True
        if weight is not None:
            for m in marks:
                if m in _LETTER_MARKS and (low, m) in _LETTER_WEIGHT:
                    weight = _LETTER_WEIGHT[(low, m)]
                    marks = [x for x in marks if x is not m]
                    break
            primary.append(weight)
            tertiary.append(1 if is_upper else 0)
        for m in marks:
            word_marks.append(_mark_weight(m))
    if in_word:
        secondary.append(tuple(word_marks))
    return (tuple(primary), tuple(secondary), tuple(tertiary))


def _mark_weight(mark: str) -> int:
    return _TONE_WEIGHT.get(mark) or 100 + ord(mark)


# --------------------------------------------------------------------------
# Personal names
# --------------------------------------------------------------------------


def name_sort_key(
    family: str | None,
    middle: str | None,
    given: str | None,
    birth_year: int | None = None,
) -> tuple:
    """Official Vietnamese list order: tên, then họ, then tên đệm, then birth.

    ``(vi_sort_key(given), vi_sort_key(family), vi_sort_key(middle),
    birth_year or 9999)``: earlier birth first, unknown birth year last.
    """
    return (
        vi_sort_key(given),
        vi_sort_key(family),
        vi_sort_key(middle),
        birth_year or 9999,
    )


# A string form of the sort keys, for an indexed ORDER BY column in the
# database. Only [0-9A-Z] is used, so plain byte order (SQLite, PostgreSQL "C")
# and the usual locale/ICU collations all order these strings the same way.
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
COLLATION_STRING_MAX = 400


def _b36(n: int, width: int) -> str:
    digits = []
    for _ in range(width):
        n, r = divmod(n, 36)
        digits.append(_B36[r])
    return "".join(reversed(digits))


def _token(n: int) -> str:
    """Order-preserving, prefix-free code for 1 <= n: 2 chars, or "ZZ" + 4 chars."""
    if n < 36 * 36 - 1:
        return _b36(n, 2)
    return "ZZ" + _b36(min(n, 36**4 - 1), 4)


def _compact_primary(w: int) -> int:
    if w < _W_PUNCT:
        return 1  # space
    if w < _W_SYMBOL:
        return 2
    if w < _W_DIGIT:
        return 3
    if w < 2000:
        return 4 + (w - _W_DIGIT)  # digits 4..13
    if w < _W_OTHER_LETTER:
        return 14 + (w - 2000)  # Vietnamese alphabet 14..46
    return 100 + (w - _W_OTHER_LETTER)  # other letters by code point


def _encode_key(key: tuple) -> str:
    primary, secondary, tertiary = key
    out = [_token(_compact_primary(w)) for w in primary]
    out.append("00")
    for word in secondary:
        out.append("1")
        out.extend(_token(w) for w in word)
        out.append("00")
    out.append("0")
    out.extend("2" if t else "1" for t in tertiary)
    out.append("0")
    return "".join(out)


def collation_string(
    family: str | None,
    middle: str | None,
    given: str | None,
    birth_year: int | None = None,
) -> str:
    """``name_sort_key`` as a string whose plain string order is the same.

    For a ``sort_key`` column: ``ORDER BY sort_key`` gives the official list
    order (tên, họ, tên đệm, earlier birth first). Characters are [0-9A-Z]
    only, so binary and locale collations agree. At most
    ``COLLATION_STRING_MAX`` (400) characters: a name long enough to be cut
    (over 100 letters) may tie with another name sharing those 400
    characters, but never sorts on the wrong side of it.
    """
    year = birth_year or 9999
    parts = [_encode_key(vi_sort_key(p)) for p in (given, family, middle)]
    parts.append(f"{min(max(year, 0), 9999):04d}")
    return "".join(parts)[:COLLATION_STRING_MAX]


def split_full_name(full: str | None) -> tuple[str, str, str]:
    """Default split of a full name into ``(family, middle, given)`` (họ, đệm, tên).

    The text is NFC-normalised and whitespace-collapsed. First token = họ,
    last token = tên, everything between = tên đệm:

    * "Nguyễn Văn An" -> ("Nguyễn", "Văn", "An")
    * "Nguyễn Trãi" -> ("Nguyễn", "", "Trãi")
    * one word "Trãi" -> ("", "", "Trãi"): a lone word is taken as the tên
      (the name people are addressed and sorted by);
    * "" or None -> ("", "", "").

    Compound surnames (Hoàng Phủ) and two-syllable given names (Mỹ Dạ) cannot
    be guessed: store the three fields and let the user override the split.
    """
    tokens = clean_text(full).split()
    if not tokens:
        return ("", "", "")
    if len(tokens) == 1:
        return ("", "", tokens[0])
    return (tokens[0], " ".join(tokens[1:-1]), tokens[-1])


def join_name(family: str | None, middle: str | None, given: str | None) -> str:
    """Join họ, tên đệm, tên into a display name, skipping empty parts."""
    parts = (clean_text(p) for p in (family, middle, given))
    return " ".join(p for p in parts if p)


# --------------------------------------------------------------------------
# Slugs
# --------------------------------------------------------------------------

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(s: str | None) -> str:
    """ASCII slug: ``fold`` then every run of non-[a-z0-9] becomes one "-".

    ``slugify("Sở Thông tin và Truyền thông") == "so-thong-tin-va-truyen-thong"``.
    """
    return _NON_SLUG.sub("-", fold(s)).strip("-")
