"""Moodle GIFT import and export (pure: text in, dataclasses out).

Follows Moodle's ``qformat_gift`` behaviour: questions are separated by blank lines; whole lines
starting with ``//`` are comments (Moodle's ``[tag:x]`` tokens in them become tags, ``[tag:easy]``,
``[tag:medium]``, ``[tag:hard]`` the difficulty); ``$CATEGORY:`` switches the category;
``::title::``; ``[html]``, ``[markdown]``, ``[plain]``, ``[moodle]`` text formats; answers in
``{...}`` (choice ``=``/``~`` with ``%weight%``, true/false, short answer, numerical, matching,
missing word when text follows the closing brace); ``#feedback`` and ``####general feedback``;
escapes ``\\~ \\= \\# \\{ \\} \\: \\\\ \\n``. Ordering questions use the qtype_ordering plugin syntax
``{>N ALL VERTICAL ABSOLUTE_POSITION`` followed by one item per line and ``}``.

Where Moodle forgives, so do we, with a warning (``GiftResult.warnings``): an empty option
(``{~=a ~b}``: Moodle's question types skip blank answers when they save), text before the first
``=``/``~`` (Moodle keeps it as one more answer: a wrong option, an accepted short answer, a pair).
Question names may repeat (Moodle allows it); ``// [id:...]`` (Moodle's question idnumber) is read
into ``QuestionData.idnumber`` and written back on export, so a re-import can find its question.

Refused, with the line: a malformed ``%weight%``, more than one pair of braces, a bad number (Moodle
would keep them as text or guess), a blank line inside braces and Moodle's Cloze syntax
(``{1:MULTICHOICE:...}``), which Moodle's GIFT reader does not understand either. Essays ``{}`` and
descriptions (no braces) are reported as unsupported. A ``$CATEGORY:`` line is read alone (the rest of
its block is parsed as a question); the ``$course$/top/`` prefix of Moodle exports is dropped.
Non-Moodle settings travel in comments Moodle ignores: ``[mark:2]``, ``[usecase:1]`` (case-sensitive
short answer), ``[fold:1]`` (ignore diacritics), ``[shuffle:0]``. See docs/question-import.md.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import nh3
from flask_babel import gettext
from markdown_it import MarkdownIt

from quizzes import qtypes

__all__ = [
    "GiftResult",
    "ParseError",
    "QuestionData",
    "Unsupported",
    "export_gift",
    "finish_question",
    "parse_gift",
    "read_text_file",
    "render_text",
    "sanitize_html",
]

DIFFICULTIES = ("easy", "medium", "hard")
FORMATS = ("moodle", "html", "plain", "markdown")
BLANK = "_____"

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}


@dataclass
class QuestionData:
    """One imported question, ready for the caller to store."""

    qtype: str
    title: str
    text: str  # sanitized HTML
    category: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    default_mark: float = 1.0
    general_feedback: str = ""  # sanitized HTML
    difficulty: str | None = None
    tags: list[str] = field(default_factory=list)
    idnumber: str = ""  # Moodle's idnumber, ``// [id:...]``: the question's identity on re-import
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unsupported:
    line: int
    title: str
    kind: str  # "essay" | "description"


@dataclass(frozen=True)
class ParseError:
    line: int
    message: str
    column: str | None = None  # used by the spreadsheet import: the column's key ("correct")
    heading: str = ""  # ... and its heading as the user sees it ("Đáp án đúng"): the page and the shell show this

    def __str__(self) -> str:
        if self.column:
            return gettext("Dòng %(n)d, cột «%(c)s»: %(m)s", n=self.line, c=self.heading or self.column, m=self.message)
        return gettext("Dòng %(n)d: %(m)s", n=self.line, m=self.message)


@dataclass
class GiftResult:
    questions: list[QuestionData] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    warnings: list[ParseError] = field(default_factory=list)  # forgiven as Moodle does; shown in the preview

    @property
    def ok(self) -> bool:
        return not self.errors


def about(title: str, message: str) -> str:
    """A problem of one question, named by its title."""
    return gettext("Câu hỏi «%(t)s»: %(m)s", t=title, m=message)


# --------------------------------------------------------------------------- text


def read_text_file(data: bytes) -> str:
    """Decode an uploaded text file: UTF-8 with or without BOM, else a clear ValueError."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError(
            gettext('Tệp đang ở mã UTF-16 ("Unicode"). Hãy lưu lại tệp với bảng mã UTF-8 rồi tải lên lại.')
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            gettext(
                "Tệp không ở bảng mã UTF-8 (có thể là TCVN3, VNI hoặc Windows-1258). "
                "Hãy lưu lại tệp với bảng mã UTF-8 rồi tải lên lại (lỗi ở byte thứ %(n)d).",
                n=exc.start + 1,
            )
        ) from None
    if "\x00" in text:
        raise ValueError(gettext("Tệp có ký tự rỗng (NUL); có thể tệp ở mã UTF-16. Hãy lưu lại với bảng mã UTF-8."))
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def sanitize_html(fragment: str) -> str:
    """Keep basic formatting tags only; NFC; trimmed. Idempotent."""
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return unicodedata.normalize("NFC", cleaned).strip()


