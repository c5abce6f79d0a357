"""Weekly editions as issues: each ISO week's briefs numbered, titled, led and sectioned.

An edition is every brief of a week (see digest.site.arrange.Week); the week's edition file, when
there is one (digest.content.editorial), adds its headline, lead story and editor's note. No. 1 is
the oldest week with a published brief. The briefs after the lead are grouped by their tag
in one group of the taxonomy (`editions: {group_by: topic}` in digest.yaml).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from digest.content.config import CONFIG_FILE, Config
from digest.content.editorial import EditionFile, first_sentence
from digest.core.dates import longdate
from digest.core.errors import Problem
from digest.core.model import Brief, Taxonomy

DEFAULT_GROUP = "topic"
OTHER_SECTION = ("other", "Also this week")
EDITION_SETTINGS = ("group_by",)
EMAIL_SETTINGS = ("from", "signup_url")


class IsoWeek:
    """An ISO week's key (`2025-W04`), page URL and first and last days (for Week and Edition)."""

    year: int
    week: int

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def url(self) -> str:
        return f"/weeks/{self.key}/"

    @property
    def start(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def end(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 7)


@dataclass(frozen=True)
class Section:
    """Briefs of an edition that share a tag of the grouping group."""

    slug: str
    label: str
    briefs: tuple[Brief, ...]  # oldest first


@dataclass(frozen=True)
class Edition(IsoWeek):
    """One weekly edition, as an issue of the digest."""

    year: int
    week: int
    number: int  # No. 1 is the oldest week with a brief
    title: str  # the edition file's, else the lead story's
    lead: Brief
    sections: tuple[Section, ...]  # the other briefs, by the grouping tag (the ungrouped last)
    briefs: tuple[Brief, ...]  # every brief of the week, oldest first
    note_html: str = ""  # the editor's note (link placeholders unresolved), or ""
    note_text: str = ""
    titled: bool = False  # the title is the editor's (not the lead story's)

    @property
    def dates(self) -> str:
        return date_range(self.start, self.end)

    @property
    def summary(self) -> str:
        """The note's first sentence, else the lead story's summary."""
        return first_sentence(self.note_text) if self.note_text else self.lead.summary

    @property
    def in_order(self) -> tuple[Brief, ...]:
        """The lead story, then each section's briefs: the order the edition reads in."""
        return (self.lead, *(b for section in self.sections for b in section.briefs))

    @property
    def ref(self) -> EditionRef:
        return EditionRef(self.number, self.key, self.dates)


@dataclass(frozen=True)
class EditionRef:
    """What a brief's page says of its edition: `In No. 12 · 20–26 January 2025`."""

    number: int
    key: str
    dates: str

    @property
    def url(self) -> str:
        return f"/weeks/{self.key}/"


@dataclass(frozen=True)
class EditionSettings:
    group_by: str | None  # a group of the taxonomy, or None: no sections
    signup_url: str | None  # where readers subscribe by email
    sender: str | None  # the email's From


def date_range(start: dt.date, end: dt.date) -> str:
    """`20–26 January 2025`, `27 January – 2 February 2025`, `29 December 2025 – 4 January 2026`:
    the month and year once where they are the same."""
    if start.year != end.year:
        return f"{longdate(start)} – {longdate(end)}"
    if start.month != end.month:
        return f"{start.day} {start:%B} – {longdate(end)}"
    return f"{start.day}–{longdate(end)}"


def edition_settings(config: Config, taxonomy: Taxonomy) -> tuple[EditionSettings, list[Problem]]:
    """`editions:` and `email:` of digest.yaml, checked (they reach the build through Config.extra)."""
    problems: list[Problem] = []
    group: str | None = DEFAULT_GROUP if DEFAULT_GROUP in taxonomy.groups else None
    editions = config.extra.get("editions")
    line = config.lines.get("editions", 0)
    example = f"expected e.g. `editions: {{group_by: {next(iter(taxonomy.groups), 'topic')}}}`"
    if editions is not None:
        if not isinstance(editions, dict):
            problems.append(Problem(CONFIG_FILE, line, f"'editions' must be a mapping; {example}"))
        else:
            problems.extend(_unknown(editions, "editions", EDITION_SETTINGS, line))
            if "group_by" in editions:
                wanted = editions["group_by"]
                if wanted is None or wanted is False:
                    group = None
                elif not isinstance(wanted, str) or wanted not in taxonomy.groups:
                    known = ", ".join(taxonomy.groups) or "none"
                    close = difflib.get_close_matches(str(wanted), list(taxonomy.groups), n=1, cutoff=0.6)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    problems.append(
                        Problem(
                            CONFIG_FILE,
                            line,
                            f"'editions.group_by' must be a group of {taxonomy.path}, got {wanted!r}; "
                            f"expected one of: {known}{hint}",
                        )
                    )
                else:
                    group = wanted
    signup: str | None = None
    sender: str | None = None
    email = config.extra.get("email")
    line = config.lines.get("email", 0)
    if email is not None:
        example = 'expected e.g. `email: {from: "Digest <digest@example.org>", signup_url: https://...}`'
        if not isinstance(email, dict):
            problems.append(Problem(CONFIG_FILE, line, f"'email' must be a mapping; {example}"))
        else:
            problems.extend(_unknown(email, "email", EMAIL_SETTINGS, line))
            url = email.get("signup_url")
            if url is not None:
                parts = urlsplit(str(url))
                if not isinstance(url, str) or parts.scheme not in ("http", "https") or not parts.netloc:
                    problems.append(
                        Problem(CONFIG_FILE, line, f"'email.signup_url' must be an http(s) URL, got {url!r}; {example}")
                    )
                else:
                    signup = url
            value = email.get("from")
            if value is not None:
                if not isinstance(value, str) or "@" not in value:
                    problems.append(
                        Problem(CONFIG_FILE, line, f"'email.from' must be an address, got {value!r}; {example}")
                    )
                else:
                    sender = value.strip()
    return EditionSettings(group, signup, sender), problems


def _unknown(values: Mapping[Any, Any], name: str, known: Sequence[str], line: int) -> list[Problem]:
    problems = []
    for key in values:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"expected only {', '.join(known)}"
            problems.append(Problem(CONFIG_FILE, line, f"unknown key '{name}.{key}'; {hint}"))
    return problems


def arrange_editions(
    weeks: Sequence[Any],
    files: Sequence[EditionFile],
    group_by: str | None,
    labels: Mapping[str, str],
    groups: Mapping[str, str | None],
    every_slug: Mapping[str, str],
) -> tuple[tuple[Edition, ...], list[Problem]]:
    """The editions of `weeks` (newest first, as Site.weeks), with the problems of the edition
    files: a file for a week without briefs (a warning), a `top:` that names no brief (an
    error), or a brief of another week (a warning; the edition leads with its first brief).

    `labels` and `groups` are each tag's label and group, `every_slug` the week key of each brief."""
    by_key = {f.key: f for f in files}
    problems: list[Problem] = []
    editions = []
    count = len(weeks)
    for index, week in enumerate(weeks):
        key = f"{week.year}-W{week.week:02d}"
        file = by_key.get(key)
        briefs: tuple[Brief, ...] = week.briefs
        lead = briefs[0]
        if file is not None and file.top is not None:
            chosen = next((b for b in briefs if b.slug == file.top), None)
            if chosen is not None:
                lead = chosen
            elif file.top in every_slug:
                problems.append(
                    Problem(
                        file.path,
                        file.lines.get("top", 1),
                        f"'top' names {file.top}, a brief of {every_slug[file.top]}; expected a brief of {key} "
                        f"(the edition leads with '{lead.slug}')",
                        "warning",
                    )
                )
            else:
                close = difflib.get_close_matches(file.top, [b.slug for b in briefs] or list(every_slug), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                problems.append(
                    Problem(
                        file.path,
                        file.lines.get("top", 1),
                        f"'top' names no brief: '{file.top}'; expected the slug of a brief of {key}{hint}",
                    )
                )
        rest = tuple(b for b in briefs if b is not lead)
        editions.append(
            Edition(
                year=week.year,
                week=week.week,
                number=count - index,
                title=file.title if file is not None and file.title else lead.title,
                lead=lead,
                sections=_sections(rest, group_by, labels, groups),
                briefs=briefs,
                note_html=file.note_html if file is not None else "",
                note_text=file.note_text if file is not None else "",
                titled=file is not None and bool(file.title),
            )
        )
    present = {e.key for e in editions}
    for file in files:
        if file.key not in present:
            problems.append(
                Problem(
                    file.path,
                    1,
                    f"no published brief is dated in {file.key}; expected an edition file for a week with briefs",
                    "warning",
                )
            )
    return tuple(editions), problems


def _sections(
    briefs: tuple[Brief, ...], group_by: str | None, labels: Mapping[str, str], groups: Mapping[str, str | None]
) -> tuple[Section, ...]:
    """The briefs by their first tag of the group `group_by`; those without one last."""
    if not briefs:
        return ()
    if group_by is None:
        return (Section(*OTHER_SECTION, briefs),)
    members: dict[str, list[Brief]] = {}
    other: list[Brief] = []
    for brief in briefs:
        slug = next((s for s in brief.tags if groups.get(s) == group_by), None)
        if slug is None:
            other.append(brief)
        else:
            members.setdefault(slug, []).append(brief)
    sections = [Section(slug, labels.get(slug, slug), tuple(found)) for slug, found in members.items()]
    sections.sort(key=lambda s: (-len(s.briefs), s.label.casefold(), s.slug))
    if other:
        sections.append(Section(*OTHER_SECTION, tuple(other)))
    return tuple(sections)


def with_editions(site: Any, files: Sequence[EditionFile], settings: EditionSettings) -> tuple[Any, list[Problem]]:
    """`site` (a digest.site.arrange.Site) with its editions, and the edition files' errors; their
    warnings join the site's."""
    weeks_of = {b.slug: site.week_of(b) for b in site.briefs}
    labels = {slug: tag.label for slug, tag in site.tags.items()}
    groups = {slug: tag.group for slug, tag in site.tags.items()}
    editions, problems = arrange_editions(site.weeks, files, settings.group_by, labels, groups, weeks_of)
    warnings = tuple(p for p in problems if p.severity == "warning")
    arranged = replace(site, editions=editions, edition_settings=settings, problems=site.problems + warnings)
    return arranged, [p for p in problems if p.severity == "error"]
