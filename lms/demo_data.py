"""Deterministic demo data for Vĩnh Phúc province (2014 snapshot).

Pure data and generators, no database: the seeding command turns these dicts
into rows. Treat the module-level lists as read-only.

* ``UNITS``: 35 units (26 provincial bodies + 9 district-level units), the
  figure used in the province's ranking report, plus a few communes flagged
  ``extra: True`` as an example of the commune level.
* ``generate_officials(seed)``: several hundred officials, same seed -> same
  list (only ``random.Random(seed)`` is used).
* ``DEMO_ACCOUNTS``: the fixed demo logins (passwords are the caller's choice).
* ``REORGANISATION_DAY`` and ``issuer_on(settings, day)``: from 1 July 2025 the province is the new
  Phú Thọ and the Department of Information and Communications is part of Science and Technology
  (the adoption demo step records it in the unit history): a certificate dated before it names the
  2014 issuer (Vĩnh Phúc, Information and Communications), one dated from then on today's (the
  certificates' default settings).

Unit list basis: NĐ 24/2014/NĐ-CP (17 uniform bodies), Sở Ngoại vụ and Ban QL
các KCN (present in Vĩnh Phúc), the 9 district-level units unchanged since
2008. See /work/shared/reference/vn_domain.md section 4. Staff counts are
invented for the demo, not real establishment figures.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date

from lms.text import fold, join_name

__all__ = [
    "DEMO_ACCOUNTS",
    "EMAIL_DOMAIN",
    "UNITS",
    "REORGANISATION_DAY",
    "UNIT_BY_CODE",
    "generate_officials",
    "issuer_on",
]

EMAIL_DOMAIN = "vinhphuc.gov.vn"

#: Two-level local government (NQ 203/2025/QH15), the merger of Vĩnh Phúc, Phú Thọ and Hòa Bình into
#: the new Phú Thọ, and the Department of Information and Communications merged into Science and
#: Technology: the demo records all of it on this day (the department merger was in March in most
#: provinces: a demo choice).
REORGANISATION_DAY = date(2025, 7, 1)
ISSUER_BEFORE_REORGANISATION = {
    "issuer_parent": "ỦY BAN NHÂN DÂN TỈNH VĨNH PHÚC",
    "issuer_name": "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    "place": "Vĩnh Phúc",
}


def issuer_on(settings, day: date):
    """The certificate settings (a dataclass with ``issuer_parent``, ``issuer_name``, ``place``) a demo
    certificate dated ``day`` is issued with: the 2014 issuer before ``REORGANISATION_DAY``, else
    ``settings`` unchanged (today's issuer)."""
    if day >= REORGANISATION_DAY:
        return settings
    return dataclasses.replace(settings, **ISSUER_BEFORE_REORGANISATION)


# Unit kinds (values of lms.org.models.UnitKind).
SO = "so_ban_nganh"
HUYEN = "huyen"
XA = "xa"
SU_NGHIEP = "su_nghiep"


def _unit(code, name, kind, staff, parent_code=None, extra=False):
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "parent_code": parent_code,
        "staff": staff,
        "extra": extra,
    }


