"""Feeds, sitemap and robots.txt as feed readers and crawlers see them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser

ORIGIN = "https://example.org/"


def test_atom_feed_parses_newest_first_with_absolute_links(sample_site: Path) -> None:
    feed = feedparser.parse((sample_site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.updated
    entries = feed.entries
    assert 0 < len(entries) <= 20
    published = [e.published_parsed for e in entries]
    assert published == sorted(published, reverse=True)
    for entry in entries:
        assert entry.link.startswith(ORIGIN + "briefs/") and entry.id == entry.link
        assert entry.summary and "Key points" in entry.content[0].value
        assert entry.tags


def test_every_tag_has_a_valid_feed(sample_site: Path) -> None:
    feeds = sorted((sample_site / "tags").glob("*/feed.xml"))
    assert feeds
    for path in feeds:
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.entries and all(e.link.startswith(ORIGIN) for e in feed.entries)


def test_json_feed(sample_site: Path) -> None:
    feed = json.loads((sample_site / "feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == ORIGIN + "feed.json"
    dates = [item["date_published"] for item in feed["items"]]
    assert dates == sorted(dates, reverse=True)
    assert all(item["url"].startswith(ORIGIN + "briefs/") and item["content_html"] for item in feed["items"])


def test_sitemap_lists_every_html_page_but_404_and_noindex_pages(sample_site: Path) -> None:
    listed = set(re.findall(r"<loc>([^<]+)</loc>", (sample_site / "sitemap.xml").read_text()))
    noindex = {p for p in sample_site.rglob("*.html") if '<meta name="robots" content="noindex">' in p.read_text()}
    assert {p.relative_to(sample_site).as_posix() for p in noindex} == {"search/index.html"}
    pages = {
        ORIGIN + p.relative_to(sample_site).as_posix().removesuffix("index.html")
        for p in sample_site.rglob("*.html")
        if p.name != "404.html" and p not in noindex
    }
    assert listed == pages


def test_robots_names_the_sitemap(sample_site: Path) -> None:
    assert f"Sitemap: {ORIGIN}sitemap.xml" in (sample_site / "robots.txt").read_text()
