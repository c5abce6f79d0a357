"""Publication dates written in documents: `July 25, 2025`, `25 July 2025`, `2025-07-25`,
`Publish Date: 2026-01-13 08:06:00`, `Thursday, 7 May 2026`, `2023年10月17日`, `17.10.2023`,
`10/17/2023`, and the dateline that opens a lead (`CITY, Oct. 17, 2023 — The ...`).

Only dates that stand as a document's date count: a labelled line (`Published: ...`,
`Date: ...`) or a short dateline (`By Jane Roe | July 25, 2025`). Dates inside sentences
(`the rules apply from August 2, 2026`) are events, not the publication date.
"""

from __future__ import annotations

import datetime as dt
import re

MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_DATELINE = 90  # characters: longer lines are prose

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_SHAPES = (
    re.compile(r"(?<!\d)(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)"),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(r"(?<!\d)(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"),
    # 17.10.2023 is day first (as in Europe); 10/17/2023 month first unless the first number cannot be a month
    re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})(?![\d.])"),
    re.compile(r"(?<![\d/])(?P<first>\d{1,2})/(?P<second>\d{1,2})/(?P<year>\d{4})(?![\d/])"),
)
_LABEL = re.compile(
    r"^\W*(?:(?:first\s+)?publish(?:ed)?(?:\s+(?:date|on|at))?|date(?:\s+published)?|posted(?:\s+on)?|released?(?:\s+on)?|dated)\b",
    re.IGNORECASE,
)
_UPDATED = re.compile(r"^\W*(?:last\s+)?(?:updated|modified)\b", re.IGNORECASE)
_WEEKDAYS = re.compile(r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\b\.?,?", re.IGNORECASE)
_BYLINE = re.compile(r"^\W*by\s+\S", re.IGNORECASE)


def parse_date(text: str) -> dt.date | None:
    """The first date of a known shape in `text`, or None."""
    best: tuple[int, dt.date] | None = None
    for shape in _SHAPES:
        for match in shape.finditer(text):
            found = _to_date(match)
            if found:
                if best is None or match.start() < best[0]:
                    best = (match.start(), found)
                break
    return best[1] if best else None


def dateline(line: str) -> tuple[dt.date, bool] | None:
    """(date, labelled) if `line` is a document's date line: labelled, or short and mostly a date."""
    text = " ".join(line.split())
    if not text or len(text) > MAX_DATELINE:
        return None
    found = parse_date(text)
    if found is None:
        return None
    if _LABEL.match(text):
        return found, True
    if _UPDATED.match(text):
        return found, False
    rest = text
    for shape in _SHAPES:
        rest = shape.sub(" ", rest)
    rest = _WEEKDAYS.sub(" ", rest)
    if _BYLINE.match(rest):
        rest = re.split(r"[|·•–—]", rest, maxsplit=1)[-1] if re.search(r"[|·•–—]", rest) else ""
    words = [w for w in re.findall(r"[^\W\d_]+", rest) if w.lower() not in ("at", "on", "am", "pm", "utc", "gmt")]
    return (found, False) if len(words) <= 2 else None


def find_date(lines: list[str]) -> tuple[dt.date, int] | None:
    """(date, index of its line) of the document's date: a labelled line first, else the first
    dateline, else None. 'Updated' lines count only when nothing else does."""
    first: tuple[dt.date, int] | None = None
    updated: tuple[dt.date, int] | None = None
    for index, line in enumerate(lines):
        found = dateline(line)
        if found is None:
            continue
        date, labelled = found
        if labelled:
            return date, index
        if _UPDATED.match(line.strip()):
            updated = updated or (date, index)
        elif first is None:
            first = (date, index)
    return first or updated


def date_at_start(text: str) -> tuple[dt.date, int] | None:
    """(date, where it ends) of a date that `text` starts with."""
    for shape in _SHAPES:
        match = shape.match(text)
        found = _to_date(match) if match else None
        if found and match:
            return found, match.end()
    return None


def lead_dateline(paragraph: str) -> tuple[dt.date, str] | None:
    """(date, the paragraph without it) of a lead that opens with a dateline:
    `CAPITAL CITY, Oct. 17, 2023 — The ministry ...`, `Feb. 23, 2015 -- Life-threatening ...`."""
    head = paragraph[:120]
    for shape in _SHAPES:
        match = shape.search(head)
        if match is None or _to_date(match) is None:
            continue
        before = head[: match.start()].strip()
        if before and (len(before.split()) > 6 or not before.endswith((",", "(", "–", "—", "-"))):
            continue
        after = _LEAD_SEPARATOR.match(paragraph, match.end())
        if after is None:
            continue
        rest = paragraph[after.end() :].lstrip()
        if rest[:1].isalpha() or rest[:1] in "\"“‘'*[":
            return _to_date(match), rest  # type: ignore[return-value]
    return None


_LEAD_SEPARATOR = re.compile(
    r"(?:\s*[-–—,]?\s*\d{1,2}:\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*[A-Z]{2,4})?)?"  # a time: `- 11:28 AMT`
    r"\s*\)?\s*(?:/[^/\n]{1,40}/\s*)?(?:--|[-–—:|])\s+"
)


def _to_date(match: re.Match[str]) -> dt.date | None:
    groups = match.groupdict()
    if "first" in groups:
        first, second = int(groups["first"]), int(groups["second"])
        month, day = (second, first) if first > 12 else (first, second)
        try:
            found = dt.date(int(groups["year"]), month, day)
        except ValueError:
            return None
        return found if MIN_YEAR <= found.year <= MAX_YEAR else None
    month_text = match.group("month")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower().rstrip("."), 0)
    try:
        found = dt.date(int(match.group("year")), month, int(match.group("day")))
    except ValueError:
        return None
    return found if MIN_YEAR <= found.year <= MAX_YEAR else None
