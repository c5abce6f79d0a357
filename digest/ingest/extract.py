"""Source documents to drafts: the text of a scraped article, an HTML page or Markdown notes
-> a frozen `Draft` (title, summary, key points, body, date, source), ready to become a brief.

Pure: text in, value out. Each format's reader gives blocks (`scraped`, `htmlpage`,
`blocks.markdown_blocks`); the rest is the same for all: the date and byline lines, the
title, the key-points section, the lead paragraph (the summary) and the body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from digest.core.errors import ContentError, Problem
from digest.ingest.blocks import Block, Parsed, body_markdown, is_key_points_heading, markdown_blocks, take_key_points
from digest.ingest.docdate import dateline, find_date, lead_dateline
from digest.ingest.htmlpage import read_html
from digest.ingest.keypoints import generate_key_points
from digest.ingest.prose import is_sentence_like, normalize, one_line, plain, sanitize, sentences, shorten
from digest.ingest.scraped import read_scraped

KINDS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
MAX_TITLE = 200
MAX_SUMMARY = 600
_BYLINE = re.compile(r"^(?i:by|author|written\s+by)\s*:?\s+(?P<name>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4})$")


@dataclass(frozen=True)
class Draft:
    """What a source document says, as a brief will say it (Markdown where Markdown is allowed)."""

    kind: str  # text, html, markdown
    title: str
    summary: str  # plain text
    key_points: tuple[str, ...]
    body: str
    date: dt.date | None
    date_from: str | None  # "document" or "page metadata"
    source_name: str | None
    source_url: str | None
    author: str | None
    review: tuple[str, ...]  # fields digest made up or guessed rather than found as such in the source
    title_from: str = "title line"  # where the title came from, for `imported_from`


def kind_of(name: str, text: str) -> str:
    """The format of a source: by its extension, else by its first characters."""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix in KINDS:
        return KINDS[suffix]
    start = text.lstrip("\ufeff \n\r\t")[:200].lower()
    if start.startswith(("<!doctype html", "<html", "<?xml", "<head", "<body", "<article")):
        return "html"
    return "markdown" if start.startswith("#") else "text"


def extract(text: str, rel: str, kind: str, tags_in: Callable[[str], int]) -> Draft:
    """The draft of one source document; ContentError (with `rel`) if it has no usable text.

    `tags_in(sentence)` counts the taxonomy tags a sentence names, for generated key points."""
    if not text.strip():
        raise ContentError([Problem(rel, 1, "the file is empty; expected a document with a title and text")])
    if kind == "html":
        parsed = read_html(text, rel)
    elif kind == "markdown":
        parsed = _read_markdown(text, rel)
    else:
        parsed = read_scraped(text)
    return _assemble(parsed, rel, tags_in)


def _read_markdown(text: str, rel: str) -> Parsed:
    text = normalize(text)
    if text.startswith("---\n") and re.search(r"^(?:---|\.\.\.)\s*$", text[4:], re.MULTILINE):
        raise ContentError(
            [
                Problem(
                    rel, 1, "the file has front matter (is it a brief?); expected Markdown notes without front matter"
                )
            ]
        )
    blocks = markdown_blocks(text)
    for index, block in enumerate(blocks):
        if block.kind == "heading" and not is_key_points_heading(block.text):
            return Parsed("markdown", tuple(blocks[:index] + blocks[index + 1 :]), plain(block.text) or None)
    return Parsed("markdown", tuple(blocks))


def _assemble(parsed: Parsed, rel: str, tags_in: Callable[[str], int]) -> Draft:
    blocks = list(parsed.blocks)
    review: list[str] = []
    date, date_from = parsed.meta_date, "page metadata" if parsed.meta_date else None
    texts = [b.text if b.kind == "para" else "" for b in blocks]
    found = find_date(texts)
    if found:
        date, date_from = found[0], "document"
        blocks.pop(found[1])
    else:  # a lead that opens with its dateline: `CITY, Oct. 17, 2023 — The ministry ...`
        for index, block in enumerate(blocks[:6]):
            text = block.text
            if parsed.title and block.kind == "para" and _same(plain(text)[: len(parsed.title)], parsed.title):
                text = text[len(parsed.title) :].lstrip(" |:-–—")  # the title glued to its lead
            opening = lead_dateline(text) if block.kind == "para" else None
            if opening:
                date, date_from = opening[0], "document"
                blocks[index] = Block("para", opening[1])
                break
    author = parsed.author
    for index, block in enumerate(blocks[:8]):
        byline = _BYLINE.match(plain(block.text)) if block.kind == "para" else None
        if byline and not dateline(block.text):
            author = author or one_line(byline.group("name"))
            blocks.pop(index)
            break

    title = parsed.title
    title_from = parsed.title_from or {"html": "page metadata", "markdown": "heading"}.get(parsed.kind, "title line")
    if parsed.kind == "html" and blocks and blocks[0].kind == "heading":  # the page's own <h1>
        heading = plain(blocks[0].text)
        if not title or _same(heading, title):
            title, title_from = title or heading, title_from if title else "heading"
            blocks.pop(0)
    if not title:
        title, title_from = _title_from_text(blocks), "first sentence"
    title = _clean_line(title or "", MAX_TITLE)
    if not title:  # an editor gives it one: the file's name says at least what the source is
        title, title_from = _clean_line(_title_from_name(rel), MAX_TITLE), "file name"
    if title_from in ("first sentence", "file name"):
        review.append("title")

    section = take_key_points(blocks)
    rest = list(section.rest)
    summary = section.summary
    lead_found = summary is not None
    if summary is None:
        for index, block in enumerate(rest):
            if block.kind == "para" and is_sentence_like(plain(block.text)):
                lead = plain(block.text)
                if len(lead) <= MAX_SUMMARY and len(sentences(lead)) <= 3:
                    summary, lead_found = lead, True
                    if parsed.kind != "markdown":
                        rest.pop(index)
                else:
                    summary = " ".join(sentences(lead)[:2])
                break
    passages = [plain(t) for b in rest for t in ((b.text,) if b.kind in ("para", "quote") else b.items)]
    if summary is None:  # else the key points say what the source is about
        summary = " ".join(sentences(" ".join(passages))[:2]) or " ".join(plain(p) for p in section.points[:2])
    summary = _clean_line(summary, MAX_SUMMARY)
    if not summary:
        raise ContentError([Problem(rel, 1, "no text besides the title; expected a lead paragraph or body text")])
    if not lead_found:
        review.append("summary")

    points = tuple(p for p in (_clean_line(p, 300) for p in section.points) if p)
    if not points:
        points = tuple(p for p in (_clean_line(p, 300) for p in generate_key_points(passages, summary, tags_in)) if p)
        review.append("key_points")
    return Draft(
        kind=parsed.kind,
        title=title,
        summary=summary,
        key_points=points or (summary,),
        body=sanitize(body_markdown(rest)).strip(),
        date=date,
        date_from=date_from,
        source_name=_clean_line(parsed.source_name or "", 120) or None,
        source_url=parsed.url,
        author=_clean_line(author or "", 120) or None,
        review=tuple(review),
        title_from=title_from,
    )


def _same(a: str, b: str) -> bool:
    return re.sub(r"\W+", "", a).casefold() == re.sub(r"\W+", "", b).casefold()


def _title_from_name(rel: str) -> str:
    """`ministry-note.txt` -> `Ministry note`."""
    stem = re.split(r"[\\/]", rel)[-1]
    stem = stem[: stem.rfind(".")] if "." in stem.lstrip(".") else stem
    words = " ".join(re.split(r"[\s_-]+", stem)).strip()
    return (words[:1].upper() + words[1:]) if words else "Untitled source"


def _title_from_text(blocks: list[Block]) -> str | None:
    """No title line: the first sentence-like line is the title (its first sentence if it is long)."""
    for index, block in enumerate(blocks):
        if block.kind not in ("para", "heading"):
            continue
        text = plain(block.text)
        if not is_sentence_like(text) and block.kind == "para":
            continue
        first = sentences(text)[0] if sentences(text) else text
        if block.kind == "heading" or (first == text and len(text) <= 150):
            blocks.pop(index)
        title = shorten(first, 150)
        return title[:-1] if re.search(r"[a-z0-9]\.$", title) else title
    return None


def _clean_line(text: str, limit: int) -> str:
    """One line of plain, sanitized text of at most `limit` characters."""
    return shorten(one_line(sanitize(text)), limit)
