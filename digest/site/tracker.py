"""The policy tracker: instruments as of the build's date (what is past, what comes next).

Everything here follows from the instruments, the briefs and `today`, and is computed anew on
every build; the pages that show it are fingerprinted by these values, so a new day renders
again only the pages whose values changed (see digest.site.tracker_pages).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from digest.content.instruments import Event, Instrument
from digest.core.errors import Problem
from digest.core.model import Brief, Taxonomy

IN_FORCE_STATUSES = ("in-force", "partly-in-force")
NOT_YET_STATUSES = ("proposed", "adopted")
# (an event whose wording says the instrument starts to bind: what `in-force` must rest on)
_IN_FORCE = re.compile(
    r"\b(enter(s|ed)? into force|entry into force|in force|takes? effect|took effect|effective|appl(y|ies|ied))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Standing:
    """An instrument as of the build's date."""

    instrument: Instrument
    past: tuple[Event, ...]  # on or before the day before `today`, oldest first
    upcoming: tuple[Event, ...]  # from `today` on, soonest first
    briefs: tuple[Brief, ...]  # the briefs about it, newest first
    related: tuple[Instrument, ...]
    jurisdiction_label: str
    jurisdiction_url: str | None  # its tag page, when the site has one
    authority_labels: tuple[str, ...]

    @property
    def last_event(self) -> Event | None:
        return self.past[-1] if self.past else None

    @property
    def next_milestone(self) -> Event | None:
        return next((e for e in self.upcoming if e.milestone), None)


@dataclass(frozen=True)
class Deadline:
    """An upcoming milestone of an instrument, and the days to go from the build's date."""

    event: Event
    standing: Standing
    days: int


@dataclass(frozen=True)
class DeadlineMonth:
    year: int
    month: int
    deadlines: tuple[Deadline, ...]  # soonest first

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


@dataclass(frozen=True)
class Tracker:
    today: dt.date
    standings: tuple[Standing, ...]  # by title
    by_slug: Mapping[str, Standing]
    months: tuple[DeadlineMonth, ...]  # soonest first
    warnings: tuple[Problem, ...]

    def of_jurisdiction(self, slug: str) -> tuple[Standing, ...]:
        return tuple(s for s in self.standings if s.instrument.jurisdiction == slug)

    def of_brief(self, brief: Brief) -> tuple[Instrument, ...]:
        slugs = brief.extra.get("instruments") or ()
        return tuple(self.by_slug[s].instrument for s in slugs if s in self.by_slug)


def track(
    instruments: Iterable[Instrument],
    briefs: Iterable[Brief],
    today: dt.date,
    taxonomy: Taxonomy,
    tag_pages: Iterable[str] = (),
) -> Tracker:
    """The instruments as of `today`; `tag_pages` are the tags that have a page on the site."""
    instruments = tuple(instruments)
    by_slug = {i.slug: i for i in instruments}
    about: dict[str, list[Brief]] = {i.slug: [] for i in instruments}
    for brief in sorted(briefs, key=lambda b: b.sort_key, reverse=True):
        for slug in dict.fromkeys(brief.extra.get("instruments") or ()):
            if slug in about:
                about[slug].append(brief)
    pages = set(tag_pages)

    def label(slug: str) -> str:
        definition = taxonomy.tags.get(slug)
        return definition.label if definition else slug

    standings = []
    for instrument in sorted(instruments, key=lambda i: (i.title.casefold(), i.slug)):
        jurisdiction = instrument.jurisdiction
        standings.append(
            Standing(
                instrument=instrument,
                past=tuple(e for e in instrument.events if e.date < today),
                upcoming=tuple(e for e in instrument.events if e.date >= today),
                briefs=tuple(about[instrument.slug]),
                related=tuple(by_slug[s] for s in instrument.related if s in by_slug),
                jurisdiction_label=label(jurisdiction),
                jurisdiction_url=f"/tags/{jurisdiction}/" if jurisdiction in pages else None,
                authority_labels=tuple(label(a) for a in instrument.authorities),
            )
        )
    deadlines = sorted(
        (
            (e.date, s.instrument.title.casefold(), e.number, Deadline(e, s, (e.date - today).days))
            for s in standings
            for e in s.upcoming
            if e.milestone
        ),
        key=lambda item: item[:3],
    )
    months: dict[tuple[int, int], list[Deadline]] = {}
    for day, _, _, deadline in deadlines:
        months.setdefault((day.year, day.month), []).append(deadline)
    return Tracker(
        today=today,
        standings=tuple(standings),
        by_slug=MappingProxyType({s.instrument.slug: s for s in standings}),
        months=tuple(DeadlineMonth(y, m, tuple(d)) for (y, m), d in months.items()),
        warnings=tuple(p for s in standings for p in status_warnings(s.instrument, today)),
    )


def status_warnings(instrument: Instrument, today: dt.date) -> list[Problem]:
    """A status that the instrument's own events contradict on the build's date."""
    line = instrument.lines.get("status", 1)
    started = [e for e in instrument.events if e.date < today and _IN_FORCE.search(e.what)]
    if instrument.status in IN_FORCE_STATUSES and not started:
        coming = next((e for e in instrument.events if e.date >= today and _IN_FORCE.search(e.what)), None)
        when = f" (its event '{coming.what}' is on {coming.date.isoformat()})" if coming else ""
        return [
            Problem(
                instrument.path,
                line,
                f"status '{instrument.status}' but no event before {today.isoformat()} says it enters into force or "
                f"applies{when}; expected status 'adopted' or 'proposed', or an event such as "
                "`{date: YYYY-MM-DD, what: Enters into force}`",
                "warning",
            )
        ]
    if instrument.status in NOT_YET_STATUSES and started:
        return [
            Problem(
                instrument.path,
                line,
                f"status '{instrument.status}' but its event '{started[0].what}' on {started[0].date.isoformat()} "
                "is past; expected status 'in-force' or 'partly-in-force'",
                "warning",
            )
        ]
    return []