_markdown = MarkdownIt("commonmark")


def render_text(text: str, fmt: str = "moodle") -> str:
    """Turn GIFT text in one of Moodle's formats into sanitized HTML."""
    text = unicodedata.normalize("NFC", text).strip()
    if fmt == "markdown":
        return sanitize_html(_markdown.render(text))
    if fmt == "plain":
        return sanitize_html(html.escape(text, quote=False).replace("\n", "<br>\n"))
    if fmt == "moodle":  # HTML allowed, line breaks kept
        return sanitize_html(text.replace("\r", "").replace("\n", "<br>\n"))
    return sanitize_html(text)


# --------------------------------------------------------------------------- escapes

_ESCAPES = {":": "\ue101", "#": "\ue102", "=": "\ue103", "{": "\ue104", "}": "\ue105", "~": "\ue106", "n": "\ue107"}
_BACKSLASH = "\ue100"
_UNESCAPE = {v: ("\n" if k == "n" else k) for k, v in _ESCAPES.items()} | {_BACKSLASH: "\\"}
_SENTINEL = "\ue1ff"


def _escape_pre(text: str) -> str:
    text = text.replace("\\\\", _BACKSLASH)
    for char, placeholder in _ESCAPES.items():
        text = text.replace("\\" + char, placeholder)
    return text


def _escape_post(text: str) -> str:
    for placeholder, char in _UNESCAPE.items():
        text = text.replace(placeholder, char)
    return text


def _repchar(text: str) -> str:
    """Escape GIFT's reserved characters (as Moodle's exporter does)."""
    text = text.replace("\\", "\\\\")
    for char in "#=~{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


# --------------------------------------------------------------------------- parsing helpers


class _GiftError(Exception):
    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


_FORMAT_RE = re.compile(r"^\[(moodle|html|plain|markdown)\]")
_WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_TAG_RE = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f])+)\]")
_ID_RE = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]")
IDNUMBER_MAX = 100  # Moodle's limit, and our column's
_CLOZE_RE = re.compile(
    r"\{\s*\d*:(?:MULTICHOICE|MULTIRESPONSE|SHORTANSWER|NUMERICAL|MC|MR|SA|MW|NM)(?:_[A-Z]+|[A-Z]{1,2})?:",
)
_OPTION_RE = re.compile(r"\[(mark|usecase|fold|shuffle):([^\]\s]+)\]")


def _split_format(text: str, default: str) -> tuple[str, str]:
    text = text.strip()
    match = _FORMAT_RE.match(text)
    if match:
        return text[match.end() :], match.group(1)
    return text, default


def _formatted(text: str, default: str) -> str:
    body, fmt = _split_format(text, default)
    return render_text(_escape_post(body), fmt)


def _plain(text: str) -> str:
    body, _fmt = _split_format(text, "plain")
    return unicodedata.normalize("NFC", _escape_post(body)).strip()


