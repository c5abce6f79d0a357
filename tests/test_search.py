"""Search: the Pagefind index built by `digest build`, and the search page in a real browser."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from digest.build.entry import build, open_config
from digest.build.resident import Resident
from digest.content.brief import parse_brief
from digest.content.taxonomy import load_taxonomy
from digest.serve.server import preview_config
from digest.site.shards import shard_of
from tests.conftest import FIXTURES, REPO, copy_site, serve_folder

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SIGNATURE = b"pagefind_dcd"
LOCAL = "http://127.0.0.1/"  # the fixture site's own base URL has a sub-path


def fragments(site: Path) -> dict[str, dict[str, Any]]:
    """What the index holds for each result: URL -> its fragment (content, meta, filters)."""
    found = {}
    for path in (site / "pagefind").rglob("*.pf_fragment"):
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(SIGNATURE)
        fragment = json.loads(raw[len(SIGNATURE) :])
        found[fragment["url"]] = fragment
    return found


def results(tab: Page) -> list[dict[str, Any]]:
    """The results the page shows once it has searched: title, link, tags."""
    tab.wait_for_function("document.querySelector('[data-search-status]').textContent.includes('found')")
    return tab.evaluate(
        """() => [...document.querySelectorAll('.search-result')].map(r => ({
            title: r.querySelector('h2 a').textContent,
            href: r.querySelector('h2 a').getAttribute('href'),
            date: r.querySelector('time').getAttribute('datetime'),
            summary: r.querySelector('.summary').textContent,
            tags: [...r.querySelectorAll('.tag')].map(t => t.textContent),
            tagLinks: [...r.querySelectorAll('.tag')].map(t => t.getAttribute('href')),
        }))"""
    )


def status(tab: Page) -> str:
    return tab.inner_text("[data-search-status]")


def search(browser: Browser, url: str, words: str) -> tuple[Page, list[dict[str, Any]]]:
    tab = browser.new_page()
    tab.goto(url)
    tab.fill("#search-query", words)
    return tab, results(tab)


def sample_brief(name: str) -> Any:
    taxonomy = load_taxonomy(REPO, "content/tags.yaml")
    path = REPO / "content" / "briefs" / name
    text = path.read_text(encoding="utf-8")
    return parse_brief(text, f"content/briefs/{name}", path.stem, open_config(REPO), taxonomy).brief


@pytest.mark.parametrize(
    "name", ["us-hbm-chipmaking-tool-controls-2024.md", "south-korea-ai-basic-act-passed.md", "deepseek-r1-release.md"]
)
def test_a_phrase_from_a_key_point_lists_its_brief_first(browser: Browser, sample_site: Path, name: str) -> None:
    brief = sample_brief(name)
    words = " ".join(brief.key_points[0].replace("**", "").split()[:6])
    with serve_folder(sample_site) as origin:
        tab, found = search(browser, origin + "/search/", words)
        assert found, f"nothing found for {words!r}: {status(tab)} {tab.url}"
        first = found[0]
        assert first["href"] == f"/briefs/{brief.slug}/", f"{words!r} listed {first['title']!r} first"
        assert first["title"] == brief.title
        assert first["date"] == brief.date.isoformat()
        assert first["summary"] == brief.summary
        assert sorted(first["tags"]) == sorted(
            load_taxonomy(REPO, "content/tags.yaml").tags[t].label for t in brief.tags
        )
        assert f"q={words.split()[0]}" in tab.url, "the query is kept in the address, to share or reload"


def test_a_tag_filter_narrows_the_results(browser: Browser, sample_site: Path) -> None:
    with serve_folder(sample_site) as origin:
        tab, everything = search(browser, origin + "/search/", "export")
        total = status(tab)
        tab.click("summary:text('Countries and regions')")
        tab.check("input[name='Countries and regions'][value='Japan']")
        tab.wait_for_function("old => document.querySelector('[data-search-status]').textContent !== old", arg=total)
        narrowed = results(tab)
        assert 0 < len(narrowed) < len(everything)
        assert all("Japan" in r["tags"] for r in narrowed)
        assert "Countries+and+regions=Japan" in tab.url
        assert (
            status(tab) == f"{len(narrowed)} {'brief' if len(narrowed) == 1 else 'briefs'} found for “export” in Japan."
        )
        tab.uncheck("input[name='Countries and regions'][value='Japan']")
        tab.click("summary:text('Year')")
        tab.check("input[name='Year'][value='2023']")
        tab.wait_for_function("() => document.querySelector('[data-search-status]').textContent.endsWith('in 2023.')")
        by_year = results(tab)
        assert 0 < len(by_year) < len(everything)
        assert all(r["date"].startswith("2023") for r in by_year)


def test_search_works_under_a_sub_path(browser: Browser, subpath_site: Path, tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "digest").symlink_to(subpath_site, target_is_directory=True)
    with serve_folder(host) as origin:
        tab = browser.new_page()
        tab.goto(origin + "/digest/")
        tab.fill("#site-search", "diffusion")
        tab.press("#site-search", "Enter")  # the header box goes to the search page
        tab.wait_for_url("**/digest/search/?q=diffusion")
        found = results(tab)
        assert found and all(r["href"].startswith("/digest/briefs/") for r in found)
        assert all(link.startswith("/digest/tags/") for r in found for link in r["tagLinks"])
        tab.click(f"a[href='{found[0]['href']}']")
        assert tab.title().startswith(found[0]["title"])


def test_han_characters_are_found_inside_a_sentence(browser: Browser, tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    (root / "content" / "briefs" / "huawei-chip.md").write_text(
        "---\ntitle: 华为发布新芯片\ndate: 2025-03-03\nsummary: 华为发布了新的人工智能芯片。\n"
        "key_points:\n  - 国产芯片的性能接近国际水平。\n---\n华为在深圳发布了新的人工智能芯片，用于训练大模型。\n",
        encoding="utf-8",
    )
    out = tmp_path / "site"
    build(open_config(root, base_url=LOCAL), out)
    with serve_folder(out) as origin:
        for words in ("芯片", "人工智能", "深圳"):
            _, found = search(browser, origin + "/search/", words)
            assert found and found[0]["href"] == "/briefs/huawei-chip/", words
            assert found[0]["title"] == "华为发布新芯片"


def test_drafts_are_never_indexed_by_digest_build(browser: Browser, tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    (root / "content" / "briefs" / "secret.md").write_text(
        "---\ntitle: Unannounced plan\ndate: 2025-03-03\nsummary: Zanzibarium reserves.\ndraft: true\n"
        "key_points:\n  - Zanzibarium.\n---\nZanzibarium.\n",
        encoding="utf-8",
    )
    out = tmp_path / "site"
    for config in (open_config(root), open_config(root, drafts=True)):
        build(config, out)
        assert fragments(out), "the other briefs are indexed"
        assert "/briefs/secret/" not in fragments(out)
        assert not any("zanzibarium" in json.dumps(f).lower() for f in fragments(out))
    preview = tmp_path / "preview"
    build(preview_config(root, drafts=True, base_url=LOCAL), preview)  # what `digest serve` builds
    with serve_folder(preview) as origin:
        _, found = search(browser, origin + "/search/", "zanzibarium")
        assert [r["href"] for r in found] == ["/briefs/secret/"]


def test_the_index_follows_edits_and_deletions(tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    for n in (1, 2):
        (root / "content" / "briefs" / f"extra-{n}.md").write_text(
            f"---\ntitle: Extra {n}\ndate: 2025-01-0{n}\nsummary: Extra brief {n}.\n"
            f"key_points:\n  - Point {n}.\n---\nBody {n}.\n",
            encoding="utf-8",
        )
    out = tmp_path / "site"
    build(open_config(root), out)
    brief = root / "content" / "briefs" / "extra-1.md"
    url = f"/briefs/{brief.stem}/"
    assert url in fragments(out)
    brief.write_text(brief.read_text(encoding="utf-8") + "\nQuasicrystalline supply chains.\n", encoding="utf-8")
    build(open_config(root), out)
    assert "Quasicrystalline" in fragments(out)[url]["content"]
    brief.unlink()
    build(open_config(root), out)
    assert url not in fragments(out)
    clean = tmp_path / "clean"
    build(open_config(root), clean, clean=True)
    index = sorted(p.relative_to(out).as_posix() for p in (out / "pagefind").rglob("*") if p.is_file())
    assert index == sorted(p.relative_to(clean).as_posix() for p in (clean / "pagefind").rglob("*") if p.is_file())
    assert all((out / p).read_bytes() == (clean / p).read_bytes() for p in index), "incremental index == clean index"


def test_search_false_removes_the_page_the_index_and_every_link(tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    out = tmp_path / "site"
    build(open_config(root), out)
    assert (out / "search" / "index.html").is_file() and (out / "pagefind" / "pagefind.js").is_file()
    assert 'role="search"' in (out / "index.html").read_text(encoding="utf-8")
    config_file = root / "digest.yaml"
    config_file.write_text(config_file.read_text(encoding="utf-8") + "\nsearch: false\n", encoding="utf-8")
    build(open_config(root), out)
    assert not (out / "search").exists() and not (out / "pagefind").exists()
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "/search/" not in text and 'role="search"' not in text, page


def test_a_site_with_nothing_published_has_a_search_page_that_says_so(browser: Browser, tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    shutil.rmtree(root / "content" / "briefs")
    (root / "content" / "briefs").mkdir()
    out = tmp_path / "site"
    build(open_config(root, base_url=LOCAL), out)
    assert not (out / "pagefind").exists()
    with serve_folder(out) as origin:
        tab = browser.new_page()
        tab.goto(origin + "/search/?q=chips")
        tab.wait_for_function("document.querySelector('[data-search-status]').textContent.includes('nothing')")


def test_digest_serve_shows_the_edited_page_first_then_brings_the_index_up_to_date(tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    out = tmp_path / "site"
    config = preview_config(root, drafts=True)  # what `digest serve` builds
    build(config, out)
    brief = root / "content" / "briefs" / "valid-brief.md"
    brief.write_text(brief.read_text(encoding="utf-8") + "\nQuasicrystalline supply chains.\n", encoding="utf-8")
    seen: list[tuple[tuple[str, ...], bool, bool]] = []

    def on_commit(urls: tuple[str, ...]) -> None:
        page = (out / "briefs" / "valid-brief" / "index.html").read_text(encoding="utf-8")
        indexed = "Quasicrystalline" in json.dumps(fragments(out))
        seen.append((urls, "Quasicrystalline" in page, indexed))

    build(config, out, resident=Resident(on_commit=on_commit))
    (pages, page_new, index_new), (index_urls, _, index_later) = seen
    assert "/briefs/valid-brief/" in pages and page_new and not index_new, "the page is served before the index"
    assert index_later and index_urls and all(u.startswith("/pagefind/") for u in index_urls)
    assert (out / "static" / "style.css").is_file(), "digest serve keeps plain asset names (CSS swaps in place)"


def focus_after_tabs(tab: Page, selector: str, limit: int = 60) -> int:
    """Press Tab until `selector` has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        tab.keyboard.press("Tab")
        if tab.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} is not reachable with Tab ({limit} presses)")


