"""The audit log reads as words (issue 16: 'login', 'certificate.issue', ``official=887 ...
source=attempt:2360`` and a blank actor on screen): every action has a label, every fact recorded
in ``data`` has one, objects are named and linked, and the system is named as such."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.auth.models import AuditLog, Role
from lms.auth.services import audit
from lms.features import registry
from lms.org.models import SUCCESSION_KINDS
from tests.certificates_app.factories import make_certificate
from tests.competency.factories import graded_attempt, make_final_quiz
from tests.factories import login_as, make_course, make_official, make_unit, make_user
from tests.test_number_format import SNAKE_CASE, visible_text

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", "tests", "migrations", "benchmarks", ".git", "instance"}
FORMATTED = {
    "f'unit.{req.kind}'": {f"unit.{kind}" for kind in SUCCESSION_KINDS},
    "f'certificate.batch_{action}'": {"certificate.batch_revoke", "certificate.batch_reissue"},
    "f'import.{kind}'": {"import.units", "import.officials"},  # lms/cli.py: _import(kind=...)
}


def _constants(node) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _assigned(function, name: str) -> list[ast.AST]:
    return [
        n.value
        for n in ast.walk(function)
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
    ]


def _keys(node, function, seen=None) -> set[str]:
    """The keys of the dicts ``node`` builds, following names assigned in the same function."""
    seen = seen if seen is not None else set()
    keys = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Dict):
            keys |= {k.value for k in n.keys if isinstance(k, ast.Constant)}
        elif isinstance(n, ast.Name) and n.id not in seen and function is not None:
            seen.add(n.id)
            for value in _assigned(function, n.id):
                keys |= _keys(value, function, seen)
    return keys


def _audit_calls():
    """``(path, action node, data node, enclosing function)`` of every ``audit(...)``/``_audit(...)``."""
    for path in ROOT.rglob("*.py"):
        if SKIP & set(path.relative_to(ROOT).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
                if name not in ("audit", "_audit") or len(call.args) < 3:
                    continue
                data = next((k.value for k in call.keywords if k.arg == "data"), None)
                if data is None and name == "_audit" and len(call.args) >= 5:
                    data = call.args[4]
                yield path, call.args[2], data, function


def _actions(node, function) -> set[str]:
    if isinstance(node, ast.JoinedStr):
        assert ast.unparse(node) in FORMATTED, ast.unparse(node)
        return FORMATTED[ast.unparse(node)]
    if isinstance(node, ast.Name):  # action = "a" if ... else "b"
        return set().union(*(_constants(v) for v in _assigned(function, node.id)))
    return _constants(node)


def test_every_audit_action_and_fact_written_by_the_code_has_a_label(app):
    actions, keys = set(), set()
    for _path, action, data, function in _audit_calls():
        actions |= _actions(action, function)
        if data is not None:
            keys |= _keys(data, function)
    # the scan finds them (among them the ones a regex missed: a variable action, adoption's _audit)
    assert {"login", "certificate.issue", "unit.merge", "account.activate", "adoption.import"} <= actions
    assert {"official", "source", "sessions_ended", "from_units", "not_person", "category"} <= keys
    assert sorted(actions - set(registry(app).audit_labels)) == []
    assert sorted(keys - set(registry(app).audit_fields)) == []


def _details_cells(html: str) -> dict[str, list[str]]:
    """action label -> the cells of its most recent row, as HTML."""
    found: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(<td>.*?)</tr>", html, re.S):
        cells = [c.strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        found.setdefault(cells[2], cells)
    return found


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "vi",
            {
                "issue": "Cấp chứng nhận",
                "role": "Giao vai trò",
                "system": "Hệ thống (tự động)",
                "official": "Cán bộ",
                "source": "Nguồn cấp",
                "attempt": "Đạt bài kiểm tra cuối khóa (bài làm số",
                "score": "Kết quả đánh giá: 87,5%",
                "new_role": "Vai trò: Quản trị hệ thống",
            },
        ),
        (
            "en",
            {
                "issue": "Certificate issued",
                "role": "Role assigned",
                "system": "System (automatic)",
                "official": "Official",
                "source": "Basis",
                "attempt": "Passed the final quiz (attempt no.",
                "score": "Score: 87.5%",
                "new_role": "Role: System administrator",
            },
        ),
    ],
)
def test_the_audit_page_names_and_links_what_an_entry_is_about_in_the_readers_language(app, session, lang, words):
    admin = make_user(session, Role.ADMIN)
    other = make_user(session, Role.IT_STAFF)
    official = make_official(session, make_unit(session), family_name="Lê", middle_name="Thị", given_name="Hoa")
    course = make_course(session, title="Thư điện tử công vụ")
    attempt = graded_attempt(session, make_final_quiz(session, course), official, 87.5)
    session.commit()
    cert = make_certificate(session, official=official, course=course, score=87.5, source=f"attempt:{attempt.id}")
    from lms.auth.services import assign_role

    assign_role(session, admin, other, Role.ADMIN, None, ip="10.0.0.9")
    audit(session, None, "password.reset_request", target=f"user:{other.id}", ip="10.0.0.7")
    session.add(AuditLog(action="login", target="user:1", details="password"))  # written before ``data``
    session.commit()
    client = app.test_client()
    login_as(client, admin)
    html = client.get(f"/admin/audit?lang={lang}").text
    rows = _details_cells(html)

    issued = rows[words["issue"]]
    assert issued[1] == words["system"]  # no account, no address: a job of the app
    assert (
        issued[3]
        == f'<a href="/certificates/manage/{cert.id}">{cert.serial} ({"lần" if lang == "vi" else "revision"} 1)</a>'
    )
    assert f'{words["official"]}: <a href="/org/officials/{official.id}">Lê Thị Hoa</a>' in issued[4]
    assert f'<a href="/courses/manage/{course.id}">Thư điện tử công vụ</a>' in issued[4]
    assert (
        f'{words["source"]}: <a href="/quizzes/attempts/{attempt.id}">{words["attempt"]} {attempt.id})</a>' in issued[4]
    )
    assert words["score"] in issued[4]

    assigned = rows[words["role"]]
    assert assigned[1] == f'<a href="/admin/users/{admin.id}/role">{admin.name}</a>'
    assert assigned[3] == f'<a href="/admin/users/{other.id}/role">{other.name}</a>'
    assert words["new_role"] in assigned[4]

    text = visible_text(html)
    assert "Người chưa đăng nhập" in text if lang == "vi" else "Not logged in" in text  # the reset request
    assert SNAKE_CASE.findall(text) == []
    for code in ("official=", "source=", "attempt:", "certificate.issue", "role.assign"):
        assert code not in text
    assert "password" in html  # the old entry's text is still there, marked as not to be translated


def test_an_object_gone_since_is_named_by_its_kind_and_number(app, session):
    admin = make_user(session, Role.ADMIN)
    audit(session, admin, "question.archive", target="question:999999", data={"category": "Bảo mật"})
    session.commit()
    client = app.test_client()
    login_as(client, admin)
    text = visible_text(client.get("/admin/audit").text)
    assert "Câu hỏi số 999999 (không còn)" in text and "Nhóm câu hỏi: Bảo mật" in text


def test_audit_keeps_no_empty_fact(session):
    entry = audit(session, None, "login", target="user:1", data={"via": "oidc", "unit": None})
    session.flush()
    assert session.scalar(select(AuditLog.data).where(AuditLog.id == entry.id)) == {"via": "oidc"}


def test_the_audit_log_is_filtered_by_choosing_an_action_by_its_name(app, session):
    admin = make_user(session, Role.ADMIN)
    audit(session, admin, "question.archive", target="question:999999", data={"category": "Bảo mật"})
    session.commit()
    client = app.test_client()
    login_as(client, admin)
    page = client.get("/admin/audit").text
    assert '<option value="question.archive">Lưu trữ câu hỏi</option>' in page
    assert set(_details_cells(page)) == {"Lưu trữ câu hỏi", "Giao vai trò"}  # the factory's role grant
    assert set(_details_cells(client.get("/admin/audit?action=question.archive").text)) == {"Lưu trữ câu hỏi"}
