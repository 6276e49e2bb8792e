"""Login throttling holds across gunicorn workers: the failure counter lives in the database."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.auth.models import LoginFailure
from lms.extensions import db
from tests.factories import PASSWORD, make_user
from tests.faults.server import Browser, csrf


def _login(server, username: str, password: str):
    browser = Browser(server)
    browser.headers["Connection"] = "close"  # a new connection each time: any worker may take it
    page = browser.get("/login")
    r = browser.post("/login", data={"login": username, "password": password, "csrf_token": csrf(page.text)})
    browser.close()
    return r


def test_six_wrong_passwords_over_several_workers_lock_the_account(servers, session):
    make_user(session, username="nhieuworker")
    server = servers(workers=3, threads=1, access_log=True)
    statuses = [_login(server, "nhieuworker", f"wrong-{i}").status_code for i in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429, "the sixth try is refused whatever worker takes it"
    assert _login(server, "nhieuworker", PASSWORD).status_code == 429, "even the right password, for now"
    db.session.remove()
    assert (
        session.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.key == "account:nhieuworker"))
        == 5
    )
    server.stop()
    pids = {line.split()[0] for line in server.access.read_text().splitlines() if " POST /login " in line}
    assert len(pids) >= 2, f"the logins were served by {len(pids)} worker(s); the test needs several"
