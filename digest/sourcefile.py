"""Reading input text files: UTF-8 (with or without BOM), any newline style, bounded size."""

from __future__ import annotations

from pathlib import Path

from digest.errors import ContentError, Problem

MAX_BYTES = 4 * 1024 * 1024


def decode(data: bytes, rel: str) -> str:
    """Bytes of an input file to text with '\\n' newlines; ContentError if it is not text."""
    if len(data) > MAX_BYTES:
        raise ContentError(
            [Problem(rel, 1, f"file is {len(data):,} bytes; expected at most {MAX_BYTES:,} bytes of text")]
        )
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
    return text


def read_text(path: Path, rel: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError([Problem(rel, 0, f"cannot read file: {exc.strerror}; expected a readable file")]) from None
    return decode(data, rel)