def _weight(answer: str) -> tuple[float | None, str]:
    """Leading ``%n%`` weight -> (fraction, rest); (None, answer) when there is none."""
    answer = answer.strip()
    if not answer.startswith("%"):
        return None, answer
    match = _WEIGHT_RE.match(answer)
    if not match:
        raise _GiftError(
            gettext(
                "Trọng số không hợp lệ ở đáp án «%(a)s» (viết như %%50%% hoặc %%-100%%).", a=_escape_post(answer[:30])
            )
        )
    value = round(float(match.group(1)) / 100, 7)  # Moodle keeps 7 decimals
    if not -1 <= value <= 1:
        raise _GiftError(gettext("Trọng số %(w)s%% nằm ngoài khoảng -100%%..100%%.", w=match.group(1)))
    return value, answer[match.end() :]


def _feedback_split(answer: str, fmt: str) -> tuple[str, str]:
    body, _, feedback = answer.partition("#")
    return body, (_formatted(feedback, fmt) if feedback.strip() else "")


def _split_markers(text: str, markers: str, lead_as: str, notes: list[str], kind: str) -> list[tuple[str, str]]:
    """Split an answer block at each marker character -> [(marker, rest)].

    Text before the first marker is kept as one more answer with the marker ``lead_as``, as Moodle
    does (its reader keeps the first piece of the split when it is not blank), with a note saying
    what it became (``kind``)."""
    parts = re.split(f"([{re.escape(markers)}])", text)
    pairs = [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]
    lead = parts[0].strip()
    if lead:
        pairs.insert(0, (lead_as, lead))
        shown = _escape_post(lead)[:40]
        signs = gettext(" hoặc ").join(markers)
        note = gettext(
            "«%(text)s» đứng trước ký hiệu %(signs)s đầu tiên; đã nhập thành %(kind)s, như Moodle.",
            text=shown,
            signs=signs,
            kind=kind,
        )
        if shown.upper() in ("T", "TRUE", "F", "FALSE") and shown not in ("T", "TRUE", "F", "FALSE"):
            note += " " + gettext("Nếu muốn câu Đúng/Sai, hãy viết hoa: {TRUE} hoặc {FALSE}.")
        else:
            note += " " + gettext("Nếu không đúng ý, hãy thêm %(signs)s trước nó.", signs=signs)
        notes.append(note)
    return pairs


def _number(text: str) -> float:
    text = _escape_post(text).strip()
    if not _NUMBER_RE.fullmatch(text):
        raise _GiftError(gettext("Số không hợp lệ trong câu hỏi số: «%(v)s».", v=text[:30]))
    return float(text)


def _format_number(value: float) -> str:
    text = repr(float(value))
    return text.removesuffix(".0")


def _category(raw: str) -> str:
    name = _escape_post(raw).strip()
    match = re.match(r"^\$[a-z0-9_]+\$/(.*)$", name)
    if match:
        name = match.group(1)
        name = "" if name == "top" else name.removeprefix("top/")
    return name


def _default_title(text_html: str) -> str:
    plain = qtypes.plain_text(text_html)
    return plain if len(plain) <= 80 else plain[:77].rsplit(" ", 1)[0] + "..."


# --------------------------------------------------------------------------- type parsers


def _dropped_empty(notes: list[str], number: int, what: str, example: str) -> None:
    notes.append(
        gettext(
            "%(what)s thứ %(n)d để trống (có thể do gõ thừa «%(example)s»); đã bỏ, như Moodle.",
            what=what,
            n=number,
            example=example,
        )
    )


def _parse_choice(answer_text: str, fmt: str, notes: list[str]) -> tuple[str, dict[str, Any]]:
    options = []
    single = "=" in answer_text  # Moodle's rule: one "=" anywhere makes it a single-answer question
    for number, (marker, rest) in enumerate(
        _split_markers(answer_text, "=~", "~", notes, gettext("một phương án (sai nếu không có trọng số)")), start=1
    ):
        weight, rest = _weight(rest)
        if marker == "=":
            weight = 1.0 if weight is None else weight
        body, feedback = _feedback_split(rest, fmt)
        text = _formatted(body, fmt)
        if not text:  # Moodle's multiple choice type skips a blank answer when it saves
            _dropped_empty(notes, number, gettext("Phương án"), marker)
            continue
        options.append({"text": text, "fraction": weight or 0.0, "feedback": feedback})
    return ("single" if single else "multi"), {"options": options}