def test_search_and_its_filters_work_from_the_keyboard(browser: Browser, sample_site: Path) -> None:
    with serve_folder(sample_site) as origin:
        tab = browser.new_page()
        tab.goto(origin + "/")
        focus_after_tabs(tab, "#site-search")
        tab.keyboard.type("export")
        tab.keyboard.press("Enter")
        tab.wait_for_url("**/search/?q=export")
        everything = results(tab)
        focus_after_tabs(tab, "summary")  # the first filter group
        tab.keyboard.press("Enter")
        focus_after_tabs(tab, "input[type=checkbox]")
        box = tab.evaluate("document.activeElement.name + '=' + document.activeElement.value")
        before = status(tab)
        tab.keyboard.press("Space")
        tab.wait_for_function("old => document.querySelector('[data-search-status]').textContent !== old", arg=before)
        assert len(results(tab)) < len(everything), f"checking {box} from the keyboard narrows the results"
        tab.goto(origin + "/search/?q=the")
        shown = len(results(tab))
        focus_after_tabs(tab, "[data-search-more]", limit=200)
        tab.keyboard.press("Enter")
        tab.wait_for_function(f"document.querySelectorAll('.search-result').length > {shown}")
        assert tab.evaluate("document.activeElement.closest('.search-result') !== null"), (
            "focus moves to the new results"
        )


