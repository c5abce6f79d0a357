"""A page's fingerprint changes when what it shows changes (table tests of build.fingerprint):
two small sites that differ by one edit are planned, rendered and fingerprinted as the build does,
and each row names the pages that must change and those that must not. Every row also checks
the promise the incremental build rests on: a page whose bytes differ has a new fingerprint."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from digest.build.fingerprint import Fingerprinter, template_keys
from digest.content.config import Config
from digest.core.errors import Problem
from digest.core.hashing import key_of
from digest.core.model import Brief
from digest.site.pages import Page, plan_pages
from digest.theme.render import CARD_TEMPLATE, render_page
from tests.conftest import SMALL_TAGS, SmallSite, small_site

Row = Mapping[str, object]
THEME = Path(__file__).resolve().parent.parent / "templates"  # the default theme of a source checkout


def brief(slug: str, date: str, *tags: str) -> dict[str, object]:
    return {"slug": slug, "title": f"The {slug} brief", "date": date, "tags": list(tags)}


# Newest first: echo, delta, charlie, bravo, alpha, golf, hotel; three to a front page (so
# hotel is alone on /page/3/). Related and neighbouring briefs (shown on a brief's page):
# golf and hotel (safety) only with each other, and golf with alpha as its newer neighbour.
SITE = [
    brief("alpha", "2025-03-03", "china", "chips"),
    brief("bravo", "2025-03-12", "eu"),
    brief("charlie", "2025-03-13", "chips"),
    brief("delta", "2025-03-14", "china"),
    brief("echo", "2025-03-20", "chips", "eu"),
    brief("golf", "2025-02-03", "safety"),
    brief("hotel", "2025-01-13", "safety"),
]
PER_PAGE = 3


def edited(slug: str, **changes: object) -> list[dict[str, object]]:
    return [{**b, **changes} if b["slug"] == slug else b for b in SITE]


def global_key(config: Config) -> str:
    """The fingerprints' global key as the build makes it (pipeline._load) from the configuration
    (the code version and published asset names are the same for both sites of a row)."""
    return key_of(replace(config, root=Path("."), today=None))


@dataclass(frozen=True)
class Built:
    pages: dict[str, Page]
    html: dict[str, bytes]
    used: dict[str, tuple[str, ...]]  # url -> slugs of the bodies the page read
    fingerprints: dict[str, str]


def build_in_memory(
    small: SmallSite,
    used_before: Mapping[str, tuple[str, ...]] | None = None,
    memory: dict[str, tuple[object, ...]] | None = None,
) -> Built:
    """Every page planned, rendered and fingerprinted; with the bodies each page used when last
    rendered (`used_before`, as the build remembers them), else those it uses now; with the
    pages' inputs a resident caller remembers between builds (`memory`), when given."""
    pages = plan_pages(small.site)
    renderer = small.renderer()
    html: dict[str, bytes] = {}
    used: dict[str, tuple[str, ...]] = {}
    for page in pages:
        rendered = render_page(renderer, page, small.config.root)
        assert isinstance(rendered, tuple), rendered
        html[page.url], used[page.url] = rendered
    keys = template_keys(renderer.env, {p.template for p in pages})
    fingerprinter = Fingerprinter(small.site, global_key(small.config), keys, memory)
    remembered = used_before if used_before is not None else used
    fingerprints = {p.url: fingerprinter.page(p, remembered.get(p.url, ())) for p in pages}
    return Built({p.url: p for p in pages}, html, used, fingerprints)


def edit_template(name: str) -> Callable[[Path], SmallSite]:
    def edit(root: Path) -> SmallSite:
        (root / "templates").mkdir(exist_ok=True)
        (root / "templates" / name).write_text((THEME / name).read_text() + "{# edited #}\n")
        return small_site(root, SITE, per_page=PER_PAGE)

    return edit


