"""Two application servers behind HAProxy, one PostgreSQL: an exam through the balancer survives the
loss of one server; what one server writes (certificate PDFs, request limits, an import's file
between its preview and its confirmation) the other sees.

Each server is granian (the recommended command, 1 worker x 4 threads) with its own instance folder
and the shared folder ``LMS_SHARED_DIR``; HAProxy (Debian package, ``scripts/system-packages.sh --test``) balances round
robin with health checks on ``/healthz`` and retries a request whose connection failed or was cut
before an answer (``retry-on conn-failure empty-response``), as the README's configuration does.
The client is the attempt page's script: it retries an answer until the server acknowledges it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest
import requests
from sqlalchemy import select

from certificates.models import Certificate
from competency.models import CompetencyRecord
from lms.auth.models import Role
from lms.extensions import db
from lms.time import local_today
from lms.topics import Topic
from quizzes.models import Attempt, AttemptSlot, AttemptState
from tests.factories import make_course, make_unit, make_user
from tests.faults.server import CSRF_RE, Server, free_port, session_cookie
from tests.quizzes_app.factories import make_bank, make_quiz

OFFICIALS = 8
QUESTIONS = 6

HAPROXY_CFG = """
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure empty-response
    option forwardfor
frontend exam
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance roundrobin
    option httpchk GET /healthz
    default-server inter 500ms fall 1 rise 2
{servers}
"""


@pytest.fixture
def cluster(app, tmp_path):
    """Two servers and HAProxy in front; yields (balancer base URL, [servers]); all stopped after."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("two application servers share one database server: PostgreSQL (runs in the PostgreSQL pass)")
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    assert os.path.exists(haproxy), "HAProxy is missing: bash scripts/system-packages.sh --test"
    shared = tmp_path / "shared"
    servers = []
    for name in ("a", "b"):
        env = {
            "LMS_SHARED_DIR": str(shared),
            "LMS_INSTANCE_DIR": str(tmp_path / f"instance-{name}"),
            "LMS_TRUSTED_PROXIES": "1",
            "CERT_VERIFY_RATE_LIMIT": "4 per minute",
        }
        servers.append(Server(app.config["SQLALCHEMY_DATABASE_URI"], workers=1, threads=4, log_dir=tmp_path, env=env))
    for server in servers:
        server.start()
    port = free_port()
    lines = "\n".join(f"    server {n} 127.0.0.1:{s.port} check" for n, s in zip("ab", servers, strict=True))
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(HAPROXY_CFG.format(port=port, servers=lines))
    log = (tmp_path / "haproxy.log").open("wb")
    proxy = subprocess.Popen(
        [haproxy, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, (tmp_path / "haproxy.log").read_text()
            time.sleep(0.2)
        yield base, servers, shared
    finally:
        if proxy.poll() is None:
            os.killpg(proxy.pid, signal.SIGKILL)
            proxy.wait(10)
        log.close()
        for server in servers:
            server.kill()


class Official:
    """One official's browser through the balancer: what the attempt page's script does."""

    def __init__(self, base: str, user) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.cookies.set("session", session_cookie(user), domain="127.0.0.1", path="/")
        self.acknowledged: dict[int, str] = {}  # slot -> the answer the server said it stored
        self.retries = 0

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        """Again until an answer comes (a server lost mid-request: the script sends it again)."""
        for _ in range(40):
            try:
                r = self.http.request(method, self.base + path, timeout=10, allow_redirects=False, **kwargs)
                if r.status_code not in (502, 503, 504):
                    return r
            except requests.RequestException:
                pass
            self.retries += 1
            time.sleep(0.25)
        raise AssertionError(f"{method} {path}: no answer through the balancer")

    def take(self, quiz_id: int, halfway: threading.Barrier) -> int:
        intro = self.call("GET", f"/quizzes/{quiz_id}")
        m = CSRF_RE.search(intro.text)
        token = m.group(1) or m.group(2)
        r = self.call("POST", f"/quizzes/{quiz_id}/start", data={"csrf_token": token})
        assert r.status_code == 302, r.status_code
        attempt_id = int(re.search(r"/attempts/(\d+)/q/1\?all=1", r.headers["Location"]).group(1))
        page = self.call("GET", f"/quizzes/attempts/{attempt_id}/q/1?all=1").text
        versions = {int(n): int(v) for n, v in re.findall(r'id="panel-(\d+)" data-slot="\d+" data-v="(\d+)"', page)}
        headers = {"X-CSRFToken": token}
        for slot in sorted(versions):
            if slot == QUESTIONS // 2 + 1:
                halfway.wait(30)  # everyone is mid-exam: one server is killed now
            options = re.findall(rf'type="radio" name="q{slot}" id="[^"]+" value="([^"]+)"', page)
            for choice in (options[0], options[-1]):  # an answer, then a change of mind
                body = {"slot": slot, "v": versions[slot], f"q{slot}": choice}
                r = self.call("POST", f"/quizzes/attempts/{attempt_id}/autosave", json=body, headers=headers)
                assert r.status_code == 200 and r.json()["ok"], r.text[:300]
                self.acknowledged[slot] = choice
        r = self.call("POST", f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token})
        assert r.status_code == 302
        return attempt_id


def test_an_exam_through_the_balancer_survives_losing_a_server(cluster, session):
    base, servers, shared = cluster
    unit = make_unit(session)
    users = [make_user(session, Role.OFFICIAL, unit=unit) for _ in range(OFFICIALS)]
    staff = make_user(session, Role.IT_STAFF)
    course = make_course(session, topic=Topic.EMAIL)
    quiz = make_quiz(
        session,
        make_bank(session, per_category={"email/chung": QUESTIONS}),
        topic=Topic.EMAIL,
        time_limit_minutes=30,
        shuffle_questions=False,
    )
    session.commit()
    official_ids = [u.official_id for u in users]
    first_code, quiz_id, course_id = users[0].official.code, quiz.id, course.id
    staff_cookie, owner_cookie = session_cookie(staff), session_cookie(users[0])

    people = [Official(base, user) for user in users]
    halfway = threading.Barrier(OFFICIALS + 1)
    attempts: dict[int, int] = {}
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            attempts[k] = people[k].take(quiz_id, halfway)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            halfway.abort()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(OFFICIALS)]
    for t in threads:
        t.start()
    try:
        halfway.wait(60)
    except threading.BrokenBarrierError:
        pass  # an official failed before the middle: reported below
    servers[0].kill()  # SIGKILL, master and worker: the requests it holds are cut
    for t in threads:
        t.join(120)
    assert not errors, [repr(e) for e in errors]
    assert len(attempts) == OFFICIALS

    db.session.remove()
    for k, person in enumerate(people):
        stored = dict(
            session.execute(
                select(AttemptSlot.slot_no, AttemptSlot.answer).where(AttemptSlot.attempt_id == attempts[k])
            ).all()
        )
        assert stored == person.acknowledged, f"official {k}: every acknowledged answer is stored"
        attempt = session.get(Attempt, attempts[k])
        assert attempt.state == AttemptState.SUBMITTED and attempt.graded_at is not None
    records = session.scalars(
        select(CompetencyRecord).where(
            CompetencyRecord.official_id.in_(official_ids), CompetencyRecord.topic == Topic.EMAIL
        )
    ).all()
    assert sorted(r.attempts_count for r in records) == [1] * OFFICIALS, "every attempt graded once"

    # a certificate issued (and rendered) on one server downloads from the other
    servers[0].start()
    it = requests.Session()
    it.cookies.set("session", staff_cookie, domain="127.0.0.1", path="/")
    form = it.get(f"{servers[0].base}/certificates/manage/issue", timeout=10)
    token = CSRF_RE.search(form.text)
    data = {
        "csrf_token": token.group(1) or token.group(2),
        "official_code": first_code,
        "course_id": course_id,
        "score_percent": "90",
        "issued_on": local_today().isoformat(),
    }
    r = it.post(f"{servers[0].base}/certificates/manage/issue", data=data, allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text[:500]
    db.session.remove()
    cert = session.scalars(select(Certificate).where(Certificate.official_id == official_ids[0])).one()
    for _ in range(100):  # rendered right after the issuing commit, on server A
        session.refresh(cert)
        if cert.pdf_sha256:
            break
        time.sleep(0.2)
    files = list((shared / "certificates").glob("*.pdf"))
    assert len(files) == 1 and hashlib.sha256(files[0].read_bytes()).hexdigest() == cert.pdf_sha256
    written = files[0].stat().st_mtime_ns
    owner = requests.Session()
    owner.cookies.set("session", owner_cookie, domain="127.0.0.1", path="/")
    pdf = owner.get(f"{servers[1].base}/certificates/{cert.id}/pdf", timeout=30)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content == files[0].read_bytes() and files[0].stat().st_mtime_ns == written, "B served A's file"
    assert not (servers[1].log_dir / "instance-b" / "certificates").exists()

    # the certificate check's limit (4 a minute here) counts the requests of both servers together
    url = "/verify/2222-2222-2222-2222-2222-2222-2222"
    codes = [requests.get(servers[k % 2].base + url, timeout=10).status_code for k in range(6)]
    assert codes == [404, 404, 404, 404, 429, 429]


def test_an_import_previewed_on_one_server_is_confirmed_on_the_other(cluster, session, tmp_path):
    """The units' import: the preview reaches server A, the "Ghi vào hệ thống" button server B; the
    file waits in the shared folder between the two, never in an instance folder."""
    from lms.org.models import Unit

    _base, servers, shared = cluster
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    it = requests.Session()
    it.cookies.set("session", session_cookie(staff), domain="127.0.0.1", path="/")
    page = it.get(f"{servers[0].base}/org/import", timeout=10)
    token = CSRF_RE.search(page.text)
    text = "Mã đơn vị,Tên đơn vị,Loại\nX-1,Xã Một,xa\nX-2,Xã Hai,xa\n"
    r = it.post(
        f"{servers[0].base}/org/import",
        data={"csrf_token": token.group(1) or token.group(2), "kind": "units"},
        files={"file": ("don-vi.csv", text.encode())},
        timeout=30,
    )
    assert r.status_code == 200, r.text[:500]
    form = re.search(r'<form method="post" class="prose" id="import-confirm">(.*?)</form>', r.text, re.S).group(1)
    fields = dict(re.findall(r'name="(csrf_token|token|kind|digest)"[^>]*value="([^"]*)"', form))
    assert [p.name for p in (shared / "org-imports").iterdir()] == [fields["token"]]
    confirm = {**fields, "action": "confirm"}
    r = it.post(f"{servers[1].base}/org/import", data=confirm, allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text[:500]
    db.session.remove()
    assert sorted(session.scalars(select(Unit.code))) == ["X-1", "X-2"]
    assert list((shared / "org-imports").iterdir()) == []  # removed by B once written
    assert not any((tmp_path / f"instance-{name}" / "org-imports").exists() for name in "ab")
