"""Attempts: random draws, fixed layouts, limits, autosave and resume, deadlines, grading."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from lms import events
from lms.auth.models import Role
from lms.org.models import Official
from quizzes import services
from quizzes.models import Attempt, AttemptSlot, AttemptState, QuizOverride
from quizzes.services import attempts as attempts_module
from tests.factories import login_as, make_user
from tests.quizzes_app.factories import NOW, make_attempt, make_bank, make_quiz


@pytest.fixture
def learner(session):
    user = make_user(session, Role.OFFICIAL)
    return user, session.get(Official, user.official_id)


def _right_single(slot) -> str:
    return next(o["id"] for o in slot.question_version.config["options"] if o["fraction"] >= 1)


def test_draws_the_right_count_per_category_and_is_stable_per_attempt(session, learner):
    _user, official = learner
    cats = make_bank(session, per_category={f"email/c{i}": 8 for i in range(4)})
    quiz = make_quiz(session, cats, counts={p: 5 for p in cats})
    attempt = make_attempt(session, quiz, official, seed=None)
    session.commit()
    by_category = Counter(s.question_version.question.category.path for s in attempt.slots)
    assert by_category == {p: 5 for p in cats}
    assert [s.slot_no for s in attempt.slots] == list(range(1, 21))
    assert len({s.question_version.question_id for s in attempt.slots}) == 20
    before = [(s.question_version_id, s.layout) for s in attempt.slots]
    session.expire_all()
    again = session.get(Attempt, attempt.id)
    assert [(s.question_version_id, s.layout) for s in again.slots] == before
    # the draw is a function of the seed: the same seed draws the same questions and layouts
    quiz2 = make_quiz(session, cats, counts={p: 5 for p in cats})
    twin = make_attempt(session, quiz2, official, seed=attempt.seed)
    assert [(s.question_version_id, s.layout) for s in twin.slots] == before


def test_second_start_returns_the_attempt_in_progress(session, learner):
    _user, official = learner
    quiz = make_quiz(session)
    first = make_attempt(session, quiz, official)
    assert make_attempt(session, quiz, official).id == first.id
    assert session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_attempts_limit_delay_and_override(session, learner):
    _user, official = learner
    quiz = make_quiz(session, attempts_allowed=1, delay_minutes=10)
    attempt = make_attempt(session, quiz, official)
    services.submit_attempt(session, attempt.id, NOW)
    with pytest.raises(services.QuizError, match="hết số lần"):
        make_attempt(session, quiz, official, now=NOW + timedelta(hours=1))
    services.set_override(session, quiz, official.id, 15, 1, "Mất điện khi làm bài", None, NOW)
    with pytest.raises(services.QuizError, match="chờ"):
        make_attempt(session, quiz, official, now=NOW + timedelta(minutes=5))
    second = make_attempt(session, quiz, official, now=NOW + timedelta(minutes=11))
    assert second.number == 2
    assert second.deadline_at == NOW + timedelta(minutes=11 + 30 + 15)
    assert session.scalar(select(func.count()).select_from(QuizOverride)) == 1


def test_open_and_close_dates(session, learner):
    _user, official = learner
    quiz = make_quiz(session, open_at=NOW + timedelta(days=1), close_at=NOW + timedelta(days=1, minutes=10))
    with pytest.raises(services.QuizError, match="chưa đến giờ"):
        make_attempt(session, quiz, official)
    attempt = make_attempt(session, quiz, official, now=NOW + timedelta(days=1, minutes=5))
    assert attempt.deadline_at == quiz.close_at  # the close time cuts the time limit
    with pytest.raises(services.QuizError, match="đã đóng"):
        services.start_attempt(session, make_quiz(session, close_at=NOW), official, NOW)


def test_autosave_and_resume_show_the_saved_answer(client, session, learner):
    user, official = learner
    quiz = make_quiz(session)
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, official)
        session.commit()
        login_as(client, user)
        slot = attempt.slots[1]
        choice = _right_single(slot)
        r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data={"slot": "2", "q2": choice})
        assert r.status_code == 200 and r.json["ok"] and r.json["answered"]
        again = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data={"slot": "2", "q2": choice})
        assert again.json == r.json  # idempotent
        page = client.get(f"/quizzes/attempts/{attempt.id}/q/2").get_data(as_text=True)
    assert f'value="{choice}" checked' in page
    assert 'id="nav-2"' in page and "q-nav-item answered" in page


def test_post_saves_and_navigates(client, session, learner):
    user, official = learner
    quiz = make_quiz(session)
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, official)
        session.commit()
        login_as(client, user)
        choice = _right_single(attempt.slots[0])
        r = client.post(f"/quizzes/attempts/{attempt.id}/q/1", data={"q1": choice, "go": "next"})
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/attempts/{attempt.id}/q/2")
        r = client.post(f"/quizzes/attempts/{attempt.id}/q/2", data={"go": "prev"})
        assert r.headers["Location"].endswith("/q/1")
        r = client.post(f"/quizzes/attempts/{attempt.id}/q/5", data={"go": "next"})
        assert r.headers["Location"].endswith("/summary")
        summary = client.get(f"/quizzes/attempts/{attempt.id}/summary").get_data(as_text=True)
        assert "Bạn còn 4 câu chưa trả lời" in summary
        r = client.post(f"/quizzes/attempts/{attempt.id}/submit")
        assert r.headers["Location"].endswith(f"/quizzes/attempts/{attempt.id}")
        result = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "1 / 5" in result and "20,0%" in result and "CHƯA ĐẠT" in result


@pytest.mark.parametrize(("go", "target"), [("3", "/q/3"), ("¹", "/q/2"), ("٣", "/q/3"), ("99", "/q/2"), ("", "/q/2")])
def test_go_to_a_question_number_or_stay(client, session, learner, go, target):
    """A question number jumps there; anything else (superscript digits, out of range) stays put, never a 500."""
    user, official = learner
    quiz = make_quiz(session)
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, official)
        session.commit()
        login_as(client, user)
        r = client.post(f"/quizzes/attempts/{attempt.id}/q/2", data={"go": go})
    assert r.status_code == 302 and r.headers["Location"].endswith(target)


def test_forged_option_ids_earn_nothing(client, session, learner):
    user, official = learner
    quiz = make_quiz(session)
    with time_machine.travel(NOW, tick=False):
        attempt = make_attempt(session, quiz, official)
        session.commit()
        login_as(client, user)
        for forged in ("o99", "o0", "true", "' OR 1=1 --", "", "o1 ", '{"fraction": 1}'):
            client.post(f"/quizzes/attempts/{attempt.id}/q/1", data={"q1": forged, "go": "1"})
            r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data={"slot": "1", "q1": forged})
            assert r.json["answered"] is False
        client.post(f"/quizzes/attempts/{attempt.id}/submit")
    session.expire_all()
    graded = session.get(Attempt, attempt.id)
    assert graded.slots[0].answer is None and graded.slots[0].mark == 0
    assert graded.score == 0


def test_answers_after_deadline_plus_grace_are_refused(client, session, learner, app):
    user, official = learner
    quiz = make_quiz(session, time_limit_minutes=10)
    attempt = make_attempt(session, quiz, official)
    session.commit()
    choice = _right_single(attempt.slots[0])
    with time_machine.travel(NOW + timedelta(minutes=10, seconds=20), tick=False):  # within the grace period
        login_as(client, user)  # (the session cookie is signed with the travelled clock)
        r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data={"slot": "1", "q1": choice})
        assert r.status_code == 200 and r.json["ok"]
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        login_as(client, user)
        r = client.post(f"/quizzes/attempts/{attempt.id}/autosave", data={"slot": "1", "q1": "x"})
        assert r.status_code == 409 and r.json["closed"] is True
        with pytest.raises(services.AttemptClosed):
            services.save_answer(session, attempt, 1, {"q1": choice}, NOW + timedelta(minutes=11))
        # viewing the overdue attempt grades it with what was saved
        r = client.get(f"/quizzes/attempts/{attempt.id}/q/1")
        assert r.status_code == 302
    session.expire_all()
    graded = session.get(Attempt, attempt.id)
    assert graded.state == AttemptState.SUBMITTED
    assert graded.submitted_at == attempt.deadline_at
    assert graded.score == 1


def test_timeout_post_saves_then_submits(client, session, learner):
    """At zero the page's script posts the form with go=timeout: the answer is kept and graded."""
    user, official = learner
    quiz = make_quiz(session, time_limit_minutes=10)
    attempt = make_attempt(session, quiz, official)
    session.commit()
    choice = _right_single(attempt.slots[2])
    with time_machine.travel(NOW + timedelta(minutes=10, seconds=2), tick=False):
        login_as(client, user)
        r = client.post(f"/quizzes/attempts/{attempt.id}/q/3", data={"q3": choice, "go": "timeout"})
    assert r.headers["Location"].endswith(f"/quizzes/attempts/{attempt.id}")
    session.expire_all()
    graded = session.get(Attempt, attempt.id)
    assert graded.state == AttemptState.SUBMITTED and graded.score == 1


