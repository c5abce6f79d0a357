"""`digest check`: the build without writing anything, and what it found."""

from __future__ import annotations

from dataclasses import dataclass

from digest.build.entry import build
from digest.build.progress import plural
from digest.content.config import Config
from digest.content.files import scan_brief_files
from digest.core.errors import ContentError, Problem


@dataclass(frozen=True)
class CheckReport:
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    briefs: int  # brief files, valid or not
    drafts: int  # drafts a build without --drafts leaves out (known when the briefs loaded)
    review: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (brief, what to check) of the drafts waiting for review

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Errors and warnings, by file and line."""
        return tuple(sorted((*self.errors, *self.warnings)))

    def summary(self) -> str:
        """`Checked 4 briefs: 1 error, 2 warnings`."""
        drafts = f" ({plural(self.drafts, 'draft')}, left out of a build without --drafts)" if self.drafts else ""
        return (
            f"Checked {plural(self.briefs, 'brief')}{drafts}: "
            f"{plural(len(self.errors), 'error')}, {plural(len(self.warnings), 'warning')}"
        )

    def as_dict(self) -> dict[str, object]:
        counts = {"briefs": self.briefs, "drafts": self.drafts, "errors": len(self.errors)}
        return {
            "ok": not self.errors,
            "briefs": self.briefs,
            "counts": {**counts, "warnings": len(self.warnings)},
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
            "problems": [p.as_dict() for p in self.problems],
            "review": [{"path": path, "fields": list(fields)} for path, fields in self.review],
        }


def check_site(config: Config) -> CheckReport:
    """Everything `digest build` would report for this configuration; nothing is written."""
    try:
        result = build(config, config.root / "site", write=False)
    except ContentError as exc:
        briefs = len(scan_brief_files(config.root).files)
        return CheckReport(exc.problems, exc.warnings, briefs, 0)
    counts = result.counts
    return CheckReport((), tuple(sorted(counts.warnings)), counts.files, counts.drafts, counts.review)
