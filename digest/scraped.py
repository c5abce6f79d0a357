"""Scraped-text articles: line 1 `Title | site navigation ... | Site name`, then the lead
paragraph, then `Key points:` with `- ` lines, then the body.

Real pages of this family vary, and all of these are read: key points named otherwise or
missing, bullets of any kind or run together on one line, Windows line endings, BOMs,
non-breaking spaces, missing blank lines, hard-wrapped paragraphs, boilerplate lines,
a missing title line, text cut off mid-sentence.
"""

from __future__ import annotations

import re

from digest.blocks import BULLET, Block, Parsed, is_key_points_heading
from digest.docdate import dateline
from digest.prose import ends_sentence, is_boilerplate, normalize, one_line

MAX_TITLE = 200
_SEPARATOR = re.compile(r"\s+[|｜¦]\s+")
_WRAP = 50  # a line at least this long that does not end a sentence continues on the next line


def read_scraped(text: str) -> Parsed:
    """A scraped-text article as blocks, with the title and site name of its first line."""
    lines = [one_line(line) for line in normalize(text).split("\n")]
    lines = ["" if is_boilerplate(line) else line for line in lines]
    title = site = None
    for index, line in enumerate(lines):
        if not line or dateline(line):
            continue
        found = title_line(line)
        if found:
            title, site = found
            lines[index] = ""
        break
    return Parsed("text", tuple(_headings(_blocks(lines))), title, site)


def title_line(line: str) -> tuple[str, str | None] | None:
    """(title, site name) of a first line that is a title; None if it is prose.

    Only the family's layout is split: three or more ` | ` parts, the last a short site name.
    `Revenue | Q3` stays one title."""
    line = one_line(line)
    parts = [part.strip() for part in _SEPARATOR.split(line)]
    if len(parts) >= 3 and parts[0] and len(parts[0]) <= MAX_TITLE and _site_like(parts[-1]):
        return parts[0], parts[-1]
    if (
        len(line) > MAX_TITLE
        or len(line.split()) > 30
        or line.endswith((".", ":", ";", ","))
        or BULLET.match(line)
        or is_key_points_heading(line)
        or not any(ch.isalpha() for ch in line)
    ):
        return None
    return line, None


def _site_like(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 6 and len(text) <= 60 and not text.endswith(".") and any(ch.isalpha() for ch in text)


def _blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] = []
    ordered = False

    def flush_para() -> None:
        if para:
            blocks.append(Block("para", " ".join(para)))
            para.clear()

    def flush_list() -> None:
        if items:
            blocks.append(Block("list", items=tuple(items), ordered=ordered))
            items.clear()

    for line in lines:
        if not line:
            flush_para()
            continue
        bullet = BULLET.match(line)
        if bullet:
            flush_para()
            if not items:
                ordered = line.lstrip()[:1].isdigit()
            items.append(bullet.group("text"))
            continue
        flush_list()
        if is_key_points_heading(line):
            flush_para()
            blocks.append(Block("para", line))
            continue
        if para and len(para[-1]) >= _WRAP and not ends_sentence(para[-1]) and not para[-1].endswith(":"):
            para.append(line)
            continue
        flush_para()
        para.append(line)
    flush_para()
    flush_list()
    return blocks


def _headings(blocks: list[Block]) -> list[Block]:
    """Short title-like lines between paragraphs become `##` headings."""
    result = list(blocks)
    for index in range(1, len(blocks) - 1):
        block, after = blocks[index], blocks[index + 1]
        text = block.text
        if (
            block.kind == "para"
            and after.kind == "para"
            and len(after.text) >= 80
            and len(text) <= 80
            and 1 <= len(text.split()) <= 10
            and text[:1].isupper()
            and not text.endswith((".", ",", ";", ":", "!"))
            and not is_key_points_heading(text)
            and not dateline(text)
            and not text.lower().startswith("by ")
        ):
            result[index] = Block("heading", text, level=2)
    return result
