"""One brief: its file's text -> a validated Brief and its rendered body (pure)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import replace
from typing import Any

from digest.config import Config
from digest.errors import ContentError, Problem
from digest.frontmatter import Document, FrontMatterError, split
from digest.markup import Rendered, TableTooLarge, is_safe_url, render_body, render_inline
from digest.model import Brief, ParsedBrief, Source, Taxonomy, slugify
from digest.reading import plain_text, text_counts

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_KEY_POINTS = 10
MAX_TAGS = 50
KNOWN_KEYS = frozenset({"title", "date", "summary", "key_points", "tags", "source", "updated", "draft", "slug"})
_LATER_LINES = frozenset({"slug", "tags"})  # front-matter keys whose lines a Brief keeps (see Brief.lines)
MIN_YEAR, MAX_YEAR = 1900, 2200


def parse_brief(text: str, rel: str, stem: str, config: Config, taxonomy: Taxonomy) -> ParsedBrief:
    """One brief's text to a Brief; ContentError lists every problem found in it."""
    try:
        doc = split(text)
    except FrontMatterError as exc:
        raise ContentError([Problem(rel, exc.line, exc.message)]) from None
    if not isinstance(doc.meta.data, dict):
        kind = "empty" if doc.meta.data is None else kind_of(doc.meta.data)
        raise ContentError(
            [Problem(rel, doc.line(), f"front matter is {kind}; expected `key: value` lines such as `title: ...`")]
        )
    brief, body_html, body_key = _Validator(text, doc, rel, config, taxonomy).brief(stem)
    return ParsedBrief(brief, body_html, body_key, text_counts(plain_text(body_html)))


class _Validator:
    def __init__(self, text: str, doc: Document, rel: str, config: Config, taxonomy: Taxonomy) -> None:
        self.source_text = text
        self.doc = doc
        self.meta: dict[str, Any] = doc.meta.data
        self.rel = rel
        self.config = config
        self.taxonomy = taxonomy
        self.problems: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel, line, message))

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

    def brief(self, stem: str) -> tuple[Brief, str, str]:
        meta, line = self.meta, self.doc.line
        title = self.text("title", required=True)
        summary = self.text("summary", required=True)

        published = None
        if meta.get("date") is None:
            self.error(line("date") if "date" in meta else line(), "missing 'date'; expected `date: YYYY-MM-DD`")
        else:
            published = self.when("date", meta["date"], line("date"))
        updated = None
        if meta.get("updated") is not None:
            result = self.when("updated", meta["updated"], line("updated"))
            updated = result[0] if result else None
            if updated and published and updated < published[0]:
                self.error(
                    line("updated"),
                    f"'updated' ({updated.date()}) is before 'date' ({published[0].date()}); expected a later date or none",
                )

        key_points = self.key_points()
        tags, labels = self.tags()
        source = self.source()

        draft = meta.get("draft", False)
        if not isinstance(draft, bool):
            self.error(line("draft"), f"'draft' must be true or false, got {draft!r}")
            draft = False

        slug = stem if SLUG.match(stem) else slugify(stem)
        if "slug" in meta:
            raw = meta["slug"]
            if not isinstance(raw, str) or not SLUG.match(raw):
                self.error(
                    line("slug"),
                    f"'slug' must use only a-z, 0-9 and '-', got {str(raw)!r}; expected e.g. `slug: eu-ai-act`",
                )
            else:
                slug = raw
        elif not slug:
            self.error(
                1, f"file name '{stem}' gives an empty slug; expected a file name with letters or digits, or `slug:`"
            )

        try:
            body = render_body(self.doc.body)
        except TableTooLarge as exc:
            self.error(self.doc.body_line + exc.line, exc.message)
            body = Rendered("", ())
        points_html = tuple(render_inline(p) for p in key_points)
        refs = tuple((ref, _ref_line(self.doc.body, self.doc.body_line, ref)) for ref in body.refs)
        refs += tuple((ref, self.doc.line("key_points", i)) for i, r in enumerate(points_html) for ref in r.refs)

        if self.problems:
            raise ContentError(self.problems)
        assert title is not None and summary is not None and published is not None
        extra = {k: v for k, v in meta.items() if k not in KNOWN_KEYS}
        # (only the lines that later messages point at: every brief is loaded on every build)
        lines = {".".join(map(str, k)): line for k, line in self.doc.meta.lines.items() if k and k[0] in _LATER_LINES}
        return (
            Brief(
                path=self.rel,
                slug=slug,
                title=title,
                published=published[0],
                has_time=published[1],
                summary=summary,
                key_points=key_points,
                # (the point itself where it renders to the same text: one string to cache, not two)
                key_points_html=tuple(
                    p if r.html == p else r.html for p, r in zip(key_points, points_html, strict=True)
                ),
                tags=tags,
                tag_labels=labels,
                source=source,
                updated=updated,
                draft=draft,
                refs=refs,
                extra=extra,
                lines=lines,
                meta_digest=content_hash(self.rel, self.source_text[: len(self.source_text) - len(self.doc.body)]),
                images=tuple(replace(image, line=self.doc.body_line + image.line) for image in body.images),
            ),
            body.html,
            content_hash(self.doc.body),
        )

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


def kind_of(value: object) -> str:
    """How a writer would name a YAML value's type."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "text"


def content_hash(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _ref_line(body: str, body_line: int, ref: str) -> int:
    for offset, text in enumerate(body.split("\n")):
        if f"({ref}" in text:
            return body_line + offset
    return body_line