def _parse_truefalse(answer_text: str, fmt: str, notes: list[str]) -> dict[str, Any]:
    bits = answer_text.split("#", 2) + ["", ""]
    return {
        "correct": bits[0].strip() in ("T", "TRUE"),
        "feedback_wrong": _formatted(bits[1], fmt) if bits[1].strip() else "",
        "feedback_right": _formatted(bits[2], fmt) if bits[2].strip() else "",
    }


def _parse_shortanswer(answer_text: str, fmt: str, notes: list[str]) -> dict[str, Any]:
    answers = []
    pairs = _split_markers(answer_text, "=", "=", notes, gettext("một đáp án được chấp nhận"))
    for number, (_marker, rest) in enumerate(pairs, start=1):
        weight, rest = _weight(rest)
        body, feedback = _feedback_split(rest, fmt)
        text = _plain(body)
        if not text:  # Moodle's short answer type skips a blank answer when it saves
            _dropped_empty(notes, number, gettext("Đáp án"), "=")
            continue
        answers.append({"text": text, "fraction": 1.0 if weight is None else weight, "feedback": feedback})
    return {"answers": answers, "case_sensitive": False, "fold_diacritics": False}


def _parse_numerical(answer_text: str, fmt: str, notes: list[str]) -> dict[str, Any]:
    body = answer_text[1:]
    other_feedback = ""
    if "~" in body:
        body, _, other = body.partition("~")
        other_feedback = _feedback_split(other, fmt)[1]
    if body.strip() and not body.strip().startswith("="):
        body = "=" + body.strip()  # "{#3.14:0.01}": the one answer has no "=" (Moodle reads it the same)
    answers = []
    for _marker, rest in _split_markers(body, "=", "=", notes, gettext("một đáp án")):
        weight, rest = _weight(rest)
        value, feedback = _feedback_split(rest, fmt)
        value = _escape_post(value).strip()
        accepted: dict[str, Any]
        if value.find("..") > 0:
            low, _, high = value.partition("..")
            accepted = {"min": _number(low), "max": _number(high)}
            if accepted["min"] > accepted["max"]:
                raise _GiftError(gettext("Khoảng số «%(v)s» có giá trị đầu lớn hơn giá trị cuối.", v=value))
        elif value.find(":") > 0:
            number, _, tolerance = value.partition(":")
            accepted = {"value": _number(number), "tolerance": abs(_number(tolerance))}
        else:
            accepted = {"value": _number(value), "tolerance": 0.0}
        accepted.update({"fraction": 1.0 if weight is None else weight, "feedback": feedback})
        answers.append(accepted)
    if not answers:
        raise _GiftError(gettext("Câu hỏi số không có đáp án nào."))
    return {"answers": answers, "other_feedback": other_feedback}


def _parse_matching(answer_text: str, fmt: str, notes: list[str]) -> dict[str, Any]:
    pairs, answer_texts, distractors = [], [], []
    for _marker, rest in _split_markers(answer_text, "=", "=", notes, gettext("một cặp ghép")):
        if "->" not in rest:
            raise _GiftError(gettext("Cặp ghép «%(p)s» thiếu dấu ->.", p=_escape_post(rest.strip()[:40])))
        sub, _, answer = rest.partition("->")
        answer = _plain(answer)
        if sub.strip():
            pairs.append({"text": _formatted(sub, fmt), "answer": answer})
            if answer not in answer_texts:
                answer_texts.append(answer)
        elif answer not in distractors:
            distractors.append(answer)
    answer_texts += [a for a in distractors if a not in answer_texts]
    return {"pairs": pairs, "answers": [{"text": t} for t in answer_texts]}


_ORDERING_HEADER = re.compile(r"^\s*(\d+)?[ \t\w]*$")


def _parse_ordering(answer_text: str, fmt: str, notes: list[str]) -> dict[str, Any]:
    header, _, rest = answer_text[1:].partition("\n")
    if not _ORDERING_HEADER.match(header):
        raise _GiftError(gettext("Câu hỏi sắp xếp: dòng đầu sau {> chỉ gồm số mục và các tùy chọn; mỗi mục một dòng."))
    items = [{"text": _formatted(line, fmt)} for line in rest.split("\n") if line.strip()]
    return {"items": items}


