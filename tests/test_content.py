"""Briefs: validation, tag resolution, dates and the values templates receive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import MappingProxyType

import pytest

from digest.content.brief import parse_brief
from digest.content.config import Config
from digest.core.errors import ContentError
from digest.core.model import Brief, TagDef, Taxonomy

TAXONOMY = Taxonomy(
    "content/tags.yaml",
    MappingProxyType({"country": "Countries"}),
    MappingProxyType(
        {
            "china": TagDef("china", "China", "country", ("PRC", "Chinese")),
            "united-states": TagDef("united-states", "United States", "country", ("US",)),
        }
    ),
    MappingProxyType(
        {
            "china": "china",
            "prc": "china",
            "chinese": "china",
            "united-states": "united-states",
            "united states": "united-states",
            "us": "united-states",
        }
    ),
)


def brief_text(**fields: str) -> str:
    base = {"title": "A title", "date": "2025-04-26", "summary": "A summary.", "key_points": "[One point]"}
    base.update(fields)
    front = "".join(f"{k}: {v}\n" for k, v in base.items() if v is not None)
    return f"---\n{front}---\nBody *text*.\n"


def parse(text: str, config: Config | None = None) -> Brief:
    return parse_brief(text, "content/briefs/x.md", "x", config or Config(root=Path(".")), TAXONOMY).brief


def test_a_valid_brief() -> None:
    brief = parse(
        brief_text(
            tags="[prc, United States, us, Semiconductors]",
            source="{name: Wire, url: 'https://example.org/a', published: 2025-04-25}",
        ),
        Config(root=Path("."), open_tags=True),
    )
    assert brief.title == "A title"
    assert brief.date == dt.date(2025, 4, 26)
    assert brief.tags == ("china", "united-states", "semiconductors"), (
        "slug, label or alias, any case; duplicates merged; unknown kept with open_tags"
    )
    assert brief.tag_labels == {"semiconductors": "Semiconductors"}
    assert brief.source.url == "https://example.org/a"
    parsed = parse_brief(brief_text(), "content/briefs/x.md", "x", Config(root=Path(".")), TAXONOMY)
    assert parsed.body_html == "<p>Body <em>text</em>.</p>\n"


def test_declared_fields_are_kept_for_templates() -> None:
    config = Config(root=Path("."), fields=MappingProxyType({"region": "string", "effective": "date"}))
    assert parse(brief_text(region="Asia"), config).fields == {"region": "Asia", "effective": None}


def test_an_undeclared_key_is_an_error_with_the_closest_key() -> None:
    with pytest.raises(ContentError) as info:
        parse(brief_text(Summary="Twice."))
    assert [p.message for p in info.value.problems] == [
        "unknown key 'Summary'; expected a front-matter key or a field declared in digest.yaml; did you mean 'summary'?"
    ]


def test_tags_that_slugify_alike_are_one_tag() -> None:
    config = Config(root=Path("."), open_tags=True)
    assert parse(brief_text(tags="[Export Controls, export-controls, EXPORT CONTROLS]"), config).tags == (
        "export-controls",
    )


def test_date_times_are_converted_to_the_site_timezone() -> None:
    brief = parse(brief_text(date="2025-04-26T23:30:00-05:00"), Config(timezone="Europe/Brussels"))
    assert brief.date == dt.date(2025, 4, 27)
    assert brief.has_time


def test_crlf_and_bom_are_fine() -> None:
    text = "\ufeff" + brief_text().replace("\n", "\r\n")
    from digest.content.sourcefile import decode

    assert parse(decode(text.encode("utf-8"), "x.md")).title == "A title"


def test_slug_from_front_matter_overrides_the_file_name() -> None:
    assert parse(brief_text(slug="custom-slug")).slug == "custom-slug"


def test_all_problems_of_one_brief_are_reported_together() -> None:
    with pytest.raises(ContentError) as info:
        parse(brief_text(title='""', date="2025-02-30", key_points="[]", draft="yes"))
    messages = [str(p) for p in info.value.problems]
    assert messages == [
        "content/briefs/x.md:2: 'title' is empty; expected a non-empty title",
        "content/briefs/x.md:3: 'date' must be YYYY-MM-DD or an ISO 8601 date-time, got '2025-02-30'",
        "content/briefs/x.md:5: 'key_points' has 0 items; expected 1 to 10",
        "content/briefs/x.md:6: 'draft' must be true or false, got 'yes'",
    ]


def test_missing_required_fields_name_the_field() -> None:
    with pytest.raises(ContentError) as info:
        parse("---\ntitle: Only a title\n---\n")
    assert [p.message.split(";")[0] for p in info.value.problems] == [
        "missing 'date'",
        "missing 'key_points'",
        "missing 'summary'",
    ]


def test_a_body_edit_changes_the_body_key_and_leaves_an_equal_brief() -> None:
    one = parse_brief(brief_text(), "content/briefs/x.md", "x", Config(root=Path(".")), TAXONOMY)
    two = parse_brief(brief_text() + "More.\n", "content/briefs/x.md", "x", Config(root=Path(".")), TAXONOMY)
    assert one.body_key != two.body_key and one.body_html != two.body_html
    assert one.brief == two.brief  # what lists, feeds and the site's plan show is unchanged
    assert parse(brief_text(title="Other")).meta_digest != one.brief.meta_digest
    linked = parse(brief_text() + "See [other](other.md).\n")
    assert linked != one.brief  # a new link is part of the brief (its target's URL is resolved)
