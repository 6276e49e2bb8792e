"""The staff table in SQL (filters, sorts, pages, tab counts) against a plain-Python statement of the rules."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from competency import staff
from competency.models import CompetencyRecord
from lms.auth.models import Role
from lms.org.models import Official
from lms.topics import Topic
from tests.competency.factories import TODAY
from tests.factories import login_as, make_official, make_unit, make_user

STATUS_ORDER = {"not_started": 0, "failing": 1, "in_progress": 1, "passed": 2}


def reference_rows(session, unit_id: int, today: date, expiring_days: int = 60) -> list[dict]:
    """The table as the rules say, computed in Python from the ORM objects, in name order."""
    soon = today + timedelta(days=expiring_days)
    officials = (
        session.query(Official)  # the oracle: plain ORM
        .filter(Official.unit_id == unit_id, Official.active.is_(True))
        .order_by(Official.sort_key, Official.id)
        .all()
    )
    records = {(r.official_id, r.topic.value): r for r in session.query(CompetencyRecord).all()}
    rows = []
    for o in officials:
        cells = []
        for t in Topic:
            r = records.get((o.id, t.value))
            cells.append(
                (
                    r.status_on(today).value if r else "not_started",
                    r.best_percent if r else None,
                    r.cert_expires_on if r else None,
                )
            )
        statuses = [c[0] for c in cells]
        if all(s == "not_started" for s in statuses):
            overall = "not_started"
        elif all(s in ("passed", "cert_valid") for s in statuses):
            overall = "passed"
        elif "in_progress" in statuses:
            overall = "failing"
        else:
            overall = "in_progress"
        scores = [c[1] for c in cells if c[1] is not None]
        rows.append(
            {
                "official_id": o.id,
                "sort_key": o.sort_key,
                "cells": cells,
                "overall": overall,
                "certified": statuses.count("cert_valid"),
                "avg_best": sum(scores) / len(scores) if scores else None,
                "expiring": any(s == "cert_expired" or (s == "cert_valid" and e and e <= soon) for s, _b, e in cells),
            }
        )
    return rows


def reference_view(rows, show, sort, desc):
    if show == "expiring":
        rows = [r for r in rows if r["expiring"]]
    elif show == "failing":  # "has a topic not passed": a failed topic, or one not started / expired beside passed ones
        rows = [r for r in rows if r["overall"] in ("failing", "in_progress")]
    elif show:
        rows = [r for r in rows if r["overall"] == show]
    if sort == "status":
        key = lambda r: (r["certified"], STATUS_ORDER[r["overall"]], r["sort_key"])  # noqa: E731
    elif sort == "score":
        key = lambda r: (r["avg_best"] if r["avg_best"] is not None else -1, r["sort_key"])  # noqa: E731
    else:
        key = lambda r: (r["sort_key"], r["official_id"])  # noqa: E731
    return sorted(rows, key=key, reverse=desc)  # stable: equal keys stay in name order


@pytest.fixture
def crowd(session):
    """A unit of 62 active officials with every kind of record, duplicate names and score ties; others around."""
    rng = random.Random(5)
    unit = make_unit(session, name="Sở Đông Người")
    other = make_unit(session, name="Sở Bên Cạnh")
    names = ["An", "Bình", "Ánh", "Bảo", "Châu"]
    people = [
        make_official(session, unit, family_name="Lê", middle_name="Văn", given_name=rng.choice(names), birth_year=1990)
        for _ in range(60)
    ]
    people.append(make_official(session, unit, active=False))
    outsider = make_official(session, other)
    statuses = ["not_started", "in_progress", "passed", "cert_valid", "cert_expired"]
    for person in [*people, outsider]:
        for t in Topic:
            if rng.random() < 0.3:
                continue
            status = rng.choice(statuses)
            expires = None
            if status in ("cert_valid", "cert_expired"):
                # some stored cert_valid already past expiry (reads as expired), some expiring soon
                expires = TODAY + timedelta(days=rng.choice([-40, -1, 0, 30, 60, 61, 400]))
            session.add(
                CompetencyRecord(
                    official_id=person.id,
                    topic=t,
                    status=status,
                    best_percent=rng.choice([None, 40.0, 70.0, 85.0, 100.0]) if status != "not_started" else None,
                    attempts_count=0 if status == "not_started" else rng.randint(1, 4),
                    last_activity_at=datetime(2026, 11, rng.randint(1, 19), 3, tzinfo=UTC),
                    cert_expires_on=expires,
                )
            )
    make_official(session, unit, given_name="Chưa")  # nothing at all
    done = make_official(session, unit, given_name="Xong")
    for t, status in zip(Topic, ["passed", "cert_valid", "cert_valid", "passed"], strict=True):
        expires = TODAY + timedelta(days=400) if status == "cert_valid" else None
        session.add(
            CompetencyRecord(
                official_id=done.id,
                topic=t,
                status=status,
                best_percent=90.0,
                attempts_count=1,
                cert_expires_on=expires,
            )
        )
    session.commit()
    return unit


@pytest.mark.parametrize("show", ["", *staff.STAFF_FILTERS])
@pytest.mark.parametrize("sort", staff.STAFF_SORTS)
@pytest.mark.parametrize("desc", [False, True])
def test_sql_staff_table_equals_the_rules(session, crowd, show, sort, desc):
    expected = reference_view(reference_rows(session, crowd.id, TODAY), show, sort, desc)
    got = list(staff.iter_staff_rows(session, crowd.id, show=show, sort=sort, desc=desc, today=TODAY))
    assert [r.official_id for r in got] == [r["official_id"] for r in expected]
    for row, ref in zip(got, expected, strict=True):
        assert [(c.status, c.best_percent, c.cert_expires_on) for c in row.cells] == ref["cells"]
        assert (row.overall, row.certified, row.expiring) == (ref["overall"], ref["certified"], ref["expiring"])
        assert row.avg_best == pytest.approx(ref["avg_best"])
    pages = [
        staff.staff_page(session, crowd.id, show=show, sort=sort, desc=desc, page=n, per_page=7, today=TODAY)
        for n in range(1, 12)
    ]
    assert [r.official_id for p in pages[: -(-len(expected) // 7) or 1] for r in p.rows] == [
        r["official_id"] for r in expected
    ]
    assert pages[0].total == len(expected)


def test_tab_counts_come_from_one_group_by(session, crowd):
    rows = reference_rows(session, crowd.id, TODAY)
    counts = staff.staff_counts(session, crowd.id, TODAY)
    assert counts == {"": 62, **{show: len(reference_view(rows, show, "name", False)) for show in staff.STAFF_FILTERS}}
    assert all(counts[k] for k in counts)  # the fixture covers every tab


def test_page_number_is_clamped(session, crowd):
    last = staff.staff_page(session, crowd.id, page=99, today=TODAY)
    assert (last.page, last.total, len(last.rows)) == (3, 62, 12)
    first = staff.staff_page(session, crowd.id, page=-4, today=TODAY)
    assert first.page == 1 and len(first.rows) == staff.PAGE_SIZE


def test_unit_page_shows_one_page_and_the_counts(client, session, crowd):
    login_as(client, make_user(session, Role.UNIT_HEAD, crowd, official=False))
    session.commit()
    html = client.get(f"/competency/units/{crowd.id}?page=3&sort=score&dir=desc").get_data(as_text=True)
    assert "Trang 3 / 3 — tổng 62 mục" in html
    assert html.count('<th scope="row"><a href="/competency/staff/') == 12
    counts = staff.staff_counts(session, crowd.id)
    assert f"Tất cả ({counts['']})" in html and f"Chưa bắt đầu ({counts['not_started']})" in html


def test_csv_export_has_the_whole_filtered_table(client, session, crowd):
    login_as(client, make_user(session, Role.UNIT_HEAD, crowd, official=False))
    session.commit()
    r = client.get(f"/competency/units/{crowd.id}/staff.csv?show=failing&sort=status")
    lines = r.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    expected = list(staff.iter_staff_rows(session, crowd.id, show="failing", sort="status"))
    assert len(lines) == 1 + len(expected) and expected