def test_an_answer_to_an_attempt_submitted_since_it_was_read_is_refused(app, session, learner):
    """The request read the attempt in progress, then another request submitted it: the write's own
    statement finds it submitted, stores nothing and raises AttemptClosed (409 in the view)."""
    _user, official = learner
    attempt = make_attempt(session, make_quiz(session), official)
    session.commit()
    slot = services.get_slot(attempt, 1)
    assert attempt.in_progress  # as this request read it
    _graded_by_another_request(app, attempt.id, NOW)
    with pytest.raises(services.AttemptClosed, match="đã được nộp"):
        services.save_answer(session, attempt, 1, {"q1": _right_single(slot)}, NOW, slot=slot)
    session.rollback()
    session.expire_all()
    graded = session.get(Attempt, attempt.id)
    assert graded.slots[0].answer is None and graded.slots[0].mark == 0 and graded.score == 0


def test_timeout_post_after_another_tab_submitted_stores_nothing(client, session, learner):
    user, official = learner
    attempt = make_attempt(session, make_quiz(session, time_limit_minutes=10), official)
    session.commit()
    choice = _right_single(attempt.slots[0])
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        login_as(client, user)
        client.post(f"/quizzes/attempts/{attempt.id}/submit")
        r = client.post(f"/quizzes/attempts/{attempt.id}/q/1", data={"q1": choice, "go": "timeout"})
    assert r.status_code == 302 and r.headers["Location"] == f"/quizzes/attempts/{attempt.id}"
    session.expire_all()
    graded = session.get(Attempt, attempt.id)
    assert graded.slots[0].answer is None and graded.score == 0


