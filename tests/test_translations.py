"""Every UI string in the code and templates has an English translation in the catalog."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from lms.config import FEATURES

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", "tests", "migrations", "benchmarks", ".git", "instance"}


def _source_messages() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}
    found = set()
    for package in ("lms", *FEATURES):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package,
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords=keywords,
            directory_filter=lambda d: Path(d).name not in SKIP,
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_ui_string_is_translated_to_english():
    with open(ROOT / "lms/translations/en/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {
        m.id[0] if m.pluralizable else m.id
        for m in catalog
        if m.id and (all(m.string) if m.pluralizable else m.string)  # a plural needs every form
    }
    missing = sorted(_source_messages() - translated)
    assert missing == [], f"{len(missing)} strings need a translation (run scripts/i18n.sh): {missing[:10]}"
