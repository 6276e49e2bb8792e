"""Pure tests for lms.demo_data: units, generated officials, demo logins."""

import re
import unicodedata
from collections import Counter

import pytest

from lms.demo_data import DEMO_ACCOUNTS, UNIT_BY_CODE, UNITS, generate_officials

KINDS = {"so_ban_nganh", "huyen", "xa", "su_nghiep"}
POSITIONS = {"leader", "specialist", "clerk", "portal_editor", "it_officer"}
CATEGORIES = {"can_bo", "cong_chuc", "vien_chuc", "hop_dong"}


@pytest.fixture(scope="module")
def officials():
    return generate_officials()


def all_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from all_strings(value)
    elif isinstance(obj, list | tuple):
        for value in obj:
            yield from all_strings(value)


# -- units -------------------------------------------------------------------


def test_thirty_five_units_outside_the_commune_examples():
    core = [u for u in UNITS if not u["extra"]]
    assert len(core) == 35
    assert sum(u["kind"] == "huyen" for u in core) == 9
    assert sum(u["kind"] in {"so_ban_nganh", "su_nghiep"} for u in core) == 26


def test_unit_codes_unique_and_short():
    codes = [u["code"] for u in UNITS]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[A-Z][A-Z0-9-]{1,15}", c) for c in codes)
    assert UNIT_BY_CODE["STTTT"]["name"] == "Sở Thông tin và Truyền thông"
    assert UNIT_BY_CODE["H-TAMDAO"]["name"] == "Huyện Tam Đảo"


def test_unit_kinds_and_parents():
    for unit in UNITS:
        assert unit["kind"] in KINDS
        if unit["kind"] == "xa":
            assert unit["extra"] is True
            assert UNIT_BY_CODE[unit["parent_code"]]["kind"] == "huyen"
        else:
            assert unit["parent_code"] is None
    assert 2 <= sum(u["extra"] for u in UNITS) <= 3


def test_the_17_uniform_bodies_and_the_9_districts_are_present():
    names = {u["name"] for u in UNITS}
    for name in [
        "Sở Nội vụ",
        "Sở Tư pháp",
        "Sở Kế hoạch và Đầu tư",
        "Sở Tài chính",
        "Sở Công Thương",
        "Sở Nông nghiệp và Phát triển nông thôn",
        "Sở Giao thông vận tải",
        "Sở Xây dựng",
        "Sở Tài nguyên và Môi trường",
        "Sở Thông tin và Truyền thông",
        "Sở Lao động - Thương binh và Xã hội",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Sở Khoa học và Công nghệ",
        "Sở Giáo dục và Đào tạo",
        "Sở Y tế",
        "Thanh tra tỉnh",
        "Văn phòng Ủy ban nhân dân tỉnh",
        "Sở Ngoại vụ",
        "Ban Quản lý các khu công nghiệp",
        "Thành phố Vĩnh Yên",
        "Thị xã Phúc Yên",
        "Huyện Bình Xuyên",
        "Huyện Yên Lạc",
        "Huyện Vĩnh Tường",
        "Huyện Tam Dương",
        "Huyện Tam Đảo",
        "Huyện Lập Thạch",
        "Huyện Sông Lô",
    ]:
        assert name in names


def test_staff_counts_plausible_with_some_tiny_units():
    core = [u for u in UNITS if not u["extra"]]
    assert 700 <= sum(u["staff"] for u in UNITS) <= 900
    tiny = [u for u in core if u["staff"] <= 4]
    assert 1 <= len(tiny) <= 2
    for unit in core:
        if unit in tiny:
            continue
        low, high = (15, 45) if unit["kind"] == "huyen" else (12, 40)
        assert low <= unit["staff"] <= high, unit["code"]


# -- officials ---------------------------------------------------------------


def test_same_seed_same_list_different_seed_different_list(officials):
    assert generate_officials(2014) == officials
    assert generate_officials() == generate_officials(2014)
    assert generate_officials(7) != officials


def test_every_unit_gets_its_staff_count(officials):
    per_unit = Counter(o["unit_code"] for o in officials)
    assert per_unit == {u["code"]: u["staff"] for u in UNITS}


def test_codes_emails_phones_unique(officials):
    for field in ("code", "email", "phone"):
        values = [o[field] for o in officials] + [a[field] for a in DEMO_ACCOUNTS]
        assert len(values) == len(set(values)), field


def test_code_email_phone_formats(officials):
    for o in officials:
        assert re.fullmatch(r"VP-\d{6}", o["code"])
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d*@vinhphuc\.gov\.vn", o["email"]), o["email"]
        assert re.fullmatch(r"09\d{8}", o["phone"])


def test_officials_reference_existing_units_with_matching_level(officials):
    level = {"so_ban_nganh": "tinh", "su_nghiep": "tinh", "huyen": "huyen", "xa": "xa"}
    for o in officials:
        unit = UNIT_BY_CODE[o["unit_code"]]
        assert o["level"] == level[unit["kind"]]
        assert o["position"] in POSITIONS
        assert o["category"] in CATEGORIES
        assert o["gender"] in {"male", "female"}
        assert 1962 <= o["birth_year"] <= 2001
        assert isinstance(o["active"], bool)


