import itertools
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificates import codes
from certificates.codes import (
    DAMM_TABLE,
    SERIAL_ALPHABET,
    VERIFICATION_ALPHABET,
    SerialParts,
    is_valid_serial,
    make_serial,
    new_verification_code,
    normalize_verification_code,
    parse_serial,
)

prefixes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10)
years = st.integers(min_value=1000, max_value=9999)
seqs = st.integers(min_value=0, max_value=999_999)


# ---------------------------------------------------------------- the Damm table itself


def test_damm_table_is_a_latin_square_with_zero_diagonal():
    n = len(SERIAL_ALPHABET)
    assert n == 36
    assert all(sorted(row) == list(range(n)) for row in DAMM_TABLE)
    assert all(sorted(DAMM_TABLE[x][y] for x in range(n)) == list(range(n)) for y in range(n))
    assert all(DAMM_TABLE[x][x] == 0 for x in range(n))


def test_damm_table_is_weakly_totally_anti_symmetric():
    # (c∘x)∘y == (c∘y)∘x implies x == y: this is what makes every adjacent transposition detectable.
    t = DAMM_TABLE
    for c, x, y in itertools.product(range(36), repeat=3):
        if x != y:
            assert t[t[c][x]][y] != t[t[c][y]][x], (c, x, y)


# ---------------------------------------------------------------- serials


def test_make_serial_format_example():
    serial = make_serial("VP", 2026, 123)
    assert re.fullmatch(r"VP-2026-000123-[0-9A-Z]", serial)
    assert parse_serial(serial) == SerialParts("VP", 2026, 123, serial[-1])
    assert parse_serial(serial).serial == serial


def test_make_serial_normalizes_prefix_case():
    assert make_serial("vp", 2026, 1) == make_serial("VP", 2026, 1)


@pytest.mark.parametrize(
    ("prefix", "year", "seq"),
    [
        ("", 2026, 1),
        ("V1", 2026, 1),
        ("VĨNH", 2026, 1),
        ("ABCDEFGHIJK", 2026, 1),
        ("VP", 999, 1),
        ("VP", 10000, 1),
        ("VP", 2026, -1),
        ("VP", 2026, 1_000_000),
        ("VP", "2026", 1),
        ("VP", 2026, True),
    ],
)
def test_make_serial_rejects_bad_parts(prefix, year, seq):
    with pytest.raises(ValueError):
        make_serial(prefix, year, seq)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "VP-2026-000123",
        "VP-2026-123-K",
        "VP2026000123K",
        "VP-26-000123-K",
        "VP-2026-000123-KK",
        "1P-2026-000123-K",
        "VP-2026-0001234-K",
        None,
        123,
        b"VP-2026-000123-K",
    ],
)
def test_parse_serial_rejects_malformed(text):
    assert parse_serial(text) is None
    assert not is_valid_serial(text)


def test_parse_serial_is_tolerant_of_case_spaces_and_typographic_dashes():
    serial = make_serial("VP", 2026, 42)
    assert is_valid_serial(f"  {serial.lower()}\n")
    assert is_valid_serial(serial.replace("-", "\u2013"))  # en dash, as pasted from Word
    assert parse_serial(f" {serial.lower()} ").serial == serial


@given(prefixes, years, seqs)
def test_serial_round_trip(prefix, year, seq):
    serial = make_serial(prefix, year, seq)
    parts = parse_serial(serial)
    assert parts is not None
    assert (parts.prefix, parts.year, parts.seq) == (prefix, year, seq)
    assert parts.serial == serial
    assert is_valid_serial(serial.lower())


@given(prefixes, years, seqs, st.data())
def test_any_single_substitution_is_detected(prefix, year, seq, data):
    serial = make_serial(prefix, year, seq)
    positions = [i for i, ch in enumerate(serial) if ch != "-"]
    i = data.draw(st.sampled_from(positions))
    replacement = data.draw(st.sampled_from([c for c in SERIAL_ALPHABET if c != serial[i]]))
    mutated = serial[:i] + replacement + serial[i + 1 :]
    assert not is_valid_serial(mutated), (serial, mutated)


