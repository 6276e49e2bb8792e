"""Basic accessibility checks on every page a role can open (crawled from the URL map).

- the page declares its language and has exactly one <h1>; heading levels never skip (h2 -> h4);
- every visible form control has a label (<label for>, a wrapping <label>, aria-label or
  aria-labelledby);
- images have alt text; no positive tabindex (keyboard order follows the page).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.crawl import ROLES, crawl, crawl_world


class PageAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.lang = None
        self.headings: list[int] = []
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict]] = []
        self._label_depth = 0
        self._in_svg = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "svg":
            self._in_svg += 1
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and not self._in_svg:
            self.headings.append(int(tag[1]))
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea"):
            if a.get("type") in ("hidden", "submit", "button", "reset", "image"):
                return
            self.controls.append((tag, {**a, "_wrapped": self._label_depth > 0}))
        if tag == "img" and "alt" not in a:
            self.problems.append(f"img without alt: {a.get('src')}")
        if a.get("tabindex", "0").lstrip("-").isdigit() and int(a.get("tabindex", "0")) > 0:
            self.problems.append(f"positive tabindex on <{tag}>")

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)
        if tag == "svg":
            self._in_svg = max(0, self._in_svg - 1)

    def finish(self) -> list[str]:
        problems = list(self.problems)
        if not self.lang:
            problems.append("no lang on <html>")
        if self.headings.count(1) != 1:
            problems.append(f"{self.headings.count(1)} <h1> elements")
        for prev, cur in zip(self.headings, self.headings[1:], strict=False):
            if cur > prev + 1:
                problems.append(f"heading skips from h{prev} to h{cur}")
        for tag, a in self.controls:
            labelled = a["_wrapped"] or a.get("id") in self.label_for or a.get("aria-label") or a.get("aria-labelledby")
            if not labelled:
                problems.append(f"<{tag} name={a.get('name')!r}> has no label")
        return problems


def audit(html: str) -> list[str]:
    parser = PageAudit()
    parser.feed(html)
    return parser.finish()


@pytest.mark.parametrize("role", ROLES)
def test_pages_pass_basic_accessibility_checks(app, session, role):
    world = crawl_world(session)
    problems = []
    pages = 0
    for url, response in crawl(app, world, role):
        pages += 1
        problems += [f"{url}: {p}" for p in audit(response.text)]
    assert pages > 0
    assert problems == []


def test_the_audit_finds_problems():
    bad = '<html><body><h1>A</h1><h3>B</h3><input name="q"><img src="x.png"><h1>C</h1></body></html>'
    problems = audit(bad)
    assert "no lang on <html>" in problems
    assert "2 <h1> elements" in problems
    assert "heading skips from h1 to h3" in problems
    assert "<input name='q'> has no label" in problems
    assert "img without alt: x.png" in problems
    good = '<html lang="vi"><h1>A</h1><label for="q">Tìm</label><input id="q" name="q"><h2>B</h2></html>'
    assert audit(good) == []
