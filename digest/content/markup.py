"""Markdown to HTML: CommonMark plus tables, footnotes, heading anchors and strikethrough.

Raw HTML is escaped, never emitted; links are kept only for safe schemes. Links to other
briefs (`other-brief.md`, or its slug `other-brief`) and root-relative links (`/tags/chips/`) are rendered as
placeholders that the render stage resolves against the site, so a rendered body depends
on its own text alone (and can be cached by content hash).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html import unescape as html_unescape
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block import table as _table_rule
from markdown_it.rules_core import StateCore
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.superscript import superscript_plugin

from digest.core.model import Image

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
REF = "digest-ref:"
ROOT = "digest-root:"
BARE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # `[x](other-brief)`: a brief by its slug
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")  # (what browsers strip from a URL before reading its scheme)
_PLACEHOLDER = re.compile(r'(href|src)="(digest-ref|digest-root):([^"]*)"')
# A table costs a cell per column in every row, even where the row is short (the parser pads
# it): a few kilobytes of header could otherwise make megabytes of page. Generous for briefs.
MAX_TABLE_COLUMNS = 64
MAX_TABLE_ROWS = 2000
MAX_TABLE_CELLS = 128_000  # in all the tables of one body


class TableTooLarge(Exception):
    """A table beyond the caps; `line` is 0-based in the text rendered."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Rendered:
    """HTML with link placeholders, its links inside the site (to brief files, brief slugs,
    root-relative and relative paths), and its images."""

    html: str
    refs: tuple[str, ...]
    images: tuple[Image, ...] = ()  # lines are 0-based, in the text rendered


def is_safe_url(url: str) -> bool:
    """True for relative URLs, fragments and the http/https/mailto/tel schemes."""
    cleaned = _CONTROL.sub("", url).lower()
    scheme = urlsplit(cleaned).scheme
    if not scheme:
        return not cleaned.startswith("\\") and ":" not in cleaned.split("/", 1)[0]
    return scheme in SAFE_SCHEMES


def _rewrite_links(state: StateCore) -> None:
    refs: list[str] = state.env.setdefault("digest_refs", [])
    images: list[Image] = state.env.setdefault("digest_images", [])
    for block in state.tokens:
        if (block.type == "heading_open" and block.tag == "h1") or (
            block.type == "heading_close" and block.tag == "h1"
        ):
            block.tag = "h2"
        line = block.map[0] if block.map else 0
        for token in block.children or ():
            if token.type in ("softbreak", "hardbreak"):
                line += 1
            attr = "href" if token.type == "link_open" else "src" if token.type == "image" else None
            if attr is None:
                continue
            url = str(token.attrGet(attr) or "")
            if token.type == "image":
                # Images below the fold must not delay the page: fetched when near, decoded off the main thread.
                token.attrSet("loading", "lazy")
                token.attrSet("decoding", "async")
                images.append(Image(url, token.content.strip(), line))
            if url.startswith("/") and not url.startswith("//"):
                token.attrSet(attr, ROOT + url)
                if token.type == "link_open":
                    refs.append(url)  # (checked against the site's files by the build)
                continue
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("//", "#")) or token.type != "link_open":
                continue
            refs.append(url)
            if parts.path.endswith(".md") or BARE_SLUG.match(parts.path):
                token.attrSet(attr, REF + url)