UNITS: list[dict] = [
    # -- The 17 bodies organised uniformly under NĐ 24/2014/NĐ-CP ------------
    _unit("SNV", "Sở Nội vụ", SO, 26),
    _unit("STP", "Sở Tư pháp", SO, 19),
    _unit("SKHDT", "Sở Kế hoạch và Đầu tư", SO, 27),
    _unit("STC", "Sở Tài chính", SO, 29),
    _unit("SCT", "Sở Công Thương", SO, 23),
    _unit("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn", SO, 34),
    _unit("SGTVT", "Sở Giao thông vận tải", SO, 24),
    _unit("SXD", "Sở Xây dựng", SO, 21),
    _unit("STNMT", "Sở Tài nguyên và Môi trường", SO, 30),
    _unit("STTTT", "Sở Thông tin và Truyền thông", SO, 18),
    _unit("SLDTBXH", "Sở Lao động - Thương binh và Xã hội", SO, 25),
    _unit("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", SO, 27),
    _unit("SKHCN", "Sở Khoa học và Công nghệ", SO, 16),
    _unit("SGDDT", "Sở Giáo dục và Đào tạo", SO, 32),
    _unit("SYT", "Sở Y tế", SO, 31),
    _unit("TTRA", "Thanh tra tỉnh", SO, 20),
    _unit("VPUBND", "Văn phòng Ủy ban nhân dân tỉnh", SO, 38),
    # -- Other provincial bodies ------------------------------------------------
    _unit("SNGV", "Sở Ngoại vụ", SO, 4),  # tiny on purpose: "too few to be fair"
    _unit("BQLKCN", "Ban Quản lý các khu công nghiệp", SO, 17),
    # Ban Dân tộc: NOT confirmed for Vĩnh Phúc in 2014 (vn_domain.md 4.2);
    # kept for the demo, and tiny on purpose ("too few to be fair").
    _unit("BDT", "Ban Dân tộc", SO, 3),
    _unit("VPDDBQH", "Văn phòng Đoàn ĐBQH và HĐND tỉnh", SO, 15),
    # Đơn vị sự nghiệp trực thuộc UBND tỉnh (demo choices, not a verified list).
    _unit("DPTTH", "Đài Phát thanh và Truyền hình tỉnh", SU_NGHIEP, 24),
    _unit("TTPVHCC", "Trung tâm Phục vụ hành chính công", SU_NGHIEP, 13),
    _unit("BAOVP", "Báo Vĩnh Phúc", SU_NGHIEP, 16),
    _unit("TRCT", "Trường Chính trị tỉnh", SU_NGHIEP, 14),
    _unit("TTXTDT", "Trung tâm Xúc tiến đầu tư tỉnh", SU_NGHIEP, 12),
    # -- The 9 district-level units (2014) ----------------------------------
    _unit("H-VINHYEN", "Thành phố Vĩnh Yên", HUYEN, 42),
    _unit("H-PHUCYEN", "Thị xã Phúc Yên", HUYEN, 36),
    _unit("H-BINHXUYEN", "Huyện Bình Xuyên", HUYEN, 31),
    _unit("H-YENLAC", "Huyện Yên Lạc", HUYEN, 33),
    _unit("H-VINHTUONG", "Huyện Vĩnh Tường", HUYEN, 40),
    _unit("H-TAMDUONG", "Huyện Tam Dương", HUYEN, 28),
    _unit("H-TAMDAO", "Huyện Tam Đảo", HUYEN, 24),
    _unit("H-LAPTHACH", "Huyện Lập Thạch", HUYEN, 37),
    _unit("H-SONGLO", "Huyện Sông Lô", HUYEN, 30),
    # -- Examples of the commune level (outside the 35) ----------------------
    _unit("X-HOPCHAU", "Thị trấn Hợp Châu", XA, 8, "H-TAMDAO", extra=True),
    _unit("X-DAIDINH", "Xã Đại Đình", XA, 7, "H-TAMDAO", extra=True),
    _unit("X-LIENBAO", "Phường Liên Bảo", XA, 9, "H-VINHYEN", extra=True),
]

UNIT_BY_CODE: dict[str, dict] = {u["code"]: u for u in UNITS}

_LEVEL_BY_KIND = {SO: "tinh", SU_NGHIEP: "tinh", HUYEN: "huyen", XA: "xa"}

# Units whose staff skews older (birth years around the late 1960s).
_OLDER_STAFF_UNITS = frozenset({"TTRA", "SNNPTNT", "H-LAPTHACH", "H-SONGLO", "X-DAIDINH"})

# -- Names ---------------------------------------------------------------------
# Weights are rough national shares in percent; the long tail is lumped so
# that Nguyễn stays near 38%.
_FAMILY_NAMES = [
    ("Nguyễn", 38.0),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Hoàng", 5.0),
    ("Vũ", 4.0),
    ("Phan", 4.0),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
    ("Đào", 0.8),
    ("Đinh", 0.8),
    ("Lương", 0.5),
    ("Trịnh", 0.6),
    ("Tạ", 0.5),
    ("Khổng", 0.3),
    ("Kim", 0.3),
    ("Phùng", 0.6),
    ("Kiều", 0.4),
    ("Hà", 0.6),
    ("Cao", 0.4),
    ("Lưu", 0.4),
    ("Đoàn", 0.5),
    ("Doãn", 0.2),
    ("Chu", 0.3),
    ("Mai", 0.4),
    ("Triệu", 0.3),
    ("Lâm", 0.3),
]

