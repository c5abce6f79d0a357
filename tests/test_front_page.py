"""The front page can be scanned: the latest edition first, then the latest briefs as a compact
list, then a subscribe block; in Chromium, enough headlines show without scrolling."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from digest.cli import main
from tests.conftest import REPO
from tests.test_accessibility import server as server  # the sample site on loopback

if TYPE_CHECKING:
    from playwright.sync_api import Browser

VISIBLE_HEADLINES = """() => {
  const seen = new Set();
  for (const link of document.querySelectorAll('main a[href*="/briefs/"]')) {
    const box = link.getBoundingClientRect();
    if (box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight && link.textContent.trim()) {
      seen.add(link.getAttribute('href'));
    }
  }
  return seen.size;
}"""


@pytest.mark.parametrize(("width", "height", "least"), [(1280, 800, 6), (375, 740, 4)])
def test_headlines_show_above_the_fold(
    browser: Browser, server: str, width: int, height: int, least: int, scheme: str = "light"
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        tab = context.new_page()
        tab.goto(server + "/")
        count = tab.evaluate(VISIBLE_HEADLINES)
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        header = tab.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    finally:
        context.close()
    assert count >= least, f"{count} brief headlines visible at {width}x{height}; expected at least {least}"
    assert overflow <= 0, f"the front page scrolls sideways at {width} px"
    if width >= 1024:
        assert header < 70, f"the header takes {header} px at {width} px: expected one row"


def test_the_header_is_one_row_on_desktop(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = context.new_page()
        tab.goto(server + "/")
        tops = tab.evaluate(
            "['.site-title', 'nav[aria-label=Main]', '.site-search']"
            ".map(s => Math.round(document.querySelector(s).getBoundingClientRect().top))"
        )
        widths = tab.evaluate("document.querySelector('.header-inner').getBoundingClientRect().width")
    finally:
        context.close()
    assert max(tops) - min(tops) < 20, f"title, nav and search are not on one row: tops {tops}"
    assert widths > 46 * 16, "the header is wider than the reading column at 1280 px"


def test_the_body_measure_is_60_to_75_characters(browser: Browser, server: str, sample_site: Path) -> None:
    brief = min(p.parent.name for p in sample_site.glob("briefs/*/index.html"))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = context.new_page()
        tab.goto(f"{server}/briefs/{brief}/")
        # characters per line: the average over the body's paragraphs of characters / lines
        measure = tab.evaluate(
            """() => {
              const found = [];
              for (const p of document.querySelectorAll('.body p, p.lead')) {
                const lines = Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight));
                if (lines >= 3) found.push(p.textContent.length / lines);
              }
              return found;
            }"""
        )
        fonts = tab.evaluate(
            "[getComputedStyle(document.querySelector('.lead')).fontFamily,"
            " getComputedStyle(document.querySelector('.body')).fontFamily]"
        )
    finally:
        context.close()
    assert measure, "no paragraph of three lines or more on the brief page"
    average = sum(measure) / len(measure)
    assert 55 <= average <= 78, f"{average:.0f} characters a line"
    assert fonts[0] == fonts[1], f"the lead and the body use different type: {fonts}"


def main_text(page: Path) -> str:
    source = page.read_text()
    part = source[source.index("<main") : source.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split())


def test_the_front_page_leads_with_the_latest_edition_then_briefs_then_subscribe(sample_site: Path) -> None:
    text = main_text(sample_site / "index.html")
    latest = max(p.parent.name for p in sample_site.glob("weeks/*/index.html"))
    number = len(list(sample_site.glob("weeks/*/index.html")))
    edition = text.index(f"No. {number}")
    briefs = text.index("Latest briefs")
    subscribe = text.index("Get the digest")
    assert edition < briefs < subscribe
    assert f'href="/weeks/{latest}/"' in (sample_site / "index.html").read_text()
    assert "Atom feed" in text[subscribe:] and "JSON Feed" in text[subscribe:]
    assert "Key points" not in text, "key points are on the brief page, not the front page"


def test_the_subscribe_block_offers_email_when_the_site_has_a_sign_up_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "site-root"
    shutil.copytree(REPO / "content", root / "content")
    config = (REPO / "digest.yaml").read_text() + "email: {signup_url: 'https://lists.example.org/join'}\n"
    (root / "digest.yaml").write_text(config)
    assert main(["build", "--root", str(root), "--quiet"]) == 0, capsys.readouterr().err
    page = (root / "site" / "index.html").read_text()
    assert '<a href="https://lists.example.org/join">Weekly email</a>' in page


def test_why_it_matters_follows_the_summary(sample_site: Path) -> None:
    page = (sample_site / "briefs" / "deepseek-r1-release" / "index.html").read_text()
    summary = page.index('class="summary lead"')
    why = page.index('class="why"')
    points = page.index('class="key-points"')
    assert summary < why < points


def test_an_edition_page_shows_its_number_range_and_sections_in_chromium(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = context.new_page()
        tab.goto(server + "/weeks/2025-W04/")
        kicker = tab.inner_text(".edition-header .kicker")
        dates = tab.inner_text(".edition-header .meta")
        sections = tab.eval_on_selector_all(".section-title", "found => found.map(e => e.innerText)")
        lead = tab.inner_text(".edition-brief .section-label")
        tab.goto(server + "/weeks/")
        headlines = tab.eval_on_selector_all(
            ".edition-entry .headlines a", "found => found.filter(e => e.offsetHeight > 0).map(e => e.innerText)"
        )
    finally:
        context.close()
    assert kicker.endswith("No. 11")
    assert dates.startswith("20–26 January 2025")
    assert lead.upper() == "LEAD STORY"
    assert [s.upper() for s in sections] == ["DATA CENTRES"]
    assert "DeepSeek Releases the R1 Reasoning Model" in headlines
    assert "OpenAI, SoftBank and Oracle Unveil the Stargate Project" in headlines
