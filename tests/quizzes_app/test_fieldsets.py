"""The attempt pages write a question's fields in Python (``quizzes.fieldsets``): byte for byte what
the reference templates (``quizzes/qtypes/<type>.html``, the question bank's preview) render, for every
type, with and without an answer, odd stored answers and text that must be escaped."""

from __future__ import annotations

import random

import pytest
from flask import render_template

from quizzes import fieldsets, qtypes
from tests.quizzes.helpers import build
from tests.quizzes_app.factories import QTYPES

TEXT = '<p>Chọn <b>một</b> "đáp án" & xem</p>'


def _views(qtype: str) -> list[dict]:
    """The public view of the sample question: in its own order, shuffled as an attempt lays it out,
    and with ids and texts full of characters to escape."""
    config = build(qtype)
    views = [qtypes.get_type(qtype).public_view(config, {}, TEXT)]
    layout = qtypes.get_type(qtype).prepare(config, random.Random(3), True)
    views.append(qtypes.get_type(qtype).public_view(config, layout, TEXT))
    hostile = {
        "type": qtype,
        "text": TEXT,
        "options": [{"id": 'a"<b>&', "text": "<i>x</i> & 'y'"}, {"id": "b", "text": "Đúng"}],
        "subquestions": [{"id": "s'1", "text": "<u>s</u>"}, {"id": "s2", "text": "t"}],
        "choices": [{"id": 'c"1', "text": "<b>c</b> & d"}, {"id": "c2", "text": "e"}],
        "items": [{"id": "i<1>", "text": "<em>i</em>"}, {"id": "i2", "text": "j"}],
        "positions": [1, 2],
    }
    views.append(hostile)
    if qtype in ("single", "multi", "shortanswer", "numerical"):  # the "missing word" layout
        views.append({**views[0], "text_before": "Thủ đô <b>là</b>", "text_after": " & hết."})
    return views


def _answers(qtype: str, view: dict) -> list:
    """No answer, a possible answer of the type, and stored values of the wrong shape."""
    first = lambda key: view[key][0]["id"] if view.get(key) else "x"  # noqa: E731
    return {
        "single": [None, first("options"), "zz", 3],
        "multi": [None, [first("options")], [], ["zz", first("options")], first("options")],
        "truefalse": [None, True, False, "true", 1],
        "shortanswer": [None, "", 'Hà <Nội> & "x"', 12],
        "numerical": [None, "3,5", "<1>", 0],
        "matching": [
            None,
            {},
            {first("subquestions"): first("choices")},
            {first("subquestions"): "nope"},
            [first("subquestions")],
        ],
        "ordering": [None, {}, {first("items"): 2, "zz": 1}, {first("items"): "2"}, first("items")],
    }[qtype]


def test_every_question_type_has_a_python_fieldset():
    assert fieldsets.TYPES == set(QTYPES) == set(qtypes.QUESTION_TYPES)


@pytest.mark.parametrize("qtype", QTYPES)
def test_the_fieldset_is_what_the_template_renders(app, qtype):
    compared = 0
    with app.test_request_context("/"):
        for view in _views(qtype):
            for answer in _answers(qtype, view):
                for prefix in ("q1", "q20", 'q"<7>'):
                    expected = render_template(f"quizzes/qtypes/{qtype}.html", q=view, answer=answer, prefix=prefix)
                    assert str(fieldsets.fieldset(qtype, view, answer, prefix)) == expected, (view, answer, prefix)
                    compared += 1
    assert compared >= 3 * 3 * 4
