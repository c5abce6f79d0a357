"""Shareable pages: JSON-LD (NewsArticle, BreadcrumbList, CollectionPage), Open Graph and
Twitter card tags, `<time datetime>` on every date shown, and reading time on briefs."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from digest.build.entry import build, open_config
from digest.content.reading import reading_minutes
from tests.conftest import FIXTURES, REPO
from tests.sitegen import make_site

BASE = "https://example.org/digest/"  # the subpath_site fixture's base URL
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
SHOWN_DATE = re.compile(rf"\b\d{{1,2}} (?:{MONTHS}|{MONTHS[:3]}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{{4}}\b")


def json_ld(page: Path) -> dict[str, dict[str, Any]]:
    """The page's JSON-LD objects by @type (each script parsed with json.loads)."""
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page.read_text(), re.S)
    found = {}
    for script in scripts:
        data = json.loads(script)
        assert data["@context"] == "https://schema.org"
        assert data["@type"] not in found, f"two {data['@type']} objects on {page}"
        found[data["@type"]] = data
    return found


def front_matter(slug: str) -> dict[str, Any]:
    text = (REPO / "content" / "briefs" / f"{slug}.md").read_text()
    return yaml.safe_load(text.split("---\n", 2)[1])


def visible_tags(page_html: str) -> list[str]:
    footer = page_html.split('<footer class="brief-footer">', 1)[1].split("</footer>", 1)[0]
    return [html.unescape(t) for t in re.findall(r'<a class="tag" [^>]*>([^<]+)</a>', footer)]