def test_pagination_is_reachable_from_the_keyboard(browser: Browser, sample_site: Path) -> None:
    with serve_folder(sample_site) as origin:
        tab = browser.new_page()
        tab.goto(origin + "/")
        focus_after_tabs(tab, "a[href$='/page/2/']", limit=300)
        tab.keyboard.press("Enter")
        tab.wait_for_url("**/page/2/")


def test_digest_serve_leaves_the_index_to_the_next_build_when_newer_changes_wait(tmp_path: Path) -> None:
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    out = tmp_path / "site"
    config = preview_config(root, drafts=True)
    build(config, out)
    before = fragments(out)
    brief = root / "content" / "briefs" / "valid-brief.md"
    brief.write_text(brief.read_text(encoding="utf-8") + "\nQuasicrystalline.\n", encoding="utf-8")
    build(config, out, resident=Resident(superseded=lambda: True))  # another save arrived while Pagefind ran
    assert "Quasicrystalline" in (out / "briefs" / "valid-brief" / "index.html").read_text(encoding="utf-8")
    assert fragments(out) == before, "the last complete index is still served"
    build(config, out)  # the next build brings it up to date
    assert "Quasicrystalline" in fragments(out)["/briefs/valid-brief/"]["content"]


def index_stamps(out: Path) -> dict[str, int]:
    """The index's files, each with the time it was last written."""
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in (out / "pagefind").rglob("*") if p.is_file()}


