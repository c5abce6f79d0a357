"""The tracker's files for other programs: iCalendar feeds (RFC 5545), CSV and JSON (pure).

Nothing in them depends on when or where the build ran: a calendar event's UID is made of the
instrument's slug, the event's date and its place among that day's events, and its DTSTAMP
is the event's own date, so subscribers see the same events from every build.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import icalendar

from digest.content.config import Config
from digest.content.instruments import Event
from digest.site.tracker import Standing

COLUMNS = (
    "id", "title", "short", "kind", "jurisdiction", "authorities", "status", "official_url",
    "first_event_date", "first_event", "last_event_date", "last_event", "next_milestone_date", "next_milestone",
    "url", "briefs",
)  # fmt: skip


def render_export(kind: str, standings: Sequence[Standing], title: str, config: Config) -> bytes:
    """The bytes of an export: `ics`, `csv` or `json`."""
    base = config.base_path
    origin = config.origin

    def abs_url(path: str) -> str:
        return origin + base + path.lstrip("/")

    if kind == "ics":
        return calendar(standings, title, abs_url, urlsplit(config.base_url).netloc or "digest")
    rows = [row(s, abs_url) for s in standings]
    if kind == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for item in rows:
            writer.writerow(
                {k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in item.items()}
            )
        return out.getvalue().encode("utf-8")
    if kind == "json":
        document = {"title": config.title, "home_page_url": abs_url("/"), "instruments": rows}
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    raise ValueError(f"unknown export {kind!r}")


def row(standing: Standing, abs_url: Callable[[str], str]) -> dict[str, Any]:
    """One instrument, AGORA-style: its identity, status, and the dates that matter."""
    instrument = standing.instrument
    first = instrument.events[0] if instrument.events else None
    last, upcoming = standing.last_event, standing.next_milestone

    def day(event: Event | None) -> str | None:
        return event.date.isoformat() if event else None

    return {
        "id": instrument.slug,
        "title": instrument.title,
        "short": instrument.short,
        "kind": instrument.kind,
        "jurisdiction": instrument.jurisdiction,
        "authorities": list(instrument.authorities),
        "status": instrument.status,
        "official_url": instrument.official.url if instrument.official else None,
        "first_event_date": day(first),
        "first_event": first.what if first else None,
        "last_event_date": day(last),
        "last_event": last.what if last else None,
        "next_milestone_date": day(upcoming),
        "next_milestone": upcoming.what if upcoming else None,
        "url": abs_url(instrument.url),
        "briefs": [abs_url(f"/briefs/{b.slug}/") for b in standing.briefs],
    }


def calendar(standings: Sequence[Standing], title: str, abs_url: Callable[[str], str], host: str) -> bytes:
    """Every dated event as an all-day event."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//digest//policy instruments//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title)
    for standing in standings:
        instrument = standing.instrument
        for event in instrument.events:
            item = icalendar.Event()
            item.add("uid", f"{instrument.slug}-{event.date:%Y%m%d}-{event.number}@{host}")
            item.add("dtstamp", dt.datetime(event.date.year, event.date.month, event.date.day, tzinfo=dt.UTC))
            item.add("dtstart", event.date)
            item.add("dtend", event.date + dt.timedelta(days=1))
            item.add("summary", f"{instrument.name}: {event.what}")
            item.add("description", f"{instrument.title} ({standing.jurisdiction_label}): {event.what}")
            item.add("url", abs_url(instrument.url))
            item.add("transp", "TRANSPARENT")
            if event.milestone:
                item.add("categories", ["Milestone"])
            cal.add_component(item)
    return cal.to_ical()