def meta(page_html: str, key: str) -> list[str]:
    return [
        html.unescape(v)
        for v in re.findall(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', page_html)
    ]


def test_every_brief_is_a_news_article_with_its_front_matter(subpath_site: Path) -> None:
    pages = sorted(subpath_site.glob("briefs/*/index.html"))
    assert len(pages) >= 10
    for page in pages:
        slug = page.parent.name
        matter = front_matter(slug)
        article = json_ld(page)["NewsArticle"]
        url = f"{BASE}briefs/{slug}/"
        assert article["headline"] == matter["title"]
        assert article["description"] == " ".join(matter["summary"].split())
        published = dt.datetime.fromisoformat(article["datePublished"])
        modified = dt.datetime.fromisoformat(article["dateModified"])
        assert published.tzinfo is not None and modified.tzinfo is not None, "dates carry their time zone"
        assert published.date() == matter["date"]
        assert modified.date() == matter.get("updated", matter["date"])
        assert article["url"] == url and article["mainEntityOfPage"]["@id"] == url
        assert article["keywords"] == visible_tags(page.read_text()), "keywords are the brief's tags, as shown"
        assert article["inLanguage"] == "en"
        assert article["publisher"] == {"@type": "Organization", "name": "AI Policy Digest", "url": BASE}
        assert article["author"]["name"] == "The digest team"
        source = matter.get("source")
        if source:
            assert article["isBasedOn"]["name"] == source["name"]
            assert article["isBasedOn"]["url"] == source["url"]
        else:
            assert "isBasedOn" not in article


def breadcrumb_trail(page: Path) -> list[tuple[int, str, str]]:
    crumbs = json_ld(page)["BreadcrumbList"]["itemListElement"]
    return [(c["position"], c["name"], c["item"]) for c in crumbs]


def test_breadcrumbs_lead_from_home_to_the_page_with_absolute_urls_under_the_sub_path(subpath_site: Path) -> None:
    brief = subpath_site / "briefs" / "deepseek-r1-release" / "index.html"
    week = next(iter(sorted(subpath_site.glob("weeks/*/index.html"))))
    tag = subpath_site / "tags" / "china" / "index.html"
    home = (1, "AI Policy Digest", BASE)
    assert breadcrumb_trail(brief) == [
        home,
        (2, "Weekly editions", f"{BASE}weeks/"),
        (3, "No. 11", f"{BASE}weeks/2025-W04/"),
        (4, "DeepSeek Releases the R1 Reasoning Model", f"{BASE}briefs/deepseek-r1-release/"),
    ]
    assert breadcrumb_trail(week) == [  # (the oldest edition)
        home,
        (2, "Weekly editions", f"{BASE}weeks/"),
        (3, "No. 1", f"{BASE}{week.parent.relative_to(subpath_site)}/"),
    ]
    assert breadcrumb_trail(tag) == [home, (2, "Tags", f"{BASE}tags/"), (3, "China", f"{BASE}tags/china/")]
    for page in (brief, week, tag):
        for _, _, url in breadcrumb_trail(page):
            local = subpath_site / url.removeprefix(BASE) / "index.html"
            assert local.is_file(), f"breadcrumb {url} of {page} is no page of the site"


def listed_briefs(page_html: str, selector: str) -> list[str]:
    """Absolute URLs of the briefs a list page shows, in order."""
    return [
        BASE + h.removeprefix("/digest/") for h in re.findall(rf'{selector}<a href="(/digest/briefs/[^"]+)"', page_html)
    ]


def test_tag_pages_and_weekly_editions_are_collection_pages_of_the_briefs_they_show(subpath_site: Path) -> None:
    pages = [
        (subpath_site / "tags" / "china" / "index.html", r'<h2 class="card-title">'),
        *((p, r"<h[23]>") for p in sorted(subpath_site.glob("weeks/*/index.html"))),
    ]
    for page, selector in pages:
        text = page.read_text()
        collection = json_ld(page)["CollectionPage"]
        title = html.unescape(re.search(r"<title>([^<]+) — ", text)[1])  # type: ignore[index]
        assert collection["name"] == title
        assert collection["url"] == f"{BASE}{page.parent.relative_to(subpath_site)}/"
        items = collection["mainEntity"]["itemListElement"]
        shown = listed_briefs(text, selector)
        assert shown, f"no briefs found on {page}"
        assert [i["url"] for i in items] == shown
        assert [i["position"] for i in items] == list(range(1, len(shown) + 1))
        assert collection["mainEntity"]["numberOfItems"] == len(shown)


def test_item_positions_go_on_across_the_pages_of_a_tag(tmp_path: Path) -> None:
    make_site(tmp_path / "root", 20)  # per_page: 3
    out = tmp_path / "site"
    build(open_config(tmp_path / "root"), out)
    second = sorted(out.glob("tags/*/page/2/index.html"))[0]
    pages = [second.parent.parent.parent / "index.html", second]
    positions = [[i["position"] for i in json_ld(p)["CollectionPage"]["mainEntity"]["itemListElement"]] for p in pages]
    assert positions[0] == [1, 2, 3] and positions[1][0] == 4


def test_a_title_that_closes_the_script_stays_inside_the_json(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "golden-site", root)
    title = "</script><script>alert(1)</script> & <!-- \"quoted\" 'text'"
    brief = root / "content" / "briefs" / "older-brief.md"
    brief.write_text(brief.read_text().replace("title: An older brief", f"title: {json.dumps(title)}"))
    out = tmp_path / "site"
    build(open_config(root), out)
    page = out / "briefs" / "older-brief" / "index.html"
    assert json_ld(page)["NewsArticle"]["headline"] == title
    assert json_ld(page)["BreadcrumbList"]["itemListElement"][-1]["name"] == title
    week = next(p for p in out.glob("weeks/*/index.html") if "older-brief" in p.read_text())
    assert [i["name"] for i in json_ld(week)["CollectionPage"]["mainEntity"]["itemListElement"]] == [title]
    for path in (page, week):
        assert "<script>alert(1)" not in path.read_text()


def test_brief_pages_have_article_card_tags(sample_site: Path) -> None:
    text = (sample_site / "briefs" / "deepseek-r1-release" / "index.html").read_text()
    assert meta(text, "og:type") == ["article"]
    assert meta(text, "article:published_time") == ["2025-01-20T00:00:00+00:00"]
    assert meta(text, "article:tag") == visible_tags(text)
    assert meta(text, "twitter:card") == ["summary"]
    assert meta(text, "og:title") == ["DeepSeek Releases the R1 Reasoning Model"]
    assert meta(text, "og:description")[0].startswith("Chinese lab DeepSeek released R1")
    home = (sample_site / "index.html").read_text()
    assert meta(home, "og:type") == ["website"] and meta(home, "twitter:card") == ["summary"]


VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"])
WRITERS_TEXT = frozenset(
    {"body", "summary", "key-points", "points", "why", "editor-note"}
)  # dates in prose are the writer's


class _Dates(HTMLParser):
    """Dates the theme shows in a page's text, and whether each is inside a <time datetime>."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, bool]] = []  # (tag, inside text to skip or a <time>)
        self.times: list[str | None] = []
        self.bare: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        values = dict(attrs)
        skip = tag in ("head", "script", "style", "time") or bool(
            WRITERS_TEXT & set((values.get("class") or "").split())
        )
        if tag == "time":
            self.times.append(values.get("datetime"))
        self.open.append((tag, skip or bool(self.open and self.open[-1][1])))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not (self.open and self.open[-1][1]):
            self.bare += SHOWN_DATE.findall(data)


VALID_DATETIME = re.compile(r"^\d{4}(-\d{2}(-\d{2})?|-W\d{2})?$")


def test_every_date_shown_is_a_time_element(sample_site: Path) -> None:
    pages = sorted(sample_site.rglob("*.html"))
    assert len(pages) > 50
    seen = 0
    for page in pages:
        parser = _Dates()
        parser.feed(page.read_text())
        assert not parser.bare, f"{page.relative_to(sample_site)}: dates without <time datetime>: {parser.bare}"
        for value in parser.times:
            assert value and VALID_DATETIME.match(value), f"{page}: <time datetime={value!r}>"
        seen += len(parser.times)
    assert seen > 100


@pytest.mark.parametrize(
    ("texts", "minutes"),
    [
        (["word " * 10], 1),
        (["word " * 220], 1),
        (["word " * 221], 2),
        (["word " * 400, "more " * 260], 3),
        (["中" * 1000], 2),
        (["中" * 1000 + " " + "word " * 330], 4),
        (["이것은 한국어 " * 330], 3),  # Korean separates words with spaces: counted as words
        ([""], 1),
    ],
)
def test_reading_minutes(texts: list[str], minutes: int) -> None:
    assert reading_minutes(*texts) == minutes


def reading_time(page: Path) -> int:
    found = re.search(r"(\d+) min read", page.read_text())
    assert found, f"no reading time on {page}"
    return int(found[1])


def test_reading_time_follows_the_body_and_other_pages_are_not_rewritten(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "golden-site", root)
    out = tmp_path / "site"
    build(open_config(root), out)
    page = out / "briefs" / "older-brief" / "index.html"
    tag_page = out / "tags" / "united-states" / "index.html"
    assert reading_time(page) == 1
    before = tag_page.stat().st_mtime_ns

    brief = root / "content" / "briefs" / "older-brief.md"
    brief.write_text(brief.read_text().replace("Body text.", "Body text " + "word " * 1000 + "."))
    result = build(open_config(root), out)
    assert reading_time(page) == 5  # 1,000 words of body, a few of summary and key points: 4.6 minutes
    assert tag_page.stat().st_mtime_ns == before, "a page that shows no reading time is not rewritten"
    pages = [url for url in result.stats.changed_urls if url.endswith("/")]
    assert pages == ["/briefs/older-brief/"], f"pages rewritten for one body edit: {pages}"
