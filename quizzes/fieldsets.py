"""A question's fields (a ``<fieldset>`` with the question as its ``<legend>``), written in Python: the
one place of this markup, for the official's attempt page and the question bank's preview.

The one-page attempt holds every question of the attempt (20 in an exam): through a Jinja include a
question's fieldset cost ~50 µs of CPU, written here ~2 µs (``benchmarks/exam_requests_cpu.py``).
``tests/quizzes_app/test_fieldsets.py`` checks the markup of every type, answer state and awkward text.

``fieldset(qtype, q, answer, prefix)`` takes the public view of the question
(``QuestionType.public_view``: never the key), the saved answer (or None) and the fields' prefix.
Question, option and row texts are sanitized HTML and written as they are (true/false labels and
matching choices are escaped); everything else is escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape


def _legend(q: dict[str, Any]) -> str:
    if "text_before" in q:
        return (
            f'  <legend class="q-text">{q["text_before"]}<span class="q-blank" aria-label="chỗ trống">_____</span>'
            f"{q['text_after']}</legend>\n"
        )
    return f'  <legend class="q-text">{q["text"]}</legend>\n'


def _head(kind: str, prefix: str, q: dict[str, Any]) -> str:
    return f'<fieldset class="question q-{kind}" id="{prefix}-group">\n' + _legend(q)


def _options(q: dict[str, Any], prefix: str, input_type: str, checked: Callable[[Any], bool], safe: bool) -> str:
    out = []
    for opt in q["options"]:
        oid = escape(opt["id"])
        text = opt["text"] if safe else escape(opt["text"])
        out.append(
            f'\n    <label class="q-option" for="{prefix}-{oid}">\n'
            f'      <input type="{input_type}" name="{prefix}" id="{prefix}-{oid}" value="{oid}"'
            f"{' checked' if checked(opt['id']) else ''}>\n"
            f'      <span class="q-option-text">{text}</span>\n'
            "    </label>"
        )
    return "".join(out)


def _single(q: dict[str, Any], answer: Any, prefix: str) -> str:
    return (
        _head("single", prefix, q)
        + '  <div class="q-options">'
        + _options(q, prefix, "radio", lambda oid: answer == oid, safe=True)
        + "\n  </div>\n</fieldset>"
    )


def _multi(q: dict[str, Any], answer: Any, prefix: str) -> str:
    return (
        _head("multi", prefix, q)
        + '  <p class="q-hint">Chọn một hoặc nhiều phương án.</p>\n'
        + '  <div class="q-options">'
        + _options(q, prefix, "checkbox", lambda oid: bool(answer and oid in answer), safe=True)
        + "\n  </div>\n</fieldset>"
    )


def _truefalse(q: dict[str, Any], answer: Any, prefix: str) -> str:
    def checked(oid: Any) -> bool:
        return (answer is True and oid == "true") or (answer is False and oid == "false")

    return (
        _head("truefalse", prefix, q)
        + '  <div class="q-options">'
        + _options(q, prefix, "radio", checked, safe=False)
        + "\n  </div>\n</fieldset>"
    )


def _text_input(kind: str, label: str, attributes: str) -> Callable[[dict[str, Any], Any, str], str]:
    def render(q: dict[str, Any], answer: Any, prefix: str) -> str:
        return (
            _head(kind, prefix, q)
            + f'  <label class="q-input" for="{prefix}">\n'
            + f'    <span class="q-input-label">{label}</span>\n'
            + f'    <input type="text" name="{prefix}" id="{prefix}" value="{escape(answer or "")}"\n'
            + f"      {attributes}>\n"
            + "  </label>\n</fieldset>"
        )

    return render


def _chosen(answer: Any, key: Any) -> Any:
    """``answer[key] if answer and key in answer else none``, as Jinja reads it (a subscript that
    fails is undefined there, not an error)."""
    if not (answer and key in answer):
        return None
    try:
        return answer[key]
    except (TypeError, LookupError):
        return None


def _rows(q: dict[str, Any], answer: Any, prefix: str, rows: list, empty: str, choices: list) -> str:
    """Matching and ordering: a <select> per row; ``choices`` are (value, label) pairs, escaped."""
    out = []
    for row in rows:
        chosen = _chosen(answer, row["id"])
        rid = escape(row["id"])
        out.append(
            f'\n    <label class="q-row" for="{prefix}-{rid}">\n'
            f'      <span class="q-row-text">{row["text"]}</span>\n'
            f'      <select name="{prefix}-{rid}" id="{prefix}-{rid}">\n'
            f'        <option value="">{empty}</option>'
        )
        for value, label in choices:
            selected = " selected" if chosen == value else ""
            out.append(f'\n        <option value="{escape(value)}"{selected}>{label}</option>')
        out.append("\n      </select>\n    </label>")
    return "".join(out)


def _matching(q: dict[str, Any], answer: Any, prefix: str) -> str:
    choices = [(choice["id"], escape(choice["text"])) for choice in q["choices"]]
    return (
        _head("matching", prefix, q)
        + '  <div class="q-rows">'
        + _rows(q, answer, prefix, q["subquestions"], "— Chọn —", choices)
        + "\n  </div>\n</fieldset>"
    )


def _ordering(q: dict[str, Any], answer: Any, prefix: str) -> str:
    positions = q["positions"]
    choices = [(pos, f"Vị trí {escape(pos)}") for pos in positions]
    return (
        _head("ordering", prefix, q)
        + f'  <p class="q-hint">Chọn thứ tự (vị trí 1 đến {len(positions)}) cho từng mục.</p>\n'
        + '  <div class="q-rows">'
        + _rows(q, answer, prefix, q["items"], "— Vị trí —", choices)
        + "\n  </div>\n</fieldset>"
    )


_RENDERERS: dict[str, Callable[[dict[str, Any], Any, str], str]] = {
    "single": _single,
    "multi": _multi,
    "truefalse": _truefalse,
    "shortanswer": _text_input(
        "shortanswer", "Câu trả lời của bạn", 'maxlength="1000" autocomplete="off" spellcheck="false"'
    ),
    "numerical": _text_input(
        "numerical",
        "Nhập một số (có thể dùng dấu phẩy thập phân, ví dụ 3,5)",
        'inputmode="decimal" maxlength="100" autocomplete="off"',
    ),
    "matching": _matching,
    "ordering": _ordering,
}

TYPES = frozenset(_RENDERERS)


def fieldset(qtype: str, q: dict[str, Any], answer: Any, prefix: str) -> Markup:
    """The question's fieldset: ``prefix`` names the fields (``prefix``, ``prefix-<id>``) and ids them."""
    return Markup(_RENDERERS[qtype](q, answer, escape(prefix)))
