"""YAML documents with positions: values plus the line of every key and item.

Uses PyYAML's C parser. Timestamps are left as strings (dates are validated by the
content stage, with their own messages), duplicate keys are errors, and alias expansion
and nesting depth are bounded so hostile input cannot exhaust memory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from digest.content.sourcefile import CONTROL
from digest.core.errors import ContentError, Problem

try:
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader with YAML 1.2 habits: `2025-04-26` stays text (dates are validated with
    their own messages) and only true/false are booleans (`NO` is Norway, not False)."""


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:timestamp", _BOOL)]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))

MAX_NODES = 100_000
MAX_DEPTH = 64
_STANDARD = "tag:yaml.org,2002:"
PLAIN_TAGS = frozenset(_STANDARD + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))

Path = tuple[str | int, ...]


class YamlError(Exception):
    """A YAML problem at a 1-based line (relative to the parsed text)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class YamlDoc:
    """A parsed document: `data` plus the 1-based line of each key path."""

    data: Any
    lines: Mapping[Path, int]

    def line(self, *path: str | int) -> int:
        """Line of the deepest known prefix of `path` (1 if none)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def parse_file(text: str, rel: str) -> YamlDoc:
    """A whole YAML file (`digest.yaml`, `content/tags.yaml`) parsed; ContentError naming `rel`
    and the line on any problem."""
    try:
        return parse_yaml(text)
    except YamlError as exc:
        raise ContentError([Problem(rel, exc.line, exc.message)]) from None


def parse_yaml(text: str, first_line: int = 1) -> YamlDoc:
    """Parse one YAML document; raise YamlError with a line number on any problem.

    `first_line` is the line of the file where `text` starts, so every reported line is a
    line of the file."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and "quoted" in (exc.context or ""):
            mark = exc.context_mark  # point at the opening quote, not the end of file
        line = mark.line + 1 if mark else 1
        text_lines = text.split("\n")
        has_tab = 0 < line <= len(text_lines) and "\t" in text_lines[line - 1]
        raise YamlError(line + first_line - 1, _describe(exc, has_tab)) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (DEL, C1 controls): its own line, in one line.
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        at = text.find(chr(code))
        line = text.count("\n", 0, at) + first_line if at >= 0 else first_line
        raise YamlError(line, f"character U+{code:04X} is not allowed in YAML; expected printable text") from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, f"invalid YAML: {exc}; expected a valid YAML document") from None
    finally:
        loader.dispose()
    lines: dict[Path, int] = {}
    if node is None:
        return YamlDoc(None, lines)
    builder = _Builder(loader, lines, first_line - 1)
    data = builder.build(node, (), 0)
    return YamlDoc(data, lines)


def _describe(exc: yaml.MarkedYAMLError, has_tab: bool) -> str:
    problem = exc.problem or "syntax error"
    context = f" {exc.context}" if exc.context else ""
    hint = "expected valid YAML"
    if has_tab:
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        hint = "expected `key: value` lines; quote values that contain ': '"
    elif "found unexpected end of stream" in problem or "while scanning a quoted" in context:
        hint = "expected a closing quote"
    elif "could not find expected ':'" in problem:
        hint = "expected `key: value`; check indentation and quotes"
    elif "undefined alias" in problem:
        hint = "expected an anchor `&name` before `*name`, or quote a value that starts with '*'"
    elif "escape" in problem or "hexdecimal" in problem:
        hint = "a backslash starts an escape in double quotes; expected single quotes or a doubled backslash"
    return f"invalid YAML: {problem}{context}; {hint}"


class _Builder:
    def __init__(self, loader: Any, lines: dict[Path, int], offset: int) -> None:
        self.offset = offset
        self.loader = loader
        self.lines = lines
        self.count = 0

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        line = node.start_mark.line + 1 + self.offset
        if self.count > MAX_NODES:
            raise YamlError(
                line,
                f"document too large (over {MAX_NODES:,} values, or aliases that expand too much); expected a small YAML document",
            )
        if depth > MAX_DEPTH:
            raise YamlError(line, f"nested more than {MAX_DEPTH} levels deep; expected a flat document")
        self.lines.setdefault(path, line)
        if node.tag not in PLAIN_TAGS:
            tag = node.tag.replace(_STANDARD, "!!")
            raise YamlError(line, f"the YAML tag '{tag}' is not supported; expected plain values without `!` tags")
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlError(
                        key_node.start_mark.line + 1 + self.offset,
                        "merge keys (`<<`) are not supported; expected plain keys",
                    )
                key = self.build(key_node, (*path, "<key>"), depth + 1)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    raise YamlError(
                        key_node.start_mark.line + 1 + self.offset,
                        "a key must be a plain value; expected `name: value`",
                    )
                key_line = key_node.start_mark.line + 1 + self.offset
                if key in result:
                    first = self.lines.get((*path, str(key)), key_line)
                    raise YamlError(key_line, f"duplicate key '{key}' (first on line {first}); expected each key once")
                kpath = (*path, str(key))
                self.lines[kpath] = key_line
                result[key] = self.build(value_node, kpath, depth + 1)
                self.lines[kpath] = key_line
            self.lines.pop((*path, "<key>"), None)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                items.append(self.build(item, (*path, index), depth + 1))
            return items
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise YamlError(line, f"invalid value: {exc.problem}; expected a plain YAML value") from None
        except (yaml.YAMLError, ValueError) as exc:
            raise YamlError(line, f"invalid value: {exc}; expected a plain YAML value") from None
        if isinstance(value, str):
            found = CONTROL.search(value)
            if found:
                raise YamlError(
                    line, f"control character U+{ord(found.group()):04X} in a value; expected printable text"
                )
        return value


def kind_of(value: object) -> str:
    """How a writer would name a YAML value's type."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "text"
