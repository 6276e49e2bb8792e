"""The README and docs/ name code as ``path/module.py`` or ``path/module.py: name`` so a reader can
open it: every such reference must still point at a file that defines that name (the README kept
``quizzes/services.py: save_answer`` after the module became ``quizzes/services/attempts.py``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"`((?:[\w.-]+/)+[\w.-]+\.py)(?:: (\w+))?`")


def _references():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for path, name in REFERENCE.findall(doc.read_text(encoding="utf-8")):
            yield doc.name, path, name


def _defines(source: str, name: str) -> bool:
    return re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{name}\b|^{name}\s*[:=]", source, re.M) is not None


def test_every_code_reference_in_the_docs_points_at_a_file_defining_the_name():
    found = list(_references())
    assert len(found) > 20  # the pattern finds them
    broken = []
    for doc, path, name in found:
        file = ROOT / path
        if not file.is_file():
            broken.append(f"{doc}: {path} (no such file)")
        elif name and not _defines(file.read_text(encoding="utf-8"), name):
            broken.append(f"{doc}: {path}: {name} (not defined there)")
    assert broken == []
