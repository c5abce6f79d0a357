"""axe-core finds no WCAG 2.1 A/AA or best-practice violations on the main pages, in light and dark mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pytest

from tests.conftest import REPO, need_tool, serve_folder

if TYPE_CHECKING:
    from playwright.sync_api import Browser

AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
PAGES = [
    "/",
    "/tags/",
    "/tags/china/",
    "week",
    "/weeks/2025-W04/",
    "brief",
    "/archive/",
    "/weeks/",
    "/search/?q=export&Year=2024",
]
PAGES += ["/instruments/", "instrument", "/deadlines/"]


def resolve(site: Path, page: str) -> str:
    """The URL path of a page; "week" is the newest weekly edition and "brief" the first brief, as built."""
    if page == "week":
        return f"/weeks/{max(p.parent.name for p in site.glob('weeks/*/index.html'))}/"
    if page == "brief":
        return f"/briefs/{min(p.parent.name for p in site.glob('briefs/*/index.html'))}/"
    if page == "instrument":
        return f"/instruments/{min(p.parent.name for p in site.glob('instruments/*/index.html'))}/"
    return page


@pytest.fixture(scope="module")
def server(sample_site: Path) -> Iterator[str]:
    """The sample site served over HTTP on a free loopback port; yields its origin."""
    with serve_folder(sample_site) as origin:
        yield origin


@pytest.fixture(scope="module", autouse=True)
def _axe_installed() -> None:
    need_tool(AXE_JS.is_file(), f"{AXE_JS.relative_to(REPO)} (npm ci --ignore-scripts)")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("page", PAGES)
def test_no_axe_violations(
    browser: Browser, server: str, sample_site: Path, page: str, scheme: Literal["light", "dark"]
) -> None:
    path = resolve(sample_site, page)
    context = browser.new_context(color_scheme=scheme)
    try:
        tab = context.new_page()
        response = tab.goto(server + path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        if path.startswith("/search/"):  # checked with its results and filters shown
            tab.wait_for_selector(".search-result")
            tab.wait_for_function("document.querySelector('[data-search-status]').textContent.includes('found')")
        tab.add_script_tag(path=AXE_JS)
        results = tab.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    finally:
        context.close()
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {node['target']} {node['html']}" for node in v["nodes"])
        for v in results["violations"]
    ]
    assert not violations, f"{path} [{scheme}]: {len(violations)} axe violations:\n" + "\n".join(violations)


@pytest.mark.parametrize("page", ["/", "brief", "/instruments/", "instrument"])
def test_no_horizontal_scroll_at_320px(browser: Browser, server: str, sample_site: Path, page: str) -> None:
    path = resolve(sample_site, page)
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        tab = context.new_page()
        tab.goto(server + path)
        width = tab.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
    assert width <= 320, f"{path} scrolls horizontally at 320 px: scrollWidth is {width}"