def site_with(briefs: Sequence[Row] = SITE, tags: str = SMALL_TAGS, **config: object) -> Callable[[Path], SmallSite]:
    return lambda root: small_site(root, briefs, tags=tags, **{"per_page": PER_PAGE, **config})


def templated(before: Built, *names: str) -> set[str]:
    return {url for url, page in before.pages.items() if page.template in names}


def showing_body(slug: str) -> Callable[[Built], set[str]]:
    return lambda before: {url for url, used in before.used.items() if slug in used}


EXTENDING_BASE = sorted(p.name for p in THEME.glob("*.*") if '{% extends "base.html" %}' in p.read_text())
HOTEL_PAGES = {"/briefs/hotel/", "/briefs/golf/", "/tags/safety/", "/tags/safety/feed.xml", "/page/3/"}

# (the edit, pages that must change: a set, or exactly those a function of the site before names,
# pages that must not change)
EDITS = [
    pytest.param(
        site_with(edited("hotel", title="A new title")),
        HOTEL_PAGES | {"/weeks/2025-W03/", "/archive/", "/feed.xml", "/feed.json", "/sitemap.xml"},
        {"/", "/page/2/", "/briefs/alpha/", "/briefs/bravo/", "/tags/", "/tags/eu/", "/weeks/2025-W11/", "/404.html"},
        id="title-edited:its-page-neighbour-tag-and-lists",
    ),
    pytest.param(
        site_with(edited("hotel", summary="Another summary.")),
        HOTEL_PAGES,
        {"/", "/page/2/", "/briefs/alpha/", "/tags/", "/tags/eu/", "/404.html", "/robots.txt"},
        id="summary-edited:same-pages-as-its-title",
    ),
    pytest.param(
        site_with(edited("bravo", body="Another body, with *other* words.")),
        showing_body("bravo"),
        {"/briefs/alpha/", "/tags/eu/", "/", "/sitemap.xml"},
        id="body-edited:exactly-the-pages-that-used-it",
    ),
    pytest.param(
        site_with(edited("bravo", tags=["china"])),
        {"/briefs/bravo/", "/tags/eu/", "/tags/china/", "/tags/", "/page/2/"},
        {"/briefs/hotel/", "/tags/safety/", "/page/3/"},
        id="tags-edited:both-tags-and-the-tag-index",
    ),
    pytest.param(
        site_with(edited("golf", date="2025-02-04")),
        {"/briefs/golf/", "/weeks/2025-W06/", "/archive/"},
        {"/briefs/bravo/", "/tags/eu/", "/tags/chips/"},
        id="date-edited:its-page-and-its-week",
    ),
    pytest.param(
        site_with(tags=SMALL_TAGS.replace("label: AI Safety", "label: Safety of AI")),
        {"/tags/safety/", "/tags/", "/briefs/golf/", "/briefs/hotel/", "/page/2/", "/page/3/"},
        {"/briefs/bravo/", "/tags/eu/", "/404.html"},
        id="tag-label-edited:pages-showing-the-tag",
    ),
    pytest.param(
        site_with(
            tags=SMALL_TAGS.replace(
                "eu: {label: European Union, group: country}", "eu: {label: European Union, group: topic}"
            )
        ),
        {"/tags/"},
        {"/briefs/hotel/", "/tags/safety/", "/404.html"},
        id="tag-moved-to-another-group:the-tag-index",
    ),
    pytest.param(
        site_with(
            tags=SMALL_TAGS.replace(
                "safety: {label: AI Safety, group: topic}",
                "safety: {label: AI Safety, group: topic, description: Safety.}",
            )
        ),
        {"/tags/safety/", "/tags/safety/feed.xml"},
        {"/tags/eu/", "/briefs/hotel/", "/404.html"},
        id="tag-description-added:its-pages",
    ),
    pytest.param(
        site_with(edited("hotel", key_points=["Another point"])),
        {"/briefs/hotel/", "/briefs/golf/", "/tags/safety/feed.xml", "/feed.xml", "/feed.json"},
        {"/briefs/alpha/", "/tags/eu/", "/404.html"},
        id="key-point-edited:pages-showing-it",
    ),
    pytest.param(
        site_with(edited("hotel", source="{name: Wire, url: 'https://example.org/wire'}")),
        {"/briefs/hotel/"},
        {"/briefs/alpha/", "/tags/eu/", "/404.html"},
        id="source-added:its-page",
    ),
    pytest.param(
        site_with([*SITE, brief("india", "2025-03-21", "eu")]),
        {"/", "/tags/eu/", "/briefs/echo/", "/feed.xml", "/weeks/", "/archive/", "/sitemap.xml"},
        {"/briefs/hotel/", "/tags/safety/", "/tags/china/", "/404.html"},
        id="brief-added:lists-and-its-older-neighbour",
    ),
    pytest.param(
        site_with([b for b in SITE if b["slug"] != "bravo"]),
        {"/", "/tags/eu/", "/briefs/echo/", "/briefs/alpha/", "/briefs/charlie/", "/weeks/2025-W11/", "/tags/"},
        {"/briefs/hotel/", "/tags/safety/", "/404.html"},
        id="brief-removed:lists-and-its-neighbours",
    ),
    pytest.param(
        edit_template("tag.html"),
        lambda before: templated(before, "tag.html"),
        None,
        id="template-edited:exactly-its-pages",
    ),
    pytest.param(
        edit_template("base.html"),
        lambda before: templated(before, *EXTENDING_BASE),
        None,
        id="base-template-edited:exactly-the-pages-extending-it",
    ),
    pytest.param(
        edit_template(CARD_TEMPLATE),
        lambda before: {url for url, page in before.pages.items() if page.template},
        None,
        id="card-template-edited:every-templated-page",
    ),
    pytest.param(
        site_with(title="Another Digest"),
        lambda before: set(before.pages),
        None,
        id="config-title-edited:every-page",
    ),
    pytest.param(
        site_with(),
        set(),
        lambda before: set(before.pages),
        id="nothing-edited:no-page",
    ),
]