def sharded_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, briefs: int = 12) -> Path:
    """The fixture site with `briefs` more briefs, indexed in shards of about 2 briefs."""
    monkeypatch.setattr("digest.site.shards.SHARD_SIZE", 2)
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    for n in range(briefs):
        (root / "content" / "briefs" / f"brief-{n:02d}.md").write_text(
            f"---\ntitle: Compute brief {n}\ndate: 2024-{n % 12 + 1:02d}-{n % 27 + 1:02d}\n"
            f"summary: Compute policy number {n}.\nkey_points:\n  - Point {n}.\n---\nCompute body {n}.\n",
            encoding="utf-8",
        )
    return root


def test_a_large_site_has_one_index_and_an_edit_reads_one_shard_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = sharded_site(tmp_path, monkeypatch)
    out = tmp_path / "site"
    build(open_config(root), out)
    entries = sorted(p.relative_to(out).as_posix() for p in (out / "pagefind").rglob("pagefind-entry.json"))
    assert entries == ["pagefind/pagefind-entry.json"], "one index for the reader, whatever the shards"
    assert 'data-indexed="yes"' in (out / "search" / "index.html").read_text()
    assert len(fragments(out)) == 13, "every brief is in the index exactly once"
    segments = next((root / ".digest-cache" / "search").glob("*/segments"))

    def made() -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in segments.iterdir()}

    before = made()
    assert len(before) >= 4, "13 briefs in shards of about 2: 8 shards, most of them non-empty"
    brief = root / "content" / "briefs" / "brief-05.md"
    brief.write_text(brief.read_text(encoding="utf-8") + "\nQuasicrystalline.\n", encoding="utf-8")
    build(open_config(root), out)
    after = made()
    assert len(set(after) - set(before)) == 1 and len(after) == len(before), (
        "only the edited brief's shard is read again"
    )
    assert all(after[name] == stamp for name, stamp in before.items() if name in after), "the others are kept"
    assert "Quasicrystalline" in fragments(out)["/briefs/brief-05/"]["content"]
    index = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "pagefind").rglob("*") if p.is_file()}
    clean = tmp_path / "clean"
    build(open_config(root), clean, clean=True)
    assert index == {
        p.relative_to(clean).as_posix(): p.read_bytes() for p in (clean / "pagefind").rglob("*") if p.is_file()
    }, "incremental index == clean index"


