"""Working days in Vietnam (lms/workdays.py) and their use: a new training session defaults to the
next working day and saving one on a weekend or a public holiday warns (issue 16: it defaulted to a
Sunday and was saved without a word)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from lms.auth.models import Role
from lms.forms import parse_datetime
from lms.time import local_today
from lms.workdays import day_off, is_working_day, next_working_day
from tests.factories import login_as, make_user


def test_weekends_fixed_and_lunar_holidays_are_days_off(app):
    with app.test_request_context("/"):
        assert day_off(date(2026, 12, 5)) == "Thứ Bảy" and day_off(date(2026, 12, 6)) == "Chủ nhật"
        assert day_off(date(2026, 9, 2)) == "Quốc khánh"
        assert day_off(date(2027, 2, 8)) == "Mùng ba Tết Nguyên Đán"  # lunar: Tết 2027 starts on 6 February
        assert day_off(date(2026, 4, 26)) == "Ngày Giỗ Tổ Hùng Vương"  # 10th of the 3rd lunar month
        assert day_off(date(2026, 4, 27)) == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"  # the make-up day off
        assert day_off(date(2026, 12, 7)) is None
        assert day_off(date(2026, 9, 2), "en") == "National Day"
    assert not is_working_day(date(2027, 2, 10)) and is_working_day(date(2027, 2, 11))


def test_the_next_working_day_skips_weekends_and_tet():
    assert next_working_day(date(2026, 12, 4)) == date(2026, 12, 7)  # Friday -> Monday
    assert next_working_day(date(2027, 2, 3)) == date(2027, 2, 11)  # before Tết -> the first day after it


def _start_value(html: str) -> str:
    tag = re.search(r"<input [^>]*starts_at[^>]*>", html).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def test_a_new_session_defaults_to_the_next_working_day(client, session):
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    login_as(client, staff)
    shown = parse_datetime(_start_value(client.get("/training/new").text))  # the form's own reader
    assert shown.time() == time(8, 0) and shown.date() > local_today()
    assert is_working_day(shown.date())  # before: a week ahead, whatever day that was (a Sunday today)
    assert all(
        not is_working_day(local_today() + timedelta(days=n)) for n in range(1, (shown.date() - local_today()).days)
    )


def test_saving_a_session_on_a_sunday_or_at_tet_warns(client, session):
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    login_as(client, staff)
    sunday = local_today() + timedelta(days=(6 - local_today().weekday()) % 7 or 7)
    for day in (sunday, date(2027, 2, 8)):
        start = datetime.combine(day, time(8, 0))
        r = client.post(
            "/training/new",
            data={
                "title": f"Buổi thử {day}",
                "topic": "email",
                "kind": "classroom",
                "starts_at": start.strftime("%d/%m/%Y %H:%M"),
                "ends_at": (start + timedelta(hours=3)).strftime("%d/%m/%Y %H:%M"),
                "place": "Hội trường",
                "capacity": "20",
            },
            follow_redirects=True,
        )
        assert r.status_code == 200
        assert f"Ngày {day:%d/%m/%Y} là ngày nghỉ ({day_off(day)})" in r.text, day
