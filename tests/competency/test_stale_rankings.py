"""Stale-while-revalidate of the figures cache (``RANKING_STALE_SECONDS`` > 0): after a committed write
the previous ranking is served at once with the time it was computed, and a background thread
computes the fresh one. The threads are joined through ``cache.wait_for_refreshes`` (never a sleep)."""

import logging
import threading
from datetime import timedelta

import pytest

from competency import cache
from competency.breakdown import breakdowns_served
from competency.rankings import ranking_served
from lms.auth.models import Role
from lms.time import to_local
from lms.topics import Topic
from tests.competency.factories import TODAY, graded_attempt, topic_setup
from tests.factories import login_as, make_official, make_unit, make_user


@pytest.fixture
def stale_on(app):
    old = app.config.get("RANKING_STALE_SECONDS")
    app.config["RANKING_STALE_SECONDS"] = 300
    yield
    assert cache.wait_for_refreshes()
    app.config["RANKING_STALE_SECONDS"] = old


@pytest.fixture
def world(session):
    quiz = topic_setup(session)[Topic.QLVB][1]
    unit = make_unit(session, name="Sở Thử")
    people = [make_official(session, unit) for _ in range(2)]
    session.commit()
    return unit, people, quiz


def participants(served) -> int:
    (entry,) = served.value
    return entry.participants


def test_after_a_write_the_previous_ranking_is_served_then_the_fresh_one(session, world, stale_on):
    unit, people, quiz = world
    first = ranking_served(session, today=TODAY)
    assert not first.stale and participants(first) == 0

    graded_attempt(session, quiz, people[0], 90)
    session.commit()
    served = ranking_served(session, today=TODAY)
    assert served.stale  # (a) at once, as computed before the write, with its time
    assert participants(served) == 0 and served.computed_at == first.computed_at

    assert cache.wait_for_refreshes()  # (b) the background recompute stored the fresh value
    fresh = ranking_served(session, today=TODAY)
    assert not fresh.stale and participants(fresh) == 1 and fresh.computed_at >= first.computed_at


def test_the_pages_say_when_the_ranking_served_was_computed(client, session, world, stale_on):
    unit, people, quiz = world
    head = make_user(session, Role.UNIT_HEAD, unit)  # a third official: 1 of 3 took part after the write
    it = make_user(session, Role.IT_STAFF)
    session.commit()
    login_as(client, head)
    page = client.get(f"/competency/units/{unit.id}").get_data(as_text=True)
    assert "Xếp hạng tính lúc" not in page and "33,3%" not in page

    def ranking_computed_at():
        return next(e.computed_at for k, e in cache._CACHE.items() if k[0][0] == "ranking")

    computed = ranking_computed_at()
    graded_attempt(session, quiz, people[0], 90)
    session.commit()
    page = client.get(f"/competency/units/{unit.id}").get_data(as_text=True)
    assert f"Xếp hạng tính lúc {to_local(computed):%H:%M}" in page
    assert "33,3%" not in page  # the ranking and the breakdowns from before the write

    assert cache.wait_for_refreshes()
    page = client.get(f"/competency/units/{unit.id}").get_data(as_text=True)
    assert "Xếp hạng tính lúc" not in page and "33,3%" in page

    # the province page, the first request after another write: the ranking from before it
    computed = ranking_computed_at()
    graded_attempt(session, quiz, people[1], 90)
    session.commit()
    login_as(client, it)
    province = client.get("/competency/").get_data(as_text=True)
    assert f"Xếp hạng tính lúc {to_local(computed):%H:%M}" in province


def test_a_session_with_uncommitted_writes_neither_reads_nor_fills_the_cache(session, world, stale_on):
    unit, people, quiz = world
    ranking_served(session, today=TODAY)
    (before,) = cache._CACHE.values()

    graded_attempt(session, quiz, people[0], 90)  # not committed
    served = ranking_served(session, today=TODAY)
    assert not served.stale and participants(served) == 1  # its own write, computed here
    assert cache._CACHE[next(iter(cache._CACHE))] is before and not cache._REFRESHING  # no refresh started
    session.rollback()
    served = ranking_served(session, today=TODAY)
    assert participants(served) == 0


def test_a_stale_ranking_older_than_the_setting_is_not_served(app, session, world, stale_on, monkeypatch):
    unit, people, quiz = world
    first = ranking_served(session, today=TODAY)
    graded_attempt(session, quiz, people[0], 90)
    session.commit()
    later = first.computed_at + timedelta(seconds=301)
    monkeypatch.setattr(cache, "utcnow", lambda: later)
    served = ranking_served(session, today=TODAY)
    assert not served.stale and participants(served) == 1 and served.computed_at == later
    assert not cache._REFRESHING


def test_setting_zero_always_computes_in_the_request(app, session, world, stale_on):
    unit, people, quiz = world
    app.config["RANKING_STALE_SECONDS"] = 0
    ranking_served(session, today=TODAY)
    graded_attempt(session, quiz, people[0], 90)
    session.commit()
    served = ranking_served(session, today=TODAY)
    assert not served.stale and participants(served) == 1 and not cache._REFRESHING


def _written(session, world):
    unit, people, quiz = world
    graded_attempt(session, quiz, people[0], 90)
    session.commit()


def test_one_background_recompute_per_key_at_a_time(session, world, stale_on):
    assert cache.cached(session, "k", lambda s: "old").value == "old"
    _written(session, world)
    release = threading.Event()
    calls = []

    def slow(s):
        calls.append(1)
        assert release.wait(60)
        return "new"

    try:
        assert cache.cached(session, "k", slow).value == "old"
        (thread,) = cache._REFRESHING.values()
        served = cache.cached(session, "k", slow)
        assert served.stale and served.value == "old"
        assert list(cache._REFRESHING.values()) == [thread]  # the same one, no second thread
    finally:
        release.set()
    assert cache.wait_for_refreshes()
    assert cache.cached(session, "k", slow).value == "new" and len(calls) == 1


def test_a_failing_background_recompute_is_logged_and_the_stale_value_kept(
    session, world, stale_on, caplog, monkeypatch
):
    # the migrations' ``fileConfig`` (run by the test set-up) disabled the loggers that existed then
    monkeypatch.setattr(logging.getLogger("competency.cache"), "disabled", False)
    assert cache.cached(session, "k", lambda s: "old").value == "old"
    _written(session, world)

    def broken(s):
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="competency.cache"):
        assert cache.cached(session, "k", broken).value == "old"  # never raised into the request
        assert cache.wait_for_refreshes()
    assert "background recompute" in caplog.text and "boom" in caplog.text
    assert cache.cached(session, "k", lambda s: "fresh").value == "old"  # stale again, refreshed anew
    assert cache.wait_for_refreshes()
    assert cache.cached(session, "k", lambda s: "never").value == "fresh"


def test_breakdowns_labels_follow_the_request_language(app, session, world, stale_on):
    served = breakdowns_served(session, today=TODAY)
    labels = [r.label for r in served.value["level"]]
    assert labels and all(labels)
    (stored,) = (e.value for k, e in cache._CACHE.items() if k[0][0] == "breakdowns")
    assert all(r.label == "" for r in stored["level"])  # cached without the language's labels
