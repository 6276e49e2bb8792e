"""Pure tests for lms.text: normalisation, folding, collation, names."""

import itertools
import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.text import (
    clean_text,
    collation_string,
    fold,
    join_name,
    name_sort_key,
    nfc,
    slugify,
    split_full_name,
    vi_sort_key,
)


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


# -- nfc / clean_text ------------------------------------------------------


def test_nfc_composes_and_strips():
    assert nfc(nfd("  Việt  ")) == "Việt"
    assert len(nfc(nfd("Việt"))) == 4


def test_nfc_of_none_is_empty():
    assert nfc(None) == ""


def test_nfc_keeps_inner_whitespace():
    assert nfc(" a  b ") == "a  b"


def test_clean_text_collapses_whitespace_and_drops_controls():
    assert clean_text(" Nguyễn\u00a0 Văn\t\tAn\x00\u200b ") == "Nguyễn Văn An"
    assert clean_text(nfd("Đặng")) == "Đặng"
    assert clean_text(None) == ""


def test_clean_text_keeps_paragraphs():
    assert clean_text("a  \r\nb\r\n\r\n\r\n\r\nc ") == "a\nb\n\nc"


# -- fold ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn A", "nguyen van a"),
        ("Đặng", "dang"),
        ("đường ĐI", "duong di"),
        ("ư ơ ắ ấ ế ố ớ ứ", "u o a a e o o u"),
        ("Ự Ữ Ằ Ẩ Ệ Ộ Ợ Ỳ", "u u a a e o o y"),
        ("Đặng Thị Ánh Tuyết", "dang thi anh tuyet"),
        ("  Trần \t  Hưng   Đạo ", "tran hung dao"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_fold_accepts_nfd_input():
    assert fold(nfd("Nguyễn Thị Thủy Hằng")) == "nguyen thi thuy hang"


def test_fold_equates_old_and_new_tone_placement():
    assert fold("hòa") == fold("hoà") == "hoa"
    assert fold("thủy") == fold("thuỷ")
    assert fold("khỏe") == fold("khoẻ")


def test_fold_matches_across_case_and_accents():
    assert fold("Nguyễn Văn A") == fold("nguyen van a")


# -- vi_sort_key -----------------------------------------------------------


def vi_sorted(words):
    return sorted(words, key=vi_sort_key)


@pytest.mark.parametrize(
    "ordered",
    [
        ["a", "ă", "â", "b"],
        ["d", "đ", "e"],
        ["e", "ê", "g"],
        ["o", "ô", "ơ", "p"],
        ["u", "ư", "v"],
        ["ma", "mà", "mả", "mã", "má", "mạ"],
        ["ang", "anh"],
        ["áng", "anh"],
        ["ạng", "ành"],
        ["1", "9", "a"],
        ["an", "anh"],
        ["Dũng", "Đạt"],
        ["Uyên", "Ưng", "Vân"],
        ["a", "A"],
        ["ăn", "Ăn"],
    ],
)
def test_vietnamese_collation_order(ordered):
    assert vi_sorted(reversed(ordered)) == ordered
    keys = [vi_sort_key(w) for w in ordered]
    assert all(a < b for a, b in itertools.pairwise(keys))


def test_tones_are_secondary_letters_primary():
    # The whole primary decides first: "anh" (any tone) comes after "ang".
    assert vi_sort_key("ảng") < vi_sort_key("anh")
    assert vi_sort_key("ạng") < vi_sort_key("anh")
    # Same letters: tone decides, before case.
    assert vi_sort_key("Ma") < vi_sort_key("mà")


def test_both_tone_placements_give_equal_keys():
    assert vi_sort_key("hòa") == vi_sort_key("hoà")
    assert vi_sort_key("Thủy") == vi_sort_key("Thuỷ")
    assert vi_sort_key("khỏe") == vi_sort_key("khoẻ")


def test_nfc_and_nfd_give_equal_keys():
    for word in ["Nguyễn", "Việt", "Đặng", "Trường", "ỡ"]:
        assert vi_sort_key(word) == vi_sort_key(nfd(word))


def test_whitespace_runs_count_once():
    assert vi_sort_key("Văn  An") == vi_sort_key(" Văn An ")


def test_none_sorts_like_empty():
    assert vi_sort_key(None) == vi_sort_key("") < vi_sort_key("a")


def test_other_latin_letters_in_usual_place():
    assert vi_sorted(["z", "y", "w", "f", "j", "g"]) == ["f", "g", "j", "w", "y", "z"]


# -- names -----------------------------------------------------------------


def test_name_list_sorted_by_given_then_family_then_middle_then_birth():
    people = [
        ("Trần", "Văn", "An", 1980),
        ("Nguyễn", "Văn", "An", 1975),
        ("Nguyễn", "Thị", "Ánh", 1990),
        ("Lê", "Đức", "Bình", 1970),
        ("Nguyễn", "Đức", "An", 1985),
        ("Nguyễn", "Văn", "An", 1962),
        ("Đặng", "Văn", "Ân", 1980),
        ("Bùi", "Thị", "Ăn", 1980),
        ("Phạm", "", "Ân", None),
    ]
    ordered = sorted(people, key=lambda p: name_sort_key(*p))
    assert ordered == [
        ("Nguyễn", "Đức", "An", 1985),  # An: Nguyễn before Trần; Đức < Văn
        ("Nguyễn", "Văn", "An", 1962),  # same name: earlier birth first
        ("Nguyễn", "Văn", "An", 1975),
        ("Trần", "Văn", "An", 1980),
        ("Nguyễn", "Thị", "Ánh", 1990),  # anh after an
        ("Bùi", "Thị", "Ăn", 1980),  # ă after a
        ("Đặng", "Văn", "Ân", 1980),  # â after ă; Đặng < Phạm
        ("Phạm", "", "Ân", None),
        ("Lê", "Đức", "Bình", 1970),
    ]


def test_name_sort_key_unknown_birth_year_last():
    assert name_sort_key("A", "B", "C", 2001) < name_sort_key("A", "B", "C")


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Nguyễn Văn An", ("Nguyễn", "Văn", "An")),
        ("Nguyễn Thị Thủy Hằng", ("Nguyễn", "Thị Thủy", "Hằng")),
        ("Nguyễn Trãi", ("Nguyễn", "", "Trãi")),
        ("Trãi", ("", "", "Trãi")),
        ("", ("", "", "")),
        (None, ("", "", "")),
        ("  Lê \t Văn\u00a0 Lương ", ("Lê", "Văn", "Lương")),
    ],
)
def test_split_full_name(full, parts):
    assert split_full_name(full) == parts


