"""Reading usage files (aliases, Vietnamese numbers, dates with times, errors by row) and matching."""

from datetime import date

import pytest
from sqlalchemy import select

from adoption.imports import ImportFileError, parse_day, parse_int, read_usage_file
from adoption.indicators import province_indicators
from adoption.models import MatchMethod, System, UsageMatch, UsageRow
from adoption.services import AdoptionError, match_by_hand, unmatched_rows
from tests.adoption_app.factories import run_import, small_province, usage_csv, usage_xlsx

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
TODAY = date(2026, 11, 15)


def test_numbers_and_days_as_exports_write_them():
    assert [parse_int(v) for v in ("", "7", "1.234", "12 500", "1,234")] == [None, 7, 1234, 12500, 1234]
    for bad in ("-3", "1,5", "12a", "1.23"):
        with pytest.raises(ValueError):
            parse_int(bad)
    assert parse_day("05/11/2026 08:31") == parse_day("2026-11-05T08:31:00") == date(2026, 11, 5)
    assert parse_day("") is None
    with pytest.raises(ValueError):
        parse_day("31/02/2026")


def test_header_aliases_and_xlsx_are_read():
    data = ("Tài khoản đăng nhập;VB đến;Xử lý điện tử;VB đi;VB đi ký số\nhang.nt;1.250;1.100;300;280\n").encode()
    parsed = read_usage_file(System.DMS, OCT, "qlvb.csv", data, 100)
    assert parsed.ok and parsed.rows[0].values == {
        "account": "hang.nt",
        "received": 1250,
        "processed": 1100,
        "sent": 300,
        "signed": 280,
    }
    xlsx = usage_xlsx(System.EMAIL, [{"mailbox": "a@b.vn", "last_login": date(2026, 10, 3), "messages_sent": 4}])
    parsed = read_usage_file(System.EMAIL, OCT, "thu.xlsx", xlsx, 100)
    assert parsed.ok and parsed.rows[0].values["last_login"] == date(2026, 10, 3)
    assert parsed.rows[0].values["messages_sent"] == 4


def test_every_wrong_cell_is_reported_by_row_and_nothing_is_kept():
    rows = [
        {"month": "10/2026", "mailbox": "a@b.vn", "last_login": "hôm qua", "messages_sent": "3"},
        {"month": "09/2026", "mailbox": "c@d.vn", "last_login": "01/10/2026", "messages_sent": "-1"},
        {"mailbox": "A@B.VN", "last_login": "02/10/2026"},
        {"mailbox": "khong-phai-thu", "last_login": "02/10/2026"},
    ]
    parsed = read_usage_file(System.EMAIL, OCT, "thu.csv", usage_csv(System.EMAIL, rows), 100)
    errors = sorted((e.row, e.column) for e in parsed.errors)
    assert errors == [
        (2, "Đăng nhập lần cuối"),
        (3, "Số thư đã gửi"),
        (3, "Tháng"),
        (4, "Hộp thư"),  # the same mailbox as row 2 (case folded)
        (5, "Hộp thư"),
    ]


def test_missing_columns_and_unreadable_files():
    parsed = read_usage_file(System.PORTAL, OCT, "c.csv", "Đơn vị;Số tin bài\nSở A;3\n".encode(), 100)
    assert [(e.row, e.column) for e in parsed.errors] == [(1, "Ngày cập nhật gần nhất")]
    with pytest.raises(ImportFileError):
        read_usage_file(System.PORTAL, OCT, "c.pdf", b"%PDF", 100)
    with pytest.raises(ImportFileError):
        read_usage_file(System.PORTAL, OCT, "c.csv", b"", 100)


def test_unmatched_rows_are_kept_listed_and_a_hand_match_is_remembered(session):
    p = small_province(session)
    rows = [
        {"mailbox": "b2.cu@hopthu.vn", "name": "Vũ Thị Giang", "last_login": "05/10/2026"},  # name, no unit
        {"mailbox": "vanthu@thu.gov.vn", "last_login": "05/10/2026", "messages_sent": "12"},
        {"mailbox": "a1@thu.gov.vn", "last_login": "05/10/2026"},
    ]
    outcome = run_import(session, System.EMAIL, OCT, rows, TODAY)
    assert (outcome.matched, outcome.unmatched) == (1, 2)
    listed = [row.label for row in session.scalars(unmatched_rows(System.EMAIL, OCT))]
    assert listed == ["b2.cu@hopthu.vn", "vanthu@thu.gov.vn"]
    assert province_indicators(session, OCT, today=TODAY).total.mail_users == 1

    b2_row = session.scalar(select(UsageRow).where(UsageRow.label == "b2.cu@hopthu.vn"))
    assert match_by_hand(session, b2_row, official=p.people["b2"], today=TODAY) == 1
    agency = session.scalar(select(UsageRow).where(UsageRow.label == "vanthu@thu.gov.vn"))
    match_by_hand(session, agency, not_person=True, today=TODAY)
    session.commit()
    assert session.execute(unmatched_rows(System.EMAIL)).first() is None
    assert province_indicators(session, OCT, today=TODAY).total.mail_users == 2
    assert (
        session.scalar(select(UsageMatch.official_id).where(UsageMatch.key == "b2.cu@hopthu.vn")) == p.people["b2"].id
    )

    # next month the same mailboxes match by themselves
    outcome = run_import(session, System.EMAIL, NOV, rows, TODAY)
    assert (outcome.matched, outcome.unmatched, outcome.not_person) == (2, 0, 1)
    methods = dict(
        session.execute(
            select(UsageRow.label, UsageRow.match).where(UsageRow.import_id == outcome.usage_import.id)
        ).all()
    )
    assert (
        methods["b2.cu@hopthu.vn"] == MatchMethod.REMEMBERED and methods["vanthu@thu.gov.vn"] == MatchMethod.NOT_PERSON
    )


