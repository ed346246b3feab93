"""The built documentation at 1280x800, in a real browser: tables fit, names stay whole.

Runs where ``SKNN_DIGITS_DOCS_HTML`` names a built site (CI sets it after
its docs build) and Chromium is installed; skipped elsewhere.
"""

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SITE = os.environ.get("SKNN_DIGITS_DOCS_HTML")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = ["performance.html", "migration.html", "persistence.html", "index.html",
         "generated/sknn_digits.BackpropMLPClassifier.html",
         "generated/sknn_digits.MLPClassifier.html"]

# The words of the text under ``selector`` that the layout split over two lines.
BROKEN_WORDS = """(selector) => {
  const broken = [];
  for (const element of document.querySelectorAll(selector)) {
    if (element.offsetParent === null) continue;  // not shown at this width
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      // A line may break after a space, a hyphen, a dot or a slash, never inside a name.
      const words = /[^\\s\\u200b.\\/\\-]+/g;
      let match;
      while ((match = words.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rows = new Set([...range.getClientRects()].filter(r => r.width > 0)
                              .map(r => Math.round(r.top)));
        if (rows.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""

# Tables whose content is wider than the space they are given (they would scroll).
WIDE_TABLES = """() => [...document.querySelectorAll('.bd-article table')]
  .filter(t => t.scrollWidth > t.closest('.bd-article').clientWidth + 1)
  .map(t => t.querySelector('tr').innerText.slice(0, 60))"""


@pytest.fixture(scope="module")
def browser():
    if not SITE:
        pytest.skip("SKNN_DIGITS_DOCS_HTML names no built documentation")
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium to render the documentation with")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(params=PAGES)
def page(browser, request):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto((Path(SITE) / request.param).resolve().as_uri())
    yield page
    page.close()


def test_every_table_fits_its_column(page):
    assert page.evaluate(WIDE_TABLES) == []


def test_no_title_sidebar_entry_or_table_header_breaks_inside_a_word(page):
    broken = page.evaluate(BROKEN_WORDS, "h1, .bd-sidebar-secondary li, .bd-sidebar-primary li, "
                                         ".bd-article th")
    assert broken == []


def test_the_header_is_one_row(page):
    heights = page.evaluate("""() => [...document.querySelectorAll(
        '.bd-header .navbar-header-items__end > *, .bd-header .navbar-item')]
        .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().top)""")
    assert heights and max(heights) - min(heights) < 20, heights
