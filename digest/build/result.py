"""What a build returns: the site's counts and what was written (shown by the CLI and the dev server)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digest.build.writer import WriteStats
from digest.core.errors import Problem


@dataclass(frozen=True)
class SiteCounts:
    briefs: int
    tag_pages: int
    weeks: int
    pages: int
    warnings: tuple[Problem, ...]
    files: int = 0  # brief files, valid or not, drafts or not
    drafts: int = 0  # drafts left out (0 with --drafts)
    review: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (path, keys) of the drafts waiting for an editor


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    counts: SiteCounts
    parsed: int  # brief files parsed (the rest came from the cache)
    rendered: int  # outputs rendered (the rest were known to be unchanged)
    stats: WriteStats
    seconds: float

    @property
    def pages(self) -> int:
        return self.counts.pages

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.counts.warnings
