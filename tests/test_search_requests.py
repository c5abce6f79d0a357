"""What the search page fetches before it shows a reader's first results (issue 24)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from digest.build.entry import build, open_config
from tests.conftest import FIXTURES, copy_site, serve_folder

if TYPE_CHECKING:
    from playwright.sync_api import Browser

LOCAL = "http://127.0.0.1/"
# Tells the test when the first result appears.
FIRST_RESULTS = """
new MutationObserver(() => {
  if (!window.seenFirst && document.querySelector('.search-result')) {
    window.seenFirst = true;
    window.firstResults();
  }
}).observe(document, {childList: true, subtree: true});
"""


def sharded_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, briefs: int = 12) -> Path:
    """The fixture site with `briefs` more briefs, indexed in shards of about 2 briefs, built."""
    monkeypatch.setattr("digest.site.shards.SHARD_SIZE", 2)
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    for n in range(briefs):
        (root / "content" / "briefs" / f"brief-{n:02d}.md").write_text(
            f"---\ntitle: Compute brief {n}\ndate: 2024-{n % 12 + 1:02d}-{n % 27 + 1:02d}\n"
            f"summary: Compute policy number {n}.\nkey_points:\n  - Point {n}.\ntags: [china]\n---\n"
            f"Compute body {n}.\n",
            encoding="utf-8",
        )
    out = tmp_path / "site"
    build(open_config(root, base_url=LOCAL), out)
    return out


def test_a_first_search_shows_results_before_any_filter_file_yet_every_filter_with_its_count(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = sharded_site(tmp_path, monkeypatch)
    with serve_folder(out) as origin:
        tab = browser.new_page()
        fetched: list[str] = []  # (Pagefind's worker's requests too)
        at_first: list[list[str]] = []
        tab.on("request", lambda request: fetched.append(request.url))
        tab.expose_binding("firstResults", lambda _source: at_first.append(list(fetched)))
        tab.add_init_script(FIRST_RESULTS)
        tab.goto(origin + "/search/?q=compute")
        tab.wait_for_function("document.querySelector('[data-search-status]').textContent.includes('found')")
        (before,) = at_first
        assert [u for u in before if u.endswith(".pf_index")], "the index was searched"
        assert not [u for u in before if u.endswith(".pf_filter")], "no shard's filters before the first results"
        years = tab.text_content("details.search-filter:has(summary:text('Year'))") or ""
        assert "2024 (12)" in years and "2025 (1)" in years, "every brief counted, over every shard"
        countries = tab.text_content("details.search-filter:has(summary:text('Countries and regions'))") or ""
        assert "China (" in countries
        before = tab.inner_text("[data-search-status]")
        tab.click("summary:text('Year')")
        tab.check("input[name='Year'][value='2025']")
        tab.wait_for_function("old => document.querySelector('[data-search-status]').textContent !== old", arg=before)
        assert tab.inner_text("[data-search-status]") == "No briefs found for “compute” in 2025."
        assert [u for u in fetched if u.endswith(".pf_filter")], "the filters' files come after the first results"


def test_the_search_page_loads_the_index_only_once_a_search_needs_it(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = sharded_site(tmp_path, monkeypatch)
    with serve_folder(out) as origin:
        tab = browser.new_page()
        fetched: list[str] = []
        tab.on("request", lambda request: fetched.append(request.url))
        tab.goto(origin + "/search/")
        tab.wait_for_function("document.querySelector('[data-search-status]').textContent.startsWith('Type a word')")
        assert tab.inner_text("[data-search-status]") == "Type a word or pick a filter to search 13 briefs."
        tab.wait_for_load_state("networkidle")
        assert not [u for u in fetched if "/pagefind/" in u], "nothing of the index before a search needs it"
        tab.fill("#search-query", "compute")
        tab.wait_for_function("document.querySelector('[data-search-status]').textContent.includes('found')")
        assert tab.inner_text("[data-search-status]") == "12 briefs found for “compute”."