# --------------------------------------------------------------------------- blocks


def _comment_options(comments: str) -> tuple[list[str], str | None, dict[str, str], str]:
    """Tags, difficulty, our ``[mark:...]``-style options and the idnumber from a question's comments."""
    tags, difficulty = [], None
    for raw in _TAG_RE.findall(comments):
        tag = unicodedata.normalize("NFC", raw.replace("\\]", "]").strip())
        if tag.lower() in DIFFICULTIES:
            difficulty = difficulty or tag.lower()
        elif tag and tag not in tags:
            tags.append(tag)
    ids = _ID_RE.findall(comments)  # Moodle reads the first one
    idnumber = unicodedata.normalize("NFC", ids[0].replace("\\]", "]").strip()) if ids else ""
    return tags, difficulty, dict(_OPTION_RE.findall(comments)), idnumber


def _apply_options(question: QuestionData, options: dict[str, str]) -> None:
    if "mark" in options:
        mark = qtypes.parse_number(options["mark"])
        if mark is None or mark <= 0:
            raise _GiftError(gettext("Điểm [mark:%(m)s] không hợp lệ.", m=options["mark"]))
        question.default_mark = mark
    if question.qtype == "shortanswer":
        question.config["case_sensitive"] = options.get("usecase") == "1"
        question.config["fold_diacritics"] = options.get("fold") == "1"
    if options.get("shuffle") == "0" and question.qtype in ("single", "multi", "matching"):
        question.config["shuffle"] = False


def finish_question(question: QuestionData) -> list[str]:
    """Assign option ids and validate; returns the type's errors (Vietnamese)."""
    config = question.config
    if question.qtype == "matching":
        pending = [
            p.pop("answer") if isinstance(p.get("answer"), str) and "id" not in p else None
            for p in config.get("pairs", [])
        ]
        qtypes.assign_ids("matching", config, question.title + "\x1f" + question.text)
        ids = {a["text"]: a["id"] for a in config.get("answers", [])}
        for pair, answer in zip(config.get("pairs", []), pending, strict=True):
            if answer is not None:
                pair["answer"] = ids.get(answer, "")
    else:
        qtypes.assign_ids(question.qtype, config, question.title + "\x1f" + question.text)
    return qtypes.get_type(question.qtype).validate(config)


class _Block:
    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines = lines  # (1-based line number, text)

    def line_at(self, offset: int) -> int:
        """Line number of a character offset in the joined block text."""
        count = 0
        for number, text in self.lines:
            count += len(text) + 1
            if offset < count:
                return number
        return self.lines[-1][0]


def _blocks(text: str) -> list[_Block]:
    blocks, current = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(_Block(current))
            current = []
    if current:
        blocks.append(_Block(current))
    return blocks


def _braces(block: _Block) -> tuple[int, int, int]:
    """(depth left open at the end, line of the last unclosed "{", whether a "}" closes nothing):
    escapes and comment lines left out."""
    depth, open_line, stray = 0, 0, 0
    for number, line in block.lines:
        if line.strip().startswith("//"):
            continue
        for char in _escape_pre(line):
            if char == "{":
                depth, open_line = depth + 1, number
            elif char == "}":
                if depth:
                    depth -= 1
                else:
                    stray = stray or number
    return depth, open_line, stray


def _closing_block(blocks: list[_Block], start: int) -> int | None:
    """Index of the first block from ``start`` with a "}" that closes nothing (it closes a brace left
    open before), or None when a block opening a brace of its own comes first."""
    for later in range(start, len(blocks)):
        depth, last_open, stray = _braces(blocks[later])
        if stray:
            return later
        if depth or last_open:
            return None
    return None


