"""Policy instruments: `content/instruments/<slug>.md` -> validated, frozen Instrument values.

An instrument (a law, a rule, an executive order...) has a timeline of dated events; which of
them are still to come depends on the build's date (`Config.today`), so that part lives in
`digest.site.tracker`, apart from what a file says.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from digest.content.config import Config
from digest.content.frontmatter import Document, read_front_matter
from digest.content.markup import TableTooLarge, is_safe_url, render_body, resolve_links
from digest.content.sourcefile import MAX_BYTES, decode, too_large
from digest.core.errors import ContentError, Problem
from digest.core.model import Brief, Taxonomy

INSTRUMENTS_DIR = "content/instruments"
KINDS = ("law", "regulation", "executive-order", "export-control-rule", "standard", "strategy", "guidance", "bill")
STATUSES = ("proposed", "adopted", "in-force", "partly-in-force", "superseded", "repealed", "withdrawn")
KEYS = ("title", "short", "kind", "jurisdiction", "authority", "status", "official", "translations", "events")
KEYS += ("related", "tags")
EVENT_KEYS = ("date", "what", "milestone")
LINK_KEYS = ("url", "language")
COUNTRY_GROUP = "country"
ORG_GROUP = "org"
_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass(frozen=True)
class Link:
    url: str
    language: str | None = None


@dataclass(frozen=True)
class Event:
    date: dt.date
    what: str
    milestone: bool = False
    number: int = 1  # among the instrument's events of that date, in file order (for stable calendar UIDs)


@dataclass(frozen=True)
class Instrument:
    path: str  # relative to the site root, for messages
    slug: str
    title: str
    short: str | None
    kind: str
    jurisdiction: str  # a tag slug of the country group
    authorities: tuple[str, ...]  # tag slugs of the org group
    status: str
    official: Link | None
    translations: tuple[Link, ...]
    events: tuple[Event, ...]  # by date, then file order
    related: tuple[str, ...]  # slugs of other instruments
    tags: tuple[str, ...]
    body_html: str
    lines: Mapping[str, int]  # line of each front-matter key (`status`, `related.0`...), for later messages

    @property
    def url(self) -> str:
        return f"/instruments/{self.slug}/"

    @property
    def name(self) -> str:
        """The name a table or a calendar shows: the short name where there is one."""
        return self.short or self.title


def load_instruments(
    config: Config, taxonomy: Taxonomy
) -> tuple[tuple[Instrument, ...], list[Problem], frozenset[str]]:
    """Every instrument that loaded (sorted by slug), the problems of those that did not, and the
    slug of every instrument file (a reference to a file with errors is not one more error).
    Read on every build: a site has tens of them, not thousands."""
    folder = config.root / INSTRUMENTS_DIR
    found: list[Instrument] = []
    problems: list[Problem] = []
    if folder.is_symlink():
        return (), [Problem(INSTRUMENTS_DIR, 0, "is a symbolic link; expected a folder inside the site")], frozenset()
    files = instrument_files(folder)
    for path in files:
        rel = f"{INSTRUMENTS_DIR}/{path.name}"
        if path.is_symlink():  # (never read a file from outside the site)
            problems.append(Problem(rel, 0, "is a symbolic link; expected a file inside the site folder"))
            continue
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                problems.append(too_large(rel, size))
                continue
            text = decode(path.read_bytes(), rel)
            found.append(parse_instrument(text, rel, path.stem, config, taxonomy))
        except ContentError as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(Problem(rel, 0, f"cannot read file: {exc.strerror}; expected a readable file"))
    slugs = frozenset(path.stem for path in files)
    for instrument in found:
        for index, slug in enumerate(instrument.related):
            if slug not in slugs:
                line = instrument.lines.get(f"related.{index}", instrument.lines.get("related", 1))
                problems.append(Problem(instrument.path, line, unknown_instrument(slug, slugs)))
    return tuple(sorted(found, key=lambda i: i.slug)), problems, slugs


def instrument_files(folder: Path) -> list[Path]:
    """The instrument files of a folder (none when there is no such folder), sorted."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [
        folder / n
        for n in names
        if n.endswith(".md") and not n.startswith(".") and ((folder / n).is_file() or (folder / n).is_symlink())
    ]


