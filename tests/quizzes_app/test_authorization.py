"""Who may open the quiz pages: the route gate for every quizzes endpoint, and the object rules."""

from __future__ import annotations

import pytest

from lms.auth.models import Role
from lms.extensions import db
from lms.org.models import Official
from tests.factories import login_as, make_unit, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_quiz
from tests.security import matrix_quizzes
from tests.security.test_access_matrix import ROLES, _to_login, _url, world  # noqa: F401 - fixture


def test_quizzes_routes_match_the_matrix(app, world):  # noqa: F811
    users, values, _official = world
    values = {**values, **matrix_quizzes.values(db.session, users)}
    failures = []
    rules = [
        r for r in app.url_map.iter_rules() if r.endpoint.startswith("quizzes.") and r.endpoint != "quizzes.static"
    ]
    assert {r.endpoint for r in rules} == set(matrix_quizzes.EXPECTED)
    for rule in rules:
        expected = matrix_quizzes.EXPECTED[rule.endpoint]
        url = _url(rule, values)
        method = "GET" if "GET" in rule.methods else "POST"
        for role in ROLES:
            client = app.test_client()
            if role != "anonymous":
                db.session.rollback()
                login_as(client, users[role])
            r = client.open(url, method=method)
            if role == "anonymous":
                ok = _to_login(r)
            elif expected == "any" or role in expected:
                ok = r.status_code != 403 and not _to_login(r)
            else:
                ok = r.status_code == 403
            if not ok:
                failures.append(f"{role:10} {method} {url} -> {r.status_code}")
    assert failures == [], "\n".join(failures)


@pytest.fixture
def two_units(session):
    unit_x, unit_y = make_unit(session), make_unit(session)
    a = make_user(session, unit=unit_x)
    b = make_user(session, unit=unit_y)
    head_x = make_user(session, Role.UNIT_HEAD, unit=unit_x)
    quiz = make_quiz(session)
    attempt_a = make_attempt(session, quiz, session.get(Official, a.official_id), now=NOW)
    attempt_b = make_attempt(session, quiz, session.get(Official, b.official_id), now=NOW)
    session.commit()
    return a, b, head_x, quiz, attempt_a, attempt_b


def test_official_cannot_read_or_answer_another_officials_attempt(client, two_units):
    a, _b, _head, _quiz, _attempt_a, attempt_b = two_units
    login_as(client, a)
    base = f"/quizzes/attempts/{attempt_b.id}"
    assert client.get(f"{base}/q/1").status_code == 403
    assert client.post(f"{base}/q/1", data={"q1": "x"}).status_code == 403
    assert client.post(f"{base}/autosave", data={"slot": "1"}).status_code == 403
    assert client.get(f"{base}/summary").status_code == 403
    assert client.post(f"{base}/submit").status_code == 403
    assert client.get(base).status_code == 403
    assert client.get("/quizzes/attempts/999999").status_code == 404


def test_unit_head_sees_results_of_their_unit_only(client, session, two_units):
    a, b, head_x, quiz, attempt_a, attempt_b = two_units
    from quizzes import services

    services.submit_attempt(session, attempt_a.id, NOW)
    services.submit_attempt(session, attempt_b.id, NOW)
    session.commit()
    login_as(client, head_x)
    assert client.get(f"/quizzes/attempts/{attempt_a.id}").status_code == 200
    assert client.get(f"/quizzes/attempts/{attempt_b.id}").status_code == 403
    page = client.get(f"/quizzes/manage/{quiz.id}/results").get_data(as_text=True)
    assert session.get(Official, a.official_id).full_name in page
    assert session.get(Official, b.official_id).full_name not in page
    # the head cannot answer the attempt of an official of their unit
    assert client.get(f"/quizzes/attempts/{attempt_a.id}/q/1").status_code == 403


@pytest.mark.parametrize("mode", ["score", "rightwrong", "full"])
def test_unit_head_sees_what_the_review_setting_allows_it_staff_see_everything(client, session, two_units, mode):
    """A unit head may take the same quiz: their staff's results show them no more of the key than
    the quiz's review setting shows the official (before: always the full review); with "score only"
    they see the score and the marks per category. IT staff, who manage the bank, see everything."""
    from quizzes import services

    a, _b, head_x, quiz, attempt_a, _attempt_b = two_units
    slot = attempt_a.slots[0]
    right = next(o for o in slot.question_version.config["options"] if o["fraction"] >= 1)
    services.save_answer(session, attempt_a, 1, {"q1": right["id"]}, NOW)
    services.submit_attempt(session, attempt_a.id, NOW)
    quiz.review_mode = mode
    it_staff = make_user(session, Role.IT_STAFF)
    session.commit()
    pages = {}
    for who, user in (("official", a), ("head", head_x), ("it", it_staff)):
        login_as(client, user)
        r = client.get(f"/quizzes/attempts/{attempt_a.id}")
        assert r.status_code == 200
        pages[who] = r.get_data(as_text=True)
    key, explanation = "Đáp án đúng", "GIAI-THICH-CHUNG"
    assert key in pages["it"] and explanation in pages["it"] and "review-1" in pages["it"]
    for who in ("official", "head"):
        page = pages[who]
        assert "1 / 5" in page  # the score, always
        assert (key in page) == (mode == "full") and (explanation in page) == (mode == "full")
        assert ('id="review-1"' in page) == (mode != "score")  # questions and answers
    # the marks per category: for the head (and IT staff) whatever the setting, not on the official's page
    assert 'id="topic-results"' in pages["head"] and 'id="topic-results"' in pages["it"]
    assert 'id="topic-results"' not in pages["official"]
    topic_table = pages["head"][pages["head"].index('id="topic-results"') :]
    assert "Chung" in topic_table and ">5<" in topic_table and ">1<" in topic_table
    assert right["text"] not in pages["head"] or mode != "score"


def test_quiz_settings_warn_that_full_review_reveals_the_key(client, session):
    """Next to the review option: what full review gives away, for this quiz's draw (5 of 5 questions,
    3 attempts: all of them)."""
    it_staff = make_user(session, Role.IT_STAFF)
    quiz = make_quiz(session, attempts_allowed=3)
    session.commit()
    login_as(client, it_staff)
    page = client.get(f"/quizzes/manage/{quiz.id}").get_data(as_text=True)
    hint = page[page.index('id="review_mode-hint"') :]
    hint = hint[: hint.index("</p>")]
    assert "làm vài lần là biết gần hết đáp án" in hint
    assert "5 câu mỗi lần, từ 5 câu" in hint and "sau 3 lần" in hint and "khoảng 100% số câu" in hint
    assert 'aria-describedby="review_mode-hint"' in page
