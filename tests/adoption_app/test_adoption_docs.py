"""docs/usage-imports.md lists exactly the columns and aliases the reader accepts."""

import re
from pathlib import Path

from adoption.imports import COLUMNS
from adoption.models import System

DOC = Path(__file__).resolve().parents[2] / "docs" / "usage-imports.md"
SECTIONS = {
    System.DMS: "## Document management software",
    System.PORTAL: "## Component portals",
    System.EMAIL: "## Official e-mail",
}


def _table(text: str, heading: str) -> list[list[str]]:
    part = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in part.splitlines() if line.startswith("| ") and not line.startswith("| column")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_the_documented_templates_match_the_reader():
    text = DOC.read_text(encoding="utf-8")
    for system, heading in SECTIONS.items():
        documented = {
            label: (key.strip("`"), set(re.findall(r"`([^`]+)`", aliases)))
            for label, key, aliases, _kind in _table(text, heading)
        }
        expected = {c.label: (c.names[0], set(c.aliases)) for c in COLUMNS[system]}
        assert documented == expected, system
