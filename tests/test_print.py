"""A brief and a weekly edition print cleanly: headless Chromium prints them to PDF (A4 and
Letter), and the PDF's text has the briefs, a print header and link URLs, and no navigation."""

from __future__ import annotations

import html
import importlib.util
import io
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import need_tool
from tests.test_accessibility import server as server  # the sample site on loopback

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FORMATS = ["A4", "Letter"]
NAV_LABELS = ["Weekly", "Archive", "Search", "Skip to content", "Atom feed", "JSON feed", "Previous", "Related briefs"]


@pytest.fixture(scope="module", autouse=True)
def _pypdf_installed() -> None:
    need_tool(importlib.util.find_spec("pypdf") is not None, "pypdf (pip install -e '.[test]')")


def print_pages(browser: Browser, url: str, paper: str) -> list[str]:
    """The text of each printed page, whitespace collapsed (in dark mode: print must not care)."""
    from pypdf import PdfReader

    context = browser.new_context(color_scheme="dark")
    try:
        tab = context.new_page()
        response = tab.goto(url)
        assert response is not None and response.ok, url
        pdf = tab.pdf(format=paper)
    finally:
        context.close()
    pages = PdfReader(io.BytesIO(pdf)).pages
    # NFKC: fonts print "fi" as one ligature glyph
    return [" ".join(unicodedata.normalize("NFKC", page.extract_text() or "").split()) for page in pages]


def squeeze(text: str) -> str:
    """Text without whitespace: a long URL may wrap anywhere in print."""
    return re.sub(r"\s+", "", text)


def editions_of_two_briefs(site: Path) -> list[tuple[str, list[str], list[str]]]:
    """The weekly editions of two briefs: URL path, their titles in print order, source URLs."""
    found = []
    for page in sorted(site.glob("weeks/*/index.html")):
        text = page.read_text()
        titles = re.findall(
            r'<article class="edition-brief"[^>]*>\s*(?:<p class="section-label">[^<]*</p>\s*)?<h[23]><a [^>]*>([^<]+)</a>',
            text,
        )
        sources = re.findall(r'Source: <a href="(https?://[^"]+)"', text)
        if len(titles) == 2:
            found.append(
                (f"/weeks/{page.parent.name}/", [html.unescape(t) for t in titles], [html.unescape(u) for u in sources])
            )
    assert found, "the sample site has no weekly edition of two briefs"
    return found


def brief_with_links(site: Path) -> tuple[str, str, list[str]]:
    """A brief whose body links to another site: URL path, title, and the body's link URLs."""
    for page in sorted(site.glob("briefs/*/index.html")):
        text = page.read_text()
        body = text.split('<div class="body">', 1)[1].split("</div>", 1)[0]
        links = re.findall(r'<a href="(https?://[^"]+)"', body)
        if links:
            title = html.unescape(re.search(r"<h1>([^<]+)</h1>", text).group(1))  # type: ignore[union-attr]
            return f"/briefs/{page.parent.name}/", title, [html.unescape(u) for u in links]
    raise AssertionError("the sample site has no brief whose body links out")


@pytest.mark.parametrize("paper", FORMATS)
def test_brief_prints_with_header_urls_and_no_navigation(
    browser: Browser, server: str, sample_site: Path, paper: str
) -> None:
    path, title, links = brief_with_links(sample_site)
    pages = print_pages(browser, server + path, paper)
    assert 1 <= len(pages) <= 3, f"{path} printed on {len(pages)} {paper} pages"
    first, text = pages[0], " ".join(pages)
    assert title in first
    assert first.startswith("AI Policy Digest ·"), f"no print header at the top of {path}: {first[:120]!r}"
    assert "https://example.org" + path in squeeze(first), "the print header names the brief's URL"
    assert "Key points".upper() in text.upper()
    for url in links:
        assert url in squeeze(text), f"link URL {url} is not printed"
    for label in NAV_LABELS:
        assert label not in text, f"{label!r} (navigation) is printed on {path}"


@pytest.mark.parametrize("paper", FORMATS)
def test_weekly_edition_prints_its_contents_and_briefs_flow_on(
    browser: Browser, server: str, sample_site: Path, paper: str
) -> None:
    # every such edition: two short briefs share a page (a brief starts a new page only when it
    # would split badly), after the contents list
    for path, titles, sources in editions_of_two_briefs(sample_site):
        pages = print_pages(browser, server + path, paper)
        assert len(pages) == 1, f"{path} printed on {len(pages)} {paper} pages: two short briefs fit one"
        text = pages[0]
        assert text.startswith("AI Policy Digest · No. "), f"no print header: {text[:120]!r}"
        contents = text.index("In this edition")
        assert text.index(titles[0], contents) < text.index(titles[1], contents), "the contents list both briefs"
        body = text.index(titles[1], text.index(titles[1]) + 1)  # (after its line in the contents)
        assert text.index(titles[0], contents + len(titles[0]) * 2) < body, f"{path}: the briefs print in order"
        for url in sources:
            assert url in squeeze(text), f"{path}: source URL {url} is not printed"
        for label in NAV_LABELS:
            assert label not in text, f"{label!r} (navigation) is printed on {path}"
