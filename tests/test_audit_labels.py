"""The audit log reads as words (issue 16: 'login', 'certificate.issue' and a blank actor on screen)."""

from __future__ import annotations

import re
from pathlib import Path

from lms.auth.models import Role
from lms.auth.services import audit
from lms.features import registry
from lms.org.models import SUCCESSION_KINDS
from tests.factories import login_as, make_user

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", "tests", "migrations", "benchmarks", ".git", "instance"}
FORMATTED = {
    "unit.{req.kind}": {f"unit.{kind}" for kind in SUCCESSION_KINDS},
    "certificate.batch_{action}": {"certificate.batch_revoke", "certificate.batch_reissue"},
    "import.{kind}": {"import.units", "import.officials"},  # lms/cli.py: _import(kind=...)
}
CALL = re.compile(r'\baudit\(\s*[\w.]+,\s*[\w.]+,\s*(f?)"([^"]+)"')


def _actions_in_code() -> set[str]:
    actions = set()
    for path in ROOT.rglob("*.py"):
        if SKIP & set(path.relative_to(ROOT).parts):
            continue
        for is_f, action in CALL.findall(path.read_text(encoding="utf-8")):
            if is_f:  # the formatted ones, each with its values
                assert action in FORMATTED, (path, action)
                actions |= FORMATTED[action]
            else:
                actions.add(action)
    return actions


def test_every_audit_action_written_by_the_code_has_a_label(app):
    actions = _actions_in_code()
    assert {"login", "certificate.issue", "question.archive", "unit.merge"} <= actions  # the scan finds them
    assert sorted(actions - set(registry(app).audit_labels)) == []


def test_the_audit_page_shows_labels_and_names_the_system(app, session):
    admin = make_user(session, Role.ADMIN)
    audit(session, admin, "role.assign", target="user:1", details="role=unit_head")
    audit(session, None, "certificate.issue", target="certificate:1", details="official=1")
    session.commit()
    client = app.test_client()
    login_as(client, admin)
    html = client.get("/admin/audit").text
    rows = re.findall(r"<tr><td>.*?</tr>", html)
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in rows]
    by_action = {c[2]: c for c in cells}
    assert "Giao vai trò" in by_action and by_action["Giao vai trò"][1] == admin.name
    assert by_action["Cấp chứng nhận"][1] == "Hệ thống hoặc người chưa đăng nhập"
    assert "role.assign" not in by_action and "certificate.issue" not in by_action