def test_all_text_is_nfc():
    data = [UNITS, DEMO_ACCOUNTS, generate_officials()]
    assert all(unicodedata.is_normalized("NFC", s) for s in all_strings(data))


def test_full_name_is_the_joined_parts(officials):
    for o in officials:
        assert o["full_name"] == " ".join(p for p in (o["family"], o["middle"], o["given"]) if p)
        assert o["given"]
        assert o["family"]


@pytest.mark.parametrize(
    ("family", "middle", "given"),
    [
        ("Nguyễn", "Thị Thủy", "Hằng"),
        ("Lâm", "Thị", "Mỹ Dạ"),
        ("Hoàng Phủ", "Ngọc", "Tường"),
    ],
)
@pytest.mark.parametrize("seed", [2014, 1, 99])
def test_special_names_present_exactly_once(seed, family, middle, given):
    matches = [o for o in generate_officials(seed) if (o["family"], o["middle"], o["given"]) == (family, middle, given)]
    assert len(matches) == 1
    assert matches[0]["active"]


def test_family_name_frequencies_are_realistic(officials):
    share = Counter(o["family"] for o in officials)
    assert 0.32 <= share["Nguyễn"] / len(officials) <= 0.44
    assert share.most_common(1)[0][0] == "Nguyễn"
    assert len(share) >= 15


def test_some_two_syllable_middles_and_some_without_middle(officials):
    middles = Counter(len(o["middle"].split()) for o in officials)
    assert middles[0] >= 1
    assert middles[2] >= 20
    assert middles[1] > middles[2]


def test_position_shares_per_unit(officials):
    for unit in UNITS:
        staff = [o for o in officials if o["unit_code"] == unit["code"]]
        positions = Counter(o["position"] for o in staff)
        assert 1 <= positions["leader"] <= 3
        assert positions["clerk"] <= 1
        assert positions["portal_editor"] == 1
        assert positions["it_officer"] <= (2 if unit["code"] == "STTTT" else 1)
        if unit["staff"] >= 10:
            assert positions["specialist"] > unit["staff"] / 2
        # Leaders first in each unit.
        assert staff[0]["position"] == "leader"
    totals = Counter(o["position"] for o in officials)
    assert sum(1 for u in UNITS if u["staff"] >= 4) == totals["clerk"]
    assert totals["specialist"] / len(officials) > 0.6


def test_categories_follow_unit_kind(officials):
    def shares(kind, position=None):
        group = [
            o
            for o in officials
            if UNIT_BY_CODE[o["unit_code"]]["kind"] == kind and (position is None or o["position"] == position)
        ]
        return Counter(o["category"] for o in group), len(group)

    su_nghiep, n = shares("su_nghiep")
    assert su_nghiep["vien_chuc"] / n > 0.7
    so, n = shares("so_ban_nganh")
    assert so["cong_chuc"] / n > 0.7
    huyen_leaders, n = shares("huyen", "leader")
    assert huyen_leaders["can_bo"] / n > 0.4
    assert all(o["category"] == "can_bo" for o in officials if o["level"] == "xa" and o["position"] == "leader")


def test_a_few_inactive_officials(officials):
    inactive = sum(not o["active"] for o in officials)
    assert 1 <= inactive <= len(officials) * 0.05


# -- demo accounts -----------------------------------------------------------


def test_demo_accounts():
    by_username = {a["username"]: a for a in DEMO_ACCOUNTS}
    assert set(by_username) == {"admin", "cntt", "truongdonvi", "canbo"}
    assert by_username["cntt"]["unit_code"] == "STTTT"
    assert by_username["truongdonvi"]["unit_code"] == "H-TAMDAO"
    assert by_username["truongdonvi"]["position"] == "leader"
    assert by_username["canbo"]["unit_code"] == "H-TAMDAO"
    for account in DEMO_ACCOUNTS:
        assert account["unit_code"] in UNIT_BY_CODE
        assert account["full_name"] == " ".join(
            p for p in (account["family"], account["middle"], account["given"]) if p
        )
        assert account["email"].endswith("@vinhphuc.gov.vn")
        assert "password" not in account


def test_demo_certificates_name_the_issuer_of_their_day():
    """Before the July 2025 reorganisation the 2014 issuer; from it on, today's (the default settings)."""
    from datetime import timedelta

    from certificates.services.settings import get_settings
    from lms.demo_data import REORGANISATION_DAY, issuer_on

    today = get_settings({})
    assert (today.issuer_parent, today.issuer_name, today.place) == (
        "ỦY BAN NHÂN DÂN TỈNH PHÚ THỌ",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "Phú Thọ",
    )
    before = issuer_on(today, REORGANISATION_DAY - timedelta(days=1))
    assert (before.issuer_parent, before.issuer_name, before.place) == (
        "ỦY BAN NHÂN DÂN TỈNH VĨNH PHÚC",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "Vĩnh Phúc",
    )
    assert before.signer_name == today.signer_name and before.serial_prefix == today.serial_prefix
    assert issuer_on(today, REORGANISATION_DAY) == today