def _blank_lines_in_braces(blocks: list[_Block], result: GiftResult) -> list[_Block]:
    """A "{" left open in a block whose "}" comes after one or more blank lines is one error, on the
    blank line (which ends a question in GIFT, as in Moodle), instead of one error per piece; the
    pieces are left out. Other blocks are returned as they are."""
    kept: list[_Block] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        index += 1
        depth, last_open, _stray = _braces(block)
        closing = _closing_block(blocks, index) if depth else None
        if closing is None:
            kept.append(block)
            continue
        blanks = [blocks[i].lines[-1][0] + 1 for i in range(index - 1, closing)]  # the first blank of each gap
        if len(blanks) == 1:
            message = gettext(
                "Dòng trống bên trong cặp ngoặc { } mở ở dòng %(open)d: GIFT hiểu dòng trống là hết câu hỏi. "
                "Hãy xóa dòng trống.",
                open=last_open,
            )
        else:
            message = gettext(
                "Dòng trống bên trong cặp ngoặc { } mở ở dòng %(open)d (các dòng %(lines)s): GIFT hiểu dòng trống là "
                "hết câu hỏi. Hãy xóa dòng trống.",
                open=last_open,
                lines=", ".join(map(str, blanks)),
            )
        result.errors.append(ParseError(blanks[0], message))
        index = closing + 1
    return kept


