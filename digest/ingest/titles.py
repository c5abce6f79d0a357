"""Titles as sources carry them, cleaned: navigation glued in front (`HomeIn-depthTitle`), a
breadcrumb trail (`Site > Blog > Section > Title`), a dateline (`Date 2025-03-01 CITY : Title`),
the site's name after it (`Title – Site Name`), all capitals; and the lines of a press release
that are never its title, summary or key points (`FOR IMMEDIATE RELEASE`, `Media Contact: ...`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from digest.ingest.docdate import date_at_start

_NAV_WORDS = (
    r"Home|Homepage|News|Latest|Blog|Blogs|In-depth|Analysis|Opinion|Features|Insights|Stories|Media|"
    r"Press|Press releases?|Newsroom|Articles?|Updates|Topics|Sections?|Menu"
)
_GLUED_NAV = re.compile(rf"^(?:(?:{_NAV_WORDS})(?=[A-Z0-9]))+")
_CRUMB = re.compile(r"\s+[>›»/]\s+")
_DATE_LABEL = re.compile(r"^\W*(?:date|published|posted|updated)?\s*:?\s*", re.IGNORECASE)
_PLACE = re.compile(r"^\s*(?:[A-Z][A-Z.'’ -]{1,40}?)?\s*[:–—|-]\s+|^\s*[,|–—-]?\s*")
_SITE_SEPARATOR = re.compile(r"\s+(?:[|–—·•»:]|-{1,2}|::)\s+")
_SMALL = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "nor",
        "of",
        "off",
        "on",
        "or",
        "over",
        "per",
        "the",
        "to",
        "vs",
        "via",
        "with",
    ]
)
_ACRONYM = re.compile(r"^(?:[A-Z]{1,3}|[A-Z]+\d+|\d+[A-Z]*|[IVX]+)$")
_KNOWN_ACRONYMS = frozenset(
    [
        "AI",
        "EU",
        "US",
        "UK",
        "UN",
        "USA",
        "NATO",
        "OECD",
        "WTO",
        "IMF",
        "FTC",
        "SEC",
        "DOJ",
        "NIST",
        "GPU",
        "GPUS",
        "CPU",
        "LLM",
        "LLMS",
        "API",
    ]
)
_RELEASE_FURNITURE = re.compile(
    r"^\W*(?:for\s+immediate\s+release|embargoed?\b|(?:media|press|news)\s+(?:contacts?|enquiries|inquiries|office)\b"
    r"|contacts?\s*:|(?:tel|phone|fax|e-?mail)\s*[:.]|###|-\s*30\s*-|-\s*ends\s*-|ends$|news\s+release$|press\s+release$"
    r"|(?:office|bureau)\s+of\s+(?:the\s+)?(?:press|public\s+affairs|communications)\b)",
    re.IGNORECASE,
)


def is_release_furniture(line: str) -> bool:
    """A press release's furniture: release notes, contact lines, end marks, the press office."""
    text = line.strip()
    return bool(text) and len(text) <= 200 and bool(_RELEASE_FURNITURE.match(text))


def clean_title(text: str) -> tuple[str, dt.date | None]:
    """(the title without glued navigation, breadcrumbs and a leading dateline, in its own
    capitals unless all capitals; the date of that dateline, if any)."""
    title = " ".join(text.split())
    title = _GLUED_NAV.sub("", title)
    parts = _CRUMB.split(title)
    if len(parts) >= 3:
        title = max(parts[-1:], key=len) if len(parts[-1].split()) >= 3 else max(parts, key=lambda p: len(p.split()))
    date = None
    head = _DATE_LABEL.sub("", title, count=1)
    found = date_at_start(head)
    if found is not None:
        rest = _PLACE.sub("", head[found[1] :], count=1).strip()
        if len(rest.split()) >= 3:
            title, date = rest, found[0]
    if is_all_caps(title):
        title = title_case(title)
    return title.strip(" -–—|:"), date


def is_all_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 12 and not any(ch.islower() for ch in letters) and len(text.split()) >= 3


def title_case(text: str) -> str:
    """`MINISTRY SETS RULES FOR AI` -> `Ministry Sets Rules for AI`: short words lower, known
    acronyms kept."""
    words = text.split()
    out = []
    for index, word in enumerate(words):
        core = re.sub(r"\W", "", word)
        if index and word.casefold() in _SMALL:
            out.append(word.lower())
        elif core.upper() in _KNOWN_ACRONYMS or (_ACRONYM.match(core) and core not in ("A", "I") and len(core) <= 2):
            out.append(word)
        else:
            out.append("-".join(p[:1].upper() + p[1:].lower() for p in word.split("-")))
    return " ".join(out)


def strip_site(title: str, sites: Iterable[str]) -> str:
    """`Title – Site Name` and `Site Name | Title` -> `Title`, when that part is the site's
    name (`sites`: names and host names the page gives for itself)."""
    keys = {k for k in (_key(s) for s in sites) if k}
    parts = _SITE_SEPARATOR.split(title)
    while len(parts) >= 2 and _is_site(parts[-1], keys):
        parts.pop()
    while len(parts) >= 2 and _is_site(parts[0], keys):
        parts.pop(0)
    if len(parts) == len(_SITE_SEPARATOR.split(title)):
        return title
    # the separators inside the title are kept as written
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end].strip() if start >= 0 and end > start else " - ".join(parts)


def is_site_name(text: str, sites: Iterable[str]) -> bool:
    """Whether `text` is the site's own name (a banner, not a title)."""
    return _is_site(text, {k for k in (_key(s) for s in sites) if k})


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold().removeprefix("www."))


def _is_site(part: str, keys: set[str]) -> bool:
    key = _key(part)
    if not key or len(part.split()) > 6:
        return False
    return any(key == site or (min(len(key), len(site)) >= 4 and (key in site or site in key)) for site in keys)
