"""``quizzes.fieldsets``, the one place of a question's fields (the attempt pages and the question bank's
preview), checked on its markup for every type: one fieldset with the question as its legend; every
control named, id'd and labelled after the prefix and the option, row or choice ids; the saved answer
checked or selected, stored answers of the wrong shape ignored; question, option and row texts written
as the sanitized HTML they are, everything else escaped: ids, answers and the prefix full of
characters to escape come back out of an HTML parser as they went in."""

from __future__ import annotations

import random
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from lms.auth.models import Role
from quizzes import fieldsets, qtypes
from tests.factories import login_as, make_user
from tests.quizzes.helpers import build
from tests.quizzes_app.factories import QTYPES, make_bank

TEXT = '<p>Chọn <b>một</b> "đáp án" & xem</p>'
PREFIXES = ("q1", "q20", 'q"<7>')
BLANK = '<span class="q-blank" aria-label="chỗ trống">_____</span>'
VOID = {"input"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element] = []
        self.text = ""

    def ancestor(self, tag: str) -> Element | None:
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


class Tree(HTMLParser):
    """The fieldset as a tree of elements; every element but ``<input>`` must be closed, in order."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.roots: list[Element] = []
        self.open: list[Element] = []
        self.feed(html)
        self.close()
        assert not self.open, [e.tag for e in self.open]

    def handle_starttag(self, tag, attrs):
        parent = self.open[-1] if self.open else None
        element = Element(tag, dict(attrs), parent)
        (parent.children if parent else self.roots).append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1].tag == tag, (tag, [e.tag for e in self.open])
        self.open.pop()

    def handle_data(self, data):
        if self.open:
            self.open[-1].text += data
        else:
            assert not data.strip(), data

    def all(self, tag: str) -> list[Element]:
        return [e for root in self.roots for e in root.walk() if e.tag == tag]


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


def _answers(qtype: str, view: dict) -> list[tuple]:
    """(stored answer, what the fields show of it): no answer, possible answers of the type and stored
    values of the wrong shape. Choices: the ids checked; text: the input's value; matching and
    ordering: {row id: the value selected}."""
    first = lambda key: view[key][0]["id"] if view.get(key) else "x"  # noqa: E731
    ids = {o["id"] for o in view.get("options", [])}
    return {
        "single": [(None, set()), (first("options"), {first("options")}), ("zz", set()), (3, set())],
        "multi": [
            (None, set()),
            ([first("options")], {first("options")}),
            ([], set()),
            (["zz", first("options")], {first("options")}),
            # a string is searched as text (Python's ``in``): the ids it contains are checked
            (first("options"), {i for i in ids if i in first("options")}),
        ],
        "truefalse": [(None, set()), (True, {"true"} & ids), (False, {"false"} & ids), ("true", set()), (1, set())],
        "shortanswer": [(None, ""), ("", ""), ('Hà <Nội> & "x"', 'Hà <Nội> & "x"'), (12, "12")],
        "numerical": [(None, ""), ("3,5", "3,5"), ("<1>", "<1>"), (0, "")],
        "matching": [
            (None, {}),
            ({}, {}),
            ({first("subquestions"): first("choices")}, {first("subquestions"): first("choices")}),
            ({first("subquestions"): "nope"}, {}),
            ([first("subquestions")], {}),
        ],
        "ordering": [
            (None, {}),
            ({}, {}),
            ({first("items"): 2, "zz": 1}, {first("items"): "2"}),
            ({first("items"): "2"}, {}),  # positions are numbers
            (first("items"), {}),
        ],
    }[qtype]


def _legend(view: dict) -> str:
    inner = view["text_before"] + BLANK + view["text_after"] if "text_before" in view else view["text"]
    return f'<legend class="q-text">{inner}</legend>'


def _check_choices(qtype: str, html: str, tree: Tree, view: dict, prefix: str, checked: set) -> None:
    kind = "checkbox" if qtype == "multi" else "radio"
    inputs = tree.all("input")
    assert [(i.attrs["type"], i.attrs["name"], i.attrs["id"], i.attrs["value"]) for i in inputs] == [
        (kind, prefix, f"{prefix}-{o['id']}", o["id"]) for o in view["options"]
    ]
    assert {i.attrs["value"] for i in inputs if "checked" in i.attrs} == checked
    spans = [s for s in tree.all("span") if s.attrs.get("class") == "q-option-text"]
    for option, span in zip(view["options"], spans, strict=True):
        if qtype == "truefalse":  # the labels "Đúng"/"Sai": plain text
            assert span.text == option["text"] and not span.children
        else:  # sanitized HTML, written as it is
            assert f'<span class="q-option-text">{option["text"]}</span>' in html
    if qtype == "multi":
        assert [p.text for p in tree.all("p") if p.attrs.get("class") == "q-hint"] == ["Chọn một hoặc nhiều phương án."]


def _check_text(qtype: str, tree: Tree, prefix: str, value: str) -> None:
    [field] = tree.all("input")
    assert (field.attrs["type"], field.attrs["name"], field.attrs["id"], field.attrs["value"]) == (
        "text",
        prefix,
        prefix,
        value,
    )
    if qtype == "numerical":
        assert (field.attrs["inputmode"], field.attrs["maxlength"]) == ("decimal", "100")
    else:
        assert (field.attrs["maxlength"], field.attrs["spellcheck"]) == ("1000", "false")
    assert field.attrs["autocomplete"] == "off"


def _check_rows(qtype: str, html: str, tree: Tree, view: dict, prefix: str, selected: dict) -> None:
    rows = view["subquestions"] if qtype == "matching" else view["items"]
    if qtype == "matching":
        empty, choices = "— Chọn —", [(c["id"], c["text"]) for c in view["choices"]]
    else:
        empty, choices = "— Vị trí —", [(str(p), f"Vị trí {p}") for p in view["positions"]]
        hint = f"Chọn thứ tự (vị trí 1 đến {len(view['positions'])}) cho từng mục."
        assert [p.text for p in tree.all("p") if p.attrs.get("class") == "q-hint"] == [hint]
    selects = tree.all("select")
    assert [(s.attrs["name"], s.attrs["id"]) for s in selects] == [(f"{prefix}-{r['id']}",) * 2 for r in rows]
    shown = {}
    for row, select in zip(rows, selects, strict=True):
        assert f'<span class="q-row-text">{row["text"]}</span>' in html  # sanitized HTML, as it is
        options = select.children
        assert all(o.tag == "option" and not o.children for o in options)  # choice texts escaped
        assert [(o.attrs["value"], o.text) for o in options] == [("", empty), *choices]
        picked = [o.attrs["value"] for o in options if "selected" in o.attrs]
        assert len(picked) <= 1
        if picked:
            shown[row["id"]] = picked[0]
    assert shown == selected


def _check(qtype: str, view: dict, answer, shown, prefix: str) -> None:
    html = str(fieldsets.fieldset(qtype, view, answer, prefix))
    tree = Tree(html)
    [fieldset] = tree.roots
    assert fieldset.tag == "fieldset"
    assert fieldset.attrs == {"class": f"question q-{qtype}", "id": f"{prefix}-group"}
    assert fieldset.children[0].tag == "legend" and html.count("<legend") == 1
    assert _legend(view) in html
    controls = tree.all("input") + tree.all("select")
    assert controls
    for control in controls:  # every control in a label naming it: a big click target, read out
        label = control.ancestor("label")
        assert label is not None and label.attrs["for"] == control.attrs["id"], control.attrs
    if qtype in ("single", "multi", "truefalse"):
        _check_choices(qtype, html, tree, view, prefix, shown)
    elif qtype in ("shortanswer", "numerical"):
        _check_text(qtype, tree, prefix, shown)
    else:
        _check_rows(qtype, html, tree, view, prefix, shown)


def test_every_question_type_has_a_python_fieldset():
    assert fieldsets.TYPES == set(QTYPES) == set(qtypes.QUESTION_TYPES)


@pytest.mark.parametrize("qtype", QTYPES)
def test_the_fields_name_label_and_show_the_answer_and_escape_what_is_not_html(qtype):
    checked = 0
    for view in _views(qtype):
        for answer, shown in _answers(qtype, view):
            for prefix in PREFIXES:
                _check(qtype, view, answer, shown, prefix)
                checked += 1
    assert checked >= 3 * 3 * 4


def test_hostile_ids_answers_and_prefix_are_escaped_in_the_markup():
    """The parser above reads the escaped values back; here the bytes: no raw quote or angle bracket
    from an id, an answer or the prefix reaches the page."""
    view = _views("single")[2]
    html = str(fieldsets.fieldset("single", view, 'a"<b>&', 'q"<7>'))
    assert 'id="q&#34;&lt;7&gt;-a&#34;&lt;b&gt;&amp;" value="a&#34;&lt;b&gt;&amp;" checked' in html
    assert '"<b>' not in html and 'q"<7>' not in html
    html = str(fieldsets.fieldset("shortanswer", _views("shortanswer")[0], '"><script>x</script>', "q1"))
    assert f'value="{escape(chr(34) + "><script>x</script>")}"' in html and "<script>" not in html
    html = str(fieldsets.fieldset("truefalse", _views("truefalse")[2], None, "q1"))
    assert "&lt;i&gt;x&lt;/i&gt; &amp; &#39;y&#39;" in html and "<i>" not in html


def test_the_bank_preview_shows_the_fields_of_every_type_unanswered(client, session):
    """The question bank's preview writes the fields the official gets, with nothing checked."""
    login_as(client, make_user(session, Role.IT_STAFF))
    cats = make_bank(session, per_category={"email/a": len(QTYPES)}, qtypes=QTYPES)
    session.commit()
    for question in cats["email/a"].questions:
        page = client.get(f"/quizzes/bank/questions/{question.id}").get_data(as_text=True)
        preview = page[page.index('id="question-preview"') :]
        preview = preview[: preview.index("</fieldset>") + len("</fieldset>")]
        tree = Tree(preview[preview.index("<fieldset") :])
        [fieldset] = tree.roots
        assert fieldset.attrs == {"class": f"question q-{question.qtype}", "id": "preview-group"}
        assert tree.all("input") or tree.all("select")
        assert not any("checked" in i.attrs for i in tree.all("input"))
        assert not any("selected" in o.attrs for o in tree.all("option"))
        assert all(i.attrs.get("value", "") == "" for i in tree.all("input") if i.attrs["type"] == "text")
