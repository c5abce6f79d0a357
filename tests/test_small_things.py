"""The small things a reader notices (issue 22): no repeated dates, tidy tag columns, the nav's
"Latest" only on recent briefs, powers of ten as superscripts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tests.test_accessibility import server as server  # the sample site on loopback

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FULL_DATE = re.compile(
    r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b"
)


def test_the_archive_does_not_repeat_the_month_and_year_under_its_month_heading(sample_site: Path) -> None:
    page = (sample_site / "archive" / "index.html").read_text()
    items = re.findall(r'<ul class="archive-list">(.*?)</ul>', page, re.DOTALL)
    assert items
    for block in items:
        shown = re.sub(r"<[^>]+>", " ", block)
        assert not FULL_DATE.search(shown), f"a full date under a month heading: {FULL_DATE.search(shown)}"
    assert re.search(r'<time class="day" datetime="\d{4}-\d{2}-\d{2}">\d{1,2}</time>', page)


def test_latest_is_current_only_on_briefs_of_the_front_page(sample_site: Path) -> None:
    pages = sorted(sample_site.glob("briefs/*/index.html"), key=lambda p: _date(p), reverse=True)
    per_page = 10
    for index, page in enumerate(pages):
        text = page.read_text()
        latest = re.search(r'<a href="/"[^>]*aria-current', text) is not None
        assert latest == (index < per_page), f"{page.parent.name}: 'Latest' current is {latest}"
    oldest = pages[-1].read_text()
    assert re.search(r'<a href="/archive/" aria-current="true"', oldest), "an old brief belongs to the archive"


def _date(page: Path) -> str:
    return re.search(r'property="article:published_time" content="([^"]+)"', page.read_text())[1]  # type: ignore[index]


def test_a_power_of_ten_is_a_superscript(sample_site: Path) -> None:
    text = (sample_site / "briefs" / "us-ai-diffusion-framework" / "index.html").read_text()
    assert "10<sup>26</sup>" in text and "10^26" not in text


def test_the_source_date_is_not_repeated_when_it_is_the_briefs_date(sample_site: Path) -> None:
    text = (sample_site / "briefs" / "deepseek-r1-release" / "index.html").read_text()
    source = re.search(r'<p class="source">(.*?)</p>', text, re.DOTALL)[1]  # type: ignore[index]
    assert "20 January 2025" not in source
    assert "<time" not in source


def test_the_tag_index_is_tidy_columns(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = context.new_page()
        tab.goto(server + "/tags/")
        boxes = tab.evaluate(
            """[...document.querySelectorAll('.tag-index')].map(list => [...list.children].map(li => {
                 const box = li.getBoundingClientRect();
                 const count = li.querySelector('.count').getBoundingClientRect();
                 return [Math.round(box.left), Math.round(box.width), Math.round(count.right), li.querySelector('a')
                   .getAttribute('class') || ''];
               }))"""
        )
    finally:
        context.close()
    for group in boxes:
        lefts = sorted({left for left, _, _, _ in group})
        assert len(lefts) <= 4, f"items start at {len(lefts)} different places: {lefts}"
        assert len({width for _, width, _, _ in group}) == 1, "every column is as wide"
        for left in lefts:
            rights = {right for item_left, _, right, _ in group if item_left == left}
            assert len(rights) == 1, f"the counts of a column are not aligned: {rights}"
