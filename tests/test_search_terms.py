"""Search worth using (issue 22): tags and their aliases, synonyms, counts that follow the query,
clearing filters, excerpts and sources on results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from digest.build.entry import build, open_config
from digest.core.errors import ContentError
from tests.conftest import FIXTURES, copy_site, serve_folder

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

BRIEFS = {
    "quotas-tagged": ("Rare earth quotas tightened", "[china]", "Quotas on rare earth exports fall again."),
    "quotas-mentioned": ("Quota talks in Geneva", "[]", "Delegates discussed quotas; China was absent."),
    "licence-uk": ("A licence for model weights", "[united-states]", "Developers need a licence to publish."),
    "license-us": ("Export license rules revised", "[united-states]", "The license covers chips and tools."),
}


@pytest.fixture(scope="module")
def terms_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("terms")
    root = copy_site(FIXTURES / "valid-site", tmp / "root")
    (root / "content" / "tags.yaml").write_text(
        "groups: {country: Countries and regions}\n"
        "tags:\n  china: {label: China, group: country, aliases: [PRC, 中国]}\n"
        "  united-states: {label: United States, group: country, aliases: [USA]}\n",
        encoding="utf-8",
    )
    (root / "content" / "briefs" / "valid-brief.md").unlink()
    config = root / "digest.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("https://digest.test/golden/", "http://127.0.0.1/")
        + "search: {synonyms: [[licence, license]]}\n",
        encoding="utf-8",
    )
    for n, (slug, (title, tags, body)) in enumerate(BRIEFS.items()):
        (root / "content" / "briefs" / f"{slug}.md").write_text(
            f"---\ntitle: {title}\ndate: 2025-02-0{n + 1}\nsummary: Summary of {slug}.\n"
            f"key_points:\n  - Point of {slug}.\ntags: {tags}\nsource: {{name: Wire {n}, url: https://example.org/{n}}}\n"
            f"---\n{body} More text follows here so that an excerpt has room around its words.\n",
            encoding="utf-8",
        )
    out = tmp / "site"
    build(open_config(root), out)
    return out


def shown(tab: Page, words: str) -> list[dict[str, Any]]:
    before = tab.inner_text("[data-search-status]")
    tab.fill("#search-query", words)
    tab.wait_for_function(
        "old => { const s = document.querySelector('[data-search-status]').textContent;"
        " return s !== old && (s.includes('found') || s.startsWith('No briefs')); }",
        arg=before,
    )
    return tab.evaluate(
        """() => [...document.querySelectorAll('.search-result')].map(r => ({
            href: r.querySelector('h2 a').getAttribute('href'),
            meta: r.querySelector('.meta').textContent,
            excerpt: (r.querySelector('.excerpt') || {}).textContent || '',
        }))"""
    )


def hits(tab: Page, name: str, value: str) -> str:
    return tab.inner_text(f"label:has(input[name='{name}'][value='{value}']) .hits")


def test_an_alias_finds_its_tag_s_briefs_and_a_tag_match_ranks_first(browser: Browser, terms_site: Path) -> None:
    with serve_folder(terms_site) as origin:
        tab = browser.new_page()
        tab.goto(origin + "/search/")
        for alias in ("PRC", "中国"):
            assert [r["href"] for r in shown(tab, alias)] == ["/briefs/quotas-tagged/"], alias
        found = [r["href"] for r in shown(tab, "China")]
        assert found[:2] == ["/briefs/quotas-tagged/", "/briefs/quotas-mentioned/"], "the tagged brief first"


def test_a_synonym_finds_the_same_briefs(browser: Browser, terms_site: Path) -> None:
    with serve_folder(terms_site) as origin:
        tab = browser.new_page()
        tab.goto(origin + "/search/")
        licence = sorted(r["href"] for r in shown(tab, "licence"))
        license_ = sorted(r["href"] for r in shown(tab, "license"))
        assert licence == license_ == ["/briefs/licence-uk/", "/briefs/license-us/"]


def test_filter_counts_follow_the_query_and_filters_clear_at_once(browser: Browser, terms_site: Path) -> None:
    with serve_folder(terms_site) as origin:
        tab = browser.new_page()
        tab.goto(origin + "/search/")
        shown(tab, "quotas")
        tab.click("summary:text('Countries and regions')")
        tab.wait_for_function("document.querySelector('.hits').textContent !== ''")
        assert (hits(tab, "Countries and regions", "China"), hits(tab, "Countries and regions", "United States")) == (
            " · 1 found",
            " · 0 found",
        )
        shown(tab, "license")
        tab.wait_for_function(
            "document.querySelector(\"label:has(input[value='United States']) .hits\").textContent === ' · 2 found'"
        )
        assert hits(tab, "Countries and regions", "China") == " · 0 found"
        assert not tab.is_visible(".search-clear"), "nothing to clear yet"
        tab.check("input[value='United States']")
        tab.wait_for_function("() => location.search.includes('United+States')")
        tab.click(".search-clear")
        tab.wait_for_function("() => !location.search.includes('United')")
        assert not tab.is_checked("input[value='United States']")


def test_a_result_names_its_source_and_its_excerpt_does_not_repeat_the_summary(
    browser: Browser, terms_site: Path
) -> None:
    with serve_folder(terms_site) as origin:
        tab = browser.new_page()
        tab.goto(origin + "/search/")
        (result,) = shown(tab, "geneva")  # in the title only: the result shows it, no excerpt
        assert "Wire 1" in result["meta"]
        assert result["excerpt"] == ""
        (result,) = shown(tab, "delegates")
        assert "Delegates discussed quotas" in result["excerpt"] and "Summary of" not in result["excerpt"]


def test_a_synonym_group_of_one_word_is_an_error_on_its_line(tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    config = root / "digest.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "search:\n  synonyms:\n    - [licence]\n", encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        open_config(root)
    assert str(raised.value).splitlines() == [
        "digest.yaml:7: each group of 'search.synonyms' must list two or more words, got ['licence']; "
        "expected e.g. `search: {synonyms: [[licence, license], [AI Act, Artificial Intelligence Act]]}`"
    ]