def assert_every_brief_found_counted_and_sorted(browser: Browser, origin: str) -> None:
    """On the sharded site: a search finds each of the 12 compute briefs once, the filters count
    all 13 briefs, and newest first is newest first across the whole index."""
    tab, _ = search(browser, origin + "/search/", "compute")
    tab.click("[data-search-more]")
    tab.wait_for_function("document.querySelectorAll('.search-result').length === 12")
    assert sorted(r["href"] for r in results(tab)) == [f"/briefs/brief-{n:02d}/" for n in range(12)]
    years = tab.text_content("details.search-filter:has(summary:text('Year'))") or ""
    assert "2024 (12)" in years and "2025 (1)" in years, "filter counts add up over the whole index"
    tab.select_option("[data-search-sort]", "newest")
    tab.wait_for_function("() => location.search.includes('sort=newest')")
    tab.wait_for_function("document.querySelectorAll('.search-result').length === 10")
    dates = [r["date"] for r in results(tab)]
    assert dates == sorted(dates, reverse=True), "newest first across the whole index"


def test_search_finds_filters_and_sorts_across_shards(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = sharded_site(tmp_path, monkeypatch)
    out = tmp_path / "site"
    build(open_config(root, base_url=LOCAL), out)
    with serve_folder(out) as origin:
        assert_every_brief_found_counted_and_sorted(browser, origin)


def test_newest_first_holds_across_parts_of_unequal_size(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A very large digest's parts differ in size (a brief's part is fixed by its slug). A search
    with far more results than the page orders at once, newest first, still starts with the
    newest briefs when they are all in the smallest part."""
    monkeypatch.setattr("digest.site.shards.SHARD_SIZE", 200)
    monkeypatch.setattr("digest.site.shards.INDEX_SHARDS", 1)
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    for brief in (root / "content" / "briefs").glob("*.md"):
        brief.unlink()
    small, large, n = [], [], 0
    while len(small) < 30 or len(large) < 370:  # (400 briefs: 2 shards, each its own part)
        slug = f"brief-{n:04d}"
        (small if shard_of(slug, 2) == 0 else large).append(slug)
        n += 1
    slugs = large[:370] + small[:30]  # oldest first: the 30 newest are all in the small part
    day = dt.date(2023, 1, 1)
    for k, slug in enumerate(slugs):
        (root / "content" / "briefs" / f"{slug}.md").write_text(
            f"---\ntitle: Compute brief {k}\ndate: {day + dt.timedelta(days=k)}\n"
            f"summary: Compute policy number {k}.\nkey_points:\n  - Point {k}.\n---\nCompute body {k}.\n",
            encoding="utf-8",
        )
    out = tmp_path / "site"
    build(open_config(root, base_url=LOCAL), out)
    assert len(list((out / "pagefind").glob("*/pagefind-entry.json"))) == 2
    with serve_folder(out) as origin:
        tab = browser.new_page()
        tab.goto(origin + "/search/?q=compute&sort=newest")
        shown = [r["href"] for r in results(tab)]
    assert shown == [f"/briefs/{slug}/" for slug in reversed(slugs[-10:])], "the ten newest, newest first"


def _documents(folder: Path, pages: dict[str, str]) -> Path:
    for slug, text in pages.items():
        (folder / slug).mkdir(parents=True)
        (folder / slug / "index.html").write_text(
            f'<!DOCTYPE html><html lang="en"><body><main data-pagefind-body><h1 data-pagefind-meta="title">{slug}</h1>'
            f"<p>{text}</p></main></body></html>",
            encoding="utf-8",
        )
    return folder


def test_a_part_a_shard_s_run_joined_is_taken_only_when_joined_from_the_build_s_segments(tmp_path: Path) -> None:
    """A shard's run joins its part while the pages render, from its segment and the ones kept
    for the other shards. The build takes those files only if the kept segments are the ones it
    would use: here shard 1 changed too after the run joined, and the index must find it."""
    from digest.search.index import publisher
    from digest.search.join import JOINED, Joined, JoinRequest, keep_segment
    from digest.search.segment import read_folder
    from digest.search.worker import main as run_segment

    folder, site = tmp_path / "search", tmp_path / "site"
    old = _documents(tmp_path / "old1", {"b1": "tariffs on lithography tools"})
    keep_segment(folder, 1, "old", read_folder(old, "en").dumps())
    docs0 = _documents(tmp_path / "docs0", {"a1": "export controls on accelerators", "a2": "a treaty on compute"})
    docs1 = _documents(tmp_path / "docs1", {"b1": "tariffs on lithography tools and a new sanctions regime"})
    out0 = tmp_path / "run0"
    out0.mkdir()
    request = tmp_path / "join.json"
    JoinRequest(str(folder), "en", str(site), 64, {str(out0): 0}, {0: "pagefind/"}).write(request)
    argv = ["--language", "en", "--site", str(docs0), "--output-path", str(out0), "--join", str(request)]
    assert run_segment(argv) == 0
    joined = Joined.loads((out0 / f"{JOINED}0").read_bytes())
    assert joined is not None and joined.kept == {1: "old"}, "the run joined with the segment kept for shard 1"
    made0, made1 = (out0 / "segment").read_bytes(), read_folder(docs1, "en").dumps()

    def index(keys: dict[int, str], made: dict[int, bytes], runs: list[Joined], place: Path) -> dict[str, bytes | None]:
        shutil.copytree(folder, place)
        return publisher("en", place, keys, 2)(made, runs)

    # Only shard 0 changed: the run's part is the build's own.
    taken = index({0: "new", 1: "old"}, {0: made0}, [joined], tmp_path / "taken")
    assert taken == index({0: "new", 1: "old"}, {0: made0}, [], tmp_path / "own")
    # Shard 1 changed too (made by another run): the run's part is joined again with it.
    both = index({0: "new", 1: "newer"}, {0: made0, 1: made1}, [joined], tmp_path / "both")
    assert both == index({0: "new", 1: "newer"}, {0: made0, 1: made1}, [], tmp_path / "both-own")
    assert both != joined.files
    words = b"".join(gzip.decompress(data) for path, data in both.items() if data and "/index/" in path)
    assert b"sanction" in words, "shard 1's new words are in the index (stemmed)"


def test_a_shard_s_run_reads_again_the_documents_that_changed_and_reuses_the_others_only_from_its_own_code(
    tmp_path: Path,
) -> None:
    import marshal

    from digest.search.segment import PAGES, Segment, read_folder
    from digest.search.worker import main as run_segment

    docs = _documents(tmp_path / "docs", {"a1": "export controls on accelerators", "a2": "a treaty on compute"})
    out = tmp_path / "out"

    def run(version: str) -> Segment:
        argv = ["--language", "en", "--reuse", version, "--site", str(docs), "--output-path", str(out)]
        assert run_segment(argv) == 0
        return Segment.loads((out / "segment").read_bytes())

    assert run("v1") == read_folder(docs, "en")
    (docs / "a2" / "index.html").write_text(
        (docs / "a2" / "index.html").read_text().replace("a treaty", "sanctions and a treaty"), encoding="utf-8"
    )
    assert run("v1") == read_folder(docs, "en"), "the edited document is read again"
    # The pages kept are what a run of the code `v1` read: another version reads every document.
    stamp, pages = marshal.loads((docs / PAGES).read_bytes())
    key, values = pages["/a1/"]
    pages["/a1/"] = (key, (values[0], values[1] + 1000, *values[2:]))
    (docs / PAGES).write_bytes(marshal.dumps((stamp, pages)))
    assert run("v1") != read_folder(docs, "en"), "(the same code trusts what it kept)"
    assert run("v2") == read_folder(docs, "en"), "another version of the code reads every document"


def test_the_next_shard_s_documents_are_written_while_others_are_indexed(tmp_path: Path) -> None:
    """While `limit` runs are busy, each poll (between batches of pages) writes the documents
    of the next shard, which then starts the moment a run ends; the index is joined once, from
    every shard's segment."""
    import sys
    import tempfile

    from digest.search.runs import Indexer, IndexJob

    fake = tmp_path / "fake_segment.py"  # (stands in for a shard's run: one that takes a while)
    fake.write_text(
        "import pathlib, sys, time\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--output-path') + 1])\n"
        "time.sleep(0.4)\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'segment').write_text(sys.argv[sys.argv.index('--site') + 1])\n"
    )
    events: list[tuple[str, int]] = []

    def prepare(shard: int) -> IndexJob:
        events.append(("documents", shard))
        docs = tmp_path / "docs" / str(shard)
        docs.mkdir(parents=True)
        return IndexJob(shard, docs, Path(tempfile.mkdtemp(prefix=f"index-{shard}.", dir=tmp_path)))

    joined: list[dict[int, bytes]] = []

    def publish(made: dict[int, bytes], _joined_by_runs: object = ()) -> dict[str, bytes]:
        joined.append(made)
        return {"pagefind/pagefind.js": b"".join(made[n] for n in sorted(made))}

    indexer = Indexer(prepare, [0, 1, 2], 1, [sys.executable, str(fake)], publish)
    indexer.poll()
    assert [j.shard for j in indexer.jobs] == [0] and indexer.jobs[0].process is not None
    indexer.poll()
    indexer.poll()
    assert [e[1] for e in events] == [0, 1, 2], "documents written ahead while the one run is busy"
    assert [j.shard for j in indexer.jobs] == [0] and [j.shard for j in indexer.ready] == [1, 2]

    received: list[dict[str, bytes]] = []
    assert indexer.finish(each=received.append) == {}
    assert [sorted(m) for m in joined] == [[0, 1, 2]], "joined once, from every shard's segment"
    assert received == [{"pagefind/pagefind.js": "".join(str(tmp_path / "docs" / str(n)) for n in (0, 1, 2)).encode()}]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("index-")], "no run's output is left"


