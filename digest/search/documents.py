"""The search documents: one small HTML file per brief, what Pagefind indexes.

The index is made from the content model, not from the rendered pages, so an incremental
build that renders a single page still indexes every brief. Each brief becomes a document in
`.digest-cache/search/<output>/docs/<shard>/briefs/<slug>/index.html` holding what a reader searches
(title, summary, key points and body, weighted toward the title and key points) and what a
result shows (title, date, summary, tags), plus the filters (one per tag group, and the
year). Documents are rewritten only when their brief, its tags or the settings changed: each
has a key (`document_keys`), and each shard's index a key made of its documents' (`shard_keys`).

Chinese and Japanese text has no spaces between words, and Pagefind only splits it in a
Chinese or Japanese index, which a page in the site's language never loads. So han and kana
characters are indexed one by one (a space between each), and the search page splits a
query the same way: a search for 芯片 finds every brief with 芯 and 片, best matches first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import json
import os
import re
import shutil
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from digest.core.memo import same_inputs
from digest.core.model import Brief
from digest.search.tool import pagefind_version
from digest.site.arrange import OTHER_GROUP, Site
from digest.site.shards import YEAR_FILTER, group_labels, shard_count, shards

FORMAT = "4"  # bump when the documents, or the index made of them, change shape
# The metadata fields of a document: those a page has are numbered in this order in the index.
FIELDS = ("title", "summary", "date", "datetime", "tags", "source", "draft", "tail")
_CJK = "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PAIR = re.compile(f"(?<=[{_CJK}])(?=[{_CJK}])")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_TAG = re.compile(r"(<[^>]*>)")


def space_cjk(markup: str) -> str:
    """A space between adjacent han/kana characters in the text of `markup` (not in its tags)."""
    if not _CJK_CHAR.search(markup):
        return markup  # (most text: one scan instead of splitting and testing every position)
    parts = _TAG.split(markup)
    return "".join(p if p.startswith("<") else _CJK_PAIR.sub(" ", p) for p in parts)


@dataclass(frozen=True)
class TagTerms:
    """What a search document shows and matches of one tag."""

    label: str
    url: str
    filter: str  # the label of its group: the name of the filter it is a value of
    terms: str  # its label and the aliases the taxonomy gives it, as a search matches them

    @property
    def key(self) -> str:
        return f"{self.url}\x1f{self.label}\x1f{self.filter}\x1f{self.terms}"


@dataclass(frozen=True)
class Vocabulary:
    """All a search document takes of the site besides its brief and its body: the language,
    the synonyms folded, whether drafts are found, and each tag's terms. A plain value, so that
    the next build's head start (build.headstart) makes documents from it alone."""

    language: str
    synonyms: tuple[tuple[str, ...], ...]
    search_drafts: bool
    tags: Mapping[str, TagTerms]


@same_inputs(lambda site: ((site.config, site.taxonomy, site.tags), None))
def vocabulary(site: Site) -> Vocabulary:
    """The site's vocabulary (see Vocabulary)."""
    labels = group_labels(site)
    tags = {}
    for slug, t in site.tags.items():
        definition = site.taxonomy.tags.get(slug)
        aliases = definition.aliases if definition is not None else ()
        terms = " ".join(dict.fromkeys([t.label, *aliases]))
        tags[slug] = TagTerms(t.label, t.url, labels.get(t.group, OTHER_GROUP[1]), terms)
    config = site.config
    return Vocabulary(config.language, config.synonyms, config.search_drafts, tags)


def document_keys(
    words: Vocabulary, version: str, briefs: Iterable[Brief], body_keys: Mapping[str, str]
) -> dict[str, str]:
    """Slug -> a hash of everything that brief's search document is made of (its text through
    its `meta_digest` and body key, its tags' labels, groups and URLs, the language, and the
    `version` of the code that makes documents), for those of `briefs` a reader can find."""
    tags = {slug: t.key for slug, t in words.tags.items()}
    synonyms = "\x1d".join("\x1f".join(group) for group in words.synonyms)
    common = f"{FORMAT}\x1e{version}\x1e{words.language}\x1e{synonyms}\x1e"
    keys = {}
    for brief in (b for b in briefs if words.search_drafts or not b.draft):
        text = (
            common
            + brief.meta_digest
            + body_keys.get(brief.slug, "")
            + brief.published.isoformat()
            + "\x1e"
            + "\x1e".join([tags[s] for s in brief.tags])
        )
        keys[brief.slug] = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return keys


def shard_keys(site: Site, keys: Mapping[str, str], only: Collection[int] | None = None) -> dict[int, str]:
    """Each shard's index (or the shards in `only`): changes when any of its documents does, or
    the Pagefind version, the language or the number of shards."""
    groups = shards(site)
    count = shard_count(sum(len(g) for g in groups.values()))
    found = {}
    for shard, members in groups.items():
        if only is not None and shard not in only:
            continue
        digest = hashlib.blake2b(
            f"{FORMAT} {pagefind_version()} {site.config.language} {count} {shard}".encode(), digest_size=16
        )
        for slug in sorted(b.slug for b in members):
            digest.update(f"{slug}={keys[slug]};".encode())
        found[shard] = digest.hexdigest()
    return found


@functools.lru_cache(maxsize=8)
def _variants(synonyms: tuple[tuple[str, ...], ...]) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """Each group of synonyms: a pattern finding any of them as whole words, and the group."""
    found = []
    for group in synonyms:
        words = "|".join(re.escape(w) for w in sorted(group, key=len, reverse=True))
        found.append((re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE), group))
    return tuple(found)


