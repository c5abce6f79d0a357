"""What changed under the site since the last build: the watcher's events, filtered (see
digest.serve.watch) and batched until a quiet moment, for `digest serve`'s builder thread.

Watchdog callbacks only record what changed; the builder waits for a quiet moment (DEBOUNCE)
and builds once for a whole burst of changes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from digest.serve.watch import is_relevant
from digest.theme.folders import default_theme_dir

DEBOUNCE = 0.05  # quiet time after a change before building
SETTLED = 0.02  # ... after an event that ends a save (close after write, rename into place)
# Changes only: not the opening and reading of files (every build reads the templates, the
# assets and the folder of briefs), which would wake the watcher's threads during the build.
WATCHED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileDeletedEvent, FileMovedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]  # fmt: skip


@dataclass
class Changes:
    """Paths changed since the last build, shared between watchdog's thread and the builder."""

    condition: threading.Condition = field(default_factory=threading.Condition)
    paths: set[str] = field(default_factory=set)
    last: float = 0.0
    quiet: float = 0.05
    stopped: bool = False

    def add(self, relative: str, settled: bool = False) -> None:
        """Record a change; `settled` when the event says a save finished (a file closed after
        writing, or renamed into place), so a shorter quiet moment is enough."""
        with self.condition:
            self.paths.add(relative)
            self.last = time.monotonic()
            self.quiet = SETTLED if settled else DEBOUNCE
            self.condition.notify_all()

    def take(self) -> set[str] | None:
        """Wait for changes and a quiet moment; return them (None once stopped)."""
        with self.condition:
            self.condition.wait_for(lambda: self.paths or self.stopped)
            while not self.stopped:
                quiet = time.monotonic() - self.last
                if quiet >= self.quiet:
                    break
                self.condition.wait(self.quiet - quiet)
            if self.stopped:
                return None
            paths, self.paths = self.paths, set()
            return paths

    def waiting(self) -> bool:
        """Whether changes arrived that the next build will take."""
        with self.condition:
            return bool(self.paths) or self.stopped

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            self.condition.notify_all()


class _Handler(FileSystemEventHandler):
    def __init__(self, root: Path, theme: Path | None, changes: Changes) -> None:
        self.root = root.resolve()
        self.theme = theme.resolve() if theme else None
        self.changes = changes

    def relative(self, path: str | bytes) -> str | None:
        full = Path(path.decode() if isinstance(path, bytes) else path)
        for base, prefix in ((self.root, ""), (self.theme, "templates/")):
            if base is not None and full.is_relative_to(base):
                relative = prefix + full.relative_to(base).as_posix()
                return relative if is_relevant(relative) else None
        return None

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            # A folder "changes" when a file in it is created, removed or renamed: those files'
            # own events follow. Counting it would only restart the quiet wait after a save.
            return
        settled = event.event_type in ("closed", "moved")
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                relative = self.relative(path)
                if relative is not None:
                    self.changes.add(relative, settled)


def watch(root: Path, changes: Changes) -> Observer:
    """Watch the site at `root` (and the default theme, when it is outside the site and not
    installed) for changes, recorded in `changes`."""
    theme = default_theme_dir()
    handler = _Handler(root, None if theme.resolve().is_relative_to(root) else theme, changes)
    observer = Observer()
    observer.schedule(handler, str(root), recursive=False, event_filter=WATCHED_EVENTS)
    for name in ("content", "templates", "static"):
        folder = root / name
        if folder.is_dir():
            observer.schedule(handler, str(folder), recursive=True, event_filter=WATCHED_EVENTS)
    if handler.theme is not None and handler.theme.is_dir() and "site-packages" not in handler.theme.parts:
        observer.schedule(handler, str(handler.theme), recursive=True, event_filter=WATCHED_EVENTS)
    observer.daemon = True
    observer.start()
    return observer
