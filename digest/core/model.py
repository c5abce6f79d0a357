"""The content model: frozen values read from the content files."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from slugify import slugify as _slugify

from digest.core.errors import Problem

# The keys of a brief (see PRODUCT.md), and those `digest import` writes: anything else must be
# declared under `fields:` in digest.yaml, so a typo (`darft`, `Tags`) never silently drops data.
KNOWN_KEYS = frozenset(
    {"title", "date", "summary", "key_points", "tags", "source", "updated", "draft", "slug"}
    | {"why_it_matters", "instruments", "review", "imported_from", "generated"}
)


def slugify(text: str) -> str:
    """`Export Controls` -> `export-controls`; non-Latin text is transliterated."""
    return _slugify(str(text), lowercase=True, max_length=80, word_boundary=True)


@dataclass(frozen=True)
class Source:
    name: str | None = None
    url: str | None = None
    published: dt.date | None = None


@dataclass(frozen=True)
class Image:
    """An image in a brief's body: its `src` as written, its alt text, and its line."""

    src: str
    alt: str
    line: int


@dataclass(frozen=True)
class TagDef:
    """A tag as the taxonomy defines it."""

    slug: str
    label: str
    group: str | None
    aliases: tuple[str, ...] = ()
    description: str = ""
    line: int = 0


@dataclass(frozen=True)
class Taxonomy:
    path: str
    groups: Mapping[str, str]  # slug -> label, in file order
    tags: Mapping[str, TagDef]  # slug -> definition, in file order
    lookup: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # casefolded name -> slug

    def resolve(self, name: str) -> str | None:
        """The slug a tag name (slug, label or alias, any case) stands for, or None."""
        key = name.strip().casefold()
        if key in self.lookup:
            return self.lookup[key]
        slug = slugify(name)
        return slug if slug in self.tags else None

    def unknown(self, name: str) -> str:
        """What is wrong with a tag name outside the taxonomy, with the closest known tag if one is close."""
        message = f"tag '{name}' is not in {self.path}"
        names: dict[str, str] = {}
        for slug, definition in self.tags.items():
            for known in (slug, definition.label, *definition.aliases):
                names.setdefault(known.casefold(), slug)
        close = difflib.get_close_matches(name.casefold(), list(names), n=1, cutoff=0.75)
        if close:
            return f"{message}; did you mean '{names[close[0]]}'?"
        return f"{message}; expected a slug, label or alias from {self.path} (or add '{slugify(name)}' there)"


@dataclass(frozen=True)
class Brief:
    """One brief, validated, with its key points rendered (link placeholders unresolved).

    The body's HTML is kept apart (see `ParsedBrief`), so the list of every brief stays
    small enough to cache and load quickly; pages get it through their BodyStore, by the key
    the site holds for the brief (`Site.body_keys`). So a Brief is equal to the one parsed
    before an edit of the body alone, as long as the body's links and images stay the same."""

    path: str  # relative to the site root, for messages
    slug: str
    title: str
    published: dt.datetime  # aware, in the site's timezone
    has_time: bool
    summary: str
    key_points: tuple[str, ...]  # Markdown source
    key_points_html: tuple[str, ...]
    tags: tuple[str, ...]  # resolved slugs, in the brief's order, unique
    tag_labels: Mapping[str, str]  # slug -> label as written, for tags not in the taxonomy
    source: Source | None
    updated: dt.datetime | None
    draft: bool
    refs: tuple[tuple[str, int], ...]  # (link to a brief file, line) from the body and key points
    extra: Mapping[str, Any]
    lines: Mapping[str, int]  # line of `slug`, `tags` and each tag (`tags.0`...), for later messages
    meta_digest: str  # hash of the path and the front matter: unchanged by body edits
    images: tuple[Image, ...] = ()  # the body's images, with their line in the file
    fields: Mapping[str, Any] = field(default_factory=dict)  # the site's declared keys
    warnings: tuple[Problem, ...] = ()  # what a writer should fix before publishing (placeholders, open tags)

    @property
    def date(self) -> dt.date:
        return self.published.date()

    @property
    def last_modified(self) -> dt.datetime:
        return self.updated or self.published

    @property
    def sort_key(self) -> tuple[dt.datetime, str]:
        return (self.published, self.slug)


@dataclass(frozen=True)
class ParsedBrief:
    """A brief as parsed from its file: the Brief, its body's HTML, and the content hash of the
    Markdown body (the key of that HTML in a BodyStore), with the body's words and CJK characters
    (for its reading time, counted once rather than on every page that shows it)."""

    brief: Brief
    body_html: str
    body_key: str
    body_counts: tuple[int, int]