def test_an_attempt_is_never_graded_before_an_answer_it_was_graded_on(session, learner):
    """A save whose request started after the submit's (a later ``now``) but wrote first: graded_at
    is that answer's time, not the submit request's earlier clock."""
    _user, official = learner
    attempt = make_attempt(session, make_quiz(session), official)
    later = NOW + timedelta(seconds=2)
    services.save_answer(session, attempt, 1, {"q1": _right_single(attempt.slots[0])}, later)
    assert services.submit_attempt(session, attempt.id, NOW + timedelta(seconds=1))
    assert attempt.graded_at == later and attempt.submitted_at == NOW + timedelta(seconds=1)
    assert attempt.score == 1


def test_close_overdue_attempts_command(runner, session, learner):
    _user, official = learner
    quiz = make_quiz(session, time_limit_minutes=10)
    attempt = make_attempt(session, quiz, official, now=NOW - timedelta(hours=1))
    on_time = make_attempt(session, make_quiz(session), official, now=NOW - timedelta(minutes=5))
    session.commit()
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["lms", "close-overdue-attempts"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    session.expire_all()
    assert session.get(Attempt, attempt.id).state == AttemptState.SUBMITTED
    assert session.get(Attempt, on_time.id).state == AttemptState.IN_PROGRESS


def _graded_by_another_request(app, attempt_id: int, now) -> None:
    """What a concurrent request (a second click, the cron job) does: its own session, committed."""
    from lms.extensions import db

    with app.app_context():
        services.submit_attempt(db.session, attempt_id, now)
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("attempts_allowed", [2, 1])
def test_start_after_another_request_graded_the_overdue_attempt_does_not_recurse(
    app, session, learner, attempts_allowed
):
    """This request read the attempt while it was in progress; another graded it before this one's
    submit: the submit finds nothing to do and the attempt still looks in progress here. The start
    reads the attempts again once (it called itself before, until RecursionError)."""
    _user, official = learner
    quiz = make_quiz(session, time_limit_minutes=1, attempts_allowed=attempts_allowed)
    old = make_attempt(session, quiz, official)
    session.commit()
    later = NOW + timedelta(seconds=62)
    assert services.eligibility(session, quiz, official.id, later).in_progress is old  # as this request read it
    _graded_by_another_request(app, old.id, later)
    attempt = services.start_attempt(session, quiz, official, later)
    if attempts_allowed == 2:
        assert attempt.number == 2 and attempt.in_progress
    else:  # none may start: the graded attempt, for its result
        assert attempt.id == old.id and attempt.state == AttemptState.SUBMITTED
    session.commit()
    assert session.scalar(select(func.count()).select_from(Attempt)) == attempts_allowed


def test_start_after_the_time_ran_out_grades_and_keeps_the_grade_with_no_attempt_left(client, session, learner):
    """The old attempt is graded (and stays graded) and the official is sent to its result."""
    user, official = learner
    quiz = make_quiz(session, time_limit_minutes=1, attempts_allowed=1)
    old = make_attempt(session, quiz, official)
    session.commit()
    with time_machine.travel(NOW + timedelta(seconds=62), tick=False):
        login_as(client, user)
        r = client.post(f"/quizzes/{quiz.id}/start")
    assert r.status_code == 302 and r.headers["Location"] == f"/quizzes/attempts/{old.id}"
    session.expire_all()
    graded = session.get(Attempt, old.id)
    assert graded.state == AttemptState.SUBMITTED and graded.submitted_at == graded.deadline_at
    assert graded.graded_at is not None


def test_two_starts_racing_for_the_same_number_share_one_attempt(session, learner, monkeypatch):
    """The unique (quiz, official, number) decides; the loser gets the winner's attempt, and its
    transaction goes on (the INSERT inserts nothing rather than failing)."""
    _user, official = learner
    quiz = make_quiz(session)
    winner = make_attempt(session, quiz, official)
    session.commit()
    original = attempts_module.eligibility

    def stale(*args, **kwargs):  # as seen by a request that read before the winner committed
        info = original(*args, **kwargs)
        info.in_progress, info.attempts_used = None, 0
        return info

    monkeypatch.setattr(attempts_module, "eligibility", stale)
    loser = services.start_attempt(session, quiz, official, NOW)
    assert loser.id == winner.id
    assert session.scalar(select(func.count()).select_from(Attempt)) == 1
    assert session.scalar(select(func.count()).select_from(AttemptSlot)) == len(winner.slots)
    session.commit()


def test_grading_methods(session, learner):
    _user, official = learner
    quiz = make_quiz(session, attempts_allowed=0)
    percents = []
    for answered in (2, 5, 1):
        attempt = make_attempt(session, quiz, official)
        for slot in attempt.slots[:answered]:
            services.save_answer(session, attempt, slot.slot_no, {f"q{slot.slot_no}": _right_single(slot)}, NOW)
        services.submit_attempt(session, attempt.id, NOW)
        percents.append(attempt.percent)
    assert percents == [40.0, 100.0, 20.0]
    expected = {"highest": 100.0, "last": 20.0, "first": 40.0, "average": pytest.approx(160 / 3)}
    for method, value in expected.items():
        quiz.grading_method = method
        assert services.quiz_grade(session, quiz, official.id) == value


def test_passing_the_final_quiz_completes_the_course(session, learner):
    from courses.models import Course, Lesson
    from courses.services import mark_lesson_done

    _user, official = learner
    course = Course(slug="thu-dien-tu", topic="email", title="Thư điện tử", published=True)
    session.add(course)
    session.flush()
    lesson = Lesson(course_id=course.id, slug="bai-1", title="Bài 1", published=True)
    session.add(lesson)
    session.flush()
    quiz = make_quiz(session, course_id=course.id, is_final=True)
    completed = []

    def receiver(sender, **kwargs):
        completed.append(kwargs)

    events.course_completed.connect(receiver)
    try:
        mark_lesson_done(session, official.id, lesson, NOW)
        assert completed == []  # the final quiz is still to pass
        attempt = make_attempt(session, quiz, official)
        for slot in attempt.slots:
            services.save_answer(session, attempt, slot.slot_no, {f"q{slot.slot_no}": _right_single(slot)}, NOW)
        assert services.submit_attempt(session, attempt.id, NOW)
    finally:
        events.course_completed.disconnect(receiver)
    assert len(completed) == 1
    assert completed[0]["source"] == f"attempt:{attempt.id}"
    assert completed[0]["score_percent"] == 100.0


@pytest.mark.parametrize(
    ("method", "right", "met"),
    [
        ("highest", (5, 1), [True, True]),  # the first passed: still passed
        ("last", (5, 1), [True, False]),
        ("average", (5, 1), [True, False]),  # (100 + 20) / 2 < 70
        ("first", (1, 5), [False, False]),
        ("highest", (1, 5), [False, True]),
    ],
)
def test_the_final_quiz_requirement_follows_the_grading_method_attempt_by_attempt(session, learner, method, right, met):
    """Each submit of a course's final quiz tells the course whether the quiz grade is a pass now: a
    first attempt on its own grade, a later one by the grading method over every graded attempt."""
    from courses.models import Course

    _user, official = learner
    course = Course(slug=f"khoa-{method}", topic="email", title="Khóa", published=True)
    session.add(course)
    session.flush()
    quiz = make_quiz(session, course_id=course.id, is_final=True, grading_method=method, attempts_allowed=0)
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs["source"])

    events.course_requirement_met.connect(receiver)
    try:
        got = []
        for answered in right:
            attempt = make_attempt(session, quiz, official)
            for slot in attempt.slots[:answered]:
                services.save_answer(session, attempt, slot.slot_no, {f"q{slot.slot_no}": _right_single(slot)}, NOW)
            before = len(sent)
            assert services.submit_attempt(session, attempt.id, NOW)
            got.append(len(sent) > before)
    finally:
        events.course_requirement_met.disconnect(receiver)
    assert got == met
