"""The site model: briefs arranged into URLs, tags, weekly editions and an archive."""

from __future__ import annotations

import datetime as dt
import difflib
import posixpath
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from digest.content.config import Config, config_warnings
from digest.content.markup import BARE_SLUG
from digest.core.errors import Problem
from digest.core.layout import BRIEFS_DIR
from digest.core.model import Brief, Taxonomy
from digest.site.editions import Edition, EditionSettings, IsoWeek
from digest.site.tracker import Tracker

OTHER_GROUP = ("other", "Other tags")
RELATED_COUNT = 5
RELATED_WINDOW = 6
RELATED_UPDATE_LIMIT = 200  # briefs whose tags changed, past which every list is worked out again


@dataclass(frozen=True)
class Tag:
    slug: str
    label: str
    group: str
    description: str
    briefs: tuple[Brief, ...]  # newest first
    known: bool  # defined in the taxonomy

    @property
    def url(self) -> str:
        return f"/tags/{self.slug}/"


@dataclass(frozen=True)
class TagGroup:
    slug: str
    label: str
    tags: tuple[Tag, ...]


@dataclass(frozen=True)
class Week(IsoWeek):
    year: int
    week: int
    briefs: tuple[Brief, ...]  # oldest first, as an edition reads


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    briefs: tuple[Brief, ...]  # newest first

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


@dataclass(frozen=True)
class Year:
    year: int
    months: tuple[Month, ...]  # newest first

    @property
    def count(self) -> int:
        return sum(len(m.briefs) for m in self.months)


@dataclass(frozen=True)
class Neighbours:
    older: Brief | None
    newer: Brief | None


@dataclass(frozen=True)
class Site:
    config: Config
    taxonomy: Taxonomy
    briefs: tuple[Brief, ...]  # newest first
    tags: Mapping[str, Tag]  # slug -> tag, sorted by label
    groups: tuple[TagGroup, ...]  # taxonomy order, then "other"
    weeks: tuple[Week, ...]  # newest first
    years: tuple[Year, ...]  # newest first
    related: Mapping[str, tuple[Brief, ...]]
    neighbours: Mapping[str, Neighbours]
    links: Mapping[tuple[str, str], str | None]  # (brief path, ref) -> slug or None
    problems: tuple[Problem, ...]  # warnings found while arranging (images without alt text, placeholders, ...)
    images: Mapping[str, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))  # path -> size
    body_keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # slug -> body in the BodyStore
    tracker: Tracker | None = None  # the policy instruments as of the build's date (see digest.site.tracker)
    editions: tuple[Edition, ...] = ()  # each week's edition, newest first (see with_editions)
    edition_settings: EditionSettings = field(default_factory=lambda: EditionSettings(None, None, None))

    def week_of(self, brief: Brief) -> str:
        year, week, _ = brief.published.isocalendar()
        return f"{year}-W{week:02d}"


def brief_url(brief: Brief) -> str:
    return f"/briefs/{brief.slug}/"


def build_site(
    config: Config,
    taxonomy: Taxonomy,
    briefs: tuple[Brief, ...],
    memo: dict[str, object] | None = None,
    images: Mapping[str, tuple[int, int]] | None = None,
    body_keys: Mapping[str, str] | None = None,
) -> Site:
    """Arrange validated briefs into the site's structure.

    `memo` carries the related-briefs table from one build to the next: it is reused when
    no brief's slug, date or tags changed (the result is the same as computing it again).
    `images` are the sizes of the site's image files that briefs show (see digest.content.images);
    `body_keys` where each brief's body HTML is in the BodyStore (see digest.content.load)."""
    ordered = tuple(sorted(briefs, key=lambda b: b.sort_key, reverse=True))
    tags = _tags(taxonomy, ordered)
    links, problems = _links(ordered)
    return Site(
        config=config,
        taxonomy=taxonomy,
        briefs=ordered,
        tags=tags,
        groups=_groups(taxonomy, tags),
        weeks=_weeks(ordered),
        years=_years(ordered),
        related=_related_memo(ordered, memo if memo is not None else {}),
        neighbours=MappingProxyType(
            {
                b.slug: Neighbours(ordered[i + 1] if i + 1 < len(ordered) else None, ordered[i - 1] if i else None)
                for i, b in enumerate(ordered)
            }
        ),
        links=links,
        problems=tuple(problems + _image_problems(ordered) + _warnings(config, ordered, tags)),
        images=MappingProxyType(dict(images or {})),
        body_keys=MappingProxyType(dict(body_keys or {})),
    )