def test_split_full_name_normalises_to_nfc():
    family, middle, given = split_full_name(nfd("Đặng Thị Ánh Tuyết"))
    assert (family, middle, given) == ("Đặng", "Thị Ánh", "Tuyết")
    assert all(unicodedata.is_normalized("NFC", p) for p in (family, middle, given))


@pytest.mark.parametrize(
    ("parts", "full"),
    [
        (("Nguyễn", "Văn", "An"), "Nguyễn Văn An"),
        (("Nguyễn", "", "Trãi"), "Nguyễn Trãi"),
        (("Hoàng Phủ", "Ngọc", "Tường"), "Hoàng Phủ Ngọc Tường"),
        (("Lâm", "Thị", "Mỹ Dạ"), "Lâm Thị Mỹ Dạ"),
        ((None, " ", "Trãi "), "Trãi"),
    ],
)
def test_join_name(parts, full):
    assert join_name(*parts) == full


def test_split_then_join_round_trips():
    assert join_name(*split_full_name(" Nguyễn  Thị Thủy  Hằng")) == "Nguyễn Thị Thủy Hằng"


# -- slugify ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Sở Thông tin và Truyền thông", "so-thong-tin-va-truyen-thong"),
        ("Huyện Tam Đảo", "huyen-tam-dao"),
        ("Sở Lao động - Thương binh và Xã hội", "so-lao-dong-thuong-binh-va-xa-hoi"),
        ("  --Đà Nẵng!! 2014  ", "da-nang-2014"),
        ("", ""),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


# -- properties ------------------------------------------------------------

VIETNAMESE_CHARS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    "AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY"
    "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
    "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b 0123456789-.,"
)
vietnamese_text = st.text(alphabet=VIETNAMESE_CHARS, max_size=30)
any_text = st.text(max_size=40)


@given(st.one_of(vietnamese_text, any_text))
def test_fold_is_idempotent(s):
    assert fold(fold(s)) == fold(s)


@given(st.one_of(vietnamese_text, any_text))
def test_fold_ignores_normalisation_form(s):
    assert fold(nfd(s)) == fold(unicodedata.normalize("NFC", s))


@given(st.one_of(vietnamese_text, any_text))
def test_vi_sort_key_never_raises_and_is_orderable(s):
    key = vi_sort_key(s)
    assert isinstance(key, tuple)
    assert (key < vi_sort_key("z")) or (key >= vi_sort_key("z"))
    assert vi_sort_key(nfd(s)) == key


@given(st.lists(st.one_of(vietnamese_text, any_text), max_size=8))
def test_sorting_random_lists_works(words):
    first = sorted(words, key=vi_sort_key)
    assert sorted(first, key=vi_sort_key) == first


@given(any_text)
def test_slugify_is_ascii_slug(s):
    slug = slugify(s)
    assert slug == slug.strip("-")
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in slug)
    assert "--" not in slug


@given(any_text)
def test_clean_text_is_idempotent_nfc(s):
    cleaned = clean_text(s)
    assert clean_text(cleaned) == cleaned
    assert unicodedata.is_normalized("NFC", cleaned)


# -- collation_string --------------------------------------------------------

name_part = st.one_of(st.just(""), vietnamese_text, st.text(max_size=6))
years = st.one_of(st.none(), st.integers(min_value=1900, max_value=2030))


def cmp(a, b):
    return (a > b) - (a < b)


@given(name_part, name_part, name_part, years, name_part, name_part, name_part, years)
def test_collation_string_orders_like_name_sort_key(f1, m1, g1, y1, f2, m2, g2, y2):
    s1, s2 = collation_string(f1, m1, g1, y1), collation_string(f2, m2, g2, y2)
    assert cmp(s1, s2) == cmp(name_sort_key(f1, m1, g1, y1), name_sort_key(f2, m2, g2, y2))


@given(name_part, name_part, name_part, years)
def test_collation_string_alphabet_and_length(family, middle, given_name, year):
    s = collation_string(family, middle, given_name, year)
    assert re.fullmatch(r"[0-9A-Z]+", s)
    assert len(s) <= 400


def test_collation_string_sorts_a_name_list():
    people = [
        ("Trần", "Văn", "An", 1980),
        ("Nguyễn", "Văn", "An", 1975),
        ("Bùi", "Thị", "Ăn", None),
        ("Nguyễn", "Thị", "Ánh", 1990),
        ("Nguyễn", "Văn", "An", 1962),
        ("Hoàng Phủ", "Ngọc", "Tường", 1986),
        ("Lâm", "Thị", "Mỹ Dạ", 1973),
    ]
    by_string = sorted(people, key=lambda p: collation_string(*p))
    assert by_string == sorted(people, key=lambda p: name_sort_key(*p))
    assert collation_string("Nguyễn", "Thị", "Hòa") == collation_string("Nguyễn", "Thị", "Hoà")
