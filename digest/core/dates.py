"""How dates are printed: the templates' date filters (`longdate`, `shortdate`, `isodate`,
`rfc3339`), also used where pages are not rendered through Jinja (feeds, search documents)."""

from __future__ import annotations

import datetime as dt
import functools


@functools.lru_cache(maxsize=4096)
def longdate(value: dt.date | dt.datetime) -> str:
    return f"{value.day} {value:%B %Y}"  # (cached: %B goes through the locale on every call, and a page formats a dozen dates)


@functools.lru_cache(maxsize=4096)
def shortdate(value: dt.date | dt.datetime) -> str:
    return f"{value.day} {value:%b %Y}"


def isodate(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value.isoformat()


def rfc3339(value: dt.datetime | dt.date) -> str:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value.isoformat(timespec="seconds")
