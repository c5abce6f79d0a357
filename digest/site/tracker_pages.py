"""The tracker's outputs, added to the site's plan: the instruments' pages, the deadlines, the
calendars and the exports, and the instruments that country tag pages and brief pages show.

A page's context holds exactly what it shows, so its fingerprint changes when that does: the
deadlines and each instrument's page (which mark the build's date) on every new day; the
table, the exports and the tag pages only when an event moves from upcoming to past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType

from digest.site.arrange import Site
from digest.site.pages import Page
from digest.site.tracker import Tracker


def with_tracker(pages: Sequence[Page], site: Site, tracker: Tracker | None) -> tuple[Page, ...]:
    """`pages` (a plan ending with the sitemap) with the tracker's outputs; as they are without instruments."""
    if tracker is None or not tracker.standings:
        return tuple(pages)
    *planned, sitemap = pages
    shown: list[Page] = []
    for page in planned:
        context = page.context
        if page.template == "tag.html" and context["pager"].number == 1:
            standings = tracker.of_jurisdiction(context["tag"].slug)
            if standings:
                page = replace(page, context=MappingProxyType({**context, "instruments": standings}))
        elif page.template == "brief.html":
            instruments = tracker.of_brief(context["brief"])
            if instruments:
                page = replace(page, context=MappingProxyType({**context, "instruments": instruments}))
        shown.append(page)
    title = site.config.title
    count = len(tracker.standings)
    added = [
        Page(
            "/instruments/",
            "instruments.html",
            "Policy instruments",
            f"The {count} laws, rules, orders and strategies that {title} follows, with their next milestones.",
            "instruments",
            MappingProxyType({"standings": tracker.standings}),
        ),
        Page(
            "/deadlines/",
            "deadlines.html",
            "Upcoming deadlines",
            f"The milestones of the policy instruments {title} follows, from {tracker.today.isoformat()} on.",
            "instruments",
            MappingProxyType({"months": tracker.months, "today": tracker.today}),
        ),
    ]
    for standing in tracker.standings:
        instrument = standing.instrument
        added.append(
            Page(
                instrument.url,
                "instrument.html",
                instrument.title,
                f"{instrument.title}: its timeline, status, official text and the briefs about it.",
                "instruments",
                MappingProxyType({"standing": standing, "today": tracker.today}),
            )
        )
        added.append(_export(f"{instrument.url}calendar.ics", "ics", f"{instrument.name} — {title}", (standing,)))
    added.append(_export("/calendar.ics", "ics", f"Policy calendar — {title}", tracker.standings))
    added.append(_export("/instruments.csv", "csv", "", tracker.standings))
    added.append(_export("/instruments.json", "json", "", tracker.standings))
    everything = [*shown, *added]
    listed = tuple(p for p in everything if p.in_sitemap)
    return (*everything, replace(sitemap, context=MappingProxyType({**sitemap.context, "pages": listed})))


def _export(url: str, kind: str, title: str, standings: tuple[object, ...]) -> Page:
    """A file made by digest.theme.exports rather than a template."""
    context = MappingProxyType({"export": kind, "standings": standings})
    return Page(url, "", title, "", "", context, in_sitemap=False)