def unknown_instrument(slug: str, known: Iterable[str]) -> str:
    """What is wrong with a reference to an instrument that does not exist, with the closest slug."""
    message = f"instrument '{slug}' is not in {INSTRUMENTS_DIR}/"
    close = difflib.get_close_matches(slug, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean '{close[0]}'?"
    return f"{message}; expected the name of a file there without '.md' (or add {INSTRUMENTS_DIR}/{slug}.md)"


def reference_problems(briefs: Iterable[Brief], known: Collection[str]) -> list[Problem]:
    """Briefs whose `instruments:` names an instrument that has no file."""
    problems = []
    for brief in briefs:
        for index, slug in enumerate(brief.extra.get("instruments") or ()):
            if slug not in known:
                line = brief.lines.get(f"instruments.{index}", brief.lines.get("instruments", 1))
                problems.append(Problem(brief.path, line, unknown_instrument(slug, known)))
    return problems


def parse_instrument(text: str, rel: str, stem: str, config: Config, taxonomy: Taxonomy) -> Instrument:
    """One instrument's text to an Instrument; ContentError lists every problem found in it."""
    doc = read_front_matter(text, rel, "`title: ...`")
    return _Reader(doc, rel, config, taxonomy).instrument(stem)


def _closest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value.casefold(), list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class _Reader:
    def __init__(self, doc: Document, rel: str, config: Config, taxonomy: Taxonomy) -> None:
        self.doc = doc
        self.meta: dict[str, Any] = doc.meta.data
        self.rel = rel
        self.config = config
        self.taxonomy = taxonomy
        self.problems: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel, line, message))

    def line(self, *path: str | int) -> int:
        return self.doc.line(*path)

    def text(self, key: str, *, required: bool) -> str | None:
        value = self.meta.get(key)
        if value is None:
            if required:
                self.error(
                    self.line(key) if key in self.meta else self.line(), f"missing '{key}'; expected `{key}: ...`"
                )
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not " ".join(str(value).split()):
            self.error(self.line(key), f"'{key}' must be non-empty text; expected `{key}: ...` on one line")
            return None
        return " ".join(str(value).split())

    def choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self.text(key, required=True)
        if value is None:
            return None
        if value not in choices:
            self.error(
                self.line(key), f"'{key}' is '{value}'; expected one of {', '.join(choices)}{_closest(value, choices)}"
            )
            return None
        return value

    def tag(self, value: object, line: int, what: str, group: str | None) -> str | None:
        """A tag of the taxonomy (of `group`, when given), by slug, label or alias."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not str(value).strip():
            self.error(line, f"{what} must be a tag; expected a slug, label or alias from {self.taxonomy.path}")
            return None
        name = " ".join(str(value).split())
        slug = self.taxonomy.resolve(name)
        if slug is None:
            if group is None and self.config.open_tags:
                return None
            self.error(line, f"{what}: {self.taxonomy.unknown(name)}")
            return None
        if group is not None and self.taxonomy.tags[slug].group != group:
            members = sorted(s for s, t in self.taxonomy.tags.items() if t.group == group)
            self.error(
                line,
                f"{what} '{name}' is not in the '{group}' group of {self.taxonomy.path}; "
                f"expected one of {', '.join(members[:8]) or f'the tags of group {group}'}"
                + (", ..." if len(members) > 8 else ""),
            )
            return None
        return slug

    def tags(self, key: str, group: str | None) -> tuple[str, ...]:
        raw = self.meta.get(key)
        if raw is None:
            return ()
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            self.error(self.line(key), f"'{key}' must be a list of tags; expected e.g. `{key}: [a, b]`")
            return ()
        found: list[str] = []
        for index, item in enumerate(raw):
            slug = self.tag(item, self.line(key, index), f"'{key}'", group)
            if slug is not None and slug not in found:
                found.append(slug)
        return tuple(found)

    def link(self, value: object, line: int, what: str) -> Link | None:
        if isinstance(value, str):
            value = {"url": value}
        if not isinstance(value, dict):
            self.error(line, f"{what} must be a mapping; expected e.g. `{{url: https://..., language: en}}`")
            return None
        for key in value:
            if key not in LINK_KEYS:
                self.error(
                    line, f"unknown key '{key}' in {what}; expected url or language{_closest(str(key), LINK_KEYS)}"
                )
        url = value.get("url")
        text = str(url).strip() if url is not None else ""
        if not isinstance(url, str) or not text.lower().startswith(("http://", "https://")) or not is_safe_url(text):
            self.error(line, f"{what} needs an http(s) 'url', got {url!r}; expected e.g. `url: https://...`")
            return None
        language = value.get("language")
        if language is not None and (not isinstance(language, str) or not language.strip()):
            self.error(line, f"{what}'s 'language' must be a language code; expected e.g. `language: en`")
            language = None
        return Link(text, language.strip() if isinstance(language, str) else None)

    def events(self) -> tuple[Event, ...]:
        raw = self.meta.get("events")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.error(
                self.line("events"), "'events' must be a list; expected `  - {date: YYYY-MM-DD, what: ...}` lines"
            )
            return ()
        found: list[tuple[dt.date, int, str, bool]] = []
        for index, item in enumerate(raw):
            line = self.line("events", index)
            if not isinstance(item, dict):
                self.error(line, f"event {index + 1} must be a mapping; expected `- {{date: YYYY-MM-DD, what: ...}}`")
                continue
            for key in item:
                if key not in EVENT_KEYS:
                    # (`{..., what: Released, effective at once}`: YAML reads the text after the comma as a key)
                    hint = "; quote a 'what' that contains a comma" if item[key] is None else ""
                    self.error(
                        line,
                        f"unknown key '{key}' in event {index + 1}; expected date, what or milestone"
                        + (_closest(str(key), EVENT_KEYS) or hint),
                    )
            day = item.get("date")
            if isinstance(day, str):
                with contextlib.suppress(ValueError):
                    day = dt.date.fromisoformat(day.strip()) if len(day.strip()) == 10 else day
            if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
                self.error(line, f"event {index + 1} needs a 'date' as YYYY-MM-DD, got {str(day)!r}")
                continue
            what = item.get("what")
            if not isinstance(what, str) or not what.strip():
                self.error(
                    line, f"event {index + 1} needs 'what' happens, as text; expected e.g. `what: Enters into force`"
                )
                continue
            milestone = item.get("milestone", False)
            if not isinstance(milestone, bool):
                self.error(line, f"event {index + 1}'s 'milestone' must be true or false, got {milestone!r}")
                continue
            found.append((day, index, " ".join(what.split()), milestone))
        events: list[Event] = []
        for day, _, what, milestone in sorted(found, key=lambda e: (e[0], e[1])):
            number = 1 + sum(1 for e in events if e.date == day)
            events.append(Event(day, what, milestone, number))
        return tuple(events)

    def related(self) -> tuple[str, ...]:
        raw = self.meta.get("related")
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(r, str) and r and set(r) <= _SLUG_CHARS for r in raw):
            self.error(self.line("related"), f"'related' must be a list of instrument slugs, got {raw!r}")
            return ()
        return tuple(dict.fromkeys(raw))

    def instrument(self, stem: str) -> Instrument:
        meta = self.meta
        for key in meta:
            if key not in KEYS:
                name = str(key)
                self.error(
                    self.line(name),
                    f"unknown key '{name}'; expected a key of an instrument ({', '.join(KEYS)})" + _closest(name, KEYS),
                )
        if not stem or not set(stem) <= _SLUG_CHARS or stem.startswith("-") or stem.endswith("-"):
            self.error(1, f"file name '{stem}.md' is not a slug; expected a-z, 0-9 and '-' only, e.g. eu-ai-act.md")
        title = self.text("title", required=True)
        short = self.text("short", required=False)
        kind = self.choice("kind", KINDS)
        status = self.choice("status", STATUSES)
        jurisdiction = None
        if meta.get("jurisdiction") is None:
            self.error(self.line(), "missing 'jurisdiction'; expected `jurisdiction: ` and a tag of the country group")
        else:
            jurisdiction = self.tag(meta["jurisdiction"], self.line("jurisdiction"), "'jurisdiction'", COUNTRY_GROUP)
        authorities = self.tags("authority", ORG_GROUP)
        tags = self.tags("tags", None)
        official = None
        if meta.get("official") is not None:
            official = self.link(meta["official"], self.line("official"), "'official'")
        translations: list[Link] = []
        raw = meta.get("translations")
        if raw is not None and not isinstance(raw, list):
            self.error(
                self.line("translations"), "'translations' must be a list; expected `[{url: ..., language: en}]`"
            )
        for index, item in enumerate(raw if isinstance(raw, list) else []):
            link = self.link(item, self.line("translations", index), f"translation {index + 1}")
            if link is not None:
                translations.append(link)
        events = self.events()
        related = self.related()
        try:
            rendered = render_body(self.doc.body)
        except TableTooLarge as exc:
            self.error(self.doc.body_line + exc.line, exc.message)
            rendered = None
        if self.problems:
            raise ContentError(self.problems)
        assert title is not None and kind is not None and status is not None and jurisdiction is not None
        base = self.config.base_path
        body = (
            resolve_links(rendered.html, lambda kind, target: base + target.lstrip("/") if kind == "root" else target)
            if rendered
            else ""
        )
        lines = {".".join(map(str, k)): n for k, n in self.doc.meta.lines.items() if k}
        return Instrument(
            path=self.rel,
            slug=stem,
            title=title,
            short=short,
            kind=kind,
            jurisdiction=jurisdiction,
            authorities=authorities,
            status=status,
            official=official,
            translations=tuple(translations),
            events=events,
            related=tuple(r for r in related if r != stem),
            tags=tags,
            body_html=body,
            lines=MappingProxyType(lines),
        )
