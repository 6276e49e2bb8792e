"""Numbers read the reader's way on every page: a decimal comma in Vietnamese ("85,5%"), a point in
English ("85.5%"); and no internal code (``not_started``, ``it_staff``) is shown where a label belongs.
Every page each role can open is rendered in both languages (the crawl of the accessibility audit)
with a graded attempt and a certificate whose scores have decimals. Text marked ``translate="no"``
(a course version, the audit log's technical details) is not read."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.crawl import ROLES, crawl, crawl_world

# a point between digits, with one or two digits after it and no more digits or points around:
# "85.5", "5.0", "0.25" -- not "1.234" (Vietnamese thousands), not "127.0.0.1", not "v1.2.3"
DOT_DECIMAL = re.compile(r"(?<![\d.,])\d+\.\d{1,2}(?![\d.,])")
COMMA_DECIMAL = re.compile(r"(?<![\d.,])\d+,\d{1,2}(?![\d.,])")
# a snake_case word (an enum value or a role code), not inside an address, a file name or an e-mail
SNAKE_CASE = re.compile(r"(?<![\w./@-])[a-z]+(?:_[a-z0-9]+)+(?![\w./@-])")


class VisibleText(HTMLParser):
    """The text a person reads as prose: no script, style, head, attribute values, hidden elements,
    nor identifiers marked ``translate="no"`` (a course version "2026.1" is a name, not a number)."""

    SKIP = {"script", "style", "head", "template"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"):
            return
        hidden = tag in self.SKIP or any(
            name == "hidden" or (name == "translate" and value == "no") for name, value in attrs
        )
        self._stack.append(hidden)
        self._skip += hidden

    def handle_endtag(self, tag):
        if tag in ("br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"):
            return
        if self._stack:
            self._skip -= self._stack.pop()

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _with_decimals(session, world):
    """The official's graded attempt at 85.5% and a certificate at 87.5%, so pages show decimals."""
    from decimal import Decimal

    from lms.org.models import Official
    from quizzes.models import Quiz
    from tests.certificates_app.factories import make_certificate, make_course
    from tests.competency.factories import graded_attempt

    official = session.get(Official, world.users["official"].official_id)
    graded_attempt(session, session.get(Quiz, world.values["quiz_id"]), official, 85.5)
    make_certificate(session, official=official, course=make_course(session), score=Decimal("87.5"))
    session.commit()


def test_the_visible_text_reader_skips_scripts_attributes_and_hidden_parts():
    html = (
        '<p title="1.5">Điểm 85,5%</p><script>var x = 2.5;</script><div hidden>3.5</div><p>4.5</p>'
        '<p>Phiên bản <span translate="no">2026.1</span></p>'
    )
    assert visible_text(html) == "Điểm 85,5% 4.5 Phiên bản"
    assert DOT_DECIMAL.findall("85.5% 5.0 1.234 127.0.0.1 0.25") == ["85.5", "5.0", "0.25"]
    codes = "Trạng thái not_started, a.b_c@x.vn, bao_cao.xlsx, it_staff"
    assert SNAKE_CASE.findall(codes) == ["not_started", "it_staff"]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_a_dot_decimal_in_vietnamese_nor_an_internal_code(app, session, role):
    world = crawl_world(session)
    _with_decimals(session, world)
    problems, pages = [], 0
    seen = {"vi": set(), "en": set()}
    for lang in ("vi", "en"):
        for url, response in crawl(app, world, role, query=f"lang={lang}"):
            pages += 1
            text = visible_text(response.text)
            problems += [f"{url} ({lang}): code {m}" for m in SNAKE_CASE.findall(text)]
            if lang == "vi":
                problems += [f"{url} (vi): {m}" for m in DOT_DECIMAL.findall(text)]
                seen["vi"].update(COMMA_DECIMAL.findall(text))
            else:
                problems += [f"{url} (en): {m}" for m in COMMA_DECIMAL.findall(text)]
                seen["en"].update(DOT_DECIMAL.findall(text))
    assert pages > 0
    assert problems == [], "\n".join(problems)
    if role in ("official", "unit_head", "it_staff"):  # they see the attempt or the certificate
        assert {"85,5", "87,5"} & seen["vi"], seen["vi"]
        assert {"85.5", "87.5"} & seen["en"], seen["en"]
