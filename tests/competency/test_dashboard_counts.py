"""Every count on the unit head's dashboard, and every tab count of the unit's competency page, is the
number of rows of the list its link opens (issue 16: "Đã đạt (0)" showed nobody while many staff held
certificates). Links that carry a count say so with ``data-count``; the list they open is the table
marked ``data-list``, one ``data-row`` per person, over every page (``rel="next"``)."""

from __future__ import annotations

import html
import random
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from certificates import services as cert_services
from courses.services import enrol
from lms.auth.models import Role
from lms.time import local_today
from lms.topics import Topic
from tests.competency.factories import graded_attempt, topic_setup
from tests.factories import login_as, make_course, make_official, make_unit, make_user

COUNT_LINK = re.compile(r'<a href="([^"]+)"[^>]*?data-count="(\d+)"[^>]*>(.*?)</a>', re.S)


def _certify(session, official, course, issued_on):
    settings = replace(cert_services.get_settings(), render_on_issue=False)
    cert_services.issue_certificate(
        session, official, course, 90, f"demo:{official.id}:{course.id}", issued_on, settings=settings
    )


@pytest.fixture
def province(session):
    """A unit of 46 people shaped like the demo's: many not started, some who passed one or two
    topics and left the rest, some who failed a topic, a few with all four certified, certificates
    expiring soon or already expired, two who left (inactive), and a neighbouring unit."""
    rng = random.Random(16)
    today = local_today()
    t = topic_setup(session)
    unit, other = make_unit(session, name="UBND xã Tam Đảo"), make_unit(session, name="UBND xã Đại Đình")
    head = make_user(session, Role.UNIT_HEAD, unit)
    people = [make_official(session, unit) for _ in range(45)]
    topics = list(Topic)
    for n, official in enumerate(people):
        kind = n % 9
        if kind in (0, 1, 2):  # not started
            continue
        if kind == 3:  # passed one or two topics, the others not started
            for topic in rng.sample(topics, rng.choice((1, 2))):
                graded_attempt(session, t[topic][1], official, rng.randint(70, 100))
                _certify(session, official, t[topic][0], today - timedelta(days=rng.randint(10, 300)))
        elif kind == 4:  # failed a topic, passed another
            graded_attempt(session, t[topics[0]][1], official, rng.randint(20, 65))
            graded_attempt(session, t[topics[1]][1], official, rng.randint(75, 95))
        elif kind == 5:  # all four certified
            for topic in topics:
                graded_attempt(session, t[topic][1], official, rng.randint(80, 100))
                _certify(session, official, t[topic][0], today - timedelta(days=rng.randint(10, 200)))
        elif kind == 6:  # all four, one certificate expiring within weeks
            for i, topic in enumerate(topics):
                day = today - timedelta(days=700) if i == 0 else today - timedelta(days=30)
                _certify(session, official, t[topic][0], day)
        elif kind == 7:  # a certificate expired (two years and more ago), nothing else
            _certify(session, official, t[topics[2]][0], today - timedelta(days=800))
        else:  # started, only failed attempts
            graded_attempt(session, t[topics[3]][1], official, rng.randint(10, 60))
    for _ in range(2):  # left the unit: not counted anywhere
        gone = make_official(session, unit)
        _certify(session, gone, t[topics[0]][0], today - timedelta(days=20))
        gone.active = False
    for _ in range(5):
        someone = make_official(session, other)
        graded_attempt(session, t[topics[0]][1], someone, 90)
    for _ in range(8):  # the head's own courses: more than the panel shows
        enrol(session, head.official_id, make_course(session).id)
    session.commit()
    return head, unit


def _rows(client, url: str) -> int:
    """The people of the list ``url`` opens, over every page."""
    total, seen = 0, set()
    while url and url not in seen:
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.text
        lists = re.findall(r"<table[^>]*\bdata-list\b.*?</table>", page, re.S)
        assert len(lists) == 1, (url, len(lists))
        total += len(re.findall(r"<tr\b[^>]*\bdata-row\b", lists[0]))
        following = re.search(r'<a href="([^"]+)" rel="next"', page)
        url = html.unescape(following.group(1)) if following else None
    return total


def _count_links(page: str) -> list[tuple[str, int, str]]:
    return [
        (html.unescape(href), int(n), re.sub(r"<[^>]+>", "", text).strip())
        for href, n, text in COUNT_LINK.findall(page)
    ]


def test_every_count_on_the_unit_heads_dashboard_is_the_list_it_opens(client, province):
    head, unit = province
    login_as(client, head)
    dashboard = client.get("/dashboard").text
    links = _count_links(dashboard)
    targets = {urlpath for urlpath, _n, _t in links}
    assert f"/competency/units/{unit.id}?show=passed" in targets and "/courses/mine" in targets
    assert f"/practice/units/{unit.id}" in targets
    assert len(links) >= 7
    wrong = [(text, n, _rows(client, url)) for url, n, text in links]
    assert [w for w in wrong if w[1] != w[2]] == []
    counts = {url: n for url, n, _t in links}
    base = f"/competency/units/{unit.id}"
    assert counts[base] == 46  # 45 and the head; the two who left are not counted
    # the first three tabs split the staff: nobody falls between "not started", "has a topic not
    # passed" and "all four" (those who passed one topic and left the rest were in no tab)
    split = (
        counts[f"{base}?show=not_started"] + counts[f"{base}?show=failing&sort=score"] + counts[f"{base}?show=passed"]
    )
    assert split == counts[base]
    assert counts[f"{base}?show=passed"] == 10 and counts[f"{base}?show=not_started"] == 16


def test_every_tab_count_of_the_units_page_is_the_list_it_opens(client, province):
    head, unit = province
    login_as(client, head)
    for start in (f"/competency/units/{unit.id}", f"/competency/units/{unit.id}?show=expiring&sort=score&dir=desc"):
        page = client.get(start).text
        tabs = page[page.index('class="tabs"') : page.index("</ul>", page.index('class="tabs"'))]
        links = _count_links(tabs)
        assert len(links) == 5
        assert [(text, n) for url, n, text in links if _rows(client, url) != n] == []
