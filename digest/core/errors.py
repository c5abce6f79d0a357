"""User-facing errors: one line each, `path:line: what is wrong; what was expected`."""

from __future__ import annotations

from dataclasses import dataclass

# Every character that ends a line for str.splitlines() or a terminal, as its escape.
_ONE_LINE = {ord(c): repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one input file. Sorted by path, then line."""

    path: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        """One line, always: line breaks inside a quoted value are shown as escapes."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}".translate(_ONE_LINE)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "message": self.message,
        }


class ContentError(Exception):
    """Raised by a stage when its inputs have problems; carries all of them, sorted, and the
    warnings found on the way (a failed build reports them as `digest check` does)."""

    def __init__(
        self, problems: list[Problem] | tuple[Problem, ...], warnings: list[Problem] | tuple[Problem, ...] = ()
    ) -> None:
        self.problems = tuple(sorted(problems))
        self.warnings = tuple(sorted(warnings))
        super().__init__("\n".join(str(p) for p in self.problems))


class SearchError(Exception):
    """The search index could not be made; the message says why and what to do."""