@given(prefixes, years, seqs, st.data())
def test_any_adjacent_transposition_is_detected(prefix, year, seq, data):
    serial = make_serial(prefix, year, seq)
    pairs = [i for i in range(len(serial) - 1) if serial[i] != serial[i + 1]]
    i = data.draw(st.sampled_from(pairs))
    mutated = serial[:i] + serial[i + 1] + serial[i] + serial[i + 2 :]
    assert not is_valid_serial(mutated), (serial, mutated)


def test_every_substitution_and_transposition_of_one_serial_is_detected_exhaustively():
    serial = make_serial("VP", 2026, 123)
    for i, ch in enumerate(serial):
        for other in SERIAL_ALPHABET + "-":
            if other != ch:
                assert not is_valid_serial(serial[:i] + other + serial[i + 1 :])
        if i + 1 < len(serial) and ch != serial[i + 1]:
            assert not is_valid_serial(serial[:i] + serial[i + 1] + ch + serial[i + 2 :])


# ---------------------------------------------------------------- verification codes


def test_verification_alphabet_has_no_look_alikes():
    assert not set("01OIL") & set(VERIFICATION_ALPHABET)
    assert len(set(VERIFICATION_ALPHABET)) == len(VERIFICATION_ALPHABET) == 30


def test_verification_code_has_at_least_128_bits():
    bits = codes.VERIFICATION_CODE_LENGTH * math.log2(len(VERIFICATION_ALPHABET))
    assert bits >= 128
    assert (codes.VERIFICATION_CODE_LENGTH - 1) * math.log2(len(VERIFICATION_ALPHABET)) < 132.6


def test_new_verification_code_shape_and_uniqueness():
    code = new_verification_code()
    assert re.fullmatch(r"([23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}-){6}[23456789ABCDEFGHJKMNPQRSTVWXYZ]{4}", code)
    assert len({new_verification_code() for _ in range(1000)}) == 1000


def test_new_verification_code_uses_the_whole_alphabet():
    seen = set("".join(new_verification_code() for _ in range(200)).replace("-", ""))
    assert seen == set(VERIFICATION_ALPHABET)


@pytest.mark.parametrize(
    "variant",
    [
        lambda c: c,
        lambda c: c.lower(),
        lambda c: c.replace("-", ""),
        lambda c: c.replace("-", " "),
        lambda c: f"  {c.lower().replace('-', '')}  ",
        lambda c: c.replace("-", "\u2013"),
    ],
)
def test_normalize_accepts_typing_variants(variant):
    code = new_verification_code()
    assert normalize_verification_code(variant(code)) == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ABCD",
        None,
        42,
        "2345-6789-ABCD-EFGH-JKMN-PQRS-TVW",  # 27 symbols
        "2345-6789-ABCD-EFGH-JKMN-PQRS-TVWXY",  # 29 symbols
        "2345-6789-ABCD-EFGH-JKMN-PQRS-TVW0",  # zero is not in the alphabet
        "2345-6789-ABCD-EFGH-JKMN-PQRS-TVWO",
        "2345-6789-ABCD-EFGH-JKMN-PQRS-TVWI",
        "2345-6789-ABCD-EFGH-JKMN-PQRS-TVWL",
        "2345-6789-ABCD-EFGH-JKMN-PQRS-TVWU",
        "2345-6789-ABCD-EFGH-JKMN-PQRS-TVWĐ",
    ],
)
def test_normalize_rejects_malformed(text):
    assert normalize_verification_code(text) is None


@given(st.lists(st.sampled_from(VERIFICATION_ALPHABET), min_size=28, max_size=28), st.data())
def test_normalize_round_trip(symbols, data):
    raw = "".join(symbols)
    canonical = normalize_verification_code(raw)
    assert canonical is not None and canonical.replace("-", "") == raw
    assert normalize_verification_code(canonical) == canonical
    # any case, any separator placement
    noisy = "".join(
        (ch.lower() if data.draw(st.booleans()) else ch) + data.draw(st.sampled_from(["", "", "-", " "])) for ch in raw
    )
    assert normalize_verification_code(noisy) == canonical
