"""The taxonomy file: groups, tags, aliases, and errors with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.content.taxonomy import load_taxonomy
from digest.core.errors import ContentError


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "tags.yaml").write_text(text, encoding="utf-8")
    return load_taxonomy(tmp_path, "content/tags.yaml")


def test_tags_resolve_by_slug_label_or_alias(tmp_path: Path) -> None:
    taxonomy = load(
        tmp_path,
        'groups: {country: Countries}\ntags:\n  china: {label: China, group: country, aliases: [PRC, "People\'s Republic of China"]}\n',
    )
    assert [taxonomy.resolve(n) for n in ("china", "CHINA", "prc", "people's republic of china", "Japan")] == [
        "china"
    ] * 4 + [None]
    assert taxonomy.groups == {"country": "Countries"}


def test_a_missing_taxonomy_is_empty(tmp_path: Path) -> None:
    assert load_taxonomy(tmp_path, "content/tags.yaml").tags == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "tags:\n  china: {label: China, aliases: [US]}\n  united-states: {label: United States, aliases: [US]}\n",
            "content/tags.yaml:3: 'US' of tag 'united-states' is already used by tag 'china' (line 2); expected each slug, label and alias to name one tag",
        ),
        (
            "groups: {topic: Topics}\ntags:\n  chips: {label: Chips, group: hardware}\n",
            "content/tags.yaml:3: tag 'chips' names unknown group 'hardware'; expected one of: topic",
        ),
        (
            "tags:\n  Export Controls: {label: X}\n",
            "content/tags.yaml:2: tag 'Export Controls' is not a slug; expected lowercase letters, digits and '-', e.g. export-controls",
        ),
        (
            "tags:\n  chips: {lable: Chips}\n",
            "content/tags.yaml:2: unknown key 'lable' in tag 'chips'; expected label, group, aliases or description",
        ),
        (
            "tags: [a, b]\n",
            "content/tags.yaml:1: 'tags' must be a mapping; expected `tags: {slug: {label: ..., group: ...}}`",
        ),
        ("tags:\n  a: {label: [x}\n", None),
    ],
)
def test_errors_name_the_line(tmp_path: Path, text: str, expected: str | None) -> None:
    with pytest.raises(ContentError) as info:
        load(tmp_path, text)
    first = str(info.value.problems[0])
    if expected is None:
        assert first.startswith("content/tags.yaml:2: invalid YAML")
    else:
        assert first == expected
