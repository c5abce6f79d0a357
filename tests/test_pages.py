"""Which pages a site plans (table tests of site.pages.plan_pages): each brief's page, the front
page and tag pages paginated, the editions, the feeds, search only when it is on, drafts only
when they are built, and a sitemap of the HTML pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from digest.site.pages import FEED_SIZE, Page, Pager, plan_pages
from tests.conftest import small_site

Row = Mapping[str, object]


def brief(slug: str, date: str, *tags: str, **more: object) -> Row:
    return {"slug": slug, "title": f"The {slug} brief", "date": date, "tags": list(tags), **more}


# Five briefs over three ISO weeks (2025-W10, W11, W12), newest last here; "safety" is in the
# taxonomy and no brief has it.
FIVE = [
    brief("alpha", "2025-03-03", "china", "chips"),
    brief("bravo", "2025-03-12", "eu"),
    brief("charlie", "2025-03-13", "chips"),
    brief("delta", "2025-03-14", "china"),
    brief("echo", "2025-03-20", "chips", "eu"),
]
NEWEST_FIRST = ["echo", "delta", "charlie", "bravo", "alpha"]


def plan(tmp_path: Path, briefs: Sequence[Row], **config: object) -> tuple[Page, ...]:
    return plan_pages(small_site(tmp_path, briefs, **config).site)


def urls(pages: Sequence[Page], template: str | None = None) -> list[str]:
    return [p.url for p in pages if template is None or p.template == template]


def by_url(pages: Sequence[Page]) -> dict[str, Page]:
    return {p.url: p for p in pages}


def slugs(page: Page) -> list[str]:
    return [b.slug for b in page.context["briefs"]]


def pages_of(count: int, per_page: int) -> int:
    return max(1, -(-count // per_page))


def paginated(base: str, count: int, per_page: int) -> list[str]:
    return [base if n == 1 else f"{base}page/{n}/" for n in range(1, pages_of(count, per_page) + 1)]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        pytest.param("/", "index.html", id="front-page"),
        pytest.param("/briefs/chips/", "briefs/chips/index.html", id="brief"),
        pytest.param("/tags/eu/page/2/", "tags/eu/page/2/index.html", id="tag-page-2"),
        pytest.param("/feed.xml", "feed.xml", id="feed-file"),
        pytest.param("/tags/eu/feed.xml", "tags/eu/feed.xml", id="tag-feed"),
        pytest.param("/404.html", "404.html", id="not-found"),
    ],
)
def test_a_page_is_written_to_the_file_its_url_serves(url: str, path: str) -> None:
    assert Page(url, "x.html", "", "").path == path


@pytest.mark.parametrize(
    ("number", "total", "url", "prev_url", "next_url"),
    [
        pytest.param(1, 1, "/tags/eu/", None, None, id="only-page"),
        pytest.param(1, 3, "/tags/eu/", None, "/tags/eu/page/2/", id="first-of-three"),
        pytest.param(2, 3, "/tags/eu/page/2/", "/tags/eu/", "/tags/eu/page/3/", id="middle-links-back-to-base"),
        pytest.param(3, 3, "/tags/eu/page/3/", "/tags/eu/page/2/", None, id="last-of-three"),
    ],
)
def test_a_pager_links_its_neighbours_and_the_first_page_is_the_base(
    number: int, total: int, url: str, prev_url: str | None, next_url: str | None
) -> None:
    pager = Pager(number, total, "/tags/eu/")
    assert (pager.url, pager.prev_url, pager.next_url) == (url, prev_url, next_url)


@pytest.mark.parametrize(
    ("count", "per_page"),
    [
        pytest.param(0, 2, id="no-briefs-still-one-front-page"),
        pytest.param(2, 2, id="exactly-one-page"),
        pytest.param(3, 2, id="one-over-a-page"),
        pytest.param(5, 2, id="three-pages"),
        pytest.param(5, 10, id="all-on-one-page"),
    ],
)
def test_the_front_page_lists_the_newest_briefs_paginated(tmp_path: Path, count: int, per_page: int) -> None:
    pages = plan(tmp_path, FIVE[:count], per_page=per_page)
    fronts = [p for p in pages if p.template == "index.html"]
    assert urls(fronts) == paginated("/", count, per_page)
    newest = [b["slug"] for b in reversed(FIVE[:count])]
    assert [slugs(p) for p in fronts] == [newest[i : i + per_page] for i in range(0, len(fronts) * per_page, per_page)]
    total = len(fronts)
    assert [p.title for p in fronts] == ["Latest briefs"] + [
        f"Latest briefs (page {n} of {total})" for n in range(2, total + 1)
    ]
    assert [p.context["pager"].number for p in fronts] == list(range(1, total + 1))


@pytest.mark.parametrize(
    ("count", "per_page"),
    [
        pytest.param(1, 10, id="one-brief"),
        pytest.param(5, 2, id="five-briefs-two-a-page"),
    ],
)
def test_every_brief_has_one_page_at_its_slug_showing_it(tmp_path: Path, count: int, per_page: int) -> None:
    written = FIVE[:count]
    pages = plan(tmp_path, written, per_page=per_page)
    briefs = [p for p in pages if p.template == "brief.html"]
    assert urls(briefs) == [f"/briefs/{s}/" for s in NEWEST_FIRST if any(b["slug"] == s for b in written)]
    for position, page in enumerate(briefs):
        shown = page.context["brief"]
        assert page.url == f"/briefs/{shown.slug}/"
        assert (page.title, page.description) == (shown.title, shown.summary)
        assert page.lastmod == shown.last_modified.date().isoformat()
        assert page.section == ("latest" if position < per_page else "archive"), "the section the nav marks"


@pytest.mark.parametrize(
    ("briefs", "tagged", "per_page"),
    [
        pytest.param(
            FIVE,
            {"china": ["delta", "alpha"], "chips": ["echo", "charlie", "alpha"], "eu": ["echo", "bravo"]},
            10,
            id="one-page-each",
        ),
        pytest.param(
            FIVE,
            {"china": ["delta", "alpha"], "chips": ["echo", "charlie", "alpha"], "eu": ["echo", "bravo"]},
            2,
            id="chips-paginated",
        ),
        pytest.param(FIVE[:1], {"china": ["alpha"], "chips": ["alpha"]}, 10, id="unused-tags-have-no-page"),
        pytest.param([], {}, 10, id="no-briefs-no-tag-pages"),
    ],
)
def test_each_tag_with_briefs_has_its_pages_newest_first_and_a_feed(
    tmp_path: Path, briefs: Sequence[Row], tagged: dict[str, list[str]], per_page: int
) -> None:
    pages = by_url(plan(tmp_path, briefs, per_page=per_page))
    expected_tag_pages = [
        url for slug in sorted(tagged) for url in paginated(f"/tags/{slug}/", len(tagged[slug]), per_page)
    ]
    assert sorted(u for u, p in pages.items() if p.template == "tag.html") == sorted(expected_tag_pages)
    for slug, members in tagged.items():
        listed = [s for url in paginated(f"/tags/{slug}/", len(members), per_page) for s in slugs(pages[url])]
        assert listed == members
        assert slugs(pages[f"/tags/{slug}/feed.xml"]) == members
        assert not pages[f"/tags/{slug}/feed.xml"].in_sitemap
    assert "/tags/safety/" not in pages
    assert sorted(u for u, p in pages.items() if u.startswith("/tags/") and u.endswith("feed.xml")) == sorted(
        f"/tags/{slug}/feed.xml" for slug in tagged
    )
    assert pages["/tags/"].template == "tags.html"


@pytest.mark.parametrize(
    ("briefs", "weeks"),
    [
        pytest.param(
            FIVE,
            {"2025-W12": ["echo"], "2025-W11": ["bravo", "charlie", "delta"], "2025-W10": ["alpha"]},
            id="three-weeks",
        ),
        pytest.param(FIVE[1:4], {"2025-W11": ["bravo", "charlie", "delta"]}, id="one-week"),
        pytest.param([], {}, id="no-briefs-only-the-list"),
    ],
)
def test_each_week_with_briefs_is_an_edition_numbered_from_the_oldest(
    tmp_path: Path, briefs: Sequence[Row], weeks: dict[str, list[str]]
) -> None:
    pages = plan(tmp_path, briefs)
    editions = [p for p in pages if p.template == "week.html"]
    assert urls(editions) == [f"/weeks/{key}/" for key in weeks], "newest first"
    count = len(weeks)
    for index, (page, members) in enumerate(zip(editions, weeks.values(), strict=True)):
        edition = page.context["edition"]
        assert [b.slug for b in edition.briefs] == members, "oldest first, as an edition reads"
        assert edition.number == count - index
        assert page.title.startswith(f"No. {count - index}: ")
        newer, older = page.context["newer"], page.context["older"]
        assert (newer.url if newer else None) == (editions[index - 1].url if index else None)
        assert (older.url if older else None) == (editions[index + 1].url if index + 1 < count else None)
    assert [e.url for e in by_url(pages)["/weeks/"].context["editions"]] == urls(editions)
    front = by_url(pages)["/"].context["edition"]
    assert (front.url if front else None) == (urls(editions)[0] if editions else None), "the latest edition leads"


@pytest.mark.parametrize(
    ("search", "present"),
    [pytest.param(True, True, id="search-on"), pytest.param(False, False, id="search-off")],
)
def test_the_search_page_is_planned_only_with_search_on(tmp_path: Path, search: bool, present: bool) -> None:
    pages = by_url(plan(tmp_path, FIVE, search=search))
    assert ("/search/" in pages) is present
    if present:
        assert pages["/search/"].template == "search.html"
        assert not pages["/search/"].in_sitemap


DRAFTED = [*FIVE[:2], brief("foxtrot", "2025-03-21", "safety", draft=True)]


@pytest.mark.parametrize(
    ("drafts", "shown"),
    [
        pytest.param(False, False, id="drafts-left-out"),
        pytest.param(True, True, id="drafts-built"),
    ],
)
def test_a_draft_is_planned_only_when_drafts_are_built(tmp_path: Path, drafts: bool, shown: bool) -> None:
    pages = by_url(plan(tmp_path, DRAFTED, drafts=drafts))
    assert ("/briefs/foxtrot/" in pages) is shown
    assert ("/tags/safety/" in pages) is shown, "its only tag"
    assert ("foxtrot" in slugs(pages["/"])) is shown
    assert ("foxtrot" in slugs(pages["/feed.xml"])) is shown
    assert ("/weeks/2025-W12/" in pages) is shown, "its week has no other brief"


@pytest.mark.parametrize(
    "count",
    [pytest.param(3, id="fewer-than-a-feed"), pytest.param(FEED_SIZE + 2, id="more-than-a-feed")],
)
def test_the_site_feeds_carry_the_newest_briefs_up_to_the_feed_size(tmp_path: Path, count: int) -> None:
    many = [brief(f"b{n:02d}", f"2025-02-{n + 1:02d}", "eu") for n in range(count)]
    pages = by_url(plan(tmp_path, many))
    newest = [f"b{n:02d}" for n in reversed(range(count))][:FEED_SIZE]
    assert slugs(pages["/feed.xml"]) == newest
    assert slugs(pages["/feed.json"]) == newest
    assert slugs(pages["/tags/eu/feed.xml"]) == newest


def test_the_sitemap_lists_every_html_page_and_nothing_else(tmp_path: Path) -> None:
    pages = plan(tmp_path, FIVE, per_page=2)
    sitemap = by_url(pages)["/sitemap.xml"]
    listed = urls(sitemap.context["pages"])
    assert listed == [p.url for p in pages if p.url.endswith("/") and p.url != "/search/"]
    assert "/sitemap.xml" not in listed and "/robots.txt" not in listed and "/404.html" not in listed


@pytest.mark.parametrize(
    "search",
    [pytest.param(True, id="search-on"), pytest.param(False, id="search-off")],
)
def test_every_page_has_its_own_url_and_the_fixed_pages_are_there(tmp_path: Path, search: bool) -> None:
    pages = plan(tmp_path, FIVE, per_page=2, search=search)
    assert len(urls(pages)) == len(set(urls(pages)))
    fixed = {
        "/",
        "/tags/",
        "/weeks/",
        "/archive/",
        "/404.html",
        "/feed.xml",
        "/feed.json",
        "/robots.txt",
        "/sitemap.xml",
    }
    assert fixed <= set(urls(pages))
    brief_pages = len(FIVE)
    tag_pages = sum(len(paginated("/", n, 2)) + 1 for n in (2, 3, 2))  # china, chips, eu: pages and a feed
    fixed_count = len(fixed) + (1 if search else 0)
    front_extra = len(paginated("/", len(FIVE), 2)) - 1
    assert len(pages) == fixed_count + front_extra + brief_pages + tag_pages + 3  # three editions