_MIDDLE_MALE = [
    ("Văn", 40),
    ("Đức", 9),
    ("Minh", 8),
    ("Quang", 7),
    ("Hữu", 6),
    ("Xuân", 5),
    ("Công", 4),
    ("Mạnh", 3),
    ("Tiến", 3),
    ("Thanh", 4),
    ("Ngọc", 3),
    ("Trung", 2),
    ("Hồng", 2),
    ("Việt", 2),
    ("Duy", 2),
    ("Thế", 2),
    ("Đình", 3),
    ("Trọng", 2),
    ("Anh", 1),
    ("Quốc", 3),
]
_MIDDLE_FEMALE = [
    ("Thị", 55),
    ("Thu", 6),
    ("Ngọc", 5),
    ("Thanh", 5),
    ("Hồng", 4),
    ("Minh", 3),
    ("Phương", 2),
    ("Thúy", 2),
    ("Kim", 3),
    ("Bích", 2),
    ("Mai", 2),
    ("Hải", 2),
    ("Diệu", 1),
    ("Khánh", 2),
    ("Lan", 1),
]
# Second syllable of a two-syllable middle name ("Thị Thu", "Văn Minh"...).
_MIDDLE2_MALE = ["Minh", "Quang", "Thanh", "Ngọc", "Hoàng", "Xuân", "Anh"]
_MIDDLE2_FEMALE = ["Thu", "Thanh", "Ngọc", "Hồng", "Minh", "Kim", "Thúy", "Phương"]

_GIVEN_MALE = [
    "An",
    "Anh",
    "Bình",
    "Cường",
    "Chiến",
    "Dũng",
    "Duy",
    "Đạt",
    "Đức",
    "Giang",
    "Hải",
    "Hiếu",
    "Hòa",
    "Hoàng",
    "Hùng",
    "Huy",
    "Hưng",
    "Khánh",
    "Kiên",
    "Lâm",
    "Long",
    "Lợi",
    "Mạnh",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quang",
    "Quân",
    "Sơn",
    "Tâm",
    "Thắng",
    "Thành",
    "Thịnh",
    "Tiến",
    "Toàn",
    "Trung",
    "Tuấn",
    "Tùng",
    "Việt",
    "Vinh",
    "Vũ",
    "Khải",
    "Lực",
    "Ân",
    "Thủy",
    "Ưng",
]
_GIVEN_FEMALE = [
    "An",
    "Anh",
    "Ánh",
    "Bích",
    "Chi",
    "Dung",
    "Dương",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hòa",
    "Hồng",
    "Huệ",
    "Huyền",
    "Hương",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Ly",
    "Mai",
    "Nga",
    "Ngân",
    "Ngọc",
    "Nhung",
    "Oanh",
    "Phương",
    "Quỳnh",
    "Tâm",
    "Thảo",
    "Thu",
    "Thủy",
    "Trang",
    "Tuyết",
    "Uyên",
    "Vân",
    "Yến",
    "Ngà",
    "Thư",
]

# The special people the demo must contain exactly once, and where.
# (unit code, family, middle, given, gender, position)
_SPECIAL_PEOPLE = [
    ("H-TAMDAO", "Nguyễn", "Thị Thủy", "Hằng", "female", "specialist"),
    ("SVHTTDL", "Lâm", "Thị", "Mỹ Dạ", "female", "specialist"),
    ("BAOVP", "Hoàng Phủ", "Ngọc", "Tường", "male", "specialist"),
]