def _tags(taxonomy: Taxonomy, briefs: tuple[Brief, ...]) -> Mapping[str, Tag]:
    members: dict[str, list[Brief]] = defaultdict(list)
    labels: dict[str, str] = {}
    for brief in briefs:
        for slug in brief.tags:
            members[slug].append(brief)
            if slug in brief.tag_labels:
                labels.setdefault(slug, brief.tag_labels[slug])
    result = []
    for slug, tagged in members.items():
        definition = taxonomy.tags.get(slug)
        if definition:
            result.append(
                Tag(
                    slug,
                    definition.label,
                    definition.group or OTHER_GROUP[0],
                    definition.description,
                    tuple(tagged),
                    True,
                )
            )
        else:
            written = labels.get(slug, slug)
            label = written.replace("-", " ").capitalize() if written == slug else written
            result.append(Tag(slug, label, OTHER_GROUP[0], "", tuple(tagged), False))
    result.sort(key=lambda t: (t.label.casefold(), t.slug))
    return MappingProxyType({t.slug: t for t in result})


def _groups(taxonomy: Taxonomy, tags: Mapping[str, Tag]) -> tuple[TagGroup, ...]:
    names = dict(taxonomy.groups)
    names.setdefault(*OTHER_GROUP)
    groups = []
    for slug, label in names.items():
        members = tuple(t for t in tags.values() if t.group == slug)
        if members:
            groups.append(TagGroup(slug, label, members))
    return tuple(groups)


def _weeks(briefs: tuple[Brief, ...]) -> tuple[Week, ...]:
    by_week: dict[tuple[int, int], list[Brief]] = defaultdict(list)
    for brief in briefs:
        year, week, _ = brief.date.isocalendar()
        by_week[(year, week)].append(brief)
    return tuple(
        Week(year, week, tuple(reversed(members))) for (year, week), members in sorted(by_week.items(), reverse=True)
    )


def _years(briefs: tuple[Brief, ...]) -> tuple[Year, ...]:
    by_month: dict[tuple[int, int], list[Brief]] = defaultdict(list)
    for brief in briefs:
        by_month[(brief.date.year, brief.date.month)].append(brief)
    years: dict[int, list[Month]] = defaultdict(list)
    for (year, month), members in sorted(by_month.items(), reverse=True):
        years[year].append(Month(year, month, tuple(members)))
    return tuple(Year(year, tuple(months)) for year, months in years.items())


def _related_memo(briefs: tuple[Brief, ...], memo: dict[str, object]) -> Mapping[str, tuple[Brief, ...]]:
    """The related briefs, from the last build's table where that holds: as it was if no brief's
    tags changed, and after an edit of a few briefs' tags, worked out again only for the
    briefs whose lists can differ (see _affected)."""
    slugs = tuple(b.slug for b in briefs)
    tags = tuple(b.tags for b in briefs)
    by_slug = {b.slug: b for b in briefs}
    table = memo.get("related")
    last = memo.get("related_input")
    if isinstance(table, dict) and last == (slugs, tags):
        return MappingProxyType({slug: tuple(by_slug[s] for s in others) for slug, others in table.items()})
    by_tag = _members(tags)
    if isinstance(table, dict) and isinstance(last, tuple) and last[0] == slugs:
        old_tags: tuple[tuple[str, ...], ...] = last[1]
        changed = [i for i, (old, new) in enumerate(zip(old_tags, tags, strict=True)) if set(old) != set(new)]
        if len(changed) <= RELATED_UPDATE_LIMIT:
            table = dict(table)
            for index in _affected(changed, _members(old_tags), by_tag, old_tags, tags):
                table[slugs[index]] = tuple(briefs[j].slug for j in _related_of(index, tags, by_tag))
        else:
            table = None
    else:
        table = None
    if table is None:
        table = {slugs[i]: tuple(slugs[j] for j in _related_of(i, tags, by_tag)) for i in range(len(briefs))}
    memo["related"] = table
    memo["related_input"] = (slugs, tags)
    return MappingProxyType({slug: tuple(by_slug[s] for s in others) for slug, others in table.items()})


def _members(tags: Sequence[tuple[str, ...]]) -> dict[str, list[int]]:
    """Tag slug -> the positions (in date order) of the briefs that have it."""
    by_tag: dict[str, list[int]] = defaultdict(list)
    for index, own in enumerate(tags):
        for slug in own:
            by_tag[slug].append(index)
    return by_tag


