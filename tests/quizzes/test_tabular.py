"""Spreadsheet import: every type, errors with row and column, CSV/XLSX readers and templates."""

from __future__ import annotations

import pytest

from quizzes import qtypes
from quizzes.gift import export_gift, parse_gift
from quizzes.tabular import COLUMNS, HEADINGS, parse_rows, read_csv, read_xlsx, template_csv, template_xlsx

ROWS = [
    {
        "type": "single",
        "question": "Thủ đô?",
        "option_1": "Hà Nội",
        "option_2": "Huế",
        "correct": "1",
        "feedback_1": "Đúng",
        "difficulty": "easy",
        "tags": "IU06, EMAIL-01",
        "category": "a/b",
        "title": "T1",
    },
    {"type": "multi", "question": "Chọn", "option_1": "A", "option_2": "B", "option_3": "C", "correct": "1,3"},
    {
        "type": "multi",
        "question": "Chọn",
        "option_1": "A",
        "option_2": "B",
        "option_3": "C",
        "option_4": "D",
        "weights": "50,50,-50,-50",
    },
    {"type": "Đúng/Sai".replace("/", "-"), "question": "Trời xanh", "correct": "Đúng", "feedback_1": "Giỏi"},
    {"type": "shortanswer", "question": "Viết tắt?", "option_1": "CNTT", "option_2": "công nghệ*", "weights": "100,50"},
    {"type": "numerical", "question": "Pi?", "option_1": "3,14:0,01", "option_2": "3..3,3", "weights": "100,50"},
    {
        "type": "matching",
        "question": "Ghép",
        "option_1": "Canada -> Ottawa",
        "option_2": "Ý -> Rome",
        "option_3": "-> Chat",
    },
    {
        "type": "ordering",
        "question": "Thứ tự",
        "option_1": "Một",
        "option_2": "Hai",
        "option_3": "Ba",
        "default_mark": "2",
    },
]


def test_every_type_imports():
    result = parse_rows(ROWS)
    assert result.errors == []
    expected = ["single", "multi", "multi", "truefalse", "shortanswer", "numerical", "matching", "ordering"]
    assert [q.qtype for q in result.questions] == expected
    single, multi, weighted, tf, short, num, match, order = result.questions
    assert single.tags == ["IU06", "EMAIL-01"] and single.difficulty == "easy" and single.line == 2
    assert [o["fraction"] for o in multi.config["options"]] == [0.5, 0.0, 0.5]
    assert [o["fraction"] for o in weighted.config["options"]] == [0.5, 0.5, -0.5, -0.5]
    assert tf.config["correct"] is True and tf.config["feedback_right"] == "Giỏi"
    assert qtypes.grade_answer("shortanswer", short.config, "công nghệ thông tin").fraction == 0.5
    assert qtypes.grade_answer("numerical", num.config, "3,2").fraction == 0.5
    assert len(match.config["pairs"]) == 2 and len(match.config["answers"]) == 3
    assert [i["text"] for i in order.config["items"]] == ["Một", "Hai", "Ba"] and order.default_mark == 2
    assert parse_gift(export_gift(result.questions)).questions == result.questions


@pytest.mark.parametrize(
    ("row", "column", "needle"),
    [
        ({"type": "essay", "question": "x"}, "type", "không hợp lệ"),
        ({"type": "single", "question": ""}, "question", "nội dung"),
        ({"type": "single", "question": "q", "option_1": "a", "option_2": "b"}, "correct", "đáp án đúng"),
        (
            {"type": "single", "question": "q", "option_1": "a", "option_2": "b", "correct": "5"},
            "correct",
            "số 5",
        ),
        (
            {"type": "multi", "question": "q", "option_1": "a", "option_2": "b", "weights": "50,30"},
            "question",
            "100%",
        ),
        (
            {"type": "multi", "question": "q", "option_1": "a", "option_2": "b", "weights": "50"},
            "weights",
            "trọng số",
        ),
        (
            {"type": "single", "question": "q", "option_1": "a", "option_3": "b", "correct": "1"},
            "option_3",
            "liền nhau",
        ),
        ({"type": "numerical", "question": "q", "option_1": "abc"}, "option_1", "không phải là số"),
        ({"type": "matching", "question": "q", "option_1": "a -> b", "option_2": "c"}, "option_2", "->"),
        ({"type": "truefalse", "question": "q", "correct": "có lẽ"}, "correct", "Đúng"),
        (
            {
                "type": "single",
                "question": "q",
                "option_1": "a",
                "option_2": "b",
                "correct": "1",
                "difficulty": "x",
            },
            "difficulty",
            "easy",
        ),
        (
            {
                "type": "single",
                "question": "q",
                "option_1": "a",
                "option_2": "b",
                "correct": "1",
                "default_mark": "-1",
            },
            "default_mark",
            "số dương",
        ),
    ],
)
def test_errors_name_row_and_column(row, column, needle):
    result = parse_rows([ROWS[0], row], start_line=2)
    assert len(result.errors) == 1, result.errors
    error = result.errors[0]
    assert (error.line, error.column) == (3, column) and needle.lower() in error.message.lower(), error
    assert str(error).startswith("Dòng 3, cột ")


def test_correct_may_name_the_option_text():
    row = {"type": "single", "question": "q", "option_1": "Hà Nội", "option_2": "Huế", "correct": "hue"}
    assert parse_rows([row]).questions[0].config["options"][1]["fraction"] == 1.0


def test_blank_rows_are_skipped_and_empty_file_is_an_error():
    assert parse_rows([{"type": "", "question": ""}]).errors[0].message == "Tệp không có câu hỏi nào."


def test_csv_template_round_trips_with_bom_and_semicolons():
    text = template_csv()
    assert text.splitlines()[0].split(",") == [HEADINGS[c] for c in COLUMNS]  # Vietnamese headings
    assert text.splitlines()[0].startswith("Loại,Danh mục,Tên,Câu hỏi,Phương án 1,")
    rows = read_csv(b"\xef\xbb\xbf" + text.encode())
    result = parse_rows(rows)
    assert result.errors == [] and len(result.questions) == 3
    semicolon = "type;question;option_1;option_2;correct\nsingle;Câu?;a;b;2\n".encode()
    assert parse_rows(read_csv(semicolon)).questions[0].config["options"][1]["fraction"] == 1.0
    with pytest.raises(ValueError, match="UTF-8"):
        read_csv("type\nsingle;Thư".encode("cp1258"))


def test_xlsx_template_round_trips():
    rows = read_xlsx(template_xlsx())
    result = parse_rows(rows)
    assert result.errors == [] and [q.qtype for q in result.questions] == ["single", "multi", "ordering"]
    with pytest.raises(ValueError, match="xlsx"):
        read_xlsx(b"not a workbook")


def test_headings_are_read_in_vietnamese_or_english_with_or_without_accents():
    """The template is headed in Vietnamese (it was 'type, category, option_1...' in the Vietnamese UI);
    files made from the old template, or typed without accents, still read."""
    for header in (
        "Loại;Câu hỏi;Phương án 1;Phương án 2;Đáp án đúng",
        "loai;cau hoi;phuong an 1;PHUONG AN 2;dap an dung",
    ):
        rows = read_csv(f"{header}\nsingle;Câu?;a;b;2\n".encode())
        question = parse_rows(rows).questions[0]
        assert question.config["options"][1]["fraction"] == 1.0, header