@pytest.mark.parametrize("resident", [pytest.param(False, id="separate-builds"), pytest.param(True, id="resident")])
@pytest.mark.parametrize(("edit", "changed", "kept"), EDITS)
def test_a_page_fingerprint_changes_when_what_it_shows_changes(
    tmp_path: Path,
    edit: Callable[[Path], SmallSite],
    changed: set[str] | Callable[[Built], set[str]],
    kept: set[str] | Callable[[Built], set[str]] | None,
    resident: bool,
) -> None:
    """`resident`: the second build's fingerprinter is given what the first remembered of each
    page (as `digest serve` keeps it), which must not hide a change."""
    memory: dict[str, tuple[object, ...]] | None = {} if resident else None
    before = build_in_memory(small_site(tmp_path, SITE, per_page=PER_PAGE), memory=memory)
    after = build_in_memory(edit(tmp_path), before.used, memory)
    common = before.pages.keys() & after.pages.keys()
    moved = {url for url in common if before.fingerprints[url] != after.fingerprints[url]}
    if callable(changed):
        exactly = changed(before)
        assert exactly, "the row names some page"
        assert moved == exactly
    else:
        assert changed <= moved, f"unchanged: {sorted(changed - moved)}"
    if kept is not None:
        keep = kept(before) if callable(kept) else kept
        assert not keep & moved, f"changed: {sorted(keep & moved)}"
    stale = sorted(url for url in common if before.html[url] != after.html[url] and url not in moved)
    assert not stale, "pages whose bytes differ but whose fingerprint does not (an incremental build would keep them)"


