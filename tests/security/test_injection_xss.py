"""Injection and XSS: classic payloads into every kind of text a user can put in (lesson Markdown,
GIFT question text and feedback, official and unit names by form and by import file, search and
filter parameters). Stored and shown escaped or sanitized, never executed, never a 500; SQL payloads
are plain text (the tables are still there)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from lms.auth.models import Role
from lms.org.models import Official
from lms.topics import Topic
from quizzes import gift
from quizzes import services as quiz_services
from quizzes.models import Question
from tests.factories import login_as, make_official, make_unit, make_user

MARKUP = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '"><script>alert(1)</script>',
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=javascript:alert(1)>",
]
OTHER = [
    "javascript:alert(1)",
    "'; DROP TABLE official; --",
    "%' OR 1=1 --",
    "A" * 10_000,
    "tên\x00\x07\x1b[31m\x7f",
    "\u202egpj.exe",
    "{{ 7*7 }}{% raw %}",
]
PAYLOADS = MARKUP + OTHER


class _Danger(HTMLParser):
    """Markup that would run: event handler attributes, javascript: URLs, inline scripts, frames."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction", "xlink:href", "data") and value:
                if re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:")):
                    self.found.append(f"<{tag} {name}={value[:30]}>")
        if tag in ("iframe", "object", "embed", "frame"):
            self.found.append(f"<{tag}>")
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script {data.strip()[:30]}")


def assert_safe(response, where: str = "") -> str:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    body = response.get_data(as_text=True)
    if response.mimetype == "text/html":
        parser = _Danger()
        parser.feed(body)
        assert parser.found == [], f"{where}: {parser.found}"
    else:  # downloads: never served as HTML, never sniffed
        assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    return body


@pytest.fixture
def staff(session):
    return make_user(session, Role.IT_STAFF)


# --------------------------------------------------------------------------- names (form and import)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_official_and_unit_names_are_escaped_everywhere(client, session, payload):
    unit = make_unit(session, name=f"Xã {payload}"[:255])
    official = make_official(session, unit, given_name=payload[:80], family_name="Lê")
    head = make_user(session, Role.UNIT_HEAD, unit=unit)
    it = make_user(session, Role.IT_STAFF)
    session.commit()
    login_as(client, it)
    for url in (
        "/org/units",
        f"/org/units/{unit.id}",
        "/org/officials",
        f"/org/officials/{official.id}",
        f"/org/officials/{official.id}/edit",
        "/competency/",
        f"/competency/units/{unit.id}",
        "/admin/users",
        "/dashboard",
    ):
        assert_safe(client.get(url), url)
    login_as(client, head)
    for url in ("/competency/my-unit", f"/competency/units/{unit.id}", "/dashboard"):
        assert_safe(client.get(url), url)
    assert session.scalar(select(func.count()).select_from(Official)) >= 2, "the table is still there"


def test_official_form_takes_payloads_as_text(client, session, staff):
    unit = make_unit(session)
    login_as(client, staff)
    for i, payload in enumerate(PAYLOADS):
        r = client.post(
            "/org/officials/new",
            data={
                "full_name": f"Trần {payload}"[:240],
                "unit_id": unit.id,
                "code": f"X{i}",
                "position": "chuyen_vien",
                "category": "cong_chuc",
                "level": "tinh",
                "active": "y",
            },
        )
        assert_safe(r, f"form {i}")
    page = client.get("/org/officials?q=Trần")
    assert_safe(page, "list")


def test_import_file_with_payloads_is_stored_as_text(client, session, staff):
    unit = make_unit(session, code="XSS01")
    login_as(client, staff)
    lines = ["Họ và tên,Mã đơn vị,Mã cán bộ,Thư điện tử"]
    for i, payload in enumerate(MARKUP + OTHER[:3]):
        name = payload.replace('"', '""')
        lines.append(f'"Phạm {name}",{unit.code},IMP{i:03d},imp{i}@example.gov.vn')
    data = ("\n".join(lines)).encode()
    import io

    r = client.post(
        "/org/import",
        data={"kind": "officials", "file": (io.BytesIO(data), "x.csv")},
        content_type="multipart/form-data",
    )
    assert_safe(r, "import result")
    for url in ("/org/officials", f"/org/units/{unit.id}", f"/competency/units/{unit.id}"):
        assert_safe(client.get(url), url)


# --------------------------------------------------------------------------- search and filter parameters


SEARCH_URLS = [
    ("it_staff", "/org/officials?q={p}"),
    ("it_staff", "/org/units?q={p}"),
    ("it_staff", "/quizzes/bank?q={p}&topic={p}&category={p}"),
    ("admin", "/admin/users?q={p}"),
    ("admin", "/admin/audit?action={p}"),
    ("it_staff", "/competency/?unit_kind={p}&topic={p}&status={p}&q={p}"),
    ("it_staff", "/courses/?q={p}&topic={p}"),
    ("it_staff", "/courses/manage?q={p}"),
    ("it_staff", "/training/?q={p}&status={p}"),
    ("official", "/quizzes/?page={p}"),
    ("official", "/certificates?page={p}"),
    ("anonymous", "/verify?code={p}"),
    ("anonymous", "/login?next={p}"),
]


