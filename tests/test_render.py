"""Rendering planned pages (table tests of theme.render): a page shows what its context and the
`body(brief)` callable give, `used` names the bodies it read, and a template's mistake comes back
as one Problem naming the template file and line (and the page, for an error while rendering)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from digest.content.bodies import Body, MissingBody
from digest.core.errors import Problem
from digest.core.model import Brief
from digest.site.pages import Page, plan_pages
from digest.theme.render import Renderer, render_page
from tests.conftest import SmallSite, small_site

SITE = [
    {"slug": "alpha", "title": "Chips & export rules", "date": "2025-03-03", "tags": ["china", "chips"],
     "summary": "Alpha summary.", "key_points": ["Alpha point"]},
    {"slug": "bravo", "title": "Bravo brief", "date": "2025-03-12", "tags": ["eu"], "summary": "Bravo summary."},
    {"slug": "charlie", "title": "Charlie brief", "date": "2025-03-20", "tags": ["chips"], "summary": "Charlie summary."},
]  # fmt: skip
# What the body callable gives (not what the files say: the page must show the callable's).
BODIES: dict[str, Body] = {
    "alpha": ("<p>The body of alpha, from the store.</p>", 7, 0),
    "bravo": ("<p>The body of bravo, from the store.</p>", 7, 0),
    "charlie": ("<p>The body of charlie, from the store.</p>", 7, 0),
}


def from_dict(brief: Brief) -> Body:
    return BODIES[brief.slug]


def site(tmp_path: Path) -> SmallSite:
    return small_site(tmp_path, SITE)


def page_at(small: SmallSite, url: str) -> Page:
    return next(p for p in plan_pages(small.site) if p.url == url)


def render(renderer: Renderer, small: SmallSite, url: str) -> tuple[str, tuple[str, ...]]:
    rendered = render_page(renderer, page_at(small, url), small.config.root)
    assert not isinstance(rendered, Problem), str(rendered)
    data, used = rendered
    return data.decode(), used


def shown(slug: str) -> list[str]:
    """What a page showing a brief in full must have: its title and summary (escaped) and its body as given."""
    brief = next(b for b in SITE if b["slug"] == slug)
    return [html.escape(str(brief["title"]), quote=False), str(brief["summary"]), BODIES[slug][0]]


def listed(slug: str) -> list[str]:
    brief = next(b for b in SITE if b["slug"] == slug)
    return [html.escape(str(brief["title"]), quote=False), str(brief["summary"])]


# (page, what it must show, what it must not, the bodies it reads: the default theme shows a
# body on the brief's own page and in the feeds, which carry briefs in full; lists show cards)
PAGES = [
    pytest.param("/briefs/alpha/", [*shown("alpha"), "Alpha point"], [BODIES["bravo"][0]], ("alpha",), id="brief-page"),
    pytest.param("/tags/chips/", [*listed("alpha"), *listed("charlie")], ["Bravo brief"], (), id="tag-page-lists"),
    pytest.param("/", [*listed("charlie"), *listed("bravo"), *listed("alpha")], [], (), id="front-page"),
    pytest.param("/tags/", ["China", "Chips", "European Union"], ["Alpha summary."], (), id="tag-index"),
    pytest.param(
        "/tags/chips/feed.xml",
        [BODIES["charlie"][0].replace("<", "&lt;").replace(">", "&gt;")],
        ["Bravo brief"],
        ("alpha", "charlie"),
        id="tag-feed-in-full",
    ),
    pytest.param("/feed.xml", ["Bravo summary."], [], ("alpha", "bravo", "charlie"), id="site-feed-in-full"),
    pytest.param("/404.html", ["Page not found"], ["Alpha summary."], (), id="not-found"),
]


@pytest.mark.parametrize(("url", "present", "absent", "used"), PAGES)
def test_a_page_shows_its_context_and_the_bodies_it_read(
    tmp_path: Path, url: str, present: list[str], absent: list[str], used: tuple[str, ...]
) -> None:
    small = site(tmp_path)
    renderer = small.renderer(from_dict)
    text, read = render(renderer, small, url)
    for part in present:
        assert part in text
    for part in absent:
        assert part not in text
    assert read == used
    again = render(renderer, small, "/404.html")[1]
    assert again == (), "each page says only what it read itself"


def test_the_json_feed_carries_each_brief_with_its_body(tmp_path: Path) -> None:
    small = site(tmp_path)
    text, used = render(small.renderer(from_dict), small, "/feed.json")
    items = json.loads(text)["items"]
    assert [item["title"] for item in items] == ["Charlie brief", "Bravo brief", "Chips & export rules"]
    assert all(
        BODIES[slug][0] in item["content_html"] for slug, item in zip(["charlie", "bravo", "alpha"], items, strict=True)
    )
    assert [item["url"] for item in items] == [
        f"https://example.org/briefs/{s}/" for s in ("charlie", "bravo", "alpha")
    ]
    assert used == ("alpha", "bravo", "charlie")


@pytest.mark.parametrize(
    ("base_url", "prefix"),
    [
        pytest.param("https://example.org/", "/", id="at-the-root"),
        pytest.param("https://example.org/d/", "/d/", id="under-a-path"),
    ],
)
def test_links_are_under_the_base_url(tmp_path: Path, base_url: str, prefix: str) -> None:
    small = small_site(tmp_path, SITE, base_url=base_url)
    text, _ = render(small.renderer(from_dict), small, "/tags/chips/")
    assert f'href="{prefix}briefs/alpha/"' in text
    assert f'<link rel="canonical" href="https://example.org{prefix}tags/chips/">' in text


def test_a_body_the_store_lost_is_not_a_template_problem(tmp_path: Path) -> None:
    """MissingBody goes up to the build (which parses again), never becomes a page's problem."""
    small = site(tmp_path)

    def lost(brief: Brief) -> Body:
        raise MissingBody(brief.path)

    with pytest.raises(MissingBody):
        render_page(small.renderer(lost), page_at(small, "/briefs/alpha/"), small.config.root)