# -- Demo logins -------------------------------------------------------------
# Not part of generate_officials(); their e-mails are reserved so that no
# generated official collides with them. Codes VP-9000xx are outside the
# generated range. ``role`` values follow lms.auth.models.Role.
DEMO_ACCOUNTS: list[dict] = [
    {
        "username": "admin",
        "role": "admin",
        "code": "VP-900001",
        "family": "Trần",
        "middle": "Quốc",
        "given": "Khánh",
        "full_name": "Trần Quốc Khánh",
        "gender": "male",
        "birth_year": 1978,
        "email": "khanh.tranq@vinhphuc.gov.vn",
        "phone": "0912000001",
        "unit_code": "STTTT",
        "position": "it_officer",
        "category": "cong_chuc",
        "level": "tinh",
    },
    {
        "username": "cntt",
        "role": "it_staff",
        "code": "VP-900002",
        "family": "Lê",
        "middle": "Hoàng",
        "given": "Việt",
        "full_name": "Lê Hoàng Việt",
        "gender": "male",
        "birth_year": 1988,
        "email": "viet.leh@vinhphuc.gov.vn",
        "phone": "0912000002",
        "unit_code": "STTTT",
        "position": "it_officer",
        "category": "cong_chuc",
        "level": "tinh",
    },
    {
        "username": "truongdonvi",
        "role": "unit_head",
        "code": "VP-900003",
        "family": "Phùng",
        "middle": "Đức",
        "given": "Thắng",
        "full_name": "Phùng Đức Thắng",
        "gender": "male",
        "birth_year": 1971,
        "email": "thang.phungd@vinhphuc.gov.vn",
        "phone": "0912000003",
        "unit_code": "H-TAMDAO",
        "position": "leader",
        "category": "can_bo",
        "level": "huyen",
    },
    {
        "username": "canbo",
        "role": "official",
        "code": "VP-900004",
        "family": "Đỗ",
        "middle": "Thị Thu",
        "given": "Trang",
        "full_name": "Đỗ Thị Thu Trang",
        "gender": "female",
        "birth_year": 1992,
        "email": "trang.dottt@vinhphuc.gov.vn",
        "phone": "0912000004",
        "unit_code": "H-TAMDAO",
        "position": "specialist",
        "category": "cong_chuc",
        "level": "huyen",
    },
]


# -- Generator -----------------------------------------------------------------


def _weighted(rng: random.Random, table: list[tuple[str, float]]) -> str:
    names, weights = zip(*table, strict=True)
    return rng.choices(names, weights=weights)[0]


def _ascii(word: str) -> str:
    return "".join(c for c in fold(word) if c.isascii() and c.isalnum())


def _email_local(family: str, middle: str, given: str) -> str:
    """given.family + middle initials, folded: Nguyễn Thị Thủy Hằng -> hang.nguyentt."""
    initials = "".join(_ascii(w)[:1] for w in middle.split())
    return f"{_ascii(given)}.{_ascii(family)}{initials}"


def _positions(rng: random.Random, unit: dict) -> list[str]:
    """Positions for one unit: 1-3 leaders, 1 văn thư, 1 portal editor, 0-1 IT, rest specialists."""
    n = unit["staff"]
    if n <= 6:
        leaders = 1
    elif n < 20:
        leaders = rng.choice([1, 2, 2])
    else:
        leaders = rng.choice([2, 3, 3])
    clerks = 1 if n >= 4 else 0
    editors = 1
    if unit["code"] == "STTTT":
        it = 2
    elif n >= 12:
        it = 1 if rng.random() < 0.6 else 0
    else:
        it = 0
    fixed = ["leader"] * leaders + ["clerk"] * clerks + ["portal_editor"] * editors + ["it_officer"] * it
    fixed = fixed[:n]
    return fixed + ["specialist"] * (n - len(fixed))


def _category(rng: random.Random, kind: str, position: str) -> str:
    r = rng.random()
    if kind == SU_NGHIEP:
        return "vien_chuc" if r < 0.85 else ("hop_dong" if r < 0.97 else "cong_chuc")
    if kind == HUYEN:
        if position == "leader":
            return "can_bo" if r < 0.7 else "cong_chuc"
        return "cong_chuc" if r < 0.85 else ("hop_dong" if r < 0.95 else "vien_chuc")
    if kind == XA:
        if position == "leader":
            return "can_bo"
        return "cong_chuc" if r < 0.85 else "hop_dong"
    # Sở, ban, ngành: heads are công chức holding a leadership post.
    if position == "leader":
        return "cong_chuc" if r < 0.9 else "can_bo"
    if position == "clerk":
        return "cong_chuc" if r < 0.7 else "hop_dong"
    return "cong_chuc" if r < 0.9 else ("vien_chuc" if r < 0.95 else "hop_dong")


