"""Every internal href/src of every built page points at a built file, and every #fragment at an id there."""

from __future__ import annotations

from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest


class PageParser(HTMLParser):
    """Collects (line, url) of href/src attributes and the ids (and <a name>) of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif name in ("href", "src"):
                self.links.append((self.getpos()[0], value))


@cache
def parse(file: Path) -> PageParser:
    parser = PageParser()
    parser.feed(file.read_text(encoding="utf-8"))
    parser.close()
    return parser


def is_internal(url: str, base: str) -> bool:
    scheme, netloc = urlsplit(url)[:2]
    return url.startswith(base) or not (scheme or netloc)


def check_site(site: Path, base: str) -> tuple[int, list[str]]:
    """(number of internal links checked, problems found) for a site built with base URL `base`."""
    base_path = urlsplit(base).path
    checked, problems = 0, []
    for file in sorted(site.rglob("*.html")):
        rel = file.relative_to(site).as_posix()
        page_url = base + rel.removesuffix("index.html")
        for line, url in parse(file).links:
            if not is_internal(url, base):
                continue
            checked += 1
            where = f"{rel}:{line}: {url!r}"
            if url.startswith("/") and not url.startswith(base_path):
                problems.append(f"{where} is path-absolute but not under {base_path}")
                continue
            target = urljoin(page_url, url)
            if not target.startswith(base):
                problems.append(f"{where} points outside the site ({target})")
                continue
            path, fragment = unquote(urlsplit(target).path), unquote(urlsplit(target).fragment)
            target_file = site / path.removeprefix(base_path)
            if path.endswith("/"):
                target_file /= "index.html"
            if not target_file.is_file():
                problems.append(f"{where} -> {target_file.relative_to(site).as_posix()} is not in the build")
            elif fragment and target_file.suffix == ".html" and fragment not in parse(target_file).ids:
                problems.append(f"{where}: no id {fragment!r} in {target_file.relative_to(site).as_posix()}")
    return checked, problems


@pytest.mark.parametrize(
    ("fixture", "base"), [("sample_site", "https://example.org/"), ("subpath_site", "https://example.org/digest/")]
)
def test_internal_links_resolve(request: pytest.FixtureRequest, fixture: str, base: str) -> None:
    site: Path = request.getfixturevalue(fixture)
    checked, problems = check_site(site, base)
    assert checked > 100, f"only {checked} internal links found: is the parser looking at the right attributes?"
    assert not problems, f"{len(problems)} broken internal links in {fixture}:\n" + "\n".join(problems)
