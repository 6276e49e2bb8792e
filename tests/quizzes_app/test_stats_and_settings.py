"""Quiz statistics (page and CSV) and the settings pages."""

from __future__ import annotations

import csv
import io

from lms.auth.models import Role
from lms.org.models import Official
from quizzes import services
from quizzes.models import Quiz
from tests.factories import login_as, make_official, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_bank, make_quiz


def test_statistics_page_and_csv(client, session):
    cats = make_bank(session, per_category={"email/a": 4})
    quiz = make_quiz(session, cats)
    for answered in (0, 1, 2, 4):
        official = make_official(session)
        attempt = make_attempt(session, quiz, official, seed=answered)
        for slot in attempt.slots[:answered]:
            right = next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)
            services.save_answer(session, attempt, slot.slot_no, {f"q{slot.slot_no}": right}, NOW)
        services.submit_attempt(session, attempt.id, NOW)
    session.commit()
    result = services.quiz_statistics(session, quiz)
    assert result.quiz.count == 4 and result.quiz.mean == 7 / 4
    assert len(result.questions) == 4
    login_as(client, make_user(session, Role.IT_STAFF))
    assert 'id="question-stats"' in client.get(f"/quizzes/manage/{quiz.id}/stats").get_data(as_text=True)
    r = client.get(f"/quizzes/manage/{quiz.id}/stats.csv")
    assert r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 4 and set(rows[0]) == set(services.STATS_COLUMNS)
    assert all(0 <= float(row["facility"]) <= 1 for row in rows)


def test_staff_create_quiz_set_draws_and_override(client, session):
    cats = make_bank(session, per_category={"email/a": 6, "email/b": 6})
    official = make_official(session, code="CB-0001")
    login_as(client, make_user(session, Role.IT_STAFF))
    r = client.post(
        "/quizzes/manage/new",
        data={
            "title": "Kiểm tra cuối khóa",
            "attempts_allowed": "3",
            "delay_minutes": "0",
            "pass_percent": "70",
            "grading_method": "highest",
            "review_mode": "full",
            "time_limit_minutes": "30",
            "published": "y",
            "topic": "email",
        },
    )
    assert r.status_code == 302
    quiz = session.query(Quiz).one()
    data = {f"count-{c.id}": "5" for c in cats.values()}
    client.post(f"/quizzes/manage/{quiz.id}/draws", data=data)
    session.expire_all()
    assert quiz.question_count == 10
    client.post(
        f"/quizzes/manage/{quiz.id}/overrides",
        data={"official_code": "CB-0001", "extra_minutes": "15", "extra_attempts": "1", "reason": "Khuyết tật"},
    )
    info = services.eligibility(session, quiz, official.id, NOW)
    assert info.time_limit_minutes == 45 and info.attempts_left == 4
    page = client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    assert "Khuyết tật" in page


def test_intro_and_dashboard_for_an_official(client, session):
    user = make_user(session, Role.OFFICIAL)
    quiz = make_quiz(session, title="Bài kiểm tra thư điện tử")
    attempt = make_attempt(session, quiz, session.get(Official, user.official_id))
    session.commit()
    login_as(client, user)
    intro = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "Làm tiếp bài đang làm" in intro and "còn lại 2 lần" in intro
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'id="quiz-panel"' in dashboard
    assert f"/quizzes/attempts/{attempt.id}/q/1" in dashboard
    assert "Bài kiểm tra thư điện tử" in client.get("/quizzes/").get_data(as_text=True)


def test_key_exposure_counts_what_each_draw_leaves_unseen(session):
    """The issue's example, 20 questions drawn from 49 and three attempts, shows the key of
    1 - (29/49)^3 = 79% of them; a category drawn whole is seen whole after one attempt."""
    cats = make_bank(session, per_category={"email/a": 49, "email/b": 4})
    quiz = make_quiz(session, cats, counts={"email/a": 20, "email/b": 4}, attempts_allowed=3)
    exposure = services.key_exposure(session, quiz)
    seen = 49 * (1 - (29 / 49) ** 3) + 4
    assert (exposure.drawn, exposure.pool, exposure.attempts) == (24, 53, 3)
    assert exposure.percent == round(100 * seen / 53) == 81
    quiz.attempts_allowed = 1
    assert services.key_exposure(session, quiz).percent == round(100 * 24 / 53)
    quiz.attempts_allowed = 0  # unlimited: counted as three attempts
    assert services.key_exposure(session, quiz).attempts == 3
    assert services.key_exposure(session, make_quiz(session, {})) is None
