"""Links inside the site: every link of a brief's body and key points that is not to another
site must reach a file of the build (a brief, a page, a static file), and a fragment of a link
to a brief must name one of its headings. External links are never fetched."""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Callable, Collection, Iterable
from urllib.parse import urlsplit

from digest.core.errors import Problem
from digest.core.layout import BRIEFS_DIR
from digest.core.model import Brief
from digest.site.arrange import Site, brief_file

_ID = re.compile(r'\sid="([^"]+)"')


def site_urls(paths: Iterable[str]) -> set[str]:
    """The URL paths (from the site root) that files of the build answer: `/a/b/` for `a/b/index.html`."""
    urls = set()
    for path in paths:
        urls.add("/" + path)
        if path == "index.html" or path.endswith("/index.html"):
            urls.add("/" + path[: -len("index.html")])
    return urls


def link_problems(
    site: Site, paths: Iterable[str], body_html: Callable[[Brief], str | None], broken: Collection[str] = ()
) -> list[Problem]:
    """An error for each link of a brief that points to no file of the build. `paths` are the
    build's files (relative to the output folder); `body_html(brief)` gives a brief's rendered
    body (for its headings' ids); `broken` are brief files that did not load (whose own errors
    are reported: links to them are not reported again)."""
    urls = site_urls(paths)
    pages = sorted(u for u in urls if u.endswith("/"))
    by_slug = {b.slug: b for b in site.briefs}
    problems = []
    for brief in site.briefs:
        for ref, line in brief.refs:
            message = _problem(site, brief, ref, urls, pages, by_slug, body_html, broken)
            if message:
                problems.append(Problem(brief.path, line, f"link to '{ref}' {message}"))
    return problems


def _problem(
    site: Site,
    brief: Brief,
    ref: str,
    urls: set[str],
    pages: list[str],
    by_slug: dict[str, Brief],
    body_html: Callable[[Brief], str | None],
    broken: Collection[str],
) -> str | None:
    parts = urlsplit(ref)
    if (brief.path, ref) in site.links:  # a brief by its file or slug
        if brief_file(brief, ref) in broken:
            return None
        slug = site.links[(brief.path, ref)]
        if slug is None:
            if ref.endswith(".md") or parts.path.endswith(".md"):
                names = [b.path.rsplit("/", 1)[-1] for b in site.briefs]
                written = parts.path.rsplit("/", 1)[-1]
            else:
                names, written = list(by_slug), parts.path
            return f"points to no brief; expected a brief of {BRIEFS_DIR}/" + _closest(written, names)
        if parts.fragment:
            ids = _ids(body_html(by_slug[slug]))
            if parts.fragment not in ids:
                target = by_slug[slug].path
                if not ids:
                    return f"points to no heading of {target}; expected the link without '#{parts.fragment}'"
                return f"points to no heading of {target}; expected one of " + ", ".join(f"#{i}" for i in ids[:10])
        return None
    if ref.startswith("/"):
        target = parts.path
    else:  # (relative to the brief's own page)
        target = posixpath.normpath(posixpath.join(f"/briefs/{brief.slug}/", parts.path))
        if parts.path.endswith("/") and not target.endswith("/"):
            target += "/"
    if target in urls or target + "/" in urls or not parts.path:
        return None
    return "points to no page of the site" + _closest(target, pages)


def _closest(written: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(written, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _ids(html: str | None) -> list[str]:
    return _ID.findall(html or "")