def test_a_body_edit_reaches_only_the_pages_that_used_it(tmp_path: Path) -> None:
    """The bodies a page used are part of its fingerprint: the same page and site, other used bodies."""
    small = small_site(tmp_path, SITE, per_page=PER_PAGE)
    page = next(p for p in plan_pages(small.site) if p.url == "/briefs/bravo/")
    fingerprints = Fingerprinter(small.site, global_key(small.config), {})
    alone, reading = fingerprints.page(page), fingerprints.page(page, ("bravo",))
    assert alone != reading
    edited_bodies = small_site(tmp_path, edited("bravo", body="Other words."), per_page=PER_PAGE)
    same = next(p for p in plan_pages(edited_bodies.site) if p.url == "/briefs/bravo/")
    again = Fingerprinter(edited_bodies.site, global_key(small.config), {})
    assert again.page(same, ("bravo",)) != reading, "its body changed"
    assert again.page(same) == alone, "without the body, the page is the same"
    kept = fingerprints.with_bodies(edited_bodies.site, [b for b in small.site.briefs if b.slug == "bravo"])
    assert kept.page(page, ("bravo",)) == again.page(same, ("bravo",)), "a kept plan's fingerprints, new bodies"
    assert kept.page(page) == alone


@pytest.mark.parametrize(
    ("name", "pulls_in"),
    [
        pytest.param("tag.html", ["base.html", CARD_TEMPLATE], id="extends-and-imports"),
        pytest.param("404.html", ["base.html"], id="extends"),
        pytest.param("robots.txt", [], id="stands-alone"),
    ],
)
def test_a_template_key_covers_what_it_pulls_in(tmp_path: Path, name: str, pulls_in: list[str]) -> None:
    small = small_site(tmp_path, SITE[:1])
    env = small.renderer().env
    before = template_keys(env, [name, "weeks.html"])
    for other in [*pulls_in, CARD_TEMPLATE]:
        edit_template(other)(tmp_path)
        after = template_keys(small.renderer().env, [name])
        assert after[name] != before[name], f"{other} edited"
        (tmp_path / "templates" / other).unlink()
    edit_template("weeks.html")(tmp_path)
    assert template_keys(small.renderer().env, [name])[name] == before[name], "another page's template edited"


def test_a_template_that_is_missing_or_none_has_a_key(tmp_path: Path) -> None:
    env = small_site(tmp_path, SITE[:1]).renderer().env
    keys = template_keys(env, ["", "nowhere.html"])
    assert keys[""] == ""
    assert keys["nowhere.html"]


def test_equal_briefs_of_two_loads_fingerprint_alike(tmp_path: Path) -> None:
    one, two = small_site(tmp_path, SITE), small_site(tmp_path, SITE)
    first, second = one.site.briefs[0], two.site.briefs[0]
    assert first is not second and first == second
    assert Fingerprinter(one.site, "k", {}).value(first) == Fingerprinter(two.site, "k", {}).value(second)
    stranger = replace(first, title="Not in the site")
    assert isinstance(stranger, Brief)
    assert Fingerprinter(one.site, "k", {}).value(stranger) != Fingerprinter(one.site, "k", {}).value(first)


def test_a_template_listing_a_tags_briefs_through_tag_is_tracked_or_refused(tmp_path: Path) -> None:
    """What a template may read is tracked or refused (STYLE), so no template can make an
    incremental build go stale: a page that lists `tag('eu').briefs` must either render as a
    Problem, or get a new fingerprint when a brief of that tag is renamed."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "404.html").write_text("{% for b in tag('eu').briefs %}{{ b.title }}\n{% endfor %}")
    small = small_site(tmp_path, SITE, per_page=PER_PAGE)
    page = next(p for p in plan_pages(small.site) if p.url == "/404.html")
    if isinstance(render_page(small.renderer(), page, tmp_path), Problem):
        return  # refused
    before = build_in_memory(small)
    after = build_in_memory(small_site(tmp_path, edited("bravo", title="Renamed"), per_page=PER_PAGE), before.used)
    assert before.html["/404.html"] != after.html["/404.html"]
    assert before.fingerprints["/404.html"] != after.fingerprints["/404.html"]