def test_the_quick_check_knows_the_installed_pagefind_version() -> None:
    """A new Pagefind changes the quick check's signature (so the index is made again); its
    version is read from the package's metadata folder, without importlib.metadata."""
    from importlib import metadata

    from digest.search.tool import pagefind_version

    pagefind_version.cache_clear()
    found = pagefind_version()
    assert f"pagefind-{metadata.version('pagefind')}.dist-info" in found.split()
    binary = next(d.metadata["Name"] for d in metadata.distributions() if d.metadata["Name"].startswith("pagefind_bin"))
    assert any(name.startswith(f"{binary}-{metadata.version(binary)}") for name in found.split())


def test_digest_runs_the_pagefind_binary_that_pagefind_itself_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found without importing `pagefind.service` (asyncio), yet the same binary, and
    PAGEFIND_BINARY_PATH still chooses another."""
    from pagefind.service import get_executable

    from digest.search.tool import pagefind_binary

    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    assert pagefind_binary() == get_executable()
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", "/opt/elsewhere/pagefind")
    assert pagefind_binary() == get_executable() == Path("/opt/elsewhere/pagefind")


def test_an_edit_writes_only_the_index_files_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index's files are named by a hash of their bytes: an edit writes the changed brief's
    fragment, the index chunks of its words and the metadata, and leaves every other file as it was."""
    root = sharded_site(tmp_path, monkeypatch)
    out = tmp_path / "site"
    build(open_config(root), out)

    before = index_stamps(out)
    brief = root / "content" / "briefs" / "brief-05.md"
    brief.write_text(brief.read_text(encoding="utf-8") + "\nQuasicrystalline.\n", encoding="utf-8")
    build(open_config(root), out)
    after = index_stamps(out)
    rewritten = {p for p in after if before.get(p) != after[p]}
    fragments_rewritten = [p for p in rewritten if p.startswith("pagefind/fragment/")]
    assert len(fragments_rewritten) == 1, f"only the edited brief's fragment, not {fragments_rewritten}"
    assert len([p for p in after if p.startswith("pagefind/fragment/")]) == 13
    assert not [p for p in rewritten if p.startswith("pagefind/filter/")], "the filters did not change"
    assert "pagefind/pagefind.js" not in rewritten and len(rewritten) < len(after) / 2
    removed = set(before) - set(after)
    assert len([p for p in removed if p.startswith("pagefind/fragment/")]) == 1, "the edited brief's old fragment"
    assert all(p.endswith((".pf_meta", ".pf_index")) for p in removed if not p.startswith("pagefind/fragment/"))
    assert "Quasicrystalline" in fragments(out)["/briefs/brief-05/"]["content"]


