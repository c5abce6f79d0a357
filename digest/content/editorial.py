"""The editor's part of a weekly edition: `content/editions/<YYYY>-W<WW>.md` -> a validated EditionFile.

A file is optional; when present it gives the edition a headline (`title:`), a lead story
(`top:`, a brief's slug) and the editor's note (the Markdown body). Read in full on every
build: there is one small file a week, and its values go into the site's layout key, so an
edit re-plans the site exactly as a clean build would.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html as html_module
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from digest.content.frontmatter import read_front_matter
from digest.content.markup import TableTooLarge, render_body
from digest.content.sourcefile import decode, link_problem
from digest.core.errors import ContentError, Problem

EDITIONS_DIR = "content/editions"
EDITION_KEYS = ("title", "top")
WEEK_NAME = re.compile(r"^(\d{4})-W(\d{2})$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|tr|td|th)>|<br\s*/?>")
_TAG = re.compile(r"<[^>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[A-Z0-9“\"'(])")


@dataclass(frozen=True)
class EditionFile:
    """An edition file as written: its ISO week, headline, lead story and note."""

    path: str  # relative to the site root, for messages
    key: str  # `2025-W04`
    title: str | None
    top: str | None
    note_html: str  # rendered Markdown, link placeholders unresolved
    note_text: str  # the note as plain text (for the front page, the email and the preheader)
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), compare=False)


def first_sentence(text: str) -> str:
    """The first sentence of plain text (all of it when it has one)."""
    text = " ".join(text.split())
    parts = _SENTENCE_END.split(text, maxsplit=1)
    return parts[0] if parts else ""


def note_text(html: str) -> str:
    """The plain text of a rendered note: inline tags dropped without a space, blocks apart."""
    text = _TAG.sub("", _BLOCK_END.sub(" ", html))
    return " ".join(html_module.unescape(text).split())


def week_of_name(stem: str) -> str | None:
    """`2025-W04` for a file stem naming a real ISO week, else None."""
    match = WEEK_NAME.match(stem)
    if not match:
        return None
    year, week = int(match.group(1)), int(match.group(2))
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return stem


def parse_edition(text: str, rel: str) -> EditionFile:
    """One edition file's text; ContentError lists every problem in it."""
    stem = os.path.splitext(os.path.basename(rel))[0]
    key = week_of_name(stem)
    if key is None:
        raise ContentError(
            [
                Problem(
                    rel, 1, f"file name '{stem}.md' is not an ISO week; expected e.g. 2025-W04.md (year, W, week 01-53)"
                )
            ]
        )
    doc = read_front_matter(text, rel, "`title: ...` and `top: slug`", may_be_empty=True)
    meta = doc.meta.data
    problems: list[Problem] = []
    for name in meta:
        if name not in EDITION_KEYS:
            close = difflib.get_close_matches(str(name).lower(), EDITION_KEYS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"expected only {', '.join(EDITION_KEYS)}"
            problems.append(Problem(rel, doc.line(str(name)), f"unknown key '{name}'; {hint}"))
    title = meta.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        problems.append(
            Problem(rel, doc.line("title"), "'title' must be a non-empty string; expected e.g. `title: ...`")
        )
        title = None
    top = meta.get("top")
    if top is not None and (not isinstance(top, str) or not _SLUG.match(top)):
        problems.append(
            Problem(
                rel,
                doc.line("top"),
                f"'top' must be a brief's slug, got {top!r}; expected e.g. `top: deepseek-r1-release`",
            )
        )
        top = None
    try:
        html = render_body(doc.body).html if doc.body.strip() else ""
    except TableTooLarge as exc:
        problems.append(Problem(rel, doc.body_line + exc.line, exc.message))
        html = ""
    if problems:
        raise ContentError(problems)
    lines = {str(k): doc.line(str(k)) for k in meta}
    return EditionFile(
        rel,
        key,
        title.strip() if isinstance(title, str) else None,
        top,
        html,
        note_text(html),
        MappingProxyType(lines),
    )


def load_editions(root: Path) -> tuple[tuple[EditionFile, ...], list[Problem]]:
    """Every edition file under content/editions (a link out of the site, or to a hidden file,
    is an error, not read), with the problems of those that are not valid."""
    folder = root / EDITIONS_DIR
    if not folder.is_dir():
        return (), []
    base = os.path.realpath(root)
    found: list[EditionFile] = []
    problems: list[Problem] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith(".") or not entry.name.endswith(".md"):
            continue
        rel = f"{EDITIONS_DIR}/{entry.name}"
        if entry.is_symlink():
            message = link_problem(base, os.path.realpath(entry.path))
            if message is not None:
                problems.append(Problem(rel, 0, message))
                continue
        if not entry.is_file():
            continue
        try:
            with open(entry.path, "rb") as handle:
                found.append(parse_edition(decode(handle.read(), rel), rel))
        except OSError as exc:
            problems.append(Problem(rel, 0, f"cannot read file: {exc.strerror}; expected a readable file"))
        except ContentError as exc:
            problems.extend(exc.problems)
    return tuple(found), problems
