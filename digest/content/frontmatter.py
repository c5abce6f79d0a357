"""Splitting a brief into YAML front matter and Markdown body."""

from __future__ import annotations

from dataclasses import dataclass

from digest.content.yamldoc import YamlDoc, YamlError, kind_of, parse_yaml
from digest.core.errors import ContentError, Problem


class FrontMatterError(YamlError):
    """A problem with the front matter of a brief, at a line of the file."""


@dataclass(frozen=True)
class Document:
    """Front matter (with positions in the file) and the body that follows it."""

    meta: YamlDoc
    body: str
    body_line: int  # 1-based line of the body's first line in the file

    def line(self, *path: str | int) -> int:
        return self.meta.line(*path)


def split(text: str) -> Document:
    """Parse `---` front matter; line numbers in the result are lines of the whole file."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        if not text.strip():
            raise FrontMatterError(1, "the file is empty; expected front matter between '---' lines, then the body")
        hint = "did you forget the leading '---'?"
        if lines[0].strip().startswith("---"):
            hint = "the first line must be exactly '---'"
        raise FrontMatterError(1, f"no front matter; expected the file to start with a '---' line ({hint})")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            end = index
            break
    else:
        raise FrontMatterError(1, "front matter is not closed; expected a '---' line after the front matter")
    yaml_text = "\n".join(lines[1:end])
    try:
        meta = parse_yaml(yaml_text, first_line=2)
    except YamlError as exc:
        raise FrontMatterError(exc.line, exc.message) from None
    if () not in meta.lines:
        meta = YamlDoc(meta.data, {**meta.lines, (): 2})
    body = "\n".join(lines[end + 1 :])
    return Document(meta, body, end + 2)


def read_front_matter(text: str, rel: str, example: str, *, may_be_empty: bool = False) -> Document:
    """`split`, for a file of the site: its front matter must be `key: value` lines (`example`
    shows some); anything else is a ContentError at the file's line. With `may_be_empty`, no
    keys at all is an empty mapping."""
    try:
        doc = split(text)
    except FrontMatterError as exc:
        raise ContentError([Problem(rel, exc.line, exc.message)]) from None
    data = doc.meta.data
    if data is None and may_be_empty:
        return Document(YamlDoc({}, doc.meta.lines), doc.body, doc.body_line)
    if not isinstance(data, dict):
        kind = "empty" if data is None else kind_of(data)
        raise ContentError(
            [Problem(rel, doc.line(), f"front matter is {kind}; expected `key: value` lines such as {example}")]
        )
    return doc