def test_another_pagefind_version_stops_the_build_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """digest writes the index in Pagefind 1.5's format: with a Pagefind whose script reads
    another, the search would be broken, so the build says so instead."""
    fake = tmp_path / "pagefind"
    fake.write_text(
        "#!/usr/bin/env python3\nimport pathlib, sys\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--output-path') + 1])\nout.mkdir(parents=True)\n"
        '(out / \'pagefind-entry.json\').write_text(\'{"version": "9.0.0", "languages": {}}\')\n'
        "(out / 'pagefind.js').write_text('// 9.0.0')\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    root = copy_site(FIXTURES / "valid-site", tmp_path / "root")
    done = subprocess.run(
        [sys.executable, "-m", "digest", "build", "--root", str(root), "--quiet"], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.startswith("digest: error: the installed Pagefind is version 9.0.0, whose index format")
    assert "pagefind[extended]>=1.5.2,<1.6" in done.stderr and done.stderr.count("\n") == 1
    assert not (root / "site" / "pagefind").exists(), "nothing half-written"


def test_a_very_large_digest_is_published_as_several_indexes_searched_as_one(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pagefind's reader takes time growing with the square of a search's results in one index,
    so past INDEX_SHARDS shards the index is published in parts the search page merges: every
    brief is found once, filters count them all, newest first holds across the parts, and an
    edit makes one part again."""
    monkeypatch.setattr("digest.site.shards.INDEX_SHARDS", 2)
    root = sharded_site(tmp_path, monkeypatch)
    out = tmp_path / "site"
    build(open_config(root, base_url=LOCAL), out)
    parts = sorted(p.parent.relative_to(out).as_posix() for p in (out / "pagefind").rglob("pagefind-entry.json"))
    assert len(parts) >= 3 and all(p.startswith("pagefind/") and p.count("/") == 1 for p in parts), parts
    assert f'data-indexes="{" ".join(p.split("/")[1] for p in parts)}"' in (out / "search" / "index.html").read_text()
    assert len(fragments(out)) == 13, "every brief in exactly one part"
    with serve_folder(out) as origin:
        assert_every_brief_found_counted_and_sorted(browser, origin)

    before = index_stamps(out)
    brief = root / "content" / "briefs" / "brief-05.md"
    brief.write_text(brief.read_text(encoding="utf-8") + "\nQuasicrystalline.\n", encoding="utf-8")
    build(open_config(root, base_url=LOCAL), out)
    after = index_stamps(out)
    touched = {p.split("/")[1] for p in set(after) ^ set(before) | {p for p in after if before.get(p) != after[p]}}
    assert len(touched) == 1, f"one part made again, not {sorted(touched)}"
    clean = tmp_path / "clean"
    build(open_config(root, base_url=LOCAL), clean, clean=True)
    assert {p: (out / p).read_bytes() for p in after} == {
        p.relative_to(clean).as_posix(): p.read_bytes() for p in (clean / "pagefind").rglob("*") if p.is_file()
    }, "incremental parts == clean parts"
