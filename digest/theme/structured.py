"""Structured data (schema.org JSON-LD) for the pages that search engines and link previews read.

Pure functions returning plain dicts; templates print them with Jinja's `tojson` inside
`<script type="application/ld+json">` (which escapes `<`, `>` and `&`, so no text of a brief
can end the script element).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from digest.content.config import Config
from digest.core.model import Brief

CONTEXT = "https://schema.org"

AbsUrl = Callable[[str], str]  # site path ('/tags/') -> absolute URL


def _date(value: dt.datetime) -> str:
    """Date, time and UTC offset (the briefs' dates are aware, in the site's time zone)."""
    return value.isoformat(timespec="seconds")


def publisher(config: Config, abs_url: AbsUrl) -> dict[str, Any]:
    return {"@type": "Organization", "name": config.title, "url": abs_url("/")}


def article(
    brief: Brief, config: Config, abs_url: AbsUrl, url: str, keywords: Sequence[str], minutes: int | None = None
) -> dict[str, Any]:
    """A brief as a `NewsArticle`: headline, summary, dates, keywords, source, publisher."""
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "NewsArticle",
        "headline": brief.title,
        "description": brief.summary,
        "datePublished": _date(brief.published),
        "dateModified": _date(brief.last_modified),
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "inLanguage": config.language,
        "author": {"@type": "Organization", "name": config.author},
        "publisher": publisher(config, abs_url),
        "isPartOf": {"@type": "WebSite", "name": config.title, "url": abs_url("/")},
    }
    if keywords:
        data["keywords"] = list(keywords)
    if minutes:
        data["timeRequired"] = f"PT{minutes}M"
    source = brief.source
    if source and (source.name or source.url):
        work: dict[str, Any] = {"@type": "CreativeWork"}
        if source.name:
            work["name"] = source.name
        if source.url:
            work["url"] = source.url
        if source.published:
            work["datePublished"] = source.published.isoformat()
        data["isBasedOn"] = work
    return data


def breadcrumbs(trail: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """A `BreadcrumbList` of (name, absolute URL), from the home page down to the page."""
    return {
        "@context": CONTEXT,
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": position, "name": name, "item": url}
            for position, (name, url) in enumerate(trail, start=1)
        ],
    }


def collection(
    name: str,
    description: str,
    url: str,
    items: Sequence[tuple[str, str]],
    config: Config,
    abs_url: AbsUrl,
    first_position: int = 1,
) -> dict[str, Any]:
    """A page listing briefs (a tag, a weekly edition) as a `CollectionPage` whose main entity
    is the `ItemList` of the briefs it shows, as (title, absolute URL)."""
    return {
        "@context": CONTEXT,
        "@type": "CollectionPage",
        "name": name,
        "description": description,
        "url": url,
        "inLanguage": config.language,
        "isPartOf": {"@type": "WebSite", "name": config.title, "url": abs_url("/")},
        "publisher": publisher(config, abs_url),
        "mainEntity": {
            "@type": "ItemList",
            "numberOfItems": len(items),
            "itemListElement": [
                {"@type": "ListItem", "position": position, "url": item_url, "name": title}
                for position, (title, item_url) in enumerate(items, start=first_position)
            ],
        },
    }
