"""Login throttling holds across gunicorn workers: the failure counter lives in the database."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from lms.auth.models import LoginFailure
from lms.extensions import db
from tests.factories import PASSWORD, make_user
from tests.faults.server import Browser, csrf


def _login(server, username: str, password: str, forwarded_for: str | None = None):
    browser = Browser(server)
    browser.headers["Connection"] = "close"  # a new connection each time: any worker may take it
    if forwarded_for:
        browser.headers["X-Forwarded-For"] = forwarded_for
    page = browser.get("/login")
    r = browser.post("/login", data={"login": username, "password": password, "csrf_token": csrf(page.text)})
    browser.close()
    return r


def test_six_wrong_passwords_over_several_workers_lock_the_account(servers, session):
    user_id = make_user(session, username="nhieuworker").id
    server = servers(workers=3, threads=1, access_log=True)
    statuses = [_login(server, "nhieuworker", f"wrong-{i}").status_code for i in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429, "the sixth try is refused whatever worker takes it"
    assert _login(server, "nhieuworker", PASSWORD).status_code == 429, "even the right password, for now"
    db.session.remove()
    assert (
        session.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.key == f"account:{user_id}"))
        == 5
    )
    server.stop()
    pids = {line.split()[0] for line in server.access.read_text().splitlines() if " POST /login " in line}
    assert len(pids) >= 2, f"the logins were served by {len(pids)} worker(s); the test needs several"


def test_parallel_wrong_passwords_get_no_more_than_five_checks(servers, session):
    """12 wrong passwords at the same moment over several workers and threads: at most 5 are checked.

    Counting the failures before checking the password and recording the failure after let every
    parallel attempt pass the count (12 x 401). Now each attempt is recorded before it is counted.
    """
    user_id = make_user(session, username="songsong").id
    session.commit()
    server = servers(workers=2, threads=6)
    browsers = [Browser(server) for _ in range(12)]
    tokens = [csrf(browser.get("/login").text) for browser in browsers]
    start = threading.Barrier(len(browsers), timeout=30)

    def attempt(i: int) -> int:
        start.wait()  # all posts leave together
        data = {"login": "songsong", "password": f"wrong-{i}", "csrf_token": tokens[i]}
        return browsers[i].post("/login", data=data).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        statuses = list(pool.map(attempt, range(len(browsers))))
    for browser in browsers:
        browser.close()
    checked = statuses.count(401)
    assert checked <= 5 and statuses.count(429) == len(statuses) - checked, statuses
    # the refused attempts left nothing behind: the account gets exactly the rest of its 5 tries
    later = [_login(server, "songsong", f"later-{i}").status_code for i in range(6 - checked)]
    assert later == [401] * (5 - checked) + [429], (statuses, later)
    assert _login(server, "songsong", PASSWORD).status_code == 429
    db.session.remove()
    count = select(func.count()).select_from(LoginFailure).where(LoginFailure.key == f"account:{user_id}")
    assert session.scalar(count) == 5


def test_behind_a_trusted_proxy_failures_count_per_official(servers, session):
    """``LMS_TRUSTED_PROXIES=1``: the requests come from the proxy (here 127.0.0.1) with the client's
    address appended to X-Forwarded-For. One sender's failures, whatever it writes in front of that
    entry, lock that sender only; correct logins from one address never count (limit 5 here, to keep
    the test short: each failure costs a password check)."""
    make_user(session, username="quaproxy")
    session.commit()
    server = servers(workers=2, threads=2, env={"LMS_TRUSTED_PROXIES": "1", "LMS_LOGIN_MAX_FAILURES_IP": "5"})
    sender, official = "203.0.113.66", "203.0.113.7"
    wrong = [_login(server, f"khong-co-{i}", "sai", f"192.0.2.{i}, {sender}").status_code for i in range(6)]
    assert wrong == [401] * 5 + [429], wrong
    right = [_login(server, "quaproxy", PASSWORD, official).status_code for _ in range(7)]
    assert right == [302] * 7, right
    assert _login(server, "quaproxy", PASSWORD, f"{official}, {sender}").status_code == 429, "the sender waits"
