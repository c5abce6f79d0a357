"""The site's briefs as the search index is made: which briefs a reader can find, the shards
the build indexes them in (by a hash of the slug, so a brief stays in its shard), and the
filters with their counts that the search page shows. Part of the site model: pages and the
search both read it."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection

from digest.core.memo import same_inputs
from digest.core.model import Brief
from digest.site.arrange import OTHER_GROUP, Site

# Briefs per shard, about: an edit reads one shard's documents again, so a shard is small enough
# for that to keep up with saving, and large enough that the index is not joined from too many.
# (A reader loads one index whatever the number of shards.)
SHARD_SIZE = 250


# Shards per published index, at most. Pagefind's reader compares each of a search's results
# with every matching word of every result (its time grows with the square of the results), so
# a very large digest is published as several indexes, which the search page merges.
INDEX_SHARDS = 64


YEAR_FILTER = "Year"


def indexed(site: Site) -> tuple[Brief, ...]:
    """The briefs a reader can find: drafts only where the configuration says so (`digest serve`)."""
    return tuple(b for b in site.briefs if site.config.search_drafts or not b.draft)


def shard_count(briefs: int) -> int:
    """How many shards the briefs are indexed in: a power of two keeping each near or under
    SHARD_SIZE briefs, so that an edit reads one again."""
    count = 1
    while briefs > count * SHARD_SIZE:
        count *= 2
    return count


def index_groups(count: int) -> int:
    """How many indexes `count` shards are published as (shard n in index n // INDEX_SHARDS)."""
    return max(1, -(-count // INDEX_SHARDS))


def index_folders(site: Site) -> tuple[str, ...]:
    """The folders of the published indexes under `pagefind/`: none for one index (it is
    `pagefind/` itself), else `0`, `1`, ..."""
    groups = index_groups(shard_count(len(indexed(site))))
    return () if groups == 1 else tuple(str(g) for g in range(groups))


@functools.lru_cache(maxsize=1 << 17)
def shard_of(slug: str, count: int) -> int:
    return int.from_bytes(hashlib.blake2b(slug.encode("utf-8"), digest_size=8).digest(), "big") % count


@same_inputs(lambda site: ((site.briefs,), site.config.search_drafts))
def shards(site: Site) -> dict[int, tuple[Brief, ...]]:
    """The non-empty shards of the index: shard number -> its briefs."""
    briefs = indexed(site)
    count = shard_count(len(briefs))
    groups: dict[int, list[Brief]] = {}
    for brief in briefs:
        groups.setdefault(shard_of(brief.slug, count), []).append(brief)
    return {n: tuple(groups[n]) for n in sorted(groups)}


def shards_of(site: Site, slugs: Collection[str]) -> set[int]:
    """The shards holding the documents of these briefs."""
    groups = shards(site)
    count = shard_count(sum(len(g) for g in groups.values()))
    return {shard_of(slug, count) for slug in slugs} & set(groups)


def group_labels(site: Site) -> dict[str, str]:
    labels = dict(site.taxonomy.groups)
    labels.setdefault(*OTHER_GROUP)
    return labels


@same_inputs(lambda site: ((site.briefs, site.tags, site.taxonomy), site.config.search_drafts))
def filter_counts(site: Site) -> dict[str, dict[str, int]]:
    """Filter -> value -> how many indexed briefs have it: what Pagefind's `filters()` would
    answer after loading every filter file of every shard, told by the search page itself."""
    labels = group_labels(site)
    tags: dict[str, tuple[str, str]] = {}
    counts: dict[str, dict[str, int]] = {}
    for brief in indexed(site):
        for slug in brief.tags:
            found = tags.get(slug)
            if found is None:
                tag = site.tags[slug]
                found = tags[slug] = (labels.get(tag.group, OTHER_GROUP[1]), tag.label)
            values = counts.setdefault(found[0], {})
            values[found[1]] = values.get(found[1], 0) + 1
        values = counts.setdefault(YEAR_FILTER, {})
        year = str(brief.date.year)
        values[year] = values.get(year, 0) + 1
    return {name: dict(sorted(counts[name].items())) for name in sorted(counts)}