def parse_gift(text: str) -> GiftResult:
    """Parse a GIFT file (already decoded, see :func:`read_text_file`)."""
    text = unicodedata.normalize("NFC", text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    result = GiftResult()
    category = ""
    for block in _blank_lines_in_braces(_blocks(text), result):
        comments = "\n".join(line for _n, line in block.lines if line.strip().startswith("//"))
        body_lines = [(n, "" if line.strip().startswith("//") else line) for n, line in block.lines]
        first = next((i for i, (_n, line) in enumerate(body_lines) if line.strip()), None)
        if first is None:
            continue
        if body_lines[first][1].strip().startswith("$CATEGORY:"):
            category = _category(_escape_pre(body_lines[first][1].strip()[len("$CATEGORY:") :]))
            body_lines = body_lines[first + 1 :]
            first = next((i for i, (_n, line) in enumerate(body_lines) if line.strip()), None)
            if first is None:
                continue
        question_block = _Block(body_lines[first:])
        start_line = question_block.lines[0][0]
        try:
            question = _parse_question(question_block, comments, category, result)
        except _GiftError as exc:
            line = start_line if exc.offset is None else question_block.line_at(exc.offset)
            result.errors.append(ParseError(line, exc.message))
            continue
        if question is None:
            continue
        question.line = start_line
        for message in finish_question(question):
            result.errors.append(ParseError(start_line, about(question.title, message)))
        result.questions.append(question)
    if not result.questions and not result.unsupported and not result.errors:
        result.errors.append(ParseError(1, gettext("Tệp không có câu hỏi nào.")))
    return result


def _parse_question(block: _Block, comments: str, category: str, result: GiftResult) -> QuestionData | None:
    raw = "\n".join(line for _n, line in block.lines)
    text = _escape_pre(raw)  # escapes are two characters -> one: map offsets back via `raw`
    lead = len(text) - len(text.lstrip())
    text = text.strip()

    def offset_of(index: int) -> int:
        # index in `text` -> offset in `raw` (each placeholder stood for 2 raw characters)
        prefix = text[:index]
        return lead + index + sum(prefix.count(p) for p in (*_ESCAPES.values(), _BACKSLASH))

    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end != -1:
            title = " ".join(_escape_post(text[2:end]).split())
            text_start = end + 2
        else:  # no closing "::": Moodle drops the opening one and names the question after its text
            text_start = 2
    else:
        text_start = 0
    body = text[text_start:]
    cloze = _CLOZE_RE.search(body)
    if cloze:
        raise _GiftError(
            gettext(
                "«%(text)s...» là cú pháp Cloze (câu hỏi nhúng đáp án) của Moodle, không phải GIFT; Moodle cũng không "
                "nhập được nó từ tệp GIFT. Hãy viết lại thành câu hỏi GIFT, mỗi câu một cặp { }.",
                text=_escape_post(cloze.group(0)),
            ),
            offset_of(text_start + cloze.start()),
        )
    open_at, close_at = body.find("{"), body.find("}")
    if open_at == -1 and close_at == -1:
        html_text = _formatted(body, "moodle")
        result.unsupported.append(Unsupported(block.lines[0][0], title or _default_title(html_text), "description"))
        return None
    if open_at == -1 or close_at == -1 or close_at < open_at or body.count("{") != 1 or body.count("}") != 1:
        if open_at == -1 or (close_at != -1 and close_at < open_at):
            bad = close_at
        elif close_at == -1:
            bad = open_at
        elif body.count("{") != 1:
            bad = body.find("{", open_at + 1)
        else:
            bad = body.find("}", close_at + 1)
        raise _GiftError(
            gettext(
                "Dấu ngoặc nhọn không cân đối: mỗi câu hỏi cần đúng một cặp { } "
                "(viết \\{ hoặc \\} nếu muốn dùng dấu ngoặc trong nội dung)."
            ),
            offset_of(text_start + bad),
        )
    answer_text = body[open_at + 1 : close_at].strip()
    before, after = body[:open_at], body[close_at + 1 :]
    missing_word = bool(after.strip())
    stripped_before, fmt = _split_format(before, "moodle")
    if missing_word:  # keep the space before the blank
        stripped_before += before[len(before.rstrip()) :]
    if missing_word:
        whole = render_text(_escape_post(stripped_before + _SENTINEL + after.rstrip()), fmt)
        if whole.count(_SENTINEL) == 1:
            text_before, _, text_after = whole.partition(_SENTINEL)
            question_text = text_before + BLANK + text_after
        else:  # the blank landed somewhere odd (e.g. inside a tag): keep the sentence whole
            missing_word, question_text = False, whole.replace(_SENTINEL, BLANK)
    else:
        question_text = render_text(_escape_post(stripped_before), fmt)

    general_feedback = ""
    gf_at = answer_text.rfind("####")
    if gf_at != -1:
        general_feedback = _formatted(answer_text[gf_at + 4 :], fmt) if answer_text[gf_at + 4 :].strip() else ""
        answer_text = answer_text[:gf_at].strip()
    if not title:
        title = _default_title(question_text)

    tags, difficulty, options, idnumber = _comment_options(comments)
    line = block.lines[0][0]
    if answer_text == "":
        result.unsupported.append(Unsupported(line, title, "essay"))
        return None

    notes: list[str] = []
    try:
        if answer_text.startswith(">"):
            qtype, config = "ordering", _parse_ordering(answer_text, fmt, notes)
        elif answer_text.startswith("#"):
            qtype, config = "numerical", _parse_numerical(answer_text, fmt, notes)
        elif "~" in answer_text:
            qtype, config = _parse_choice(answer_text, fmt, notes)
        elif "=" in answer_text and "->" in answer_text:
            qtype, config = "matching", _parse_matching(answer_text, fmt, notes)
        elif answer_text.split("#", 1)[0].strip() in ("T", "TRUE", "F", "FALSE"):
            qtype, config = "truefalse", _parse_truefalse(answer_text, fmt, notes)
        else:
            qtype, config = "shortanswer", _parse_shortanswer(answer_text, fmt, notes)
    except _GiftError as exc:
        raise _GiftError(about(title, exc.message)) from None
    if missing_word:
        config["text_before"], config["text_after"] = text_before, text_after
    question = QuestionData(
        qtype=qtype,
        title=title,
        text=question_text,
        category=category,
        config=config,
        general_feedback=general_feedback,
        difficulty=difficulty,
        tags=tags,
        idnumber=idnumber,
        line=line,
    )
    try:
        _apply_options(question, options)
    except _GiftError as exc:
        raise _GiftError(about(title, exc.message)) from None
    result.warnings.extend(ParseError(line, about(title, note)) for note in notes)
    return question


# --------------------------------------------------------------------------- export


def _text_out(fragment: str) -> str:
    """An HTML fragment inside a question whose format is [html]."""
    out = _repchar(fragment)
    return "[html]" + out if fragment.startswith("[") else out


def _plain_out(value: str) -> str:
    out = _repchar(value)
    return "[plain]" + out if value.startswith("[") else out


def _percent(fraction: float) -> str:
    return f"%{_format_number(round(fraction * 100, 5))}%"


def _feedback_out(feedback: str) -> str:
    return "#" + _text_out(feedback) if feedback else ""


def _answers_out(question: QuestionData) -> list[str]:
    config, qtype = question.config, question.qtype
    lines: list[str] = []
    if qtype in ("single", "multi"):
        for option in config.get("options", []):
            fraction = float(option.get("fraction", 0))
            if qtype == "single" and fraction == 1:
                marker = "="
            elif qtype == "single":
                marker = "~" + (_percent(fraction) if fraction else "")
            else:
                marker = "~" + (_percent(fraction) if fraction else "")
            text = _text_out(option.get("text", ""))
            if text.startswith("%") and not marker.endswith("%"):
                marker += _percent(fraction)  # an explicit weight, so the text's own % is not read as one
            lines.append(marker + text + _feedback_out(option.get("feedback", "")))
    elif qtype == "truefalse":
        line = "TRUE" if config.get("correct") else "FALSE"
        wrong, right = config.get("feedback_wrong", ""), config.get("feedback_right", "")
        if wrong or right:
            line += "#" + _text_out(wrong)
        if right:
            line += "#" + _text_out(right)
        lines.append(line)
    elif qtype == "shortanswer":
        for answer in config.get("answers", []):
            lines.append(
                "="
                + _percent(float(answer.get("fraction", 1)))
                + _plain_out(answer.get("text", ""))
                + _feedback_out(answer.get("feedback", ""))
            )
    elif qtype == "numerical":
        lines.append("#")
        for answer in config.get("answers", []):
            if "min" in answer or "max" in answer:
                value = f"{_format_number(answer['min'])}..{_format_number(answer['max'])}"
            else:
                value = f"{_format_number(answer['value'])}:{_format_number(answer.get('tolerance', 0))}"
            lines.append(
                "=" + _percent(float(answer.get("fraction", 1))) + value + _feedback_out(answer.get("feedback", ""))
            )
        if config.get("other_feedback"):
            lines.append("~#" + _text_out(config["other_feedback"]))
    elif qtype == "matching":
        answers = {a["id"]: a["text"] for a in config.get("answers", [])}
        used = set()
        for pair in config.get("pairs", []):
            used.add(pair.get("answer"))
            lines.append("=" + _text_out(pair.get("text", "")) + " -> " + _repchar(answers.get(pair.get("answer"), "")))
        for answer in config.get("answers", []):
            if answer["id"] not in used:
                lines.append("= -> " + _repchar(answer["text"]))
    elif qtype == "ordering":
        items = config.get("items", [])
        lines.append(f">{len(items)} ALL VERTICAL ABSOLUTE_POSITION")
        lines += [_text_out(item.get("text", "")) for item in items]
    else:
        raise ValueError(f"Không xuất được loại câu hỏi {qtype!r} sang GIFT.")
    if question.general_feedback:
        lines.append("####" + _text_out(question.general_feedback))
    return lines


def export_gift(questions: list[QuestionData]) -> str:
    """Write questions as GIFT (question texts in [html]); ``parse_gift`` reads them back equal.

    A question's idnumber is written as Moodle writes it, ``// [id:...]`` before its tags, so a
    re-import (here or in Moodle) knows which question it is."""
    out: list[str] = []
    category: str | None = None
    for question in questions:
        if question.category != (category or ""):
            out.append(f"$CATEGORY: {question.category}\n")
        category = question.category
        meta = [f"[id:{question.idnumber.replace(']', chr(92) + ']')}]"] if question.idnumber else []
        meta += [f"[tag:{tag.replace(']', chr(92) + ']')}]" for tag in question.tags]
        if question.difficulty:
            meta.append(f"[tag:{question.difficulty}]")
        if question.default_mark != 1:
            meta.append(f"[mark:{_format_number(question.default_mark)}]")
        if question.qtype == "shortanswer":
            if question.config.get("case_sensitive"):
                meta.append("[usecase:1]")
            if question.config.get("fold_diacritics"):
                meta.append("[fold:1]")
        if question.config.get("shuffle") is False:
            meta.append("[shuffle:0]")
        head = f"// {' '.join(meta)}\n" if meta else ""
        config = question.config
        if config.get("text_before") or config.get("text_after"):
            before, after = config.get("text_before", ""), config.get("text_after", "")
        else:
            before, after = question.text, ""
        answers = "\n\t".join(_answers_out(question))
        out.append(
            f"{head}::{_repchar(question.title)}::[html]{_repchar(before)}{{\n\t{answers}\n}}{_repchar(after)}\n"
        )
    return "\n".join(out)
