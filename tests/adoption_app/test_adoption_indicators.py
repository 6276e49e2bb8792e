"""The province indicators against a month worked by hand (tests.adoption_app.factories.small_province)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from adoption.indicators import Filters, province_indicators, unit_months
from adoption.models import OfficialMonth, System, UsageImport, UsageRow
from adoption.services import UnitReportInput, save_unit_report
from tests.adoption_app.factories import run_import, small_province

OCT = date(2026, 10, 1)
TODAY = date(2026, 11, 15)


def email_rows(p):
    return [
        {"mailbox": "a1@thu.gov.vn", "last_login": "20/10/2026 08:15", "messages_sent": "5"},
        {"mailbox": "A2@THU.GOV.VN", "last_login": "30/09/2026", "messages_sent": "0"},
        # unknown address: matched by name (diacritics and case folded) within the unit named
        {
            "mailbox": "hang.nguyen@khac.vn",
            "name": "NGUYEN THI THUY HANG",
            "unit": "UBND Sở thử nghiệm A",
            "last_login": "2026-10-02",
        },
        {"mailbox": "b1@thu.gov.vn", "last_login": "", "messages_sent": "3"},
        {"mailbox": "c1@thu.gov.vn", "last_login": "03/11/2026 07:00", "messages_sent": "0"},  # export taken later
        {"mailbox": "la1@thu.gov.vn", "last_login": "10/10/2026"},
        {"mailbox": "la2@thu.gov.vn", "last_login": "11/10/2026"},
        {"mailbox": "vanthu@thu.gov.vn", "last_login": "12/10/2026", "messages_sent": "40"},
    ]


def dms_rows(p):
    return [
        {"account": "a1", "received": "10", "processed": "8", "sent": "4", "signed": "2"},
        {"email": "a2@thu.gov.vn", "received": "5", "processed": "0", "sent": "1", "signed": "0"},
        {"unit": "Xã Đồng Cỏ", "received": "30", "processed": "12", "sent": "10", "signed": "0"},
    ]


def portal_rows(p):
    return [
        {"unit": "SO-A", "portal": "a.thu.gov.vn", "articles": "7", "last_update": "25/10/2026"},
        {"unit": "Xã Đồng Cỏ", "portal": "dongco.thu.gov.vn", "articles": "0", "last_update": "15/09/2026"},
        {"unit": "Cổng ABC", "portal": "abc.thu.gov.vn", "articles": "2", "last_update": "20/10/2026"},
    ]


@pytest.fixture
def october(session):
    p = small_province(session)
    run_import(session, System.EMAIL, OCT, email_rows(p), TODAY)
    run_import(session, System.DMS, OCT, dms_rows(p), TODAY)
    run_import(session, System.PORTAL, OCT, portal_rows(p), TODAY)
    d = p.units["D"]
    form = UnitReportInput(
        dms_received=20,
        dms_processed=15,
        dms_sent=6,
        dms_signed=6,
        has_portal=True,
        portal_articles=3,
        portal_last_update=date(2026, 10, 2),
        email_users={p.people["d1"].id},
        dms_users={p.people["d2"].id},
    )
    save_unit_report(session, d, OCT, form, today=TODAY)
    session.commit()
    return p


def test_province_indicators_equal_the_hand_worked_month(session, october):
    ind = province_indicators(session, OCT, today=TODAY)
    t = ind.total
    # document software: A (8 processed + 2 signed), C (12 processed) and D (form) use it; B is not in the file
    assert (t.units, t.dms_units, t.dms_no_data) == (4, 3, 0)
    assert (t.dms_received, t.dms_processed, t.dms_sent, t.dms_signed) == (65, 35, 21, 8)
    assert t.incoming_share == pytest.approx(35 / 65) and t.outgoing_share == pytest.approx(8 / 21)
    # portals: A updated 25/10, D on 02/10 (the 30th day back from 31/10 counts), C stale since 15/09
    assert (t.portals, t.portals_fresh, t.portals_stale) == (3, 2, 1)
    # e-mail: a1 (login in October), a3 (by name), b1 (sent mail), c1 (login after the month), d1 (form)
    assert (t.officials, t.mail_users, t.mail_no_data) == (11, 5, 0)
    assert t.mail_share == pytest.approx(5 / 11)
    assert t.dms_officials == 2  # a1 (own account), d2 (form)
    so, xa = ind.block("so"), ind.block("xa")
    assert (so.units, so.dms_units, so.officials, so.mail_users, so.portals, so.portals_fresh) == (3, 2, 8, 4, 2, 2)
    assert (xa.units, xa.dms_units, xa.officials, xa.mail_users, xa.portals, xa.portals_fresh) == (1, 1, 3, 1, 1, 0)
    cats = {c.category: (c.officials, c.mail_users, c.dms_users) for c in ind.categories}
    assert cats == {"cong_chuc": (5, 2, 1), "vien_chuc": (3, 2, 1), "can_bo": (2, 1, 0), "hop_dong": (1, 0, 0)}
    assert dict(ind.unmatched) == {"email": 3, "portal": 1}
    assert ind.files == ("dms", "email", "portal") and ind.forms == 1


def test_excluding_a_category_changes_only_the_officials_figures(session, october):
    ind = province_indicators(session, OCT, Filters(excluded=("vien_chuc",)), today=TODAY)
    assert (ind.total.officials, ind.total.mail_users) == (8, 3)
    assert (ind.total.units, ind.total.dms_units, ind.total.portals_fresh) == (4, 3, 2)  # units unchanged
    assert [c.category for c in ind.categories if c.excluded] == ["vien_chuc"]
    assert {c.category for c in ind.categories} == {"can_bo", "cong_chuc", "vien_chuc", "hop_dong"}


def test_unit_scores_are_the_mean_of_the_applications_the_unit_has(session, october):
    p = october
    scores = {key: unit_months(session, p.units[key].id, today=TODAY)[0].score for key in "ABCD"}
    assert scores["A"] == pytest.approx(100 * (2 / 4 + 10 / 20 + 1) / 3, abs=0.01)
    assert scores["B"] == pytest.approx(100 * (1 / 2 + 0) / 2, abs=0.01)  # no portal: two parts
    assert scores["C"] == pytest.approx(100 * (1 / 3 + 12 / 40 + 0) / 3, abs=0.01)
    assert scores["D"] == pytest.approx(100 * (1 / 2 + 21 / 26 + 1) / 3, abs=0.01)


def test_a_month_imported_twice_replaces_itself(session, october):
    p = october
    before = province_indicators(session, OCT, today=TODAY)
    run_import(session, System.EMAIL, OCT, email_rows(p), TODAY)
    session.commit()
    assert session.scalar(select(func.count()).select_from(UsageImport).where(UsageImport.system == "email")) == 1
    assert session.scalar(select(func.count()).select_from(UsageRow)) == 8 + 3 + 3
    assert province_indicators(session, OCT, today=TODAY) == before
    # a corrected file replaces the figures: a2 now logged in during October
    rows = email_rows(p)
    rows[1]["last_login"] = "01/10/2026"
    run_import(session, System.EMAIL, OCT, rows, TODAY)
    session.commit()
    assert province_indicators(session, OCT, today=TODAY).total.mail_users == 6


def test_the_roster_counts_active_officials_only_and_keeps_unit_and_category(session, october):
    p = october
    rows = session.execute(select(OfficialMonth.official_id, OfficialMonth.unit_id, OfficialMonth.category)).all()
    assert len(rows) == 11 and p.people["gone"].id not in {r[0] for r in rows}
    a3 = next(r for r in rows if r[0] == p.people["a3"].id)
    assert (a3[1], a3[2].value) == (p.units["A"].id, "vien_chuc")


def test_no_data_without_file_or_form(session):
    p = small_province(session)
    run_import(session, System.PORTAL, OCT, portal_rows(p), TODAY)
    session.commit()
    t = province_indicators(session, OCT, today=TODAY).total
    assert (t.units, t.dms_no_data, t.officials, t.mail_no_data, t.mail_users) == (4, 4, 11, 11, 0)


def test_a_portal_file_alone_updates_the_units_as_a_full_rebuild_would(session, october):
    """The portal file was imported after the e-mail and document files (the light path)."""
    from adoption.models import UnitMonth
    from adoption.services import rebuild_month

    def rows():
        return sorted(
            (u.unit_id, u.has_portal, u.portal_articles, u.portal_last_update, u.portal_source, u.score)
            for u in session.scalars(select(UnitMonth).where(UnitMonth.month == OCT))
        )

    light = rows()
    rebuild_month(session, OCT, TODAY)
    session.flush()
    assert rows() == light and len(light) == 4