# (the site's templates, line by line; the file and the line that is wrong; what the message says)
BROKEN = [
    pytest.param(
        {"brief.html": ["<h1>{{ brief.title }}</h1>", "{% if %}", "<p>after</p>"]},
        ("brief.html", "{% if %}"),
        "template syntax error",
        id="syntax-error",
    ),
    pytest.param(
        {"brief.html": ["<h1>{{ brief.title }}</h1>", "<p>{{ body(brief) }}</p>", "<p>{{ no_such_value }}</p>"]},
        ("brief.html", "<p>{{ no_such_value }}</p>"),
        "error rendering /briefs/alpha/: 'no_such_value' is undefined; expected only the variables",
        id="undefined-variable-names-the-page",
    ),
    pytest.param(
        {"brief.html": ["<h1>{{ brief.title }}</h1>", "", "", "{% include 'missing.html' %}"]},
        ("brief.html", "{% include 'missing.html' %}"),
        "template 'missing.html' not found",
        id="missing-include",
    ),
    pytest.param(
        {"brief.html": ['{% extends "frame.html" %}', "{% block main %}{{ brief.title }}{% endblock %}"],
         "frame.html": ["<html>", "<title>{{ page.title }}</title>", "{{ brief.no_such_field.deeper }}", "{% block main %}{% endblock %}"]},
        ("frame.html", "{{ brief.no_such_field.deeper }}"),
        "error rendering /briefs/alpha/:",
        id="error-in-the-extended-template",
    ),
    pytest.param(
        {"brief.html": ["<p>", "{{ 1 // 0 }}", "</p>"]},
        ("brief.html", "{{ 1 // 0 }}"),
        "error rendering /briefs/alpha/: ZeroDivisionError",
        id="runtime-error",
    ),
    pytest.param(
        {"brief.html": ["<link href=\"{{ asset('nowhere.css') }}\">"]},
        ("brief.html", "<link href=\"{{ asset('nowhere.css') }}\">"),
        "error rendering /briefs/alpha/: no theme asset 'nowhere.css'; expected a file templates/static/nowhere.css",
        id="unknown-asset",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("templates", "wrong", "message"), BROKEN)
def test_a_template_mistake_is_one_problem_at_its_file_and_line(
    tmp_path: Path, templates: dict[str, list[str]], wrong: tuple[str, str], message: str
) -> None:
    small = site(tmp_path)
    (tmp_path / "templates").mkdir()
    for name, lines in templates.items():
        (tmp_path / "templates" / name).write_text("\n".join(lines) + "\n")
    result = render_page(small.renderer(from_dict), page_at(small, "/briefs/alpha/"), small.config.root)
    assert isinstance(result, Problem)
    name, bad = wrong
    line = templates[name].index(bad) + 1
    assert (result.path, result.line) == (f"templates/{name}", line)
    assert str(result).startswith(f"templates/{name}:{line}: {message}")
    assert "\n" not in str(result)