def _birth_year(rng: random.Random, unit_code: str, position: str) -> int:
    if position == "leader":
        low, high, mode = 1962, 1982, 1970
    elif unit_code in _OLDER_STAFF_UNITS:
        low, high, mode = 1962, 2001, 1968
    else:
        low, high, mode = 1962, 2001, 1986
    return round(rng.triangular(low, high, mode))


def _random_name(rng: random.Random, gender: str) -> tuple[str, str, str]:
    family = _weighted(rng, _FAMILY_NAMES)
    male = gender == "male"
    r = rng.random()
    if r < 0.015:
        middle = ""
    else:
        middle = _weighted(rng, _MIDDLE_MALE if male else _MIDDLE_FEMALE)
        if r > 0.85:
            second = rng.choice(_MIDDLE2_MALE if male else _MIDDLE2_FEMALE)
            if second != middle:
                middle = f"{middle} {second}"
    given = rng.choice(_GIVEN_MALE if male else _GIVEN_FEMALE)
    if given in middle.split():
        given = rng.choice(_GIVEN_MALE if male else _GIVEN_FEMALE)
    return family, middle, given


def generate_officials(seed: int = 2014) -> list[dict]:
    """Officials of every unit in ``UNITS`` (``unit["staff"]`` each), deterministic in ``seed``.

    Each dict: ``code`` ("VP-000001"...), ``family``, ``middle``, ``given``,
    ``full_name``, ``gender`` ("male"/"female"), ``birth_year``, ``email``
    (unique, ascii, ``given.family<middle initials>@vinhphuc.gov.vn``, digits
    added on collision), ``phone`` (unique "09xxxxxxxx"), ``unit_code``,
    ``position`` (leader/specialist/clerk/portal_editor/it_officer),
    ``category`` (can_bo/cong_chuc/vien_chuc/hop_dong), ``level``
    (tinh/huyen/xa) and ``active``. Leaders come first in each unit.

    The list contains exactly one Nguyễn Thị Thủy Hằng, one Lâm Thị Mỹ Dạ
    (two-syllable given name) and one Hoàng Phủ Ngọc Tường (compound family
    name). ``DEMO_ACCOUNTS`` are not included, but their e-mails are reserved.
    """
    rng = random.Random(seed)
    used_emails = {a["email"] for a in DEMO_ACCOUNTS}
    used_phones = {a["phone"] for a in DEMO_ACCOUNTS}
    special_names = {(f, m, g) for _, f, m, g, _, _ in _SPECIAL_PEOPLE}
    specials_by_unit: dict[str, list[tuple]] = {}
    for person in _SPECIAL_PEOPLE:
        specials_by_unit.setdefault(person[0], []).append(person)

    officials: list[dict] = []
    for unit in UNITS:
        pending = list(specials_by_unit.get(unit["code"], []))
        for position in _positions(rng, unit):
            gender = "female" if rng.random() < 0.48 else "male"
            family, middle, given = _random_name(rng, gender)
            while (family, middle, given) in special_names:
                family, middle, given = _random_name(rng, gender)
            special = bool(pending) and position == pending[0][5]
            if special:
                _, family, middle, given, gender, position = pending.pop(0)

            local = _email_local(family, middle, given)
            email, n = f"{local}@{EMAIL_DOMAIN}", 1
            while email in used_emails:
                n += 1
                email = f"{local}{n}@{EMAIL_DOMAIN}"
            used_emails.add(email)

            phone = f"09{rng.randrange(10**8):08d}"
            while phone in used_phones:
                phone = f"09{rng.randrange(10**8):08d}"
            used_phones.add(phone)

            officials.append(
                {
                    "code": f"VP-{len(officials) + 1:06d}",
                    "family": family,
                    "middle": middle,
                    "given": given,
                    "full_name": join_name(family, middle, given),
                    "gender": gender,
                    "birth_year": _birth_year(rng, unit["code"], position),
                    "email": email,
                    "phone": phone,
                    "unit_code": unit["code"],
                    "position": position,
                    "category": _category(rng, unit["kind"], position),
                    "level": _LEVEL_BY_KIND[unit["kind"]],
                    "active": rng.random() >= 0.015 or special,
                }
            )
        if pending:  # pragma: no cover - guards the data tables above
            raise AssertionError(f"no slot for special people in {unit['code']}")
    return officials
