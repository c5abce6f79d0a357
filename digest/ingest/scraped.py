"""Scraped-text articles: line 1 `Title | site navigation ... | Site name`, then the lead
paragraph, then `Key points:` with `- ` lines, then the body.

Real pages of this family vary, and all of these are read: key points named otherwise or
missing, bullets of any kind or run together on one line, Windows line endings, BOMs,
non-breaking spaces, missing blank lines, hard-wrapped paragraphs, boilerplate lines,
a missing title line, text cut off mid-sentence.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import accumulate

from digest.ingest.blocks import BULLET, Block, Parsed, is_key_points_heading
from digest.ingest.docdate import dateline, lead_dateline, parse_date
from digest.ingest.prose import ends_sentence, is_boilerplate, is_sentence_like, normalize, one_line
from digest.ingest.titles import clean_title, is_release_furniture

MAX_TITLE = 200
_SEPARATOR = re.compile(r"\s+[|｜¦]\s+")
_WRAP = 50  # a line at least this long that does not end a sentence continues on the next line
_LEAD = 100  # characters: a line this long that reads as prose is a lead or body paragraph
_NEAR = 3  # lines: how far from a title its date, or its lead, may be
_MIN_SCORE = 4.0  # below this, no line is a convincing title
_NOT_TITLE = re.compile(
    r"^\W*(?:by\s|(?:q|a)\s*[:.]\s|media\s+caption\b|image\s+(?:caption|copyright)\b|photo\s*:)", re.I
)


def read_scraped(text: str) -> Parsed:
    """A scraped-text article as blocks, with its title (and the site name of a title line in
    the family's layout). A page saved whole has its title somewhere among menus and banners:
    the best scored line is the title, and what comes before it (but a date just above it)
    is left out."""
    lines = [one_line(line) for line in normalize(text).split("\n")]
    lines = [
        "" if is_boilerplate(line) else _furniture_date(line) if is_release_furniture(line) else line for line in lines
    ]
    title = site = None
    first = next((i for i, line in enumerate(lines) if line and (not dateline(line) or _glued(line))), None)
    family = title_line(lines[first]) if first is not None else None
    if family and family[1]:
        title, site = family
        lines[first] = ""  # type: ignore[index]
    else:
        best = _best_title(lines)
        if best is not None:
            nonblank = [i for i in range(best) if lines[i]]
            keep = {i for i in nonblank[-2:] if dateline(lines[i])}  # its date just above it; not a banner
            title = lines[best]
            lines = [line if i in keep or i > best else "" for i, line in enumerate(lines)]
        elif family:
            title = family[0]
            lines[first] = ""  # type: ignore[index]
    if title:
        title, date = clean_title(title)
        if date and not any(dateline(line) for line in lines if line):
            lines.insert(0, date.isoformat())
    return Parsed("text", tuple(_headings(_blocks(lines))), title or None, site)


def _best_title(lines: list[str]) -> int | None:
    """The index of the line that is most likely the document's title, or None.

    A title is a short line (4 to 20 words) just above the lead, near a date, repeated in the
    page (a page's own title line carries it, often with the site's name after it); menus,
    labels and sentences are not titles."""
    rows = [i for i, line in enumerate(lines) if line]
    lead = [_is_prose(lines[i]) for i in rows]
    dated = {
        k
        for k, i in enumerate(rows)
        if (dateline(lines[i]) and not _glued(lines[i])) or (lead[k] and lead_dateline(lines[i]))
    }
    folded = [lines[i].casefold() for i in rows]
    seen = Counter(folded)
    starts: Counter[str] = Counter()  # the lines' beginnings, word by word: a title is repeated before a site's name
    for text in folded:
        words = text.split(" ") if len(text) <= 2 * MAX_TITLE else []
        starts.update(" ".join(words[:n]) for n in range(1, len(words)))
    prose_before = list(accumulate(lead, initial=0))
    best: tuple[float, int] | None = None
    for k, index in enumerate(rows):
        line = lines[index]
        if lead[k] or not _title_like(line):
            continue
        cjk = sum(1 for ch in line if ord(ch) > 0x2E80)
        words = len(line.split()) + cjk // 2
        score = 1.5 if 4 <= words <= 20 else -2.0 if words <= 2 else -0.5 if words == 3 else 0.0
        between, prose = 0.0, []
        for j in range(k + 1, min(len(rows), k + 9)):
            if lead[j]:
                prose.append(folded[j])
                if len(prose) == 1:
                    score += max(0.0, 3.0 - 0.75 * between)
                if len(prose) == 3:
                    break
            elif prose:
                continue
            elif j not in dated and not _NOT_TITLE.match(lines[rows[j]]):
                between += 0.5 if len(folded[j].split()) <= 3 else 1.0  # a menu item or label counts less
                if between > _NEAR + 1:
                    break
        score += 1.5 * _shared(folded[k], " ".join(prose))
        near = [abs(j - k) for j in range(k - _NEAR, k + _NEAR + 1) if j != k and j in dated]
        near += [1] if _glued(line) else []
        if near:
            score += {1: 2.5, 2: 2.0}.get(min(near), 1.0)
        key = folded[k]
        if seen[key] > 1 or starts[key]:
            score += 1.5
        score += 0.3 if line[:1].isupper() else -1.0 if line[:1].islower() else 0.0
        score += 0.5 if k == 0 else 0.0
        score -= min(2.5, 0.5 * prose_before[k])  # the headings inside an article come after its prose
        if score >= _MIN_SCORE and (best is None or score > best[0]):
            best = (score, index)
    return best[1] if best else None


def _furniture_date(line: str) -> str:
    """A press release's furniture line is left out, but for the date it may carry
    (`FOR IMMEDIATE RELEASE | October 17, 2023 | Media Contact: ...`)."""
    found = parse_date(line)
    return found.isoformat() if found else ""


def _glued(line: str) -> bool:
    """A title with its dateline in front: `Date 2025-03-01 CITY : Title of the story`."""
    return clean_title(line)[1] is not None


def _is_prose(line: str) -> bool:
    """A lead or body paragraph rather than a heading, label or menu item."""
    return (len(line) >= 60 and ends_sentence(line) and is_sentence_like(line)) or len(line) >= 200


def _shared(title: str, text: str) -> float:
    """The share of a title's words (of four letters or more) that `text` has."""
    words = {w for w in re.findall(r"\w{4,}", title)}
    return len(words & set(re.findall(r"\w{4,}", text))) / len(words) if words and text else 0.0


def _title_like(line: str) -> bool:
    return not (
        len(line) > MAX_TITLE
        or _NOT_TITLE.match(line)
        or len(re.findall(r"\s[|│¦\t]\s", line)) >= 2
        or len(line.split()) > 30
        or line.endswith((".", ":", ";", ","))
        or BULLET.match(line)
        or is_key_points_heading(line)
        or (dateline(line) and not _glued(line))
        or not any(ch.isalpha() for ch in line)
        or (parse_date(line) is not None and len(line.split()) <= 4)
    )


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
