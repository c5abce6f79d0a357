"""Saved HTML pages: the main text (without navigation, ads, comments and footers) as
Markdown blocks, and the title, date, site name, author and canonical URL of the page.

trafilatura finds the main text and the metadata; its XML tree is turned into Markdown
here, keeping headings, lists, links, emphasis, quotes, code and tables. Only http(s) and
mailto links survive; text never carries tags (see `prose.sanitize`).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import re
from collections.abc import Iterator
from typing import Any

from digest.blocks import Block, Parsed
from digest.docdate import parse_date
from digest.errors import ContentError, Problem
from digest.markup import is_safe_url
from digest.prose import escape_inline, is_boilerplate, normalize, one_line

# trafilatura logs every page it cannot parse as an error; the import stage reports those itself.
for _name in ("trafilatura", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

_LINK_SCHEMES = ("http://", "https://", "mailto:")
# libxml2 answers trafilatura's `//p//text()` (asked once or twice per page) in time that grows
# with the square of the pieces of text in paragraphs (each run of text between two tags): past
# this count a page is refused, not read for minutes. A long report has a few thousand.
MAX_PARAGRAPH_TEXTS = 20_000
_EMPHASIS = {"#b": "**", "#strong": "**", "#i": "*", "#em": "*", "#t": "`", "#code": "`"}


def read_html(text: str, rel: str) -> Parsed:
    """The article in an HTML page as blocks with the page's metadata; ContentError if there is none."""
    # imported here: trafilatura takes 0.1-0.2 s to import, which every `digest build` would pay
    import trafilatura
    from lxml import etree
    from trafilatura.utils import load_html

    try:
        with _without_cycle_collection():
            tree = load_html(text)
            if tree is not None:
                _count_paragraph_texts(tree, rel)
            result = trafilatura.bare_extraction(
                tree if tree is not None else text,
                include_comments=False,
                include_tables=True,
                include_formatting=True,
                include_links=True,
                with_metadata=True,
                date_extraction_params={"extensive_search": False, "original_date": True},
            )
    except (ValueError, TypeError, AttributeError, etree.LxmlError, RecursionError) as exc:
        raise ContentError([Problem(rel, 1, f"cannot read the HTML page ({exc}); expected an HTML article")]) from None
    meta: dict[str, Any] = {}
    if result is not None:
        meta = result if isinstance(result, dict) else result.as_dict()
    body = meta.get("body")
    blocks = [b for b in _blocks(body) if not (b.kind == "para" and is_boilerplate(b.text))] if body is not None else []
    if not blocks:
        raise ContentError(
            [Problem(rel, 1, "no article text found in the HTML page; expected a page with an article's paragraphs")]
        )
    url = _text(meta.get("url"))
    return Parsed(
        "html",
        tuple(blocks),
        title=_text(meta.get("title")),
        source_name=_text(meta.get("sitename")) or _text(meta.get("hostname")),
        url=url if url and url.lower().startswith(("http://", "https://")) and is_safe_url(url) else None,
        author=_text(meta.get("author")),
        meta_date=parse_date(_text(meta.get("date")) or ""),
    )


def _count_paragraph_texts(tree: Any, rel: str) -> None:
    """ContentError at the paragraph where the page passes MAX_PARAGRAPH_TEXTS."""
    count = 0
    for paragraph in tree.iter("p"):
        count += sum(1 for _ in paragraph.itertext())
        if count > MAX_PARAGRAPH_TEXTS:
            message = (
                f"the page has more than {MAX_PARAGRAPH_TEXTS:,} pieces of text in paragraphs; expected at most "
                f"{MAX_PARAGRAPH_TEXTS:,} (save the article alone, or as text)"
            )
            raise ContentError([Problem(rel, paragraph.sourceline or 1, message)])


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """trafilatura keeps a Python object for every element it looks at; the cycle collector's
    full passes walk all of them, and they run more often the more there are, which made the
    cost of a page grow faster than its size. Its objects are freed by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = one_line(normalize(value))
    return cleaned or None


def _blocks(root: Any) -> list[Block]:
    blocks: list[Block] = []
    for element in root:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "head":
            level = re.sub(r"\D", "", element.get("rend") or "") or "2"
            text = _inline(element)
            if text:
                blocks.append(Block("heading", text, level=int(level[:1])))
        elif tag == "p":
            text = _inline(element)
            if text:
                blocks.append(Block("para", text))
        elif tag == "list":
            items = tuple(i for i in (_inline(item) for item in element.iter("item")) if i)
            if items:
                blocks.append(Block("list", items=items, ordered=(element.get("rend") or "") == "ol"))
        elif tag == "quote":
            inner = _blocks(element) if len(element) and element[0].tag in ("p", "list") else []
            text = "\n>\n".join(b.markdown() for b in inner) if inner else _inline(element)
            if text:
                blocks.append(Block("quote", text))
        elif tag == "code":
            code = normalize("".join(element.itertext())).strip("\n")
            if code.strip():
                fence = "~~~~" if "```" in code else "```"
                blocks.append(Block("code", f"{fence}\n{code}\n{fence}"))
        elif tag == "table":
            table = _table(element)
            if table:
                blocks.append(Block("table", table))
        elif tag in ("div", "section", "main", "body", "article"):
            blocks.extend(_blocks(element))
        elif tag not in ("graphic", "lb", "fw", "note"):
            text = _inline(element)
            if text:
                blocks.append(Block("para", text))
    return blocks


def _inline(element: Any) -> str:
    """An element's text with its inline markup as Markdown, on one line."""
    return one_line(_inline_raw(element))


def _inline_raw(element: Any) -> str:
    parts = [escape_inline(normalize(element.text or ""))]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        inner = re.sub(r"\s+", " ", _inline_raw(child)) if tag not in ("list", "table") else ""
        if tag == "hi":
            mark = _EMPHASIS.get(child.get("rend") or "", "")
            if mark and inner.strip():
                lead, trail = " " * (inner[:1] == " "), " " * (inner[-1:] == " ")
                inner = f"{lead}{mark}{inner.strip()}{mark}{trail}"
        elif tag == "ref":
            target = (child.get("target") or "").strip()
            if inner.strip() and target.lower().startswith(_LINK_SCHEMES) and is_safe_url(target) and " " not in target:
                inner = (
                    f"[{inner.strip()}](<{target}>)"
                    if "(" in target or ")" in target
                    else f"[{inner.strip()}]({target})"
                )
        elif tag == "lb":
            inner = " "
        elif tag == "item":
            inner = f" {inner}"
        parts.append(inner)
        parts.append(escape_inline(normalize(child.tail or "")))
    return "".join(parts)


def _table(element: Any) -> str:
    rows = []
    for row in element.iter("row"):
        cells = [_inline(cell).replace("|", "\\|") or " " for cell in row.iter("cell")]
        if cells:
            rows.append(cells)
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [" "] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)
