"""Planning outputs: every URL of the site with its template and what it shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from digest.core.model import Brief
from digest.site.arrange import Site, brief_url
from digest.site.shards import filter_counts, index_folders, shards

FEED_SIZE = 20
T = TypeVar("T")


@dataclass(frozen=True)
class Pager:
    """One page of a paginated list whose first page is at `base`."""

    number: int
    total: int
    base: str

    def url_for(self, number: int) -> str:
        return self.base if number == 1 else f"{self.base}page/{number}/"

    @property
    def url(self) -> str:
        return self.url_for(self.number)

    @property
    def prev_url(self) -> str | None:
        return self.url_for(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url_for(self.number + 1) if self.number < self.total else None


class _once(Generic[T]):
    """A property computed on first use and then kept in the instance: functools.cached_property
    without the lock it takes on every first use in Python 3.11 (a build plans several
    pages per brief, and asks each its path)."""

    def __init__(self, function: Callable[[Any], T]) -> None:
        self.function = function
        self.name = function.__name__

    def __get__(self, instance: object, owner: type | None = None) -> T:
        if instance is None:
            return self  # type: ignore[return-value]
        value = instance.__dict__[self.name] = self.function(instance)
        return value


@dataclass(frozen=True)
class Page:
    """A planned output: its URL, the template that renders it and the values it shows."""

    url: str
    template: str
    title: str
    description: str
    section: str = ""
    context: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    in_sitemap: bool = True
    lastmod: str | None = None

    @_once
    def path(self) -> str:
        """The file this page becomes, relative to the output folder."""
        relative = self.url.lstrip("/")
        return relative + "index.html" if self.url.endswith("/") else relative


def paginate(items: Sequence[Brief], per_page: int, base: str) -> list[tuple[Pager, tuple[Brief, ...]]]:
    total = max(1, -(-len(items) // per_page))
    return [(Pager(n, total, base), tuple(items[(n - 1) * per_page : n * per_page])) for n in range(1, total + 1)]


def plan_pages(site: Site) -> tuple[Page, ...]:
    """Every output of the site, in a stable order; the sitemap lists the HTML pages."""
    pages = [
        *_front_pages(site),
        *_brief_pages(site),
        *_tag_pages(site),
        *_edition_pages(site),
        *_other_pages(site),
    ]
    listed = tuple(p for p in pages if p.in_sitemap)
    pages.append(Page("/sitemap.xml", "sitemap.xml", "", "", "", MappingProxyType({"pages": listed}), in_sitemap=False))
    return tuple(pages)


def _front_pages(site: Site) -> Iterator[Page]:
    """The front page (the latest edition first, then the latest briefs) and its later pages."""
    config = site.config
    latest = site.editions[0] if site.editions else None
    for pager, items in paginate(site.briefs, config.per_page, "/"):
        suffix = f" (page {pager.number} of {pager.total})" if pager.number > 1 else ""
        front = {"edition": latest, "signup_url": site.edition_settings.signup_url} if pager.number == 1 else {}
        yield Page(
            pager.url,
            "index.html",
            f"Latest briefs{suffix}",
            config.description,
            "latest",
            MappingProxyType({"briefs": items, "pager": pager, "edition": None, "signup_url": None, **front}),
        )


def _brief_pages(site: Site) -> Iterator[Page]:
    config = site.config
    editions = {e.key: e.ref for e in site.editions}
    for position, brief in enumerate(site.briefs):
        yield Page(
            brief_url(brief),
            "brief.html",
            brief.title,
            brief.summary,
            "latest" if position < config.per_page else "archive",  # (the nav's current section)
            MappingProxyType(
                {
                    "brief": brief,
                    "neighbours": site.neighbours[brief.slug],
                    "related": site.related[brief.slug],
                    "week": site.week_of(brief),
                    "edition": editions.get(site.week_of(brief)),
                }
            ),
            lastmod=brief.last_modified.date().isoformat(),
        )


def _tag_pages(site: Site) -> Iterator[Page]:
    """The tag index, and each tag's pages and feed."""
    config = site.config
    yield Page(
        "/tags/",
        "tags.html",
        "Tags",
        f"All {len(site.tags)} tags of {config.title}, by group.",
        "tags",
        MappingProxyType({"groups": site.groups}),
    )
    for tag in site.tags.values():
        description = tag.description or f"Briefs tagged {tag.label}."
        for pager, items in paginate(tag.briefs, config.per_page, tag.url):
            suffix = f" (page {pager.number} of {pager.total})" if pager.number > 1 else ""
            yield Page(
                pager.url,
                "tag.html",
                f"{tag.label}{suffix}",
                description,
                "tags",
                MappingProxyType({"tag": tag, "briefs": items, "pager": pager}),
            )
        yield Page(
            f"{tag.url}feed.xml",
            "feed.xml",
            f"{tag.label} — {config.title}",
            description,
            "",
            MappingProxyType({"briefs": tag.briefs[:FEED_SIZE], "feed_url": f"{tag.url}feed.xml", "home_url": tag.url}),
            in_sitemap=False,
        )


def _edition_pages(site: Site) -> Iterator[Page]:
    """The list of weekly editions, and each edition."""
    yield Page(
        "/weeks/",
        "weeks.html",
        "Weekly editions",
        f"Every week of {site.config.title}, one edition each.",
        "weeks",
        MappingProxyType({"editions": site.editions}),
    )
    for index, edition in enumerate(site.editions):
        older = site.editions[index + 1].ref if index + 1 < len(site.editions) else None
        newer = site.editions[index - 1].ref if index else None
        count = len(edition.briefs)
        yield Page(
            edition.url,
            "week.html",
            f"No. {edition.number}: {edition.title}",
            f"{edition.summary} {count} {'brief' if count == 1 else 'briefs'}, {edition.dates}.",
            "weeks",
            MappingProxyType({"edition": edition, "older": older, "newer": newer}),
        )


def _other_pages(site: Site) -> Iterator[Page]:
    """The archive, search, the 404 page, the site's feeds and robots.txt."""
    config = site.config
    yield Page(
        "/archive/",
        "archive.html",
        "Archive",
        f"Every brief of {config.title} by year and month.",
        "archive",
        MappingProxyType({"years": site.years}),
    )
    if config.search:
        yield Page(
            "/search/",
            "search.html",
            "Search",
            f"Search every brief of {config.title} by words, tags and year.",
            "search",
            MappingProxyType(
                {"indexed": bool(shards(site)), "indexes": index_folders(site), "filters": filter_counts(site)}
            ),
            in_sitemap=False,
        )
    yield Page("/404.html", "404.html", "Page not found", "This page does not exist.", "", in_sitemap=False)
    latest = MappingProxyType({"briefs": site.briefs[:FEED_SIZE], "feed_url": "/feed.xml", "home_url": "/"})
    yield Page("/feed.xml", "feed.xml", config.title, config.description, "", latest, in_sitemap=False)
    yield Page(
        "/feed.json",
        "",
        config.title,
        config.description,
        "",
        MappingProxyType({"briefs": site.briefs[:FEED_SIZE]}),
        in_sitemap=False,
    )
    yield Page("/robots.txt", "robots.txt", "", "", "", in_sitemap=False)
