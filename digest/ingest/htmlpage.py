"""Saved HTML pages: the main text (without navigation, ads, comments and footers) as
Markdown blocks, and the title, date, site name, author and canonical URL of the page.

trafilatura finds the main text and the metadata; its XML tree is turned into Markdown
here, keeping headings, lists, links, emphasis, quotes, code and tables. Only http(s) and
mailto links survive; text never carries tags (see `prose.sanitize`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from digest.content.markup import is_safe_url
from digest.core.errors import ContentError, Problem
from digest.core.workers import collector_paused
from digest.ingest.blocks import Block, Parsed
from digest.ingest.docdate import parse_date
from digest.ingest.prose import escape_inline, is_boilerplate, normalize, one_line
from digest.ingest.titles import clean_title, is_release_furniture, is_site_name, strip_site

# trafilatura logs every page it cannot parse as an error; the import stage reports those itself.
for _name in ("trafilatura", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

_LINK_SCHEMES = ("http://", "https://", "mailto:")
_EMBEDDED = re.compile(r"<(svg|iframe)\b[^>]{0,2000}?(?:/>|>.{0,100000}?</\1\s*>)", re.IGNORECASE | re.DOTALL)
# libxml2 answers trafilatura's `//p//text()` (asked once or twice per page) in time that grows
# with the square of the pieces of text in paragraphs (each run of text between two tags): past
# this count a page is refused, not read for minutes. A long report has a few thousand.
MAX_PARAGRAPH_TEXTS = 20_000
_EMPHASIS = {"#b": "**", "#strong": "**", "#i": "*", "#em": "*", "#t": "`", "#code": "`"}


def read_html(text: str, rel: str) -> Parsed:
    """The article in an HTML page as blocks with the page's metadata; ContentError if there is none."""
    # imported here: trafilatura is slow to import, and a `digest build` that imports nothing should not pay for it
    import trafilatura
    from lxml import etree
    from trafilatura.utils import load_html

    try:
        # (trafilatura keeps a Python object for every element it looks at, and the collector's
        # full passes over them would make a page's cost grow faster than its size; its objects
        # are freed by reference counting)
        with collector_paused():
            cleaned = _EMBEDDED.sub(" ", text)  # an inline frame or drawing between words still parts them
            tree = load_html(cleaned)
            if tree is not None:
                _count_paragraph_texts(tree, rel)
            result = trafilatura.bare_extraction(
                tree if tree is not None else cleaned,
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
    blocks = (
        [
            b
            for b in _blocks(body)
            if not (b.kind == "para" and (is_boilerplate(b.text) or is_release_furniture(b.text)))
        ]
        if body is not None
        else []
    )
    if not blocks:
        raise ContentError(
            [Problem(rel, 1, "no article text found in the HTML page; expected a page with an article's paragraphs")]
        )
    url = _text(meta.get("url"))
    facts = _page_facts(text)
    sites = [s for s in (*facts.sites, _text(meta.get("sitename")), _host_name(url)) if s]
    titles = list(facts.titles) or [_text(meta.get("title"))]
    title, title_from = _choose_title(facts.headings, [t for t in titles if t], sites)
    return Parsed(
        "html",
        tuple(blocks),
        title=title,
        source_name=_text(meta.get("sitename")) or _text(meta.get("hostname")),
        url=url if url and url.lower().startswith(("http://", "https://")) and is_safe_url(url) else None,
        author=_text(meta.get("author")),
        meta_date=facts.published or parse_date(_text(meta.get("date")) or ""),
        title_from=title_from,
    )


@dataclass(frozen=True)
class _Facts:
    """What a page says about itself outside its article text."""

    headings: tuple[str, ...]  # its <h1>s, in order
    titles: tuple[str, ...]  # og:title, twitter:title, <title>
    sites: tuple[str, ...]  # og:site_name, application-name, the canonical URL's host
    published: dt.date | None  # the publication date of its structured metadata


_PUBLISHED_KEYS = (
    "article:published_time",
    "datepublished",
    "og:published_time",
    "publishdate",
    "publish-date",
    "publish_date",
    "published",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "citation_publication_date",
    "pdate",
    "date",
)
_JSON_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')


def _page_facts(text: str) -> _Facts:
    from lxml import etree, html

    try:
        root = html.document_fromstring(text.encode("utf-8"), parser=html.HTMLParser(encoding="utf-8"))
    except (ValueError, etree.LxmlError):
        return _Facts((), (), (), None)
    headings = tuple(h for h in (_text(" ".join(e.itertext())) for e in root.iter("h1")) if h)[:8]
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        value = _text(element.get("content"))
        if key and value:
            found.setdefault(key, value)
    for element in root.iter("time"):
        if (element.get("itemprop") or "").lower() == "datepublished" and element.get("datetime"):
            found.setdefault("datepublished", element.get("datetime") or "")
    for element in root.iter("script"):
        if (element.get("type") or "").lower() == "application/ld+json":
            match = _JSON_PUBLISHED.search(element.text or "")
            if match:
                found.setdefault("datepublished", match.group(1))
                break
    page_title = _text(" ".join(root.find(".//title").itertext())) if root.find(".//title") is not None else None
    titles = tuple(t for t in (found.get("og:title"), found.get("twitter:title"), page_title) if t)
    canonical = next((e.get("href") for e in root.iter("link") if (e.get("rel") or "").lower() == "canonical"), None)
    sites = tuple(
        s
        for s in (
            found.get("og:site_name"),
            found.get("application-name"),
            _host_name(found.get("og:url") or canonical),
        )
        if s
    )
    published = None
    for key in _PUBLISHED_KEYS:
        value = found.get(key)
        if value:
            published = _date_value(value)
            if published:
                break
    return _Facts(headings, titles, sites, published)


def _date_value(value: str) -> dt.date | None:
    if re.fullmatch(r"\d{8}(?:\d{6})?", value):  # pdate: 20170113
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            return None
    return parse_date(value[:40])


def _host_name(url: str | None) -> str | None:
    """`https://blog.givewell.org/x` -> `givewell`: the part of the host that names the site."""
    match = re.match(r"(?i)https?://([^/:?#]+)", url or "")
    if not match:
        return None
    labels = [x for x in match.group(1).lower().split(".") if x not in _HOST_NOISE]
    return labels[-1] if labels else None


_HOST_NOISE = frozenset(
    [
        "www",
        "m",
        "amp",
        "blog",
        "blogs",
        "news",
        "com",
        "org",
        "net",
        "co",
        "gov",
        "edu",
        "ac",
        "uk",
        "jp",
        "de",
        "fr",
        "io",
        "info",
        "biz",
        "eu",
        "us",
        "au",
        "ca",
        "in",
    ]
)


def _choose_title(headings: tuple[str, ...], titles: list[str], sites: list[str]) -> tuple[str | None, str | None]:
    """The page's headline: an <h1> that the page's titles repeat, else the first <h1> long
    enough to be a headline (a section banner such as `Health Center` is not), else the
    page's title without the site's name."""
    stripped = [strip_site(clean_title(t)[0], sites) for t in titles]
    first_long = None
    for heading in headings:
        heading = clean_title(heading)[0]
        if not heading or is_site_name(heading, sites):
            continue
        if any(_contained(heading, t) >= 0.6 and _contained(t, heading) >= 0.4 for t in stripped):
            return heading, "heading"
        cjk = sum(1 for ch in heading if ord(ch) > 0x2E80)
        if first_long is None and len(heading.split()) + cjk // 2 >= 5:
            first_long = heading
    if first_long:
        return first_long, "heading"
    return (stripped[0], "page metadata") if stripped else (None, None)


def _contained(part: str, whole: str) -> float:
    """The share of `part`'s words that `whole` has."""
    words = {w.casefold() for w in re.findall(r"\w+", part)}
    if not words:
        return 0.0
    return len(words & {w.casefold() for w in re.findall(r"\w+", whole)}) / len(words)


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
        elif tag == "table" and _is_layout(element):  # a page laid out in a table: its cells are its text
            for cell in element.iter("cell"):
                inner = _blocks(cell) if len(cell) and cell[0].tag in ("p", "list", "head") else []
                text = _inline(cell) if not inner else ""
                blocks.extend(inner or ([Block("para", text)] if text else []))
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
                lead, trail = " " * (inner[:1] == " "), " " * (inner[-1:] == " ")  # `<a>X reported </a>after`
                link = f"<{target}>" if "(" in target or ")" in target else target
                inner = f"{lead}[{inner.strip()}]({link}){trail}"
        elif tag == "lb":
            inner = " "
        elif tag == "item":
            inner = f" {inner}"
        parts.append(inner)
        parts.append(escape_inline(normalize(child.tail or "")))
    return "".join(parts)


def _is_layout(table: Any) -> bool:
    """A table that holds a page's text rather than data: a cell of long prose."""
    return any(len("".join(cell.itertext())) > 400 for cell in table.iter("cell"))


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