def folded(synonyms: tuple[tuple[str, ...], ...], text: str) -> list[str]:
    """The synonyms of the words and phrases of `text` that `text` does not hold itself, so that a
    search for any spelling of a group finds the brief (licence finds license)."""
    extra: list[str] = []
    for pattern, group in _variants(synonyms):
        present = {m.casefold() for m in pattern.findall(text)}
        if present:
            extra += [w for w in group if w.casefold() not in present]
    return extra


def document(words: Vocabulary, brief: Brief, body_html: str, date_text: str) -> str:
    """The HTML Pagefind indexes for one brief. Meta values are the plain text a result shows.

    After the text come the brief's tags (labels and aliases, weighted as key points are, so that
    a brief tagged with what a reader searches for ranks above one that mentions it) and the
    synonyms the site folds; `tail` tells the search page how many words those are, so that an
    excerpt never shows them (nor the title and summary, which a result shows already)."""
    e = html.escape
    terms = [words.tags[s] for s in brief.tags]
    tags = json.dumps([[t.label, t.url] for t in terms], ensure_ascii=False)
    tag_terms = space_cjk(" ".join(t.terms for t in terms))
    synonyms = ""
    if words.synonyms:
        text = _TAG.sub(" ", " ".join([e(brief.title), e(brief.summary), *brief.key_points_html, body_html]))
        synonyms = space_cjk(" ".join(folded(words.synonyms, text)))
    meta = {
        "title": brief.title,
        "summary": brief.summary,
        "date": date_text,
        "datetime": brief.date.isoformat(),
        "tags": tags,
    }
    if brief.source is not None and brief.source.name:
        meta["source"] = brief.source.name
    if brief.draft:
        meta["draft"] = "draft"
    meta["tail"] = str(len(tag_terms.split()) + len(synonyms.split()))
    hidden = "".join(f'<span data-pagefind-meta="{k}">{e(v)}</span>' for k, v in meta.items())
    hidden += "".join(
        f'<span data-pagefind-filter="{e(name)}">{e(value)}</span>'
        for name, value in [*((t.filter, t.label) for t in terms), (YEAR_FILTER, str(brief.date.year))]
    )
    # Newest first as a number whose ascending order it is: Pagefind scores a sorted result by its
    # place in its index's order, so counted from the newest, each part of a very large digest
    # puts its newest results first, whatever the part's size (templates/static/search.js).
    hidden += f'<span data-pagefind-sort="newest">{-int(brief.published.timestamp())}</span>'
    points = "".join(f"<li>{space_cjk(p)}</li>" for p in brief.key_points_html)
    return (
        f'<!DOCTYPE html><html lang="{e(words.language)}"><head><meta charset="utf-8">'
        f"<title>{e(brief.title)}</title></head><body><main data-pagefind-body>"
        f'<h1 data-pagefind-weight="10">{space_cjk(e(brief.title))}</h1>'
        f'<p data-pagefind-weight="4">{space_cjk(e(brief.summary))}</p>'
        f'<ul data-pagefind-weight="6">{points}</ul>'
        f"<div>{space_cjk(body_html)}</div>"
        + (f'<p data-pagefind-weight="6">{e(tag_terms)}</p>' if tag_terms else "")
        + (f"<p>{e(synonyms)}</p>" if synonyms else "")
        + f"<div data-pagefind-ignore>{hidden}</div>"
        "</main></body></html>"
    )


def sync_documents(shard_docs: Path, keys: Mapping[str, str], make: Callable[[str], str]) -> bool:
    """Bring the documents of one shard to `keys` (slug -> document key): a document whose key
    differs from the shard's manifest (or that is missing) is written with `make(slug)`, one of
    another brief removed. True if anything was written or removed. (OSError as it comes.)"""
    manifest_path = shard_docs / "manifest.json"
    wrote = False
    manifest = read_manifest(shard_docs)
    if manifest is None:
        manifest = {}
        shutil.rmtree(shard_docs, ignore_errors=True)
        wrote = True
    manifest_path.unlink(missing_ok=True)  # written again once every document is in place
    wrote = remove_others(shard_docs / "briefs", keys) or wrote
    folder = str(shard_docs / "briefs")
    os.makedirs(folder, exist_ok=True)
    for slug, key in keys.items():
        target = f"{folder}/{slug}/index.html"
        if manifest.get(slug) == key and os.path.isfile(target):
            continue
        with contextlib.suppress(FileExistsError):
            os.mkdir(f"{folder}/{slug}")
        # (written in place: with the manifest gone until every document is written, a build
        # killed meanwhile leaves the next one to write the shard's documents again)
        with open(target, "w", encoding="utf-8", opener=_no_follow) as handle:
            handle.write(make(slug))
        wrote = True
    manifest_path.write_text(json.dumps(dict(keys), sort_keys=True), encoding="utf-8")
    return wrote


def _no_follow(path: str, flags: int) -> int:
    """An `opener` that never writes through a symbolic link (the documents are in the cache)."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)


def read_manifest(shard_docs: Path) -> dict[str, str] | None:
    """Slug -> key of each document in place in a shard's folder; None if unknown."""
    try:
        manifest = json.loads((shard_docs / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def remove_others(folder: Path, keep: Iterable[str]) -> bool:
    """Remove what `folder` holds but the names in `keep`; True if anything was there."""
    wanted = set(keep)
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return False
    removed = False
    for entry in entries:
        if entry.name not in wanted:
            # (a document that stays would be indexed: a failure is the caller's error to report)
            with contextlib.suppress(FileNotFoundError):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
            removed = True
    return removed
