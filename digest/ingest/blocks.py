"""A document as a list of blocks (headings, paragraphs, lists, quotes, code), and the
key-points section found among them.

Every source format becomes blocks first (`scraped`, `htmlpage`, `markdown_blocks` below),
so key points, lead and body are found the same way for all of them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from digest.ingest.prose import escape_block_start, one_line, plain, sentences, shorten

MAX_POINTS = 10
POINT_LIMIT = 300  # characters of one key point

_KP_WORDS = (
    r"(?:key\s+(?:points?|takeaways?|facts|findings|highlights)|(?:main\s+)?takeaways?|tl\s*;?\s*dr"
    r"|(?P<summary>summary|in\s+short|in\s+brief)|highlights?|at\s+a\s+glance|the\s+essentials"
    r"|what\s+(?:you\s+need\s+)?to\s+know)"
)
_KP_HEADING = re.compile(
    rf"^[\s#*_>]*{_KP_WORDS}[\s*_]*(?:[:：][\s*_]*|\s[–—-]\s+|$)(?P<rest>.*)$", re.IGNORECASE | re.DOTALL
)
BULLET = re.compile(r"^\s*(?:(?:[-*–—+](?=\s)|[•·▪●◦‣]|\d{1,2}[.)](?=\s))\s*)+(?P<text>\S.*)$")
_RUN_MARKER = re.compile(r"(?:^|(?<=\s))(?:[-*–—](?=\s)|[•·▪●◦‣]|\d{1,2}[.)](?=\s))\s*")
_RUN_AFTER_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?:[-*–—](?=\s)|[•·▪●◦‣])\s*")


@dataclass(frozen=True)
class Block:
    """One block of a document; `text` and `items` are Markdown (a list's `text` is its
    source, when it was read from Markdown)."""

    kind: str  # heading, para, list, quote, code, table, rule
    text: str = ""
    items: tuple[str, ...] = ()
    level: int = 2  # of a heading
    ordered: bool = False  # of a list

    def markdown(self) -> str:
        if self.kind == "heading":
            return f"{'#' * max(2, min(self.level, 6))} {one_line(self.text)}"
        if self.kind == "list":  # as written, when it was read from Markdown
            return self.text or "\n".join(
                f"{i}. {item}" if self.ordered else f"- {item}" for i, item in enumerate(self.items, 1)
            )
        if self.kind == "quote":
            return "\n".join(f"> {line}" if line else ">" for line in self.text.split("\n"))
        if self.kind == "para":
            return "\n".join(
                escape_block_start(line) if i == 0 else line for i, line in enumerate(self.text.split("\n"))
            )
        return self.text


@dataclass(frozen=True)
class Parsed:
    """A source document as its format's reader sees it: blocks, plus what the format says."""

    kind: str  # text, html, markdown
    blocks: tuple[Block, ...]
    title: str | None = None  # None: the document has no title line
    source_name: str | None = None
    url: str | None = None
    author: str | None = None
    meta_date: dt.date | None = None  # from page metadata
    title_from: str | None = None  # where `title` was found, when the reader chose among several


@dataclass(frozen=True)
class KeyPoints:
    points: tuple[str, ...]
    summary: str | None  # from a `Summary:` section that holds one paragraph
    rest: tuple[Block, ...]  # the blocks without the section


def body_markdown(blocks: tuple[Block, ...] | list[Block]) -> str:
    return "\n\n".join(text for text in (b.markdown().strip() for b in blocks) if text)


def is_key_points_heading(text: str) -> bool:
    return bool(_KP_HEADING.match(text))


def split_run_together(text: str) -> list[str]:
    """`- A. - B. • C.` (points written on one line) -> ['A.', 'B.', 'C.']."""
    text = text.strip()
    if _RUN_MARKER.match(text) or len(_RUN_MARKER.findall(text)) >= 2:
        parts = _RUN_MARKER.split(text)
    else:
        parts = _RUN_AFTER_SENTENCE.split(text)
    return [one_line(p) for p in parts if one_line(p)]


def take_key_points(blocks: list[Block]) -> KeyPoints:
    """The first key-points section (`Key points:`, `Key takeaways`, `TL;DR`, `Summary:`,
    `Highlights`, ... followed by a list, or with the points on its own line) and the
    blocks without it."""
    for index, block in enumerate(blocks):
        if block.kind not in ("heading", "para") or len(block.text) > 2000:
            continue
        match = _KP_HEADING.match(block.text)
        if not match:
            continue
        is_summary = bool(match.group("summary"))
        rest = one_line(match.group("rest"))
        after = blocks[index + 1 :]
        if rest:
            parts = split_run_together(rest)
            if is_summary and len(parts) == 1:
                return KeyPoints((), plain(rest), tuple(blocks[:index] + after))
            return KeyPoints(_points(parts), None, tuple(blocks[:index] + after))
        if after and after[0].kind == "list":
            parts = [part for item in after[0].items for part in split_run_together(item)]
            return KeyPoints(_points(parts), None, tuple(blocks[:index] + after[1:]))
        short = []
        for following in after:
            if following.kind != "para" or len(following.text) > 250 or len(sentences(following.text)) > 2:
                break
            short.append(following.text)
        if len(short) >= 2 and not is_summary:
            return KeyPoints(_points(short), None, tuple(blocks[:index] + after[len(short) :]))
        if is_summary and after and after[0].kind == "para":
            return KeyPoints((), plain(after[0].text), tuple(blocks[:index] + after[1:]))
    return KeyPoints((), None, tuple(blocks))


def _points(parts: list[str]) -> tuple[str, ...]:
    return tuple(shorten(p, POINT_LIMIT) for p in parts if any(ch.isalnum() for ch in p))[:MAX_POINTS]


@cache
def _markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_blocks(text: str) -> list[Block]:
    """A Markdown document's top-level blocks, each with its source text as written."""
    lines = text.split("\n")
    tokens = _markdown_parser().parse(text)
    blocks: list[Block] = []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1 or token.map is None:
            continue
        start, end = token.map
        source = "\n".join(lines[start:end]).strip("\n")
        if token.type == "heading_open":
            inline = tokens[index + 1].content if index + 1 < len(tokens) else source
            blocks.append(Block("heading", one_line(inline), level=int(token.tag[1:])))
        elif token.type == "paragraph_open":
            blocks.append(Block("para", source))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            items = _list_items(tokens, index, lines)
            blocks.append(Block("list", source, items=items, ordered=token.type == "ordered_list_open"))
        elif token.type == "blockquote_open":
            blocks.append(Block("quote", "\n".join(re.sub(r"^\s{0,3}> ?", "", line) for line in source.split("\n"))))
        elif token.type in ("fence", "code_block"):
            blocks.append(Block("code", source))
        elif token.type == "table_open":
            blocks.append(Block("table", source))
        elif token.type == "hr":
            blocks.append(Block("rule", "---"))
    return blocks


def _list_items(tokens: list[Token], start: int, lines: list[str]) -> tuple[str, ...]:
    items = []
    depth = tokens[start].level + 1
    for token in tokens[start + 1 :]:
        if token.level < depth:
            break
        if token.type == "list_item_open" and token.level == depth and token.map:
            first, last = token.map
            text = "\n".join(lines[first:last]).strip()
            text = re.sub(r"^\s*(?:[-*+]|\d{1,9}[.)])\s*", "", text, count=1)
            items.append(" ".join(line.strip() for line in text.split("\n") if line.strip()))
    return tuple(item for item in items if item)
