"""What a person at a terminal sees: the progress line and the summary."""

from __future__ import annotations

import io
import time
from pathlib import Path

from digest.build.progress import ProgressLine, summary
from digest.build.result import BuildResult, SiteCounts
from digest.build.writer import WriteStats


def test_summary_line() -> None:
    result = BuildResult(
        Path("site"), SiteCounts(10_000, 431, 157, 12_000, ()), 3, 312, WriteStats(312, 11_688, 0), 4.21
    )
    assert summary(result) == "Built 10,000 briefs, 431 tag pages, 157 weeks in 4.2 s (312 written, 0 removed)"
    one = BuildResult(Path("site"), SiteCounts(1, 1, 1, 15, ()), 1, 15, WriteStats(15, 0, 0), 0.04)
    assert summary(one) == "Built 1 brief, 1 tag page, 1 week in 0.0 s (15 written, 0 removed)"


def test_progress_shows_only_for_slow_builds_and_clears_itself() -> None:
    stream = io.StringIO()
    with ProgressLine(enabled=True, stream=stream, delay=0.05) as progress:
        progress("reading briefs", 10, 100)
        assert stream.getvalue() == "", "nothing during the first moments"
        time.sleep(0.06)
        progress("reading briefs", 50, 100)
        progress("rendering", 100, 100)
    text = stream.getvalue()
    assert "reading briefs 50/100" in text and "rendering 100/100" in text
    assert text.endswith("\r\033[K"), "the line is cleared when the build ends"


def test_progress_is_silent_when_disabled() -> None:
    stream = io.StringIO()
    with ProgressLine(enabled=False, stream=stream, delay=0) as progress:
        progress("rendering", 1, 2)
    assert stream.getvalue() == ""