def _capped_table(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """The table rule, after checking the table's size against the caps (TableTooLarge)."""
    if not _table_rule(state, start, end, True):  # (in silent mode the rule only looks at two lines)
        return False
    if not silent:
        delimiter = state.src[state.bMarks[start + 1] + state.tShift[start + 1] : state.eMarks[start + 1]].strip()
        columns = len(delimiter.strip("|").split("|"))
        if columns > MAX_TABLE_COLUMNS:
            raise TableTooLarge(start, f"the table has {columns} columns; expected at most {MAX_TABLE_COLUMNS}")
        rows = 1 + _rows(state, start, end)
        cells = state.env.get("digest_cells", 0) + rows * columns
        if cells > MAX_TABLE_CELLS:
            raise TableTooLarge(
                start,
                f"the tables have more than {MAX_TABLE_CELLS:,} cells in all; "
                f"expected at most {MAX_TABLE_CELLS:,} in one brief",
            )
        state.env["digest_cells"] = cells
    return _table_rule(state, start, end, silent)


def _rows(state: StateBlock, start: int, end: int) -> int:
    """How many body rows the table at `start` has (the rule's own end conditions), counted
    before the rule makes a token of any: TableTooLarge at the first row beyond the cap."""
    terminators = state.md.block.ruler.getRules("blockquote")
    line = start + 2
    while line < end:
        if state.sCount[line] < state.blkIndent or any(rule(state, line, end, True) for rule in terminators):
            break
        if state.bMarks[line] + state.tShift[line] >= state.eMarks[line] or state.is_code_block(line):
            break
        if line - start - 2 >= MAX_TABLE_ROWS:
            raise TableTooLarge(
                line,
                f"the table has more than {MAX_TABLE_ROWS:,} rows; expected at most {MAX_TABLE_ROWS:,} "
                "(split it into several tables)",
            )
        line += 1
    return line - start - 2


_POWER = re.compile(r"\^([-−]?\d{1,4})(?![\w^])")


def _power(state: Any, silent: bool) -> bool:
    """`10^26` -> 10<sup>26</sup>: a caret between a number and an exponent, with no closing caret."""
    if state.src[state.pos] != "^" or state.pos == 0 or not state.src[state.pos - 1].isdigit():
        return False
    match = _POWER.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        state.push("sup_open", "sup", 1).markup = "^"
        token = state.push("text", "", 0)
        token.content = match.group(1)
        state.push("sup_close", "sup", -1).markup = "^"
    state.pos = match.end()
    return True


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.options["xhtmlOut"] = False
    md.enable(["table", "strikethrough"])
    md.block.ruler.at("table", _capped_table, {"alt": ["paragraph", "reference"]})
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=1, max_level=4)
    md.use(superscript_plugin)  # `x^2^`
    md.inline.ruler.before("sup", "digest_power", _power)  # `10^26`, as policy texts write compute thresholds
    md.validateLink = is_safe_url  # type: ignore[method-assign]
    md.core.ruler.push("digest_links", _rewrite_links)
    return md


def render_body(text: str) -> Rendered:
    """A brief's Markdown body to HTML (with placeholders); TableTooLarge for a table beyond the caps."""
    env: dict[str, list[Any]] = {}
    html = _parser().render(text, env)
    return Rendered(html, tuple(env.get("digest_refs", ())), tuple(env.get("digest_images", ())))


def render_inline(text: str) -> Rendered:
    """One line of inline Markdown (a key point) to HTML without a paragraph."""
    env: dict[str, list[Any]] = {}
    html = _parser().renderInline(text, env)
    return Rendered(html, tuple(env.get("digest_refs", ())))


def resolve_links(
    html: str, resolve: Callable[[str, str], str], size: Callable[[str], tuple[int, int] | None] | None = None
) -> str:
    """Replace placeholders: resolve(kind, target) -> URL, kind 'ref' or 'root'; an image whose
    root-relative path `size(path)` knows gets its width and height (so the page does not shift
    when it loads)."""

    def replace(match: re.Match[str]) -> str:
        kind = "ref" if match.group(2) == "digest-ref" else "root"
        resolved = f'{match.group(1)}="{resolve(kind, match.group(3))}"'
        if size is not None and kind == "root" and match.group(1) == "src":
            dimensions = size(html_unescape(match.group(3)))
            if dimensions:
                resolved += f' width="{dimensions[0]}" height="{dimensions[1]}"'
        return resolved

    if '="digest-r' not in html:  # (most bodies link nowhere inside the site: a scan in C, not the regex's)
        return html
    return _PLACEHOLDER.sub(replace, html)
