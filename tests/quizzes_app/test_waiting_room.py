"""The waiting room: before a quiz's opening time its page shows a closed start button that opens by
itself; IT staff see how many officials are waiting."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from lms.auth.models import Role
from quizzes.models import QuizWaiting
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_quiz


def test_officials_wait_and_staff_see_how_many(client, session):
    officials = [make_user(session, Role.OFFICIAL) for _ in range(3)]
    staff = make_user(session, Role.IT_STAFF)
    quiz = make_quiz(session, open_at=NOW + timedelta(minutes=10))
    session.commit()
    with time_machine.travel(NOW, tick=False) as clock:
        for user in officials[:2]:
            login_as(client, user)
            html = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
            assert re.search(r'<form[^>]+id="waiting-room"[^>]+data-opens-in="601"', html)
            assert re.search(r'<button type="submit" class="big" disabled>', html)
            assert 'http-equiv="refresh"' in html  # without JavaScript, the page reloads itself
        login_as(client, staff)
        page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
        assert "Đang chờ vào thi: 2 cán bộ" in page

        clock.shift(timedelta(minutes=9))  # the first waiting page says it is still open; the second went quiet
        login_as(client, officials[0])
        r = client.post(f"/quizzes/{quiz.id}/waiting")
        assert r.json == {"ok": True, "opens_in": 61}
        clock.shift(timedelta(minutes=7))  # 16 minutes after the second official's page was last heard from
        login_as(client, staff)
        assert "Đang chờ vào thi: 1 cán bộ" in client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)

        # the quiz is open: the page shows the usual start button; starting leaves the waiting room
        login_as(client, officials[0])
        html = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
        assert 'id="waiting-room"' not in html and "Bắt đầu làm bài" in html
        assert client.post(f"/quizzes/{quiz.id}/start").status_code == 302
        session.expire_all()
        assert session.query(QuizWaiting).filter_by(official_id=officials[0].official_id).count() == 0
        login_as(client, staff)
        assert "Đang chờ vào thi: 0 cán bộ" in client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)


def test_starting_before_the_time_is_still_refused(client, session):
    user = make_user(session, Role.OFFICIAL)
    quiz = make_quiz(session, open_at=NOW + timedelta(minutes=10))
    session.commit()
    with time_machine.travel(NOW, tick=False):
        login_as(client, user)
        r = client.post(f"/quizzes/{quiz.id}/start", follow_redirects=True)
    assert "chưa đến giờ mở" in r.get_data(as_text=True)
