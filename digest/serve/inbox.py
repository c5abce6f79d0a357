"""The inbox: sources saved into content/sources/ while `digest serve` runs become briefs,
imported by a process of their own on the inbox's thread, so that a large source never holds
up the builds. The briefs it writes are seen by the watcher and built as saves."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from digest.core.workers import dying_with_parent

INBOX = "content/sources/"
INBOX_TYPES = (".txt", ".md", ".markdown", ".html", ".htm")
INBOX_TIME_LIMIT = 60.0  # seconds an import of the inbox may take before it is stopped


@dataclass
class Inbox:
    """Sources waiting for import, and the import process running now (if any)."""

    condition: threading.Condition = field(default_factory=threading.Condition)
    paths: set[str] = field(default_factory=set)
    process: subprocess.Popen[str] | None = None
    stopped: bool = False

    def add(self, root: Path, changed: set[str]) -> None:
        """Take the sources among the `changed` paths (relative to `root`), for the inbox's thread."""
        sources = {p for p in changed if p.startswith(INBOX) and p.endswith(INBOX_TYPES) and (root / p).is_file()}
        if sources:
            with self.condition:
                self.paths |= sources
                self.condition.notify_all()

    def serve(self, root: Path, out: TextIO, err: TextIO) -> None:
        """The inbox's thread: each batch of sources is imported by a `digest` process of its
        own, stopped after INBOX_TIME_LIMIT (an import's cost is bounded, but no source may stall
        the inbox for ever); its report lines are said on `out`, errors on `err`."""
        while True:
            with self.condition:
                self.condition.wait_for(lambda: self.paths or self.stopped)
                if self.stopped:
                    return
                sources, self.paths = sorted(self.paths), set()
            for line, error in self.run(root, sources):
                print(f"import: {line}", file=err if error else out, flush=True)

    def run(self, root: Path, sources: list[str]) -> list[tuple[str, bool]]:
        """Import `sources` (relative to `root`) as a writer would, with `digest import` in a
        process of its own, told that a watcher found them (`--watched`: read only as a folder
        search reads them): its report lines, each with whether it is an error. A site that
        does not build imports nothing and says nothing here (the server's next build says why)."""
        argv = [sys.executable, "-m", "digest", "import", "--root", str(root), "--watched", "--format", "json"]
        argv += [str(root / source) for source in sources]
        with self.condition:
            if self.stopped:
                return []
            # (it dies with the server: a server killed cannot stop it after INBOX_TIME_LIMIT)
            self.process = subprocess.Popen(
                dying_with_parent(argv),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
        try:
            out, _ = self.process.communicate(timeout=INBOX_TIME_LIMIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            message = f"the import took over {INBOX_TIME_LIMIT:.0f} s and was stopped; expected a smaller source"
            return [(f"skipped {source}: {message} (digest import has no time limit)", True) for source in sources]
        finally:
            with self.condition:
                self.process = None
        try:
            return [(result["line"], bool(result["error"])) for result in json.loads(out)["results"]]
        except (ValueError, TypeError, KeyError):
            return []  # (no report: the site does not build)

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            if self.process is not None:
                self.process.kill()
            self.condition.notify_all()
