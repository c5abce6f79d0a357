"""A draft as the text of a brief file, and whether a brief file is still as it was generated.

An imported brief records where it came from in `imported_from` (a key digest keeps as
`brief.extra`): the source file, the source's SHA-256, and `generated_sha256`, the SHA-256
of the brief's whole text without that one line. A brief whose text still has that hash
has not been edited since it was generated.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from digest.ingest.extract import Draft

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 .,'()/&-]*")
_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})
_HASH_LINE = re.compile(r"^  generated_sha256: ([0-9a-f]{64})\n", re.MULTILINE)


@dataclass(frozen=True)
class Provenance:
    """Where a brief came from, for `imported_from`."""

    file: str  # the source, relative to the site folder
    sha256: str  # of the source's bytes
    date_from: str  # where the brief's date came from
    author: str | None = None
    title_from: str | None = None  # where the brief's title came from


def scalar(text: str, flow: bool = False) -> str:
    """A YAML scalar for `text`: plain when that is unambiguous, else double-quoted.
    `flow`: the scalar is an item of a `[a, b]` list, where a comma would end it."""
    if (
        _PLAIN.fullmatch(text)
        and text.strip() == text
        and text.casefold() not in _YAML_WORDS
        and not (flow and "," in text)
    ):
        return text
    quoted = json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    return quoted.replace("\u0085", "\\N").replace("\u2028", "\\L").replace("\u2029", "\\P")


def compose(draft: Draft, *, date: str, tags: Sequence[str], provenance: Provenance, review: Sequence[str] = ()) -> str:
    """The brief file for `draft`: front matter in digest's brief format, then the body. It is
    a draft until an editor publishes it; `review` names what digest generated or guessed."""
    lines = [
        "---",
        f"title: {scalar(draft.title)}",
        f"date: {date}",
        f"summary: {scalar(draft.summary)}",
        "key_points:",
        *(f"  - {scalar(point)}" for point in draft.key_points),
    ]
    if tags:
        lines.append(f"tags: [{', '.join(scalar(t, flow=True) for t in tags)}]")
    if draft.source_name or draft.source_url:
        lines.append("source:")
        if draft.source_name:
            lines.append(f"  name: {scalar(draft.source_name)}")
        if draft.source_url:
            lines.append(f"  url: {scalar(draft.source_url)}")
        if draft.date:
            lines.append(f"  published: {draft.date.isoformat()}")
    lines.append("draft: true")
    if review:
        lines.append(f"review: [{', '.join(review)}]")
    lines += [
        "imported_from:",
        f"  file: {scalar(provenance.file)}",
        f"  sha256: {provenance.sha256}",
        f"  date_from: {scalar(provenance.date_from)}",
    ]
    if provenance.title_from:
        lines.append(f"  title_from: {scalar(provenance.title_from)}")
    if provenance.author:
        lines.append(f"  author: {scalar(provenance.author)}")
    head = "\n".join(lines) + "\n"
    tail = "---\n" + (draft.body.strip() + "\n" if draft.body.strip() else "")
    digest = hashlib.sha256((head + tail).encode("utf-8")).hexdigest()
    return f"{head}  generated_sha256: {digest}\n{tail}"


def is_unedited(text: str) -> bool:
    """True if a brief's text is exactly what `compose` generated."""
    match = _HASH_LINE.search(text)
    if match is None:
        return False
    rest = text[: match.start()] + text[match.end() :]
    return hashlib.sha256(rest.encode("utf-8")).hexdigest() == match.group(1)