def _related_of(index: int, tags: Sequence[tuple[str, ...]], by_tag: Mapping[str, list[int]]) -> list[int]:
    """Up to RELATED_COUNT briefs sharing most tags with brief `index`.

    Candidates are the RELATED_WINDOW briefs nearest in time on each side within each of
    its tags (so the cost grows with the number of briefs, not its square), scored by how
    many of those windows they are in; ties go to the brief nearest in time, then the newer.
    """
    counts: dict[int, int] = {}
    for slug in tags[index]:
        members = by_tag[slug]
        at = bisect_left(members, index)
        for j in members[max(0, at - RELATED_WINDOW) : at + RELATED_WINDOW + 1]:
            counts[j] = counts.get(j, 0) + 1
    counts.pop(index, None)
    return [j for _, _, j in sorted([(-count, abs(j - index), j) for j, count in counts.items()])[:RELATED_COUNT]]


def _affected(
    changed: Iterable[int],
    old_members: Mapping[str, list[int]],
    new_members: Mapping[str, list[int]],
    old_tags: Sequence[tuple[str, ...]],
    new_tags: Sequence[tuple[str, ...]],
) -> set[int]:
    """The briefs whose related list can differ when the briefs `changed` (positions; the same
    briefs in the same order) changed their tags: those, and in each tag they left or joined,
    the briefs near enough for their windows to gain or lose them. A brief further away in
    that tag sees the same neighbours, only shifted along with itself."""
    affected: set[int] = set()
    for index in changed:
        affected.add(index)
        for slug in set(old_tags[index]) ^ set(new_tags[index]):
            for members in (old_members.get(slug, []), new_members.get(slug, [])):
                at = bisect_left(members, index)
                affected.update(members[max(0, at - RELATED_WINDOW - 1) : at + RELATED_WINDOW + 2])
    return affected


def _image_problems(briefs: tuple[Brief, ...]) -> list[Problem]:
    """Images without alt text: a reader who cannot see them learns nothing of them."""
    return [
        Problem(
            brief.path,
            image.line,
            f"image '{image.src}' has no alt text; expected a short description of what it shows, "
            f"as in ![Chart of chip exports]({image.src})",
            "warning",
        )
        for brief in briefs
        for image in brief.images
        if not image.alt
    ]


def brief_file(brief: Brief, ref: str) -> str | None:
    """The brief file a link of `brief` names (`other.md`, or its slug `other`), relative to the
    site root; None for a link of another kind (a URL path of the site)."""
    target = urlsplit(ref).path
    if not target.endswith(".md"):
        return f"{BRIEFS_DIR}/{target}.md" if BARE_SLUG.match(target) else None
    if target.startswith("/"):
        return posixpath.normpath(BRIEFS_DIR + target)
    return posixpath.normpath(posixpath.join(posixpath.dirname(brief.path), target))


def _links(briefs: tuple[Brief, ...]) -> tuple[Mapping[tuple[str, str], str | None], list[Problem]]:
    """Resolve each brief's links to other briefs (`other.md`, or the slug `other`) to slugs
    (None: no such brief, which the build reports: see digest.site.links)."""
    by_path = {b.path: b.slug for b in briefs}
    by_slug = {b.slug: b.slug for b in briefs}
    links: dict[tuple[str, str], str | None] = {}
    for brief in briefs:
        for ref, _ in brief.refs:
            candidate = brief_file(brief, ref)
            if candidate is not None:
                slug = by_path.get(candidate)
                if slug is None and not ref.endswith(".md"):
                    slug = by_slug.get(urlsplit(ref).path)  # (a slug set with `slug:`)
                links[(brief.path, ref)] = slug
    return MappingProxyType(links), []


def _warnings(config: Config, briefs: tuple[Brief, ...], tags: Mapping[str, Tag]) -> list[Problem]:
    """What a writer should fix before publishing: each brief's own warnings (placeholders,
    tags outside the taxonomy), titles used twice, tags outside the taxonomy that look alike,
    and the configuration's."""
    problems = [w for brief in briefs for w in brief.warnings]
    titles: dict[str, Brief] = {}
    for brief in sorted(briefs, key=lambda b: (b.published, b.path)):  # (the later brief is the one to rename)
        first = titles.setdefault(brief.title.casefold(), brief)
        if first is not brief:
            problems.append(
                Problem(
                    brief.path,
                    brief.lines.get("title", 1),
                    f"title '{brief.title}' is also the title of {first.path}; expected a title of its own",
                    "warning",
                )
            )
    unknown = [t for t in tags.values() if not t.known]
    for index, tag in enumerate(unknown):
        for other in unknown[index + 1 :]:
            if difflib.SequenceMatcher(None, tag.slug, other.slug).ratio() >= 0.85:
                first = other.briefs[-1]
                problems.append(
                    Problem(
                        first.path,
                        first.lines.get("tags", 1),
                        f"tags '{tag.label}' and '{other.label}' look like near-duplicates; expected one spelling",
                        "warning",
                    )
                )
    return problems + config_warnings(config)