def test_a_hand_match_applies_to_the_same_key_in_earlier_months_too(session):
    p = small_province(session)
    rows = [{"mailbox": "x@hopthu.vn", "last_login": "05/10/2026"}]
    run_import(session, System.EMAIL, OCT, rows, TODAY)
    run_import(session, System.EMAIL, NOV, [{"mailbox": "x@hopthu.vn", "last_login": "05/11/2026"}], TODAY)
    row = session.scalar(select(UsageRow).order_by(UsageRow.id.desc()))
    assert match_by_hand(session, row, official=p.people["c2"], today=TODAY) == 2
    session.commit()
    assert province_indicators(session, OCT, today=TODAY).total.mail_users == 1
    assert province_indicators(session, NOV, today=TODAY).total.mail_users == 1


def test_ambiguous_names_stay_unmatched_and_inactive_officials_are_not_chosen(session):
    from tests.factories import make_official

    p = small_province(session)
    make_official(
        session, p.units["C"], family_name="Bùi", middle_name="Thị", given_name="Lan", email=None, code="CB-LAN2"
    )
    session.commit()
    rows = [
        {"mailbox": "lan@khac.vn", "name": "Bùi Thị Lan", "unit": "XA-C", "last_login": "05/10/2026"},
        {"mailbox": "gone@thu.gov.vn", "last_login": "05/10/2026"},
    ]
    outcome = run_import(session, System.EMAIL, OCT, rows, TODAY)
    assert (outcome.matched, outcome.unmatched) == (0, 2)
    row = session.scalar(select(UsageRow).where(UsageRow.label == "gone@thu.gov.vn"))
    with pytest.raises(AdoptionError):
        match_by_hand(session, row, official=p.people["gone"], today=TODAY)


def test_a_future_month_is_refused(session):
    small_province(session)
    with pytest.raises(AdoptionError):
        run_import(session, System.EMAIL, date(2026, 12, 1), [{"mailbox": "a1@thu.gov.vn", "last_login": ""}], TODAY)


def test_the_command_line_import_and_rebuild(app, session, tmp_path):
    small_province(session)
    path = tmp_path / "thu.csv"
    path.write_bytes(usage_csv(System.EMAIL, [{"mailbox": "a1@thu.gov.vn", "last_login": "05/10/2026"}]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "adoption", "import", "email", "2026-10", str(path)])
    assert result.exit_code == 0 and "1 ghép được" in result.output
    bad = tmp_path / "sai.csv"
    bad.write_bytes(usage_csv(System.EMAIL, [{"mailbox": "a1@thu.gov.vn", "last_login": "hôm qua"}]))
    result = runner.invoke(args=["lms", "adoption", "import", "email", "2026-10", str(bad)])
    assert result.exit_code != 0 and "Đăng nhập lần cuối" in result.output
    result = runner.invoke(args=["lms", "adoption", "rebuild"])
    assert result.exit_code == 0 and "10/2026: 11 cán bộ" in result.output


def _windows_1258(text: str) -> bytes:
    """As Excel writes it: letters with their vowel marks precomposed, the tone as a combining mark."""
    import unicodedata

    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


def test_title_rows_above_the_header_and_a_windows_1258_csv():
    """Provinces' exports start with a title; Excel on Vietnamese Windows saves CSV in Windows-1258."""
    text = (
        "BÁO CÁO SỬ DỤNG THƯ ĐIỆN TỬ CÔNG VỤ\n"
        "Tháng 10 năm 2026\n"
        "\n"
        "Hộp thư,Họ và tên,Đăng nhập lần cuối,Số thư đã gửi\n"
        "a@b.vn,Trần Thị Bình,05/10/2026,3\n"
        "c@d.vn,Lê Văn An,,x\n"
    )
    parsed = read_usage_file(System.EMAIL, OCT, "thu.csv", _windows_1258(text), 100)
    assert [r.values["name"] for r in parsed.rows] == ["Trần Thị Bình", "Lê Văn An"]
    assert [(e.row, e.column) for e in parsed.errors] == [(6, "Số thư đã gửi")]  # the file's own row number
    missing = read_usage_file(System.EMAIL, OCT, "thu.csv", "Tiêu đề\nHọ và tên,Đơn vị\nAn,SNV\n".encode(), 100)
    assert [(e.row, e.column) for e in missing.errors] == [(2, "Hộp thư / Đăng nhập lần cuối / Số thư đã gửi")]
