"""Reading input text files: UTF-8 (with or without BOM), any newline style, bounded size."""

from __future__ import annotations

import os
import re
from pathlib import Path

from digest.core.errors import ContentError, Problem

MAX_BYTES = 4 * 1024 * 1024
# Characters that no page or feed may carry (XML 1.0 forbids them): C0 controls other than
# tab, newline and carriage return, and the noncharacters U+FFFE and U+FFFF.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
OUTSIDE = "a symbolic link that leads outside the site folder; expected a file inside the site folder (it is not read)"
HIDDEN = (
    "a symbolic link to a hidden file or folder ({}); expected a link to a file that is not hidden (it is not read)"
)


def inside(base: str, real: str) -> bool:
    """Whether the resolved path `real` is the folder `base` (resolved) or under it."""
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def link_problem(base: str, real: str) -> str | None:
    """Why a symbolic link found in the site `base` (resolved) that leads to `real` (resolved)
    must not be followed: it leaves the site, or it reaches a hidden file or folder of the site
    (`.env`, `.git/config`), which nothing reads or publishes from a walk. None if it may be."""
    if not inside(base, real):
        return OUTSIDE
    rel = os.path.relpath(real, base)
    if rel != "." and any(part.startswith(".") for part in rel.split(os.sep)):
        return HIDDEN.format(rel.replace(os.sep, "/"))
    return None


def decode(data: bytes, rel: str, *, strip_controls: bool = False) -> str:
    """Bytes of an input file to text with '\\n' newlines; ContentError if it is not text.

    Control characters are an error, or replaced by spaces with `strip_controls` (source
    documents, which come from anywhere)."""
    if len(data) > MAX_BYTES:
        raise ContentError([too_large(rel, len(data))])
    if data.startswith(_UTF16_BOMS):
        raise ContentError([Problem(rel, 1, "the file is saved as UTF-16; expected the file saved as UTF-8")])
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ContentError([Problem(rel, line, "file contains NUL bytes (a binary file?); expected UTF-8 text")])
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, bom + exc.start) + 1
        raise ContentError(
            [Problem(rel, line, f"invalid UTF-8 byte 0x{data[bom + exc.start]:02x}; expected the file saved as UTF-8")]
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    found = CONTROL.search(text)
    if found and strip_controls:
        text = CONTROL.sub(" ", text)
    elif found:
        line = text.count("\n", 0, found.start()) + 1
        raise ContentError(
            [Problem(rel, line, f"control character U+{ord(found.group()):04X}; expected printable text")]
        )
    return text


def too_large(rel: str, size: int) -> Problem:
    return Problem(rel, 1, f"file is {size:,} bytes; expected at most {MAX_BYTES:,} bytes of text")


def read_text(path: Path, rel: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError([Problem(rel, 0, f"cannot read file: {exc.strerror}; expected a readable file")]) from None
    return decode(data, rel)
