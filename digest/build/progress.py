"""What a build tells a person at a terminal: a live progress line and a one-line summary."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from digest.build.result import BuildResult


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def summary(result: BuildResult) -> str:
    """`Built 10,000 briefs, 431 tag pages, 157 weeks in 4.2 s (312 written, 0 removed)`."""
    counts, stats = result.counts, result.stats
    drafts = f" ({plural(counts.drafts, 'draft')} left out)" if counts.drafts else ""
    return (
        f"Built {plural(counts.briefs, 'brief')}{drafts}, {plural(counts.tag_pages, 'tag page')}, {plural(counts.weeks, 'week')} "
        f"in {result.seconds:.1f} s ({stats.written:,} written, {stats.removed:,} removed)"
    )


class ProgressLine:
    """A single self-updating line on stderr, shown only once a build has run for `delay` seconds."""

    def __init__(self, enabled: bool, stream: TextIO = sys.stderr, delay: float = 1.0) -> None:
        self.enabled = enabled
        self.stream = stream
        self.delay = delay
        self.started = time.monotonic()
        self.last = 0.0
        self.shown = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.delay or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\r\033[K{phase} {done:,}/{total:,}")
        self.stream.flush()

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
