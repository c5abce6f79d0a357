"""Markdown rendering: the CommonMark extensions writers use, and nothing unsafe."""

from __future__ import annotations

import pytest

from digest.content.markup import is_safe_url, render_body, render_inline, resolve_links


def test_tables_footnotes_strikethrough_and_heading_ids() -> None:
    html = render_body(
        "## Key dates\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ new[^n]\n\n[^n]: A note.\n\n## Key dates\n"
    ).html
    assert '<h2 id="key-dates">Key dates</h2>' in html
    assert '<h2 id="key-dates-1">Key dates</h2>' in html, "repeated headings get unique, stable ids"
    assert "<table>" in html and "<td>1</td>" in html
    assert "<s>old</s>" in html
    assert 'href="#fn1"' in html and 'id="fn1"' in html


def test_a_level_one_heading_in_a_body_becomes_h2() -> None:
    assert render_body("# Heading\n").html.startswith("<h2")


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<iframe src=https://evil.example></iframe>",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_raw_html_is_escaped(source: str) -> None:
    html = render_body(f"Text {source} more\n\n{source}\n").html
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<a " not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:x",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
    ],
)
def test_unsafe_link_schemes_never_become_links(url: str) -> None:
    for html in (
        render_body(f"[click]({url})\n").html,
        render_inline(f"[click]({url})").html,
        render_body(f"![img]({url})\n").html,
    ):
        assert "href=" not in html and "src=" not in html


@pytest.mark.parametrize("url", ["https://example.org/a", "mailto:desk@example.org", "#section", "other.md", "../x/"])
def test_safe_urls_are_accepted(url: str) -> None:
    assert is_safe_url(url)


def test_links_to_briefs_and_root_paths_become_placeholders_resolved_later() -> None:
    rendered = render_body("[a](other-brief.md#why) [b](/tags/china/) [c](https://example.org/)\n")
    assert rendered.refs == ("other-brief.md#why", "/tags/china/"), "every link inside the site, for the build to check"
    html = resolve_links(rendered.html, lambda kind, target: f"<{kind}:{target}>".replace("<", "[").replace(">", "]"))
    assert 'href="[ref:other-brief.md#why]"' in html
    assert 'href="[root:/tags/china/]"' in html
    assert 'href="https://example.org/"' in html


def test_key_points_render_inline_markdown_without_paragraphs() -> None:
    assert (
        render_inline("A *big* `deal` [x](https://example.org)").html
        == 'A <em>big</em> <code>deal</code> <a href="https://example.org">x</a>'
    )


def test_images_are_lazy_loaded() -> None:
    assert 'loading="lazy"' in render_body("![A chart](https://example.org/c.png)\n").html
