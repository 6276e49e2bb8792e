"""Dead code in the app: functions, methods, classes and properties that nothing uses (vulture).

A name counts as used when the code, the tests, the benchmarks or a template (any identifier in a
``templates/**/*.html``) mentions it. Framework hooks are called by name or by decorator: listed
below. Exit status 1 when something is unused: remove it (or, for a new framework hook, list it).

    .venv/bin/python scripts/dead_code.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import vulture

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lms.config import FEATURES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["lms", *FEATURES]
USERS = ["tests", "benchmarks", "wsgi.py"]
KINDS = {"function", "method", "class", "property"}
DECORATED = [  # called by the framework through their decorator
    "@*.get",
    "@*.post",
    "@*.route",
    "@*.command",
    "@*.group",
    "@*.before_request",
    "@*.after_request",
    "@*.url_defaults",
    "@*.errorhandler",
    "@*.teardown_request",
    "@*.context_processor",
    "@*.template_filter",
    "@*.record_once",
    "@*.user_loader",
    "@event.listens_for",
    "@register",
]
HOOKS = {  # called by the framework by name
    "process_bind_param",
    "process_result_value",  # SQLAlchemy TypeDecorator
    "is_active",
    "get_id",  # Flask-Login
    "process_data",
    "process_formdata",
    "pre_validate",  # WTForms fields
    "handle_DATA",  # aiosmtpd handler (lms/mail/catcher.py)
}
HOOK_PATTERNS = [re.compile(r"^validate_\w+$")]  # WTForms inline validators


def unused() -> list[str]:
    finder = vulture.Vulture(ignore_decorators=DECORATED)
    finder.scavenge([str(ROOT / p) for p in PACKAGES + USERS])
    in_templates = set()
    for path in ROOT.glob("*/**/templates/**/*.html"):
        in_templates |= set(re.findall(r"[A-Za-z_]\w*", path.read_text(encoding="utf-8")))
    report = []
    for item in finder.get_unused_code(min_confidence=60):
        relative = Path(item.filename).resolve().relative_to(ROOT)
        if relative.parts[0] not in PACKAGES or item.typ not in KINDS:
            continue
        if item.name in in_templates or item.name in HOOKS or any(p.match(item.name) for p in HOOK_PATTERNS):
            continue
        report.append(f"{relative}:{item.first_lineno}: unused {item.typ} '{item.name}'")
    return report


if __name__ == "__main__":
    found = unused()
    print("\n".join(found) if found else "no dead code")
    sys.exit(1 if found else 0)
