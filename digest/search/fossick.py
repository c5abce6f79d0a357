"""What Pagefind reads from one search document: its words with their positions and weights,
its metadata words, filters, sort values, anchors and the text its excerpts quote.

digest writes Pagefind's index itself (digest.search.bundle), so that one index over every
brief can be made, and kept, without holding every document in one Pagefind process. The
reader's side stays Pagefind's own (its JS and WebAssembly, which parse queries and rank), so
a page must be read exactly as Pagefind's indexer reads it. This module follows Pagefind's
`fossick` (parser.rs, mod.rs and splitting.rs of the Pagefind version that `pagefind_version`
names) for the HTML that digest.search.documents writes; `tests/test_search_fossick.py`
compares the two on the sample site and a generated corpus.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import regex

_SENTENCE = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "td", "div", "ul", "li", "article", "section")
_INLINE = frozenset(
    [
        "a",
        "abbr",
        "acronym",
        "b",
        "bdo",
        "big",
        "br",
        "button",
        "cite",
        "code",
        "dfn",
        "em",
        "i",
        "img",
        "input",
        "kbd",
        "label",
        "map",
        "object",
        "output",
        "q",
        "samp",
        "script",
        "select",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "textarea",
        "time",
        "tt",
        "var",
    ]
)
_REMOVE = frozenset(
    ["head", "style", "script", "noscript", "label", "form", "svg", "footer", "nav", "iframe", "template"]
)
_VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)
_AUTO_WEIGHTS = {"h1": "7", "h2": "6", "h3": "5", "h4": "4", "h5": "3", "h6": "2"}
# Rust's `\w` (Unicode's word characters: letters with the marks on them, decimal digits,
# connectors and joiners) differs from Python's, which takes other numbers and no marks.
_SENTENCE_CHAR = regex.compile(r"[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}'\"\)\$\*]")
# Rust's `char::is_alphanumeric`: the Alphabetic property (with the vowel signs of Indic and Thai
# letters, and circled letters) or a number. Python's `isalnum` is a part of it.
_ALPHANUMERIC = regex.compile(r"[\p{Alphabetic}\p{N}]")
_ATTRIBUTE = re.compile(r"^\s*(?P<name>[^:\[\]]+)\[(?P<attribute>.+)\]\s*$")
_TRIM = re.compile(r"^[\n\r\s]+|[\n\r\s]+$")
_NEWLINES = re.compile(r"(\n|\r\n)+")
_SPACES = re.compile(r"\s{2,}")
_PRIVATE = re.compile(r"___PAGEFIND_\S+\s?")
_ALL_SPACES = re.compile(r"\s")

INDEXING, IGNORED, EXCLUDED, BODY, PARENT_OF_BODY = range(5)


def _sentence_end(c: str) -> bool:
    """Whether text ending with `c` is closed with a full stop when its block ends (parser.rs `SENTENCE_CHARS`)."""
    return _SENTENCE_CHAR.match(c) is not None


def alphanumeric(c: str) -> bool:
    """Whether Pagefind keeps `c` in a word (Rust's `char::is_alphanumeric`)."""
    return c.isalnum() or (not c.isascii() and _ALPHANUMERIC.match(c) is not None)


def normalize_content(text: str) -> str:
    """fossick/mod.rs `normalize_content`: character references decoded, whitespace trimmed,
    line breaks and runs of whitespace made single spaces."""
    if "&" in text:
        text = html.unescape(text)
    if text[:1].isspace() or text[-1:].isspace():
        text = _TRIM.sub("", text)
    if "\n" in text:
        text = _NEWLINES.sub(" ", text)
    return _SPACES.sub(" ", text) if _SPACES.search(text) else text


class _Node:
    __slots__ = ("anchors", "default_meta", "filter", "meta", "parent", "sort", "status", "tag", "value", "weight")

    def __init__(self, parent: _Node | None = None, status: int = INDEXING, tag: str = "") -> None:
        self.parent = parent
        self.status = status
        self.value: list[str] = []
        self.tag = tag
        self.filter: list[str] | None = None
        self.sort: list[str] | None = None
        self.meta: list[str] | None = None
        self.default_meta: list[str] | None = None
        self.weight: str | None = None
        self.anchors: list[str] | None = None

    def text(self) -> str:
        return "".join(self.value)

    def pair(self, spec: str) -> tuple[str, str] | None:
        name, colon, literal = spec.partition(":")
        if colon:
            return name, normalize_content(literal)
        current = self.text()
        return (spec, normalize_content(current)) if current else None


def _attr_specs(value: str, attrs: dict[str, str]) -> list[str]:
    """parser.rs `parse_attr_string`: `name`, `name:literal`, `name[attribute]`, comma-separated."""
    head, colon, literal = value.partition(":")
    if colon:
        specs = _attr_specs(head, attrs)
        if specs:
            specs[-1] += ":" + literal
        return specs
    found = []
    for chunk in value.split(","):
        chunk = chunk.strip()
        match = _ATTRIBUTE.match(chunk)
        found.append(f"{match['name']}:{attrs.get(match['attribute'], '')}" if match else chunk)
    return found


def _digest(text: str) -> str:
    """The text whose words are indexed. Pagefind normalizes it as any content, then splits it
    at whitespace; only its character references make a difference to the words."""
    return html.unescape(text) if "&" in text else text


@dataclass
class Parsed:
    """parser.rs `DomParserResult`: the text Pagefind indexes (with its weight and anchor
    markers; to be split at whitespace), and the filters, sort values, metadata and anchor texts."""

    digest: str
    filters: dict[str, list[str]]
    sort: dict[str, str]
    meta: dict[str, str]
    anchor_content: dict[str, str]
    language: str


# The markup digest writes is well formed, so a tokenizer is enough: tags, comments and text
# (raw, its character references decoded later, as lol_html hands text to Pagefind).
_TOKENS = re.compile(
    r"<(/?)([a-zA-Z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>|<!--.*?-->|<[!?][^>]*>|([^<]+|<)", re.S
)
_ATTRIBUTES = re.compile(r"([^\s=/>\"']+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_RAW_TEXT = frozenset(("script", "style"))
_SPECS = (
    ("data-pagefind-filter", "filter"),
    ("data-pagefind-sort", "sort"),
    ("data-pagefind-meta", "meta"),
    ("data-pagefind-default-meta", "default_meta"),
)


class _Parser:
    def __init__(self) -> None:
        self.root = _Node()
        self.current = self.root
        self.filters: dict[str, list[str]] = {}
        self.sort: dict[str, str] = {}
        self.meta: dict[str, str] = {}
        self.default_meta: dict[str, str] = {}
        self.anchor_content: dict[str, str] = {}
        self.language: str | None = None
        self.anchor_counter = 0

    def handle_starttag(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "html" and "lang" in attrs:
            self.language = attrs["lang"].lower()
        ignore = attrs.get("data-pagefind-ignore")
        flag = None if ignore is None else (IGNORED if ignore.lower() in ("", "index", "true") else EXCLUDED)
        status = BODY if "data-pagefind-body" in attrs else flag if flag is not None else INDEXING
        parent = self.current
        anchor_id = None
        if status not in (EXCLUDED, IGNORED) and "id" in attrs:
            element_id = _ALL_SPACES.sub("", attrs["id"])
            if not (parent.status == PARENT_OF_BODY and status not in (BODY, PARENT_OF_BODY)):
                parent.value.append(f" ___PAGEFIND_ANCHOR___{tag}:{self.anchor_counter}:{element_id} ")
                anchor_id = f"{self.anchor_counter}:{element_id}"
                self.anchor_counter += 1
        if status != EXCLUDED:
            if "data-pagefind-index-attrs" in attrs:
                for name in attrs["data-pagefind-index-attrs"].split(","):
                    value = attrs.get(name.strip(), "")
                    if value and _sentence_end(value[-1]):
                        value += "."
                    parent.value.append(f" {value} ")
            if tag == "br":
                parent.value.append(" ")
        anchors = list(parent.anchors) if parent.anchors is not None and tag in _INLINE else None
        if anchor_id is not None:
            anchors = [*(anchors or []), anchor_id]
        node = _Node(parent, parent.status if parent.status == EXCLUDED else status, tag)
        node.anchors = anchors
        if attrs:
            node.weight = attrs.get("data-pagefind-weight")
            for name, slot in _SPECS:
                if name in attrs:
                    setattr(node, slot, _attr_specs(attrs[name], attrs))
        self.current = node
        if tag in _VOID:
            self.current = parent
            if node.status != EXCLUDED:
                self._collect(node)
                titled = "auto_title" in self.meta or "title" in self.meta
                if tag == "img" and "auto_image" not in self.meta and titled and "src" in attrs:
                    self.meta["auto_image"] = attrs["src"]
                    if "alt" in attrs:
                        self.meta["auto_image_alt"] = attrs["alt"]
        elif tag in _REMOVE:
            node.status = IGNORED

    def feed(self, markup: str) -> None:
        tokens = _TOKENS.finditer(markup)
        for token in tokens:
            text = token[4]
            if text is not None:
                self.handle_data(text)
                continue
            name = token[2]
            if name is None:
                continue  # (a comment, doctype or processing instruction)
            tag = name.lower()
            if token[1]:
                self.handle_endtag(tag)
                continue
            inside = token[3]
            attrs = {}
            if inside.strip(" /"):
                for m in _ATTRIBUTES.finditer(inside):
                    value = m[2] if m[2] is not None else m[3] if m[3] is not None else m[4] or ""
                    attrs[m[1].lower()] = html.unescape(value) if "&" in value else value
            self.handle_starttag(tag, attrs)
            if inside.endswith("/") and tag not in _VOID:
                self.handle_endtag(tag)
            elif tag in _RAW_TEXT:
                end = markup.find(f"</{tag}", token.end())
                end = len(markup) if end < 0 else end
                self.handle_data(markup[token.end() : end])
                tokens = _TOKENS.finditer(markup, end)

    def _collect(self, node: _Node) -> None:
        for specs, into in ((node.filter, None), (node.sort, self.sort), (node.meta, self.meta)):
            for spec in specs or ():
                pair = node.pair(spec)
                if pair is None:
                    continue
                if into is None:
                    self.filters.setdefault(pair[0], []).append(normalize_content(pair[1]))
                else:
                    into[pair[0]] = pair[1]
        for spec in node.default_meta or ():
            pair = node.pair(spec)
            if pair is not None:
                self.default_meta[pair[0]] = pair[1]

    def handle_endtag(self, tag: str) -> None:
        node = self.current
        if node.parent is None or tag in _VOID:
            return  # (an end tag with no element open, or of an element that has none)
        self.current = node.parent
        if node.status == EXCLUDED:
            return
        self._collect(node)
        if node.tag == "h1" and "auto_title" not in self.meta and node.text().strip():
            self.meta["auto_title"] = normalize_content(node.text())
        if node.tag == "title" and "auto_page_title" not in self.meta:
            self.meta["auto_page_title"] = normalize_content(node.text())
        if node.status == IGNORED:
            return
        value = node.text()
        if tag in _SENTENCE:
            value = " " + value
            if value and _sentence_end(value[-1]):
                value += "."
            value += " "
        if node.weight is not None:
            value = f" ___PAGEFIND_WEIGHT___{node.weight} {value} ___END_PAGEFIND_WEIGHT___ "
        elif tag in _AUTO_WEIGHTS:
            value = f" ___PAGEFIND_AUTO_WEIGHT___{_AUTO_WEIGHTS[tag]} {value} ___END_PAGEFIND_WEIGHT___ "
        _hand_up(node, value, node.parent)

    def _text(self, text: str) -> None:
        node = self.current
        node.value.append(text)
        if node.status not in (IGNORED, EXCLUDED) and node.anchors is not None:
            for anchor in node.anchors:
                self.anchor_content[anchor] = self.anchor_content.get(anchor, "") + text

    def handle_data(self, data: str) -> None:
        self._text(data)

    def handle_entityref(self, name: str) -> None:
        self._text(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._text(f"&#{name};")

    def result(self) -> Parsed:
        node = self.current
        while node.parent is not None:  # (elements left open: collapsed into their parents)
            if node.parent.status != PARENT_OF_BODY:
                _hand_up(node, node.text(), node.parent)
            node = node.parent
        meta = self.meta
        if "auto_image" in meta:
            image, alt = meta.pop("auto_image"), meta.pop("auto_image_alt", "")
            if "image" not in meta:
                meta["image"], meta["image_alt"] = image, alt
        for key in ("auto_title", "auto_page_title"):
            if key in meta:
                title = meta.pop(key)
                meta.setdefault("title", title)
        merged = {**self.default_meta, **meta}
        filters = {k: [_PRIVATE.sub("", v) for v in vs] for k, vs in sorted(self.filters.items())}
        merged = {k: _PRIVATE.sub("", v) for k, v in sorted(merged.items())}
        return Parsed(
            _digest(node.text()),
            filters,
            dict(sorted(self.sort.items())),
            merged,
            self.anchor_content,
            self.language or "unknown",
        )


def _hand_up(node: _Node, value: str, parent: _Node) -> None:
    """A closed element's text joins its parent's, as parser.rs does (a body's replaces it)."""
    if parent.status == PARENT_OF_BODY and node.status not in (BODY, PARENT_OF_BODY):
        return
    if node.status == INDEXING:
        parent.value.append(value)
    elif node.status in (BODY, PARENT_OF_BODY):
        if parent.status != PARENT_OF_BODY:
            parent.value.clear()
        parent.value.append(value)
        parent.status = PARENT_OF_BODY


def parse(markup: str) -> Parsed:
    parser = _Parser()
    parser.feed(markup)
    return parser.result()
