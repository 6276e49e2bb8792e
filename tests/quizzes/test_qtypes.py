"""Pure unit tests of the question-type registry: grading, parsing, layouts, public views, the fields."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest
from helpers import RAW, build, opt, right_answer
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from quizzes import fieldsets, qtypes
from quizzes.qtypes import QUESTION_TYPES, Grade, fold_text, grade_answer, parse_number

ALL_TYPES = sorted(RAW)


def test_registry_has_every_type():
    assert set(QUESTION_TYPES) == set(ALL_TYPES)
    with pytest.raises(ValueError):
        qtypes.get_type("essay")


# --------------------------------------------------------------------------- grading


@pytest.mark.parametrize("qtype", ALL_TYPES)
def test_right_answer_gets_full_marks(qtype):
    config = build(qtype)
    assert grade_answer(qtype, config, right_answer(qtype, config)) == Grade(1.0, "correct")


@pytest.mark.parametrize("qtype", ALL_TYPES)
@pytest.mark.parametrize("empty", [None, "", [], {}])
def test_empty_answer_is_unanswered(qtype, empty):
    assert grade_answer(qtype, build(qtype), empty) == Grade(0.0, "unanswered")


def test_single_choice_wrong_and_negative_clamped():
    config = build("single")
    assert grade_answer("single", config, opt(config, "Huế")) == Grade(0.0, "wrong")
    assert grade_answer("single", config, opt(config, "Đà Nẵng")) == Grade(0.0, "wrong")


def test_multi_partial_and_negative_weights_clamped_at_zero():
    config = build("multi")
    a, b, c, d = (opt(config, t) for t in "ABCD")
    assert grade_answer("multi", config, [a]) == Grade(0.5, "partial")
    assert grade_answer("multi", config, [a, d]) == Grade(0.5, "partial")
    assert grade_answer("multi", config, [a, b, c]) == Grade(0.0, "wrong")  # 0.5 + 0.5 - 1
    assert grade_answer("multi", config, [a, c]) == Grade(0.0, "wrong")  # -0.5 clamped at 0
    assert grade_answer("multi", config, [a, b, d]) == Grade(1.0, "correct")


def test_truefalse():
    config = build("truefalse")
    assert grade_answer("truefalse", config, True) == Grade(0.0, "wrong")
    assert qtypes.TrueFalse.feedback_for(config, True) == ["Sai rồi"]
    assert qtypes.TrueFalse.feedback_for(config, False) == ["Giỏi"]
    assert qtypes.TrueFalse.describe_right_answer(config) == "Sai"


@pytest.mark.parametrize(
    ("response", "fraction"),
    [
        ("thư điện tử", 1.0),
        ("THƯ ĐIỆN TỬ", 1.0),
        ("thu dien tu", 1.0),
        ("  thu   dien\ttu ", 1.0),  # decomposed (NFD) input
        ("email công vụ", 0.5),
        ("Email", 0.5),
        ("thư", 0.0),
    ],
)
def test_shortanswer_folding_and_wildcard(response, fraction):
    import unicodedata

    config = build("shortanswer")
    if "tử" in response and response.startswith("thư điện") and fraction == 1.0:
        response = unicodedata.normalize("NFD", response)
    assert grade_answer("shortanswer", config, response).fraction == fraction


def test_shortanswer_without_folding_needs_diacritics_and_case_flag():
    config = build("shortanswer")
    config["fold_diacritics"] = False
    assert grade_answer("shortanswer", config, "thu dien tu").fraction == 0
    assert grade_answer("shortanswer", config, "Thư Điện Tử").fraction == 1
    config["case_sensitive"] = True
    assert grade_answer("shortanswer", config, "Thư Điện Tử").fraction == 0
    assert grade_answer("shortanswer", config, "thư điện tử").fraction == 1


def test_shortanswer_escaped_star_is_literal():
    config = {"answers": [{"id": "a1", "text": "a\\*b", "fraction": 1.0}]}
    assert grade_answer("shortanswer", config, "a*b").fraction == 1
    assert grade_answer("shortanswer", config, "axxb").fraction == 0


def test_fold_text():
    assert fold_text("Đường  Thư điện TỬ") == "duong thu dien tu"


@pytest.mark.parametrize(
    ("response", "fraction"),
    [("3,14", 1.0), ("3.145", 1.0), ("3.2", 0.5), (" 3,3 ", 0.5), ("4", 0.0), ("abc", 0.0), ("1,2,3", 0.0)],
)
def test_numerical_best_fraction_wins(response, fraction):
    assert grade_answer("numerical", build("numerical"), response).fraction == fraction


def test_parse_number():
    assert parse_number("1.234,5") == 1234.5
    assert parse_number("-2e3") == -2000
    assert parse_number("\u22123") == -3
    for bad in ("", "1e999", "nan", "inf", "--1", True, None, [], "1 2,3,4"):
        assert parse_number(bad) is None


def test_matching_share_of_subquestions():
    config = build("matching")
    answer = right_answer("matching", config)
    first = config["pairs"][0]["id"]
    answer[first] = opt(config, "Chat", "answers")
    grade = grade_answer("matching", config, answer)
    assert grade.state == "partial" and grade.fraction == pytest.approx(2 / 3)


def test_ordering_absolute_positions():
    config = build("ordering")
    ids = [item["id"] for item in config["items"]]
    swapped = {ids[0]: 2, ids[1]: 1, ids[2]: 3, ids[3]: 4}
    assert grade_answer("ordering", config, swapped) == Grade(0.5, "partial")
    all_first = {i: 1 for i in ids}
    assert grade_answer("ordering", config, all_first) == Grade(0.25, "partial")


# --------------------------------------------------------------------------- forged ids & garbage


@pytest.mark.parametrize("qtype", ["single", "multi"])
def test_forged_option_ids_earn_nothing(qtype):
    config = build(qtype)
    form = {"q1": ["o99", "0", "../o1", "Hà Nội"]}
    assert QUESTION_TYPES[qtype].parse(form, "q1", config, {}) is None
    assert grade_answer(qtype, config, "o99").fraction == 0
    assert grade_answer(qtype, config, ["o99", "o98"]).fraction == 0


def test_forged_matching_and_ordering_ids_are_ignored():
    config = build("matching")
    sub = config["pairs"][0]["id"]
    form = {f"q-{sub}": "c99", "q-s99": config["pairs"][0]["answer"]}
    assert qtypes.Matching.parse(form, "q", config, {}) is None
    config = build("ordering")
    item = config["items"][0]["id"]
    assert qtypes.Ordering.parse({f"q-{item}": "9", "q-i99": "1"}, "q", config, {}) is None
    assert qtypes.Ordering.parse({f"q-{item}": "1"}, "q", config, {}) == {item: 1}


def test_parse_accepts_multidict_and_plain_dicts():
    config = build("multi")
    a, b = opt(config, "A"), opt(config, "B")
    assert qtypes.MultipleChoice.parse(MultiDict([("q", a), ("q", b)]), "q", config, {}) == sorted(
        [a, b], key=[o["id"] for o in config["options"]].index
    )
    assert qtypes.MultipleChoice.parse({"q": a}, "q", config, {}) == [a]
    assert qtypes.TrueFalse.parse({"q": ["false"]}, "q", {}, {}) is False
    assert qtypes.Numerical.parse({"q": " 3,14 "}, "q", {}, {}) == "3,14"


garbage = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


@pytest.mark.parametrize("qtype", ALL_TYPES)
@settings(max_examples=60, deadline=None)
@given(
    form=st.dictionaries(
        st.sampled_from(["q", "q-o1", "q-s1", "q-i1", "q-x", "x"]) | st.text(max_size=6), garbage, max_size=6
    ),
    answer=garbage,
)
def test_garbage_never_raises(qtype, form, answer):
    config = build(qtype)
    kind = QUESTION_TYPES[qtype]
    parsed = kind.parse(form, "q", config, {})
    json.dumps(parsed)
    for value in (parsed, answer):
        grade = kind.grade(config, value)
        assert 0 <= grade.fraction <= 1
        assert grade.state in ("correct", "partial", "wrong", "unanswered")
        assert isinstance(kind.feedback_for(config, value), list)
        assert isinstance(kind.response_keys(config, value), list)


# --------------------------------------------------------------------------- layouts & views


@pytest.mark.parametrize("qtype", ALL_TYPES)
def test_prepare_is_stable_for_the_same_seed(qtype):
    config = build(qtype)
    kind = QUESTION_TYPES[qtype]
    first = kind.prepare(config, random.Random(42), True)
    assert first == kind.prepare(config, random.Random(42), True)
    json.dumps(first)
    assert kind.public_view(config, first) == kind.public_view(config, json.loads(json.dumps(first)))


def test_shuffle_off_keeps_author_order_for_choices():
    config = build("single")
    layout = qtypes.SingleChoice.prepare(config, random.Random(1), False)
    assert layout["order"] == [o["id"] for o in config["options"]]


def test_ordering_shows_every_order_equally_often_even_with_two_items():
    """The shown order carries no information: with two items it used to be always the reverse of
    the answer (a shuffle equal to the right order was rotated); now each order comes half the time,
    and with four items every one of the 24 orders comes, the right one included."""
    two = {"items": [{"id": "i1", "text": "Trước"}, {"id": "i2", "text": "Sau"}]}
    shown = Counter(tuple(qtypes.Ordering.prepare(two, random.Random(seed), True)["order"]) for seed in range(400))
    assert set(shown) == {("i1", "i2"), ("i2", "i1")}
    assert 160 <= shown[("i1", "i2")] <= 240  # binomial(400, 1/2): 200 +- 4 standard deviations
    config = build("ordering")
    right = tuple(i["id"] for i in config["items"])
    orders = Counter(
        tuple(qtypes.Ordering.prepare(config, random.Random(seed), False)["order"]) for seed in range(2400)
    )
    assert len(orders) == 24 and orders[right] > 0
    assert all(sorted(order) == sorted(right) for order in orders)


def test_option_ids_are_assigned_once_and_do_not_follow_correctness():
    config = build("single")
    again = qtypes.assign_ids("single", config, "other seed")
    assert again["options"] == build("single")["options"]
    correct_ids = set()
    for n in range(30):
        raw = {
            "options": [
                {"text": f"đúng {n}", "fraction": 1.0},
                {"text": "sai", "fraction": 0.0},
                {"text": "sai nữa", "fraction": 0.0},
            ]
        }
        correct_ids.add(qtypes.assign_ids("single", raw, f"q{n}")["options"][0]["id"])
    assert len(correct_ids) > 1


def _walk_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)


SECRET_KEYS = {
    "fraction",
    "feedback",
    "answer",
    "correct",
    "feedback_right",
    "feedback_wrong",
    "tolerance",
    "value",
    "min",
    "max",
    "other_feedback",
    "answers",
    "pairs",
}


@pytest.mark.parametrize("qtype", ALL_TYPES)
def test_public_view_contains_no_right_answer(qtype):
    config = build(qtype)
    kind = QUESTION_TYPES[qtype]
    view = kind.public_view(config, kind.prepare(config, random.Random(3), True), text="Câu hỏi?")
    keys = set()

    def collect(value):
        if isinstance(value, dict):
            keys.update(value)
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(view)
    assert not keys & SECRET_KEYS
    strings = " ".join(_walk_strings(view))
    for secret in ("Đúng</b>", "Chưa đúng", "Chính xác", "Giỏi", "Sai rồi", "thư điện tử", "3.14", "email"):
        assert secret not in strings
    if qtype == "ordering":
        assert [i["id"] for i in view["items"]] != [i["id"] for i in config["items"]]


# --------------------------------------------------------------------------- fields (quizzes.fieldsets)


def render(qtype, config, answer=None):
    kind = QUESTION_TYPES[qtype]
    view = kind.public_view(config, kind.prepare(config, random.Random(5), True), text="<p>Câu hỏi?</p>")
    return str(fieldsets.fieldset(qtype, view, answer, "q7"))


@pytest.mark.parametrize("qtype", ALL_TYPES)
def test_fields_are_accessible_controls_without_answers(qtype):
    config = build(qtype)
    html = render(qtype, config)
    assert "<fieldset" in html and "<legend" in html and "<script" not in html
    assert "Câu hỏi?" in html
    for secret in (
        "fraction",
        "correct",
        "100%",
        "0.5",
        "Chưa đúng",
        "Giỏi",
        "Sai rồi",
        "Chính xác",
        "thư điện tử",
        "3.14",
    ):
        assert secret not in html
    # every control sits inside a <label> (big click target)
    controls = len(re.findall(r"<(input|select)\b", html))
    labelled = len(re.findall(r"<label[^>]*>\s*(<span[^>]*>[^<]*</span>\s*)?<(input|select)\b", html, re.DOTALL))
    labelled += len(re.findall(r"<label[^>]*>\s*<span class=\"q-row-text\">.*?</span>\s*<select", html, re.DOTALL))
    assert controls and labelled >= controls


def test_fields_show_saved_answers_and_the_missing_word_blank():
    config = build("single")
    html = render("single", config, answer=opt(config, "Huế"))
    assert re.search(r'value="{}"\s+checked'.format(opt(config, "Huế")), html)
    config["text_before"], config["text_after"] = "Thủ đô là ", " của Việt Nam."
    html = render("single", config)
    assert 'Thủ đô là <span class="q-blank"' in html
    ordering = build("ordering")
    first = ordering["items"][0]["id"]
    html = render("ordering", ordering, answer={first: 2})
    assert f'name="q7-{first}"' in html and '<option value="2" selected>' in html
    shortanswer = render("shortanswer", build("shortanswer"), answer='<b>"x"</b>')
    assert "&lt;b&gt;" in shortanswer


def test_describe_right_answer_and_feedback():
    config = build("matching")
    assert qtypes.Matching.describe_right_answer(config) == "Canada → Ottawa; Ý → Rome; Nhật → Tokyo"
    assert qtypes.Ordering.describe_right_answer(build("ordering")) == "Một → Hai → Ba → Bốn"
    assert qtypes.Numerical.describe_right_answer(build("numerical")) == "3,14 ± 0,01"  # Vietnamese decimal comma
    assert qtypes.Numerical.feedback_for(build("numerical"), "99") == ["Sai"]
    single = build("single")
    assert qtypes.SingleChoice.feedback_for(single, opt(single, "Hà Nội")) == ["<b>Đúng</b> rồi"]
    multi = build("multi")
    assert qtypes.MultipleChoice.response_keys(multi, [opt(multi, "B"), "o99"]) == [opt(multi, "B")]


@pytest.mark.parametrize(
    ("qtype", "config", "needle"),
    [
        (
            "single",
            {"options": [{"id": "o1", "text": "a", "fraction": 0}, {"id": "o2", "text": "b", "fraction": 0}]},
            "chưa có đáp án đúng",
        ),
        (
            "multi",
            {
                "options": [
                    {"id": "o1", "text": "a", "fraction": 0.5},
                    {"id": "o2", "text": "b", "fraction": 0.3},
                ]
            },
            "phải bằng 100%",
        ),
        (
            "matching",
            {"pairs": [{"id": "s1", "text": "a", "answer": "c1"}], "answers": [{"id": "c1", "text": "x"}]},
            "ít nhất 2 cặp",
        ),
        (
            "single",
            {"options": [{"id": "o1", "text": "a", "fraction": 1}, {"id": "o1", "text": "b", "fraction": 0}]},
            "bị trùng",
        ),
        ("numerical", {"answers": [{"id": "n1", "value": "x", "fraction": 1}]}, "không phải là số"),
        ("truefalse", {}, "Đúng hay Sai"),
        ("ordering", {"items": [{"id": "i1", "text": "a"}]}, "ít nhất 2"),
    ],
)
def test_validate_reports_vietnamese_errors(qtype, config, needle):
    errors = QUESTION_TYPES[qtype].validate(config)
    assert any(needle.lower() in e.lower() for e in errors), errors


def test_multi_weights_within_tolerance_are_accepted():
    config = {
        "options": [
            {"id": "o1", "text": "a", "fraction": 0.333},
            {"id": "o2", "text": "b", "fraction": 0.333},
            {"id": "o3", "text": "c", "fraction": 0.333},
        ]
    }
    assert qtypes.MultipleChoice.validate(config) == []
