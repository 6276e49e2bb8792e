"""Certificate serial numbers and verification codes (pure functions, no database).

Serial numbers
--------------
Format ``PREFIX-YYYY-NNNNNN-C``, for example ``VP-2026-000123-K``:

* ``PREFIX``: 1 to 10 letters A-Z (the issuing programme, e.g. ``VP`` for Vĩnh Phúc);
* ``YYYY``: the year of issue;
* ``NNNNNN``: the sequence number within that prefix and year, zero-padded to 6 digits;
* ``C``: one check character from ``0-9A-Z``.

The check character is computed over ``PREFIX + YYYY + NNNNNN`` (dashes excluded) with the
**Damm algorithm** (H. M. Damm, 2004) over the 36-symbol alphabet ``0-9A-Z``. Damm's scheme needs a
*totally anti-symmetric quasigroup* of the alphabet's order with a zero diagonal; we use the
direct product of the quasigroups ``x∘y = a·(x − y)`` over the finite fields GF(4) (with ``a = ω``)
and GF(9) (with ``a = i``, ``i² = −1``), which has order 4 × 9 = 36. For ``a ∉ {0, 1}`` the operation
is a Latin square with ``x∘x = 0`` and ``(c∘x)∘y = (c∘y)∘x ⇒ x = y``, and those properties survive
the direct product. Consequently the check detects **every single-character substitution and every
adjacent transposition** (including one involving the check character itself); the test-suite
verifies these properties exhaustively on the table.

(ISO 7064 MOD 37,36 was considered and rejected: as a hybrid system it misses 36 of the adjacent
transpositions, e.g. the digits ``0``/``1`` after a state of 18. Luhn mod N misses the pair
``0``/``N−1``. ISO 7064 MOD 37-2 catches everything but needs a 37th check symbol ``*``.)

Verification codes
------------------
``new_verification_code()`` draws 28 symbols uniformly with :mod:`secrets` from the 30-symbol
alphabet ``23456789ABCDEFGHJKMNPQRSTVWXYZ`` (no ``0 O 1 I L U``), i.e. 28 × log2(30) ≈ 137.4 bits
(27 symbols would give 132.5 bits; 28 is used so the code splits into 7 groups of 4). The canonical
form, which is both what ``new_verification_code()`` returns and what
``normalize_verification_code()`` returns, is upper case grouped with dashes:
``ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567``.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from typing import NamedTuple

__all__ = [
    "SERIAL_ALPHABET",
    "VERIFICATION_ALPHABET",
    "VERIFICATION_CODE_BITS",
    "VERIFICATION_CODE_LENGTH",
    "VERIFICATION_GROUP_SIZE",
    "SerialParts",
    "check_character",
    "is_valid_serial",
    "make_serial",
    "new_verification_code",
    "normalize_verification_code",
    "parse_serial",
]

# --------------------------------------------------------------------------------------------
# Damm quasigroup of order 36 = GF(4) x GF(9)
# --------------------------------------------------------------------------------------------

SERIAL_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SERIAL_VALUE = {ch: i for i, ch in enumerate(SERIAL_ALPHABET)}


def _gf4_mul(x: int, y: int) -> int:
    """Multiply in GF(4) = GF(2)[w]/(w^2 + w + 1); element b0 + b1*w is encoded as b0 | b1 << 1."""
    x0, x1, y0, y1 = x & 1, x >> 1, y & 1, y >> 1
    c0 = (x0 & y0) ^ (x1 & y1)
    c1 = (x0 & y1) ^ (x1 & y0) ^ (x1 & y1)
    return c0 | (c1 << 1)


def _gf4_op(x: int, y: int) -> int:
    """x∘y = w·(x − y) in GF(4) (subtraction is XOR)."""
    return _gf4_mul(0b10, x ^ y)


def _gf9_op(x: int, y: int) -> int:
    """x∘y = i·(x − y) in GF(9) = GF(3)[i]/(i^2 + 1); element q0 + q1*i is encoded as q0 + 3*q1."""
    d0 = (x % 3 - y % 3) % 3
    d1 = (x // 3 - y // 3) % 3
    # i·(d0 + d1 i) = −d1 + d0 i
    return (-d1) % 3 + 3 * d0


def _build_damm_table() -> tuple[tuple[int, ...], ...]:
    table = []
    for x in range(36):
        row = []
        for y in range(36):
            p = _gf4_op(x // 9, y // 9)
            q = _gf9_op(x % 9, y % 9)
            row.append(p * 9 + q)
        table.append(tuple(row))
    return tuple(table)


DAMM_TABLE: tuple[tuple[int, ...], ...] = _build_damm_table()


def _damm_interim(text: str) -> int:
    interim = 0
    for ch in text:
        interim = DAMM_TABLE[interim][_SERIAL_VALUE[ch]]
    return interim


def check_character(payload: str) -> str:
    """Damm check character (``0-9A-Z``) for an upper-case alphanumeric payload."""
    if not payload or any(ch not in _SERIAL_VALUE for ch in payload):
        raise ValueError(f"payload must be non-empty upper-case 0-9A-Z, got {payload!r}")
    # The table has a zero diagonal, so appending the interim value brings the fold back to 0.
    return SERIAL_ALPHABET[_damm_interim(payload)]


# --------------------------------------------------------------------------------------------
# Serial numbers
# --------------------------------------------------------------------------------------------

SEQ_DIGITS = 6
_PREFIX_RE = re.compile(r"[A-Z]{1,10}")
_SERIAL_RE = re.compile(r"([A-Z]{1,10})-([0-9]{4})-([0-9]{6})-([0-9A-Z])")
# Dash look-alikes that survive copy/paste from word processors and PDFs.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")


class SerialParts(NamedTuple):
    prefix: str
    year: int
    seq: int
    check: str

    @property
    def serial(self) -> str:
        """The canonical serial, e.g. ``VP-2026-000123-K``."""
        return f"{self.prefix}-{self.year:04d}-{self.seq:0{SEQ_DIGITS}d}-{self.check}"


def _payload(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}{year:04d}{seq:0{SEQ_DIGITS}d}"


def make_serial(prefix: str, year: int, seq: int) -> str:
    """Build ``PREFIX-YYYY-NNNNNN-C`` with its Damm check character.

    ``prefix`` is 1-10 letters (any case; stored upper case), ``year`` 1000-9999, ``seq`` 0-999999.
    """
    if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix.upper()):
        raise ValueError(f"prefix must be 1-10 letters A-Z, got {prefix!r}")
    if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
        raise ValueError(f"year must be a 4-digit int, got {year!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 10**SEQ_DIGITS:
        raise ValueError(f"seq must be an int in 0..{10**SEQ_DIGITS - 1}, got {seq!r}")
    prefix = prefix.upper()
    return SerialParts(prefix, year, seq, check_character(_payload(prefix, year, seq))).serial


def parse_serial(s: object) -> SerialParts | None:
    """Parse and check a serial typed by a person; ``None`` if malformed or the check fails.

    Case-insensitive, ignores surrounding white space and accepts typographic dashes.
    """
    if not isinstance(s, str):
        return None
    text = unicodedata.normalize("NFKC", s).translate(_DASHES).strip().upper()
    m = _SERIAL_RE.fullmatch(text)
    if m is None:
        return None
    prefix, year, seq, check = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    if year < 1000:
        return None
    if _damm_interim(_payload(prefix, year, seq) + check) != 0:
        return None
    return SerialParts(prefix, year, seq, check)


def is_valid_serial(s: object) -> bool:
    """True when ``s`` is a well-formed serial whose check character matches."""
    return parse_serial(s) is not None


# --------------------------------------------------------------------------------------------
# Verification codes
# --------------------------------------------------------------------------------------------

VERIFICATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
VERIFICATION_GROUP_SIZE = 4
VERIFICATION_CODE_LENGTH = 28  # ceil(128 / log2(30)) = 27, rounded up to a multiple of the group size
VERIFICATION_CODE_BITS = VERIFICATION_CODE_LENGTH * math.log2(len(VERIFICATION_ALPHABET))
assert VERIFICATION_CODE_BITS >= 128
assert VERIFICATION_CODE_LENGTH % VERIFICATION_GROUP_SIZE == 0

_VERIFICATION_SET = frozenset(VERIFICATION_ALPHABET)
_SEPARATORS = re.compile(r"[\s\-_.]+")


def _group(raw: str) -> str:
    n = VERIFICATION_GROUP_SIZE
    return "-".join(raw[i : i + n] for i in range(0, len(raw), n))


def new_verification_code() -> str:
    """A fresh random code in canonical form, e.g. ``7KQ2-M9XD-...`` (7 groups of 4, ≈137 bits)."""
    raw = "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_CODE_LENGTH))
    return _group(raw)


def normalize_verification_code(s: object) -> str | None:
    """Canonical form of a code typed or pasted by a person, or ``None`` when malformed.

    Accepts any letter case, with or without dashes/spaces (also full-width forms and typographic
    dashes). Characters outside the alphabet (``0 O 1 I L U`` ...) or a wrong length give ``None``:
    no guessing, because the alphabet excludes both members of each look-alike pair.
    """
    if not isinstance(s, str):
        return None
    text = unicodedata.normalize("NFKC", s).translate(_DASHES).upper()
    raw = _SEPARATORS.sub("", text)
    if len(raw) != VERIFICATION_CODE_LENGTH or not _VERIFICATION_SET.issuperset(raw):
        return None
    return _group(raw)
