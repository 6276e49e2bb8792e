from datetime import date

from sqlalchemy import select

from lms.auth.models import Role
from lms.org.models import Official, UnitKind
from lms.org.services import OfficialFilters, officials_query, record_succession
from tests.factories import login_as, make_official, make_unit, make_user


def names(session, filters):
    return [o.full_name for o in session.scalars(officials_query(filters))]


def test_search_with_or_without_diacritics(session):
    unit = make_unit(session)
    make_official(session, unit, family_name="Nguyễn", middle_name="Văn", given_name="A")
    make_official(session, unit, family_name="Đặng", middle_name="Thị", given_name="Hòa")
    make_official(session, unit, family_name="Trần", middle_name="", given_name="Bình")
    assert names(session, OfficialFilters(q="nguyen van a")) == ["Nguyễn Văn A"]
    assert names(session, OfficialFilters(q="NGUYỄN")) == ["Nguyễn Văn A"]
    assert names(session, OfficialFilters(q="dang")) == ["Đặng Thị Hòa"]
    assert names(session, OfficialFilters(q="hoà")) == ["Đặng Thị Hòa"]  # new-style tone placement


def test_officials_sorted_the_vietnamese_way(session):
    unit = make_unit(session)
    people = [
        ("Trần", "Văn", "Bình", 1970),
        ("Nguyễn", "Văn", "An", 1980),
        ("Lê", "Thị", "Ánh", 1975),
        ("Nguyễn", "Thị", "Ân", 1990),
        ("Phạm", "Văn", "An", 1985),
        ("Nguyễn", "Đức", "An", 1960),
        ("Nguyễn", "Văn", "An", 1970),
        ("Đỗ", "", "Đạt", 1970),
        ("Đỗ", "", "Dũng", 1970),
    ]
    for family, middle, given, year in people:
        make_official(session, unit, family_name=family, middle_name=middle, given_name=given, birth_year=year)
    rows = session.scalars(officials_query(OfficialFilters(unit_id=unit.id))).all()
    got = [(o.full_name, o.birth_year) for o in rows]
    assert got == [
        ("Nguyễn Đức An", 1960),  # tên An, họ Nguyễn, đệm Đức < Văn
        ("Nguyễn Văn An", 1970),  # same name: earlier birth first
        ("Nguyễn Văn An", 1980),
        ("Phạm Văn An", 1985),  # tên An, họ Phạm after Nguyễn
        ("Lê Thị Ánh", 1975),  # An < Ánh (tone is secondary, then the letter ă/â decides before)
        ("Nguyễn Thị Ân", 1990),  # â after a
        ("Trần Văn Bình", 1970),
        ("Đỗ Dũng", 1970),  # d < đ
        ("Đỗ Đạt", 1970),
    ]


def test_units_list_is_paginated_and_searchable(client, session):
    for i in range(60):
        make_unit(session, code=f"X{i:03d}", name=f"Xã số {i}", kind=UnitKind.XA)
    make_unit(session, code="H-TAMDAO", name="Huyện Tam Đảo", kind=UnitKind.HUYEN)
    session.commit()
    login_as(client, make_user(session, Role.IT_STAFF))
    first = client.get("/org/units")
    assert first.status_code == 200 and "Trang 1 / 2" in first.text
    found = client.get("/org/units?q=tam dao")
    assert "Huyện Tam Đảo" in found.text and "Xã số 1" not in found.text


def test_unit_head_sees_own_unit_only(client, session):
    unit_x, unit_y = make_unit(session), make_unit(session)
    make_official(session, unit_y, given_name="Người Của Y")
    head = make_user(session, Role.UNIT_HEAD, unit=unit_x)
    login_as(client, head)
    assert client.get(f"/org/units/{unit_x.id}").status_code == 200
    other = client.get(f"/org/units/{unit_y.id}")
    assert other.status_code == 403 and "Người Của Y" not in other.text
    assert client.get("/org/units").status_code == 403


def test_official_cannot_open_another_officials_record(client, session):
    unit = make_unit(session)
    a = make_user(session, unit=unit)
    b = make_user(session, unit=unit)
    login_as(client, a)
    assert client.get(f"/org/officials/{a.official_id}").status_code == 200
    assert client.get(f"/org/officials/{b.official_id}").status_code == 403
    assert client.get("/org/officials/999999").status_code == 404


def test_merger_keeps_history_and_moves_staff(session):
    a = make_unit(session, code="XA-A", name="Xã A", kind=UnitKind.XA)
    b = make_unit(session, code="XA-B", name="Xã B", kind=UnitKind.XA)
    person = make_official(session, a)
    from lms.org.models import Unit

    merged = Unit(code="XA-AB", name="Xã A B", kind=UnitKind.XA)
    record_succession(session, [a, b], merged, date(2025, 7, 1))
    session.commit()
    assert a.valid_until == date(2025, 7, 1) and merged.valid_from == date(2025, 7, 1)
    assert not a.is_active_on(date(2025, 7, 1)) and a.is_active_on(date(2025, 6, 30))
    assert session.get(Official, person.id).unit_id == merged.id
    assert session.scalar(select(Unit).where(Unit.code == "XA-A")) is not None  # history kept


def test_edit_official_splits_full_name_with_override(client, session):
    unit = make_unit(session)
    login_as(client, make_user(session, Role.IT_STAFF))
    base = {"unit_id": unit.id, "position": "specialist", "category": "cong_chuc", "level": "tinh", "active": "y"}
    r = client.post("/org/officials/new", data={**base, "full_name": "  Nguyễn   Thị Thủy Hằng "})
    assert r.status_code == 302
    o = session.scalar(select(Official).where(Official.given_name == "Hằng"))
    assert (o.family_name, o.middle_name) == ("Nguyễn", "Thị Thủy")
    r = client.post(
        "/org/officials/new",
        data={
            **base,
            "full_name": "Lâm Thị Mỹ Dạ",
            "split_manually": "y",
            "family_name": "Lâm",
            "middle_name": "Thị",
            "given_name": "Mỹ Dạ",
        },
    )
    assert r.status_code == 302
    assert session.scalar(select(Official).where(Official.given_name == "Mỹ Dạ")) is not None


def test_a_name_longer_than_its_column_is_refused_on_the_form(client, session):
    """The full name field takes 240 characters, a name part's column 80: a longer given name reached
    the INSERT, a 500 on PostgreSQL (SQLite stored it). Now the form says the limit, nothing is stored."""
    unit = make_unit(session)
    login_as(client, make_user(session, Role.IT_STAFF))
    base = {"unit_id": unit.id, "position": "specialist", "category": "cong_chuc", "level": "tinh", "active": "y"}
    for full_name in ("Trần " + "A" * 81, "Trần " + "B" * 81 + " C"):
        r = client.post("/org/officials/new", data={**base, "code": "LONG1", "full_name": full_name})
        assert r.status_code == 200 and "tối đa 80 ký tự" in r.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Official).where(Official.code == "LONG1")) is None
    r = client.post("/org/officials/new", data={**base, "code": "LONG1", "full_name": "Trần " + "A" * 80})
    assert r.status_code == 302, "80 characters fit"


def test_text_is_stored_nfc(session):
    import unicodedata

    unit = make_unit(session, name=unicodedata.normalize("NFD", "Sở Tư pháp"))
    o = make_official(session, unit, given_name=unicodedata.normalize("NFD", "Hằng"))
    assert unit.name == "Sở Tư pháp" and o.given_name == "Hằng"
