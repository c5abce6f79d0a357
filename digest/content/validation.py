"""A brief's front matter checked key by key: each value cleaned, and every problem found
collected with its line (digest.content.brief makes the Brief of what passed)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Any

from digest.content.config import Config
from digest.content.frontmatter import Document
from digest.content.markup import is_safe_url
from digest.content.yamldoc import kind_of
from digest.core.errors import Problem
from digest.core.model import KNOWN_KEYS, Source, Taxonomy, slugify

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_KEY_POINTS = 10
MAX_TAGS = 50
_EXTRA_KEYS = ("why_it_matters", "instruments", "review", "imported_from", "generated")  # kept in Brief.extra
# What `digest new` writes for a writer to replace (see digest.ingest.scaffold): published as is, they are warnings.
PLACEHOLDERS = {
    "summary": "One or two sentences that say what happened and why it matters.",
    "key_point": "The first key point.",
    "source.name": "Source name",
    "source.url": "https://example.org/article",
    "body": "Write the brief here.",
}
MIN_YEAR, MAX_YEAR = 1900, 2200


class Validator:
    """The front matter of the brief at `rel` (its text, `text`, split into `doc`), read a key
    at a time: a key's method returns its value as a Brief holds it (None when it is missing
    or wrong), and what is wrong goes to `problems` (errors) or `warnings`."""

    def __init__(self, text: str, doc: Document, rel: str, config: Config, taxonomy: Taxonomy) -> None:
        self.source_text = text
        self.doc = doc
        self.meta: dict[str, Any] = doc.meta.data
        self.rel = rel
        self.config = config
        self.taxonomy = taxonomy
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel, line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Problem(self.rel, line, message, "warning"))

    def unknown_keys(self) -> None:
        known = sorted(KNOWN_KEYS | set(self.config.fields))
        for key in self.meta:
            if key in KNOWN_KEYS or key in self.config.fields:
                continue
            name = str(key)
            message = f"unknown key '{name}'; expected a front-matter key or a field declared in digest.yaml"
            close = [k for k in known if k.casefold() == name.casefold()] or difflib.get_close_matches(
                name.casefold(), known, n=1, cutoff=0.6
            )
            self.error(self.doc.line(name), message + (f"; did you mean '{close[0]}'?" if close else ""))

    def fields(self) -> Mapping[str, Any]:
        """The site's declared keys, each checked against its type (see `fields:` in digest.yaml);
        None for those the brief leaves out."""
        values: dict[str, Any] = {}
        for name, kind in self.config.fields.items():
            # (every declared field is there, None when a brief leaves it out: templates use StrictUndefined)
            raw = self.meta.get(name)
            values[name] = None if raw is None else self.field(name, kind, raw, self.doc.line(name))
        return values

    def field(self, name: str, kind: str, value: Any, line: int) -> Any:
        if kind == "string":
            return self.text(name, required=False)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            self.error(line, f"'{name}' must be true or false, got {value!r}")
        elif kind == "number":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
            self.error(line, f"'{name}' must be a number, got {value!r}; expected e.g. `{name}: 10`")
        elif kind == "date":
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                return value
            try:
                if isinstance(value, str) and len(value.strip()) == 10:
                    return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
            self.error(line, f"'{name}' must be a date (YYYY-MM-DD), got {str(value)!r}")
        elif kind == "url":
            text = str(value).strip()
            if isinstance(value, str) and text.lower().startswith(("http://", "https://")) and is_safe_url(text):
                return text
            self.error(
                line, f"'{name}' must be an http(s) URL, got {str(value)!r}; expected e.g. https://example.org/page"
            )
        else:  # a list of strings
            if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
                return tuple(" ".join(v.split()) for v in value)
            self.error(
                line, f"'{name}' must be a list of strings, got {kind_of(value)}; expected e.g. `{name}: [a, b]`"
            )
        return None

    def extra(self) -> Mapping[str, Any]:
        """The keys digest knows but does not model (`why_it_matters`, `instruments`, `review`, and
        what `digest import` records), checked and passed to templates as `brief.extra`."""
        line = self.doc.line
        extra = {k: self.meta[k] for k in _EXTRA_KEYS if self.meta.get(k) is not None}
        if "why_it_matters" in extra:
            extra["why_it_matters"] = self.text("why_it_matters", required=False)
        instruments = extra.get("instruments")
        if instruments is not None and (
            not isinstance(instruments, list) or not all(isinstance(i, str) and SLUG.match(i) for i in instruments)
        ):
            self.error(
                line("instruments"),
                f"'instruments' must be a list of slugs (a-z, 0-9 and '-'), got {instruments!r}; "
                "expected e.g. `instruments: [eu-ai-act]`",
            )
        review = extra.get("review")
        if review is not None:
            names = KNOWN_KEYS | set(self.config.fields)
            if not isinstance(review, list) or not all(isinstance(r, str) for r in review):
                self.error(
                    line("review"),
                    f"'review' must be a list of keys, got {kind_of(review)}; expected e.g. `review: [date]`",
                )
            else:
                for index, name in enumerate(review):
                    if name not in names:
                        close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
                        hint = f"; did you mean '{close[0]}'?" if close else ""
                        self.error(
                            line("review", index),
                            f"'review' names '{name}', which is not a key of a brief; expected keys such as date or key_points{hint}",
                        )
        return extra

    def placeholders(self, key_points: tuple[str, ...], source: Source | None) -> list[Problem]:
        """The text of `digest new`'s skeleton that a published brief still has."""
        line = self.doc.line
        found = []

        def placeholder(at: int, what: str, expected: str) -> None:
            found.append(
                Problem(self.rel, at, f"{what} is the placeholder of `digest new`; expected {expected}", "warning")
            )

        if " ".join(str(self.meta.get("summary", "")).split()) == PLACEHOLDERS["summary"]:
            placeholder(line("summary"), "'summary'", "the brief's own summary")
        for index, point in enumerate(key_points):
            if point == PLACEHOLDERS["key_point"]:
                placeholder(line("key_points", index), f"key point {index + 1}", "the brief's own key point")
        if source is not None and source.name == PLACEHOLDERS["source.name"]:
            placeholder(line("source", "name"), "'source.name'", "the source's name")
        if source is not None and source.url == PLACEHOLDERS["source.url"]:
            placeholder(line("source", "url"), "'source.url'", "the source's address")
        if self.doc.body.strip() == PLACEHOLDERS["body"]:
            placeholder(self.doc.body_line, "the body", "the brief's text")
        return found

    def text(self, key: str, required: bool) -> str | None:
        value = self.meta.get(key)
        if value is None:
            if required:
                self.error(
                    self.doc.line(key) if key in self.meta else self.doc.line(),
                    f"missing '{key}'; expected `{key}: ...` in the front matter",
                )
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(
                self.doc.line(key), f"'{key}' must be text, got {kind_of(value)}; expected `{key}: ...` on one line"
            )
            return None
        cleaned = " ".join(str(value).split())
        if not cleaned and required:
            self.error(self.doc.line(key), f"'{key}' is empty; expected a non-empty {key}")
            return None
        return cleaned

    def when(self, key: str, value: Any, line: int) -> tuple[dt.datetime, bool] | None:
        tz = self.config.tz
        if isinstance(value, dt.datetime):
            parsed: dt.date | dt.datetime = value
        elif isinstance(value, dt.date):
            parsed = value
        elif isinstance(value, str):
            raw = value.strip()
            try:
                parsed = (
                    dt.date.fromisoformat(raw)
                    if len(raw) == 10
                    else dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
                )
            except ValueError:
                self.error(line, f"'{key}' must be YYYY-MM-DD or an ISO 8601 date-time, got '{raw}'")
                return None
        else:
            self.error(line, f"'{key}' must be YYYY-MM-DD or an ISO 8601 date-time, got {value!r}")
            return None
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.error(
                line, f"'{key}' year {parsed.year} is out of range; expected a year from {MIN_YEAR} to {MAX_YEAR}"
            )
            return None
        if isinstance(parsed, dt.datetime):
            aware = parsed.astimezone(tz) if parsed.tzinfo else parsed.replace(tzinfo=tz)
            return aware, True
        return dt.datetime(parsed.year, parsed.month, parsed.day, tzinfo=tz), False

    def key_points(self) -> tuple[str, ...]:
        meta, line = self.meta, self.doc.line
        raw = meta.get("key_points")
        if raw is None:
            self.error(
                line("key_points") if "key_points" in meta else line(),
                "missing 'key_points'; expected a list of 1 to 10 short points (`key_points:` then `  - ...` lines)",
            )
            return ()
        if not isinstance(raw, list):
            self.error(
                line("key_points"),
                f"'key_points' must be a list, got {kind_of(raw)}; expected `  - ...` lines under `key_points:`",
            )
            return ()
        if not 1 <= len(raw) <= MAX_KEY_POINTS:
            self.error(line("key_points"), f"'key_points' has {len(raw)} items; expected 1 to {MAX_KEY_POINTS}")
            return ()
        points = []
        for index, item in enumerate(raw):
            if isinstance(item, dict) and len(item) == 1 and isinstance(next(iter(item)), str):
                # `- Timing: takes effect in 30 days.` is YAML for a mapping: say why, and how to write it
                key, value = next(iter(item.items()))
                written = f"{key}: {value}" if value is not None else f"{key}:"
                self.error(
                    line("key_points", index),
                    f"key point {index + 1} is read as a mapping because of its ': '; "
                    f"quote values that contain ': ', as in `  - \"{written}\"`",
                )
                continue
            if isinstance(item, bool) or not isinstance(item, (str, int, float)) or not str(item).strip():
                self.error(
                    line("key_points", index),
                    f"key point {index + 1} must be a non-empty line of text; expected `  - A short point`",
                )
                continue
            points.append(" ".join(str(item).split()))
        return tuple(points)

    def tags(self) -> tuple[tuple[str, ...], dict[str, str]]:
        meta, line = self.meta, self.doc.line
        raw = meta.get("tags")
        if raw is None:
            return (), {}
        if isinstance(raw, str):
            raw = [part for part in raw.split(",") if part.strip()]
        if not isinstance(raw, list):
            self.error(line("tags"), f"'tags' must be a list, got {kind_of(raw)}; expected e.g. `tags: [china, chips]`")
            return (), {}
        if len(raw) > MAX_TAGS:
            self.error(line("tags"), f"'tags' has {len(raw)} items; expected at most {MAX_TAGS}")
            return (), {}
        slugs: list[str] = []
        labels: dict[str, str] = {}
        for index, item in enumerate(raw):
            if isinstance(item, bool) or not isinstance(item, (str, int, float)) or not str(item).strip():
                self.error(
                    line("tags", index),
                    f"tag {index + 1} must be a name; expected a slug, label or alias from the taxonomy",
                )
                continue
            name = " ".join(str(item).split())
            slug = self.taxonomy.resolve(name)
            if slug is None:
                slug = slugify(name)
                if not slug:
                    self.error(
                        line("tags", index), f"tag '{name}' gives an empty slug; expected a name with letters or digits"
                    )
                    continue
                if not self.config.open_tags:
                    self.error(line("tags", index), self.taxonomy.unknown(name))
                    continue
                self.warn(line("tags", index), self.taxonomy.unknown(name))
                labels.setdefault(slug, name)
            if slug not in slugs:
                slugs.append(slug)
        return tuple(slugs), labels

    def source(self) -> Source | None:
        meta, line = self.meta, self.doc.line
        raw = meta.get("source")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            self.error(
                line("source"),
                f"'source' must be a mapping, got {kind_of(raw)}; expected `source:` with `name:`, `url:` and `published:` below it",
            )
            return None
        for key in raw:
            if key not in ("name", "url", "published"):
                self.error(
                    line("source", str(key)), f"unknown key '{key}' in 'source'; expected name, url or published"
                )
        name = raw.get("name")
        if name is not None and (
            isinstance(name, bool) or not isinstance(name, (str, int, float)) or not str(name).strip()
        ):
            self.error(line("source", "name"), "'source.name' must be text; expected e.g. `name: Reuters`")
            name = None
        url = raw.get("url")
        if url is not None:
            text = str(url).strip()
            if (
                not isinstance(url, str)
                or not text.lower().startswith(("http://", "https://"))
                or not is_safe_url(text)
                or " " in text
            ):
                self.error(
                    line("source", "url"),
                    f"'source.url' must be an http(s) URL, got {str(url)!r}; expected e.g. https://example.org/article",
                )
                url = None
            else:
                url = text
        published = None
        if raw.get("published") is not None:
            result = self.when("source.published", raw["published"], line("source", "published"))
            published = result[0].date() if result else None
        if name is None and url is None:
            self.error(line("source"), "'source' needs a name or a url; expected `name:` and/or `url:` below `source:`")
            return None
        return Source(" ".join(str(name).split()) if name is not None else None, url, published)
