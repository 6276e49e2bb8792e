"""Question import from a spreadsheet (CSV or XLSX), one question per row. See docs/question-import.md.

Columns: ``type, category, title, question, option_1..option_8, correct, weights, feedback_1..feedback_8,
general_feedback, default_mark, difficulty, tags``, headed in the template by their Vietnamese names
(``HEADINGS``: "Loại", "Danh mục", ... "Thẻ"); either name is read. Everything is validated first; the caller stores all
questions or none (``result.ok``). Errors carry the spreadsheet row number and the column (key and heading).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext

from lms import exports
from lms.spreadsheet import Sheet, cell_text
from lms.spreadsheet import read_csv as read_csv_sheet
from lms.spreadsheet import read_xlsx as read_xlsx_sheet
from lms.text import fold
from quizzes import qtypes
from quizzes.gift import (
    DIFFICULTIES,
    GiftResult,
    ParseError,
    QuestionData,
    finish_question,
    read_text_file,
    render_text,
)

__all__ = [
    "COLUMNS",
    "HEADINGS",
    "TYPE_ALIASES",
    "parse_rows",
    "read_csv",
    "read_xlsx",
    "template_csv",
    "template_rows",
    "template_xlsx",
]

MAX_OPTIONS = 8
MAX_ROWS = 10_000  # questions per file: a bigger file is refused before it is read whole
COLUMNS = (
    ["type", "category", "title", "question"]
    + [f"option_{i}" for i in range(1, MAX_OPTIONS + 1)]
    + ["correct", "weights"]
    + [f"feedback_{i}" for i in range(1, MAX_OPTIONS + 1)]
    + ["general_feedback", "default_mark", "difficulty", "tags"]
)
#: The headings of the template, in Vietnamese (the UI's language); a file may use them or the
#: column names above, with or without accents, in any case ("Đáp án đúng", "dap an dung", "correct").
HEADINGS = (
    {"type": "Loại", "category": "Danh mục", "title": "Tên", "question": "Câu hỏi"}
    | {f"option_{i}": f"Phương án {i}" for i in range(1, MAX_OPTIONS + 1)}
    | {"correct": "Đáp án đúng", "weights": "Trọng số"}
    | {f"feedback_{i}": f"Phản hồi {i}" for i in range(1, MAX_OPTIONS + 1)}
    | {"general_feedback": "Giải thích chung", "default_mark": "Điểm", "difficulty": "Độ khó", "tags": "Thẻ"}
)
_COLUMN_OF = {fold(name): column for column, heading in HEADINGS.items() for name in (column, heading)}
TYPE_ALIASES = {
    "single": "single",
    "mot-lua-chon": "single",
    "multi": "multi",
    "nhieu-lua-chon": "multi",
    "truefalse": "truefalse",
    "dung-sai": "truefalse",
    "shortanswer": "shortanswer",
    "tra-loi-ngan": "shortanswer",
    "numerical": "numerical",
    "so": "numerical",
    "matching": "matching",
    "ghep-doi": "matching",
    "ordering": "ordering",
    "sap-xep": "ordering",
}
#: the accepted words, as the type error lists them (the file's own language: Vietnamese)
TYPE_NAMES = "một lựa chọn, nhiều lựa chọn, đúng sai, trả lời ngắn, số, ghép đôi, sắp xếp"
#: difficulty as written in a file: Vietnamese words (without accents too) or Moodle's codes
DIFFICULTY_WORDS = {"de": "easy", "trung binh": "medium", "kho": "hard"} | {d: d for d in DIFFICULTIES}
TRUE_WORDS = {"true", "t", "đúng", "dung", "1", "x", "yes", "có"}
FALSE_WORDS = {"false", "f", "sai", "0", "no", "không"}

#: the template's example rows, written as a Vietnamese author would (the type and the difficulty in words)
EXAMPLES = [
    {
        "type": "một lựa chọn",
        "category": "email/co-so-phap-ly",
        "title": "EMAIL-01-01",
        "question": "Hộp thư công vụ dùng tên miền nào?",
        "option_1": ".gov.vn",
        "option_2": "gmail.com",
        "option_3": "yahoo.com",
        "correct": "1",
        "feedback_1": "Đúng.",
        "feedback_2": "Hộp thư cá nhân.",
        "general_feedback": "Căn cứ: Công văn 5598/VPCP-TTĐT.",
        "default_mark": "1",
        "difficulty": "dễ",
        "tags": "IU06, EMAIL-01",
    },
    {
        "type": "nhiều lựa chọn",
        "category": "security/mat-khau",
        "title": "SECURITY-02-01",
        "question": "Những mật khẩu nào đủ mạnh?",
        "option_1": "Tr@ng#An-2026!",
        "option_2": "Xanh.La.Cay.2026",
        "option_3": "123456",
        "option_4": "matkhau",
        "correct": "1,2",
        "weights": "50,50,-50,-50",
        "difficulty": "trung bình",
        "tags": "IU14",
    },
    {
        "type": "sắp xếp",
        "category": "qlvb/van-ban-den",
        "title": "QLVB-03-01",
        "question": "Sắp xếp các bước xử lý văn bản đến.",
        "option_1": "Tiếp nhận",
        "option_2": "Đăng ký",
        "option_3": "Trình, chuyển giao",
        "option_4": "Giải quyết, theo dõi",
        "difficulty": "khó",
    },
]


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


def _cell(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _html(text: str) -> str:
    return render_text(text, "moodle") if text else ""


def _numbers(text: str, column: str) -> list[float]:
    values = []
    for part in text.replace(";", ",").split(",") if "," in text or ";" in text else text.split():
        number = qtypes.parse_number(part.strip().rstrip("%"))
        if number is None:
            raise _RowError(column, gettext("«%(v)s» không phải là số.", v=part.strip()))
        values.append(number)
    return values


def _correct_indexes(correct: str, options: list[str]) -> list[int]:
    """ "1", "1,3" or the text of the right option(s) -> 0-based indexes."""
    if not correct:
        raise _RowError("correct", gettext("Chưa ghi đáp án đúng (số thứ tự phương án, ví dụ 1 hoặc 1,3)."))
    parts = [p.strip() for p in correct.replace(";", ",").split(",") if p.strip()]
    if all(p.isdecimal() for p in parts):
        indexes = [int(p) - 1 for p in parts]
        bad = [p for p, i in zip(parts, indexes, strict=True) if not 0 <= i < len(options)]
        if bad:
            raise _RowError("correct", gettext("Không có phương án số %(n)s.", n=", ".join(bad)))
        return indexes
    folded = [qtypes.fold_text(o) for o in options]
    if qtypes.fold_text(correct) in folded:
        return [folded.index(qtypes.fold_text(correct))]
    raise _RowError("correct", gettext("Đáp án «%(v)s» không khớp số thứ tự hay nội dung phương án nào.", v=correct))


def _config(qtype: str, row: Mapping[str, Any]) -> dict[str, Any]:
    options = [_cell(row, f"option_{i}") for i in range(1, MAX_OPTIONS + 1)]
    feedback = [_cell(row, f"feedback_{i}") for i in range(1, MAX_OPTIONS + 1)]
    used = [i for i, o in enumerate(options) if o]
    if used and used != list(range(len(used))):
        raise _RowError(f"option_{used[-1] + 1}", gettext("Các phương án phải điền liền nhau từ «Phương án 1»."))
    options, correct, weights_text = options[: len(used)], _cell(row, "correct"), _cell(row, "weights")
    weights = _numbers(weights_text, "weights") if weights_text else None
    if weights is not None and len(weights) != len(options):
        raise _RowError("weights", gettext("Có %(w)d trọng số nhưng %(o)d phương án.", w=len(weights), o=len(options)))

    if qtype in ("single", "multi"):
        if weights is None:
            right = _correct_indexes(correct, options)
            share = 1.0 if qtype == "single" else round(1 / len(right), 7)
            fractions = [share if i in right else 0.0 for i in range(len(options))]
        else:
            fractions = [round(w / 100, 7) for w in weights]
        return {
            "options": [
                {"text": _html(o), "fraction": f, "feedback": _html(fb)}
                for o, f, fb in zip(options, fractions, feedback, strict=False)
            ]
        }
    if qtype == "truefalse":
        word = qtypes.fold_text(correct)
        if word not in {qtypes.fold_text(w) for w in TRUE_WORDS | FALSE_WORDS}:
            raise _RowError("correct", gettext("Câu Đúng/Sai: cột «Đáp án đúng» ghi «Đúng» hoặc «Sai»."))
        return {
            "correct": word in {qtypes.fold_text(w) for w in TRUE_WORDS},
            "feedback_right": _html(feedback[0]),
            "feedback_wrong": _html(feedback[1]),
        }
    if qtype == "shortanswer":
        texts = options or ([correct] if correct else [])
        fractions = [round(w / 100, 7) for w in weights] if weights else [1.0] * len(texts)
        return {
            "answers": [
                {"text": t, "fraction": f, "feedback": _html(fb)}
                for t, f, fb in zip(texts, fractions, feedback, strict=False)
            ],
            "case_sensitive": False,
            "fold_diacritics": False,
        }
    if qtype == "numerical":
        answers = []
        for number, (text, fb) in enumerate(zip(options or [correct], feedback, strict=False), start=1):
            column = f"option_{number}" if options else "correct"
            fraction = round(weights[number - 1] / 100, 7) if weights else (1.0 if number == 1 else 0.0)
            if ".." in text:
                low, _, high = text.partition("..")
                low_n, high_n = qtypes.parse_number(low), qtypes.parse_number(high)
                if low_n is None or high_n is None:
                    raise _RowError(column, gettext("Khoảng «%(v)s» không hợp lệ (ví dụ 3,1..3,2).", v=text))
                answers.append({"min": low_n, "max": high_n, "fraction": fraction, "feedback": _html(fb)})
            else:
                value, _, tolerance = text.partition(":")
                value_n, tolerance_n = qtypes.parse_number(value), qtypes.parse_number(tolerance or "0")
                if value_n is None or tolerance_n is None:
                    raise _RowError(column, gettext("«%(v)s» không phải là số (ví dụ 3,14 hoặc 3,14:0,01).", v=text))
                answers.append(
                    {
                        "value": value_n,
                        "tolerance": abs(tolerance_n),
                        "fraction": fraction,
                        "feedback": _html(fb),
                    }
                )
        return {"answers": answers, "other_feedback": ""}
    if qtype == "matching":
        pairs, answers = [], []
        for number, text in enumerate(options, start=1):
            if "->" not in text:
                raise _RowError(f"option_{number}", gettext("Mỗi cặp ghép viết dạng «vế trái -> vế phải»."))
            sub, _, answer = (part.strip() for part in text.partition("->"))
            if sub:
                pairs.append({"text": _html(sub), "answer": answer})
            if answer not in answers:
                answers.append(answer)
        ordered = [p["answer"] for p in pairs]
        answers = list(dict.fromkeys(ordered + answers))
        return {"pairs": pairs, "answers": [{"text": a} for a in answers]}
    return {"items": [{"text": _html(o)} for o in options]}


def parse_rows(rows: Iterable[Mapping[str, Any]], start_line: int = 2) -> GiftResult:
    """Validate and convert spreadsheet rows (dicts keyed by column name) into questions."""
    result = GiftResult()
    for line, raw in enumerate(rows, start=start_line):
        row = {str(k).strip().lower(): v for k, v in raw.items() if k is not None}
        if not any(_cell(row, k) for k in row):
            continue
        try:
            question = _row_question(row, line)
        except _RowError as exc:
            result.errors.append(ParseError(line, exc.message, exc.column, HEADINGS.get(exc.column, exc.column)))
            continue
        for message in finish_question(question):
            result.errors.append(ParseError(line, message, "question", HEADINGS["question"]))
        result.questions.append(question)
    if not result.questions and not result.errors:
        result.errors.append(ParseError(start_line, gettext("Tệp không có câu hỏi nào.")))
    return result


def _row_question(row: Mapping[str, Any], line: int) -> QuestionData:
    type_name = qtypes.fold_text(_cell(row, "type")).replace(" ", "-")
    qtype = TYPE_ALIASES.get(type_name)
    if qtype is None:
        raise _RowError(
            "type",
            gettext(
                "Loại câu hỏi «%(v)s» không hợp lệ. Ghi một trong: %(names)s (hoặc %(codes)s).",
                v=_cell(row, "type"),
                names=TYPE_NAMES,
                codes=", ".join(qtypes.QUESTION_TYPES),
            ),
        )
    text = _cell(row, "question")
    if not text:
        raise _RowError("question", gettext("Chưa có nội dung câu hỏi."))
    mark_text = _cell(row, "default_mark")
    mark = qtypes.parse_number(mark_text) if mark_text else 1.0
    if mark is None or mark <= 0:
        raise _RowError("default_mark", gettext("Điểm «%(v)s» phải là số dương.", v=mark_text))
    given = _cell(row, "difficulty")
    difficulty = DIFFICULTY_WORDS.get(qtypes.fold_text(given)) if given else None
    if given and difficulty is None:
        raise _RowError("difficulty", gettext("Độ khó ghi «dễ», «trung bình» hoặc «khó» (hoặc easy, medium, hard)."))
    html_text = _html(text)
    title = _cell(row, "title") or qtypes.plain_text(html_text)[:80]
    tags = list(dict.fromkeys(t.strip() for t in _cell(row, "tags").replace(";", ",").split(",") if t.strip()))
    return QuestionData(
        qtype=qtype,
        title=title,
        text=html_text,
        category=_cell(row, "category"),
        config=_config(qtype, row),
        default_mark=mark,
        general_feedback=_html(_cell(row, "general_feedback")),
        difficulty=difficulty,
        tags=tags,
        line=line,
    )


def _records(sheet: Sheet) -> list[dict[str, Any]]:
    """Rows under the first non-empty row (the header) as dicts; blank rows stay as ``{}`` so that
    ``parse_rows`` numbers every row as the file does (the header's own row included)."""
    if not sheet.rows:
        return []
    first, header_values = sheet.rows[0]
    header = [_COLUMN_OF.get(fold(cell_text(h)), cell_text(h).strip()) for h in header_values]
    records: list[dict[str, Any]] = [{}] * (first - 1)
    expected = first + 1
    for number, values in sheet.rows[1:]:
        records.extend([{}] * (number - expected))
        records.append(dict(zip(header, values, strict=False)))
        expected = number + 1
    return records


def read_csv(data: bytes, max_rows: int = MAX_ROWS) -> list[dict[str, Any]]:
    """CSV in UTF-8 (BOM allowed, as Excel writes it); the delimiter (, ; or tab) is detected.
    More than ``max_rows`` rows is refused as soon as the reader gets there."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        read_text_file(data)  # refuses UTF-16 with its own message
    return _records(read_csv_sheet(data, max_rows, len(COLUMNS) + 8, utf8_only=True))


def read_xlsx(data: bytes, max_rows: int = MAX_ROWS) -> list[dict[str, Any]]:
    """The first sheet of an .xlsx workbook; its first non-empty row is the header. Archives that
    unpack to absurd sizes and sheets over ``max_rows`` rows are refused before they are parsed
    (``lms.spreadsheet``)."""
    return _records(read_xlsx_sheet(data, max_rows, len(COLUMNS) + 8))


def template_rows() -> list[list[str]]:
    """The example rows of the import template, in ``COLUMNS`` order."""
    return [[example.get(column, "") for column in COLUMNS] for example in EXAMPLES]


def template_csv() -> str:
    """The import template as CSV text (written as every export is: ``lms.exports``)."""
    return exports.to_csv([HEADINGS[column] for column in COLUMNS], template_rows()).decode("utf-8-sig")


def template_xlsx() -> bytes:
    return exports.to_xlsx([HEADINGS[column] for column in COLUMNS], template_rows(), sheet="cau-hoi")