def test_search_and_filter_parameters_are_harmless(app, session):
    from urllib.parse import quote

    users = {
        "it_staff": make_user(session, Role.IT_STAFF),
        "admin": make_user(session, Role.ADMIN),
        "official": make_user(session, Role.OFFICIAL),
    }
    make_official(session, given_name="Ngọc")
    session.commit()
    for role, template in SEARCH_URLS:
        client = app.test_client()
        if role != "anonymous":
            login_as(client, users[role])
        for payload in PAYLOADS:
            url = template.format(p=quote(payload[:2000]))
            assert_safe(client.get(url), url[:120])
    assert session.scalar(select(func.count()).select_from(Official)) == 2, "the table is still there"


# --------------------------------------------------------------------------- lesson Markdown


@pytest.mark.parametrize("payload", MARKUP + ["[x](javascript:alert(1))", "![x](javascript:alert(1))"])
def test_lesson_markdown_is_sanitized(client, session, staff, payload):
    from courses.models import Course

    course = Course(slug="an-toan", topic=Topic.SECURITY, title="An toàn", published=True)
    session.add(course)
    session.commit()
    login_as(client, staff)
    body = f"# Bài\n\n{payload}\n\nĐoạn *hai* {payload}\n\n```\n{payload}\n```\n"
    r = client.post(
        f"/courses/manage/{course.id}/lessons/new",
        data={
            "title": f"Bài {payload}"[:255],
            "slug": "bai-1",
            "minutes": 5,
            "body_md": body,
            "action": "preview",
            "objectives": payload,
            "competency": "",
        },
    )
    assert_safe(r, "preview")
    r = client.post(
        f"/courses/manage/{course.id}/lessons/new",
        data={
            "title": f"Bài {payload}"[:255],
            "slug": "bai-1",
            "minutes": 5,
            "body_md": body,
            "objectives": payload,
            "competency": "",
            "published": "y",
        },
    )
    assert r.status_code in (200, 302), r.status_code
    assert_safe(r, "save")
    for url in (f"/courses/manage/{course.id}", "/courses/an-toan", "/courses/an-toan/lessons/bai-1"):
        assert_safe(client.get(url), url)


# --------------------------------------------------------------------------- GIFT question text and feedback


def _gift_with(payload: str) -> str:
    esc = payload.replace("\\", "\\\\")
    for ch in "~=#{}:":
        esc = esc.replace(ch, "\\" + ch)
    return (
        f"::Câu {esc[:50]}::[html]{esc} hỏi? {{\n"
        f"=Đúng {esc} #Phản hồi {esc}\n"
        f"~Sai {esc} #Sai rồi {esc}\n"
        f"####Giải thích {esc}\n}}\n"
    )


@pytest.mark.parametrize("payload", MARKUP + OTHER[:3])
def test_gift_question_text_and_feedback_are_sanitized(app, session, payload):
    from tests.quizzes_app.factories import make_attempt, make_quiz

    result = gift.parse_gift(_gift_with(payload) + "\n" + _gift_with(payload + " 2"))
    assert not result.errors, result.errors
    quiz_services.import_questions(session, result.questions, Topic.EMAIL, _now())
    session.commit()
    for question in session.scalars(select(Question)):
        for text in (question.current_version.text, question.current_version.general_feedback):
            parser = _Danger()
            parser.feed(text)
            assert parser.found == [], text
    staff, official = make_user(session, Role.IT_STAFF), make_user(session, Role.OFFICIAL)
    categories = {c.path: c for c in {q.category for q in session.scalars(select(Question))}}
    quiz = make_quiz(session, categories)
    session.commit()
    client = app.test_client()
    login_as(client, staff)
    for q in session.scalars(select(Question)):
        assert_safe(client.get(f"/quizzes/bank/questions/{q.id}"), "detail")
        assert_safe(client.get(f"/quizzes/bank/questions/{q.id}/edit"), "edit")
    assert_safe(client.get("/quizzes/bank"), "bank")
    assert_safe(client.get("/quizzes/bank/export.gift"), "export")
    attempt = make_attempt(session, quiz, official.official, now=_now())
    session.commit()
    login_as(client, official)
    for slot in attempt.slots:
        assert_safe(client.get(f"/quizzes/attempts/{attempt.id}/q/{slot.slot_no}"), "attempt")
    client.post(f"/quizzes/attempts/{attempt.id}/submit")
    assert_safe(client.get(f"/quizzes/attempts/{attempt.id}"), "review")


def _now():
    from lms.time import utcnow

    return utcnow()
