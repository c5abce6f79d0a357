"""RSS and Atom feeds for `digest import --feed URL|FILE` (read with feedparser): each entry not
imported before becomes a brief. An entry that carries its article (a long `content:encoded`
or Atom `content`) is read as that article; an entry that only links to it has its page
fetched. The entries already imported are remembered by id in `content/sources/imported-feeds.json`,
a file that lives with the content, so a team that shares the content shares it too."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest.content.sourcefile import MAX_BYTES
from digest.ingest.fetch import FEED_TYPES, FetchError, fetch, is_url

STATE_FILE = Path("content") / "sources" / "imported-feeds.json"
MIN_ARTICLE = 600  # characters of text: a shorter entry is a teaser, and its page is fetched
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Entry:
    id: str  # the entry's id (else its link, else its title)
    link: str | None
    title: str | None
    published: dt.date | None
    article: str | None  # the entry's own content as an HTML page, when it carries the article


def read_feed(spec: str, timeout: float) -> list[Entry]:
    """The entries of the feed at `spec` (a URL or a file), in the feed's order; FetchError
    (one line) if it cannot be read or is not a feed."""
    import feedparser  # imported here: only `import --feed` needs it

    if is_url(spec):
        data = fetch(spec, accept=FEED_TYPES, timeout=timeout, what="an RSS or Atom feed").data
    else:
        try:
            if os.path.getsize(spec) > MAX_BYTES:
                raise FetchError(f"{spec}: the feed is larger than {MAX_BYTES:,} bytes; expected at most that")
            data = Path(spec).read_bytes()
        except OSError as exc:
            raise FetchError(f"{spec}: {exc.strerror}; expected an RSS or Atom feed file or URL") from None
    parsed = feedparser.parse(data)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f" ({str(problem).splitlines()[0]})" if problem else ""
        raise FetchError(f"{spec}: not an RSS or Atom feed{detail}; expected an RSS or Atom feed")
    entries = []
    for item in parsed.entries:
        link = item.get("link") if is_url(item.get("link") or "") else None
        key = item.get("id") or link or item.get("title")
        if not key:
            continue
        entries.append(Entry(str(key), link, item.get("title"), _published(item), _article(item, link)))
    return entries


def _published(item: Any) -> dt.date | None:
    stamp = item.get("published_parsed") or item.get("updated_parsed")
    try:
        return dt.date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday) if stamp else None
    except (AttributeError, ValueError):
        return None


def _article(item: Any, link: str | None) -> str | None:
    """The entry as an HTML page, if its content is the article rather than a teaser."""
    contents = [c.get("value", "") for c in item.get("content", []) if c.get("value")]
    body = max(contents, key=len) if contents else item.get("summary", "")
    if len(" ".join(_TAG.sub(" ", html.unescape(body)).split())) < MIN_ARTICLE:
        return None
    title = html.escape(item.get("title") or "")
    canonical = f'<link rel="canonical" href="{html.escape(link)}">' if link else ""
    published = _published(item)
    date = f'<meta property="article:published_time" content="{published.isoformat()}">' if published else ""
    heading = f"<h1>{title}</h1>" if title else ""
    return (
        f"<!doctype html><html><head><title>{title}</title>{canonical}{date}</head>"
        f"<body><article>{heading}{body}</article></body></html>"
    )


def load_state(root: Path) -> dict[str, str]:
    """Entry id -> the brief (or what happened to it), for the entries imported before."""
    try:
        data = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get("entries") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in entries.items()} if isinstance(entries, dict) else {}


def save_state(root: Path, state: dict[str, str]) -> None:
    path = root / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"entries": dict(sorted(state.items()))}, indent=1, ensure_ascii=False) + "\n"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
