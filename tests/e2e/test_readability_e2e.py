"""Text for older eyes, measured in real Chromium at 1366 x 768 and the normal text size: on every
page each role can open (the pages of ``tests/crawl.py``), no visible text is under 14 px, chart
labels included (an SVG label's size is multiplied by the chart's scale on screen); the header's
brand and display tools share one line and the tools do not wrap, in both languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.crawl import crawl_world, page_urls
from tests.e2e.helpers import log_in

pytestmark = pytest.mark.e2e

MIN_PX = 14

# every visible piece of text on the page that is drawn smaller than MIN_PX: "tag#id.class 11.0px 'text'"
SMALL_TEXT_JS = """(minPx) => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest('[hidden], script, style, template, .sr-only')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (!range.getClientRects().length) continue;  // not drawn (a closed <details>, an unselected option)
    let size = parseFloat(style.fontSize);
    if (el instanceof SVGElement && el.getScreenCTM()) {
      const m = el.getScreenCTM();
      size *= Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));  // user units -> screen pixels
    }
    if (size < minPx - 0.05) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
      small.push(`${name} ${size.toFixed(1)}px "${text.slice(0, 40)}"`);
    }
  }
  return small;
}"""

# the header: brand and display tools on one row, every display tool on one row
HEADER_JS = """() => {
  const brand = document.querySelector('.header-top .brand').getBoundingClientRect();
  const tools = document.querySelector('.header-top .display-tools').getBoundingClientRect();
  const items = [...document.querySelectorAll('.display-tools form > :not(input[type=hidden]):not(.sr-only)')]
    .map(e => e.getBoundingClientRect());
  const tops = items.map(r => r.top + r.height / 2);
  return {
    sameRow: tools.top < brand.bottom && brand.top < tools.bottom,
    toolsOneRow: Math.max(...tops) - Math.min(...tops) < 12,
    selectWidth: document.querySelector('#locale-select').getBoundingClientRect().width,
  };
}"""


@pytest.fixture
def wide_page(page):
    page.set_viewport_size({"width": 1366, "height": 768})
    return page


@pytest.mark.parametrize("role", ["anonymous", "official", "unit_head", "it_staff"])
def test_no_text_under_14px_on_any_page_and_the_header_is_one_line(app, session, live_server, wide_page, role):
    page = wide_page
    world = crawl_world(session)
    if role != "anonymous":
        log_in(page, live_server, world.users[role].username)
        expect(page.locator("main h1")).to_be_visible()
    problems, pages = [], 0
    for _endpoint, url in page_urls(app, world):
        try:
            response = page.goto(live_server + url)
        except PlaywrightError as exc:  # a file (PDF, calendar, export) is downloaded, not shown
            if "Download is starting" in str(exc):
                continue
            raise
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        page.wait_for_load_state("load")  # the stylesheets, not only the HTML
        pages += 1
        problems += [f"{url}: {p}" for p in page.evaluate(SMALL_TEXT_JS, MIN_PX)]
        if pages == 1:  # the header is the same on every page: once per language
            for lang in ("en", "vi"):  # Vietnamese last: a language chosen in the URL is kept
                page.goto(f"{live_server}{url}{'&' if '?' in url else '?'}lang={lang}")
                page.wait_for_load_state("load")
                header = page.evaluate(HEADER_JS)
                assert header["sameRow"] and header["toolsOneRow"], (lang, url, header)
                assert header["selectWidth"] < 250, (lang, url, header)
    assert pages > 5
    assert problems == [], "\n".join(problems)
