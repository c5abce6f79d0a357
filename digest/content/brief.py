"""One brief: its file's text -> a validated Brief and its rendered body (pure). The front
matter's keys are checked by digest.content.validation."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from digest.content.config import Config
from digest.content.frontmatter import read_front_matter
from digest.content.markup import Rendered, TableTooLarge, render_body, render_inline
from digest.content.reading import plain_text, text_counts
from digest.content.validation import SLUG, Validator
from digest.core.errors import ContentError
from digest.core.model import Brief, ParsedBrief, Taxonomy, slugify

# front-matter keys whose lines a Brief keeps (see Brief.lines)
_LATER_LINES = frozenset({"slug", "tags", "title", "instruments"})


def parse_brief(text: str, rel: str, stem: str, config: Config, taxonomy: Taxonomy) -> ParsedBrief:
    """One brief's text to a Brief; ContentError lists every problem found in it."""
    doc = read_front_matter(text, rel, "`title: ...`")
    brief, body_html, body_key = _brief(Validator(text, doc, rel, config, taxonomy), stem)
    return ParsedBrief(brief, body_html, body_key, text_counts(plain_text(body_html)))


def _brief(checked: Validator, stem: str) -> tuple[Brief, str, str]:
    """The Brief, its body's HTML and its body's key, from the checked front matter and the
    rendered body; ContentError if anything was wrong."""
    meta, line = checked.meta, checked.doc.line
    title = checked.text("title", required=True)
    summary = checked.text("summary", required=True)

    published = None
    if meta.get("date") is None:
        checked.error(line("date") if "date" in meta else line(), "missing 'date'; expected `date: YYYY-MM-DD`")
    else:
        published = checked.when("date", meta["date"], line("date"))
    updated = None
    if meta.get("updated") is not None:
        result = checked.when("updated", meta["updated"], line("updated"))
        updated = result[0] if result else None
        if updated and published and updated < published[0]:
            checked.error(
                line("updated"),
                f"'updated' ({updated.date()}) is before 'date' ({published[0].date()}); expected a later date or none",
            )

    key_points = checked.key_points()
    tags, labels = checked.tags()
    source = checked.source()

    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        checked.error(line("draft"), f"'draft' must be true or false, got {draft!r}")
        draft = False

    slug = stem if SLUG.match(stem) else slugify(stem)
    if "slug" in meta:
        raw = meta["slug"]
        if not isinstance(raw, str) or not SLUG.match(raw):
            checked.error(
                line("slug"),
                f"'slug' must use only a-z, 0-9 and '-', got {str(raw)!r}; expected e.g. `slug: eu-ai-act`",
            )
        else:
            slug = raw
    elif not slug:
        checked.error(
            1, f"file name '{stem}' gives an empty slug; expected a file name with letters or digits, or `slug:`"
        )

    checked.unknown_keys()
    fields = checked.fields()
    extra = checked.extra()
    warnings = [] if draft else checked.placeholders(key_points, source)

    try:
        body = render_body(checked.doc.body)
    except TableTooLarge as exc:
        checked.error(checked.doc.body_line + exc.line, exc.message)
        body = Rendered("", ())
    points_html = tuple(render_inline(p) for p in key_points)
    refs = tuple((ref, _ref_line(checked.doc.body, checked.doc.body_line, ref)) for ref in body.refs)
    refs += tuple((ref, checked.doc.line("key_points", i)) for i, r in enumerate(points_html) for ref in r.refs)

    if checked.problems:
        raise ContentError(checked.problems)
    assert title is not None and summary is not None and published is not None
    # (only the lines that later messages point at: every brief is loaded on every build)
    lines = {".".join(map(str, k)): line for k, line in checked.doc.meta.lines.items() if k and k[0] in _LATER_LINES}
    return (
        Brief(
            path=checked.rel,
            slug=slug,
            title=title,
            published=published[0],
            has_time=published[1],
            summary=summary,
            key_points=key_points,
            # (the point itself where it renders to the same text: one string to cache, not two)
            key_points_html=tuple(p if r.html == p else r.html for p, r in zip(key_points, points_html, strict=True)),
            tags=tags,
            tag_labels=labels,
            source=source,
            updated=updated,
            draft=draft,
            refs=refs,
            extra=extra,
            lines=lines,
            meta_digest=content_hash(
                checked.rel, checked.source_text[: len(checked.source_text) - len(checked.doc.body)]
            ),
            images=tuple(replace(image, line=checked.doc.body_line + image.line) for image in body.images),
            fields=fields,
            warnings=tuple(checked.warnings + warnings),
        ),
        body.html,
        content_hash(checked.doc.body),
    )


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
