"""`digest serve`: build, serve, watch, rebuild, and tell the open pages.

The rebuild is the very `build()` that `digest build` runs (with its cache kept in memory).
Watchdog callbacks only record what changed; a single builder thread waits for a quiet
moment (DEBOUNCE) and builds once for a whole burst of changes; a change that arrives during
a build causes one more build after it. Pages are served from the last complete build.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

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

from digest.build.cache import BuildCache
from digest.build.entry import build, open_config
from digest.build.resident import Resident
from digest.build.result import BuildResult
from digest.build.writer import OutputError
from digest.content.config import Config
from digest.content.files import scan_brief_files
from digest.content.load import load_content
from digest.core.errors import ContentError
from digest.core.layout import BRIEFS_DIR, CACHE_DIR
from digest.core.version import code_version
from digest.serve.http import DevServer, Hub
from digest.serve.watch import is_relevant, kind_of_change
from digest.theme.folders import default_theme_dir

DEBOUNCE = 0.05  # quiet time after a change before building
SETTLED = 0.02  # ... after an event that ends a save (close after write, rename into place)
INBOX = "content/sources/"
INBOX_TYPES = (".txt", ".md", ".markdown", ".html", ".htm")
INBOX_TIME_LIMIT = 60.0  # seconds an import of the inbox may take before it is stopped
SERVE_DIR = f"{CACHE_DIR}/serve"
# Changes only: not the opening and reading of files (every build reads the templates, the
# assets and the folder of briefs), which would wake the watcher's threads during the build.
WATCHED_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileDeletedEvent, FileMovedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]  # fmt: skip
log = logging.getLogger(__name__)


def preview_config(
    root: Path, *, drafts: bool = False, base_url: str | None = None, today: dt.date | None = None
) -> Config:
    """The site's configuration as `digest serve` builds it: theme assets keep their names (a
    page open in the browser swaps them in place) and the drafts it shows can be searched for."""
    return open_config(root, drafts=drafts, base_url=base_url, today=today).with_overrides(
        fingerprint_assets=False, search_drafts=True
    )


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


@dataclass
class Inbox:
    """Sources waiting for import, and the import process running now (if any)."""

    condition: threading.Condition = field(default_factory=threading.Condition)
    paths: set[str] = field(default_factory=set)
    process: subprocess.Popen[str] | None = None
    stopped: bool = False

    def run(self, root: Path, sources: list[str]) -> list[tuple[str, bool]]:
        """Import `sources` (relative to `root`) in a child process: its report lines, each
        with whether it is an error."""
        request = json.dumps({"root": str(root), "sources": sources})
        with self.condition:
            if self.stopped:
                return []
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from digest.serve.server import import_in_child; import_in_child()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
        try:
            out, _ = self.process.communicate(request, timeout=INBOX_TIME_LIMIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            message = f"the import took over {INBOX_TIME_LIMIT:.0f} s and was stopped; expected a smaller source"
            return [(f"skipped {source}: {message} (digest import has no time limit)", True) for source in sources]
        finally:
            with self.condition:
                self.process = None
        try:
            return [(line, bool(error)) for line, error in json.loads(out or "[]")]
        except (ValueError, TypeError):
            return []

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            if self.process is not None:
                self.process.kill()
            self.condition.notify_all()


def import_in_child() -> None:
    """The inbox's import process: a request (the site folder and its sources) on stdin, the
    report lines as JSON on stdout. A site that does not build imports nothing (the server's
    next build reports why)."""
    from digest.ingest.importer import ImportOptions, import_sources

    signal.alarm(int(INBOX_TIME_LIMIT) + 5)  # (ends it even if the server was killed and cannot)
    request = json.load(sys.stdin)
    root = Path(request["root"])
    try:
        config = open_config(root)
        taxonomy, _ = load_content(config)
    except ContentError:
        json.dump([], sys.stdout)
        return
    paths = [str(root / p) for p in request["sources"]]
    report = import_sources(config, taxonomy, paths, ImportOptions(root / BRIEFS_DIR), walked=True)
    json.dump([(outcome.line(), outcome.error) for outcome in report.outcomes], sys.stdout)


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


class Server:
    """One `digest serve` session."""

    def __init__(
        self,
        root: Path,
        host: str,
        port: int,
        *,
        drafts: bool = True,
        follow: bool = False,
        allowed_hosts: tuple[str, ...] = (),
        today: dt.date | None = None,
        out: TextIO = sys.stdout,
        err: TextIO = sys.stderr,
    ) -> None:
        self.root = root.resolve()
        self.follow = follow
        self.host = host
        self.out, self.err = out, err
        self.drafts = drafts
        self.site_dir = self.root / SERVE_DIR
        self.hub = Hub()
        self.lock = threading.Lock()
        self.changes = Changes()
        self.inbox = Inbox()
        self.cache: BuildCache | None = None
        # (what each build is passed: the server shows pages first, and no request sees a half-written site)
        self.resident = Resident(commit_lock=self.lock, superseded=self.changes.waiting)
        self.allowed_hosts = allowed_hosts
        self.today = today  # the build's date (`--today`), or None: each build's own today
        self.httpd = self._bind(host, port)
        self.port = self.httpd.server_address[1]

    @property
    def url(self) -> str:
        """The address to open. Bound to every address (0.0.0.0, ::), that is localhost: the
        server answers only Host headers that name it (0.0.0.0 names nothing)."""
        host = "localhost" if self.host in ("", "0.0.0.0", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/"

    def _bind(self, host: str, port: int) -> DevServer:
        for candidate in range(port, port + 20):
            try:
                return DevServer((host, candidate), self.site_dir, self.hub, self.lock, self.allowed_hosts)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or port == 0:
                    raise
                print(f"Port {candidate} is busy; trying {candidate + 1}", file=self.err)
        raise OSError(errno.EADDRINUSE, f"ports {port} to {port + 19} are all busy; pass --port")

    def rebuild(self, changed: set[str] | None = None) -> BuildResult | None:
        started = time.perf_counter()
        if changed is not None:
            print(
                f"Rebuilding ({len(changed)} {'file' if len(changed) == 1 else 'files'} changed)",
                file=self.out,
                flush=True,
            )
        try:
            config = preview_config(self.root, drafts=self.drafts, base_url=self.url, today=self.today)
            if self.cache is None:
                self.cache = BuildCache.load(self.root, code_version())
            result = build(
                config,
                self.site_dir,
                cache=self.cache,
                resident=replace(
                    self.resident, on_commit=lambda urls: self.hub.publish(urls, (), self._follow(changed))
                ),
                changed=changed,
            )
        except ContentError as exc:
            lines = [str(p) for p in exc.problems]
            for problem in sorted((*exc.problems, *exc.warnings)):  # (as `digest build` and `check` say them)
                print(problem, file=self.err)
            print(
                f"Build failed with {len(lines)} {'error' if len(lines) == 1 else 'errors'}; still serving the last good build",
                file=self.err,
                flush=True,
            )
            self.hub.publish((), lines)
            return None
        except (OutputError, OSError) as exc:
            message = f"digest: {exc}"
            print(message, file=self.err, flush=True)
            self.hub.publish((), [message])
            return None
        for warning in result.warnings:
            print(warning, file=self.err)
        print(
            f"Rebuilt in {time.perf_counter() - started:.2f} s ({result.stats.written} written, {result.stats.removed} removed)",
            file=self.out,
            flush=True,
        )
        return result

    def _follow(self, changed: set[str] | None) -> str | None:
        """With --follow, the URL of the one brief this change saved (if its slug is known)."""
        if not self.follow or not changed:
            return None
        edited = [p for p in changed if kind_of_change(p) == "brief"]
        return self._brief_url(edited[0]) if len(edited) == 1 else None

    def _brief_url(self, relative: str) -> str | None:
        if self.cache is None:
            return None
        entry = self.cache.briefs.get(relative)
        slug = getattr(getattr(entry, "result", None), "slug", None)
        return f"/briefs/{slug}/" if slug else None

    def watch(self) -> Observer:
        theme = default_theme_dir()
        handler = _Handler(self.root, None if theme.resolve().is_relative_to(self.root) else theme, self.changes)
        observer = Observer()
        observer.schedule(handler, str(self.root), recursive=False, event_filter=WATCHED_EVENTS)
        for name in ("content", "templates", "static"):
            folder = self.root / name
            if folder.is_dir():
                observer.schedule(handler, str(folder), recursive=True, event_filter=WATCHED_EVENTS)
        if handler.theme is not None and handler.theme.is_dir() and "site-packages" not in handler.theme.parts:
            observer.schedule(handler, str(handler.theme), recursive=True, event_filter=WATCHED_EVENTS)
        observer.daemon = True
        observer.start()
        return observer

    def builder(self) -> None:
        while True:
            changed = self.changes.take()
            if changed is None:
                return
            self.import_inbox(changed)
            self.rebuild(changed)
            if not self.changes.waiting():
                _tidy_memory()
                self.verify()

    def verify(self) -> None:
        """While idle, look for brief files that changed without the watcher saying so (a lost
        event, a folder the watcher cannot see into): the next build takes them, as if saved.
        Builds look only at the files the watcher named (listing and checking every file of a
        large site on every save would make the saves wait for it); this keeps them honest."""
        cache = self.cache
        if cache is None or not cache.listed:
            return
        found = scan_brief_files(self.root)
        missed = [BRIEFS_DIR] if found.outside else []  # (a link out of the site: list the folder)
        for count, (rel, path) in enumerate(found.files):
            if count % 256 == 0 and self.changes.waiting():
                return  # a build is due anyway; look again after it
            entry = cache.briefs.get(rel)
            try:
                stat = os.stat(path)
            except OSError:
                missed.append(rel)
                continue
            if entry is None or (entry.size, entry.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                missed.append(rel)
        listed = {rel for rel, _ in found.files}
        missed += [rel for rel in cache.briefs if rel not in listed]
        for rel in missed:
            self.changes.add(rel, settled=True)

    def import_inbox(self, changed: set[str]) -> None:
        """Sources saved into content/sources/ become briefs (the inbox): handed to the inbox's
        own thread, so that a large source never holds up the builds."""
        sources = {p for p in changed if p.startswith(INBOX) and p.endswith(INBOX_TYPES) and (self.root / p).is_file()}
        if sources:
            with self.inbox.condition:
                self.inbox.paths |= sources
                self.inbox.condition.notify_all()

    def importer(self) -> None:
        """The inbox's thread: each batch of sources is imported by a `digest` process of its
        own, stopped after INBOX_TIME_LIMIT (an import's cost is bounded, but no source may stall
        the inbox for ever). The briefs it writes are seen by the watcher and built as saves."""
        while True:
            with self.inbox.condition:
                self.inbox.condition.wait_for(lambda: self.inbox.paths or self.inbox.stopped)
                if self.inbox.stopped:
                    return
                sources, self.inbox.paths = sorted(self.inbox.paths), set()
            for line, error in self.inbox.run(self.root, sources):
                print(f"import: {line}", file=self.err if error else self.out, flush=True)

    def run(self, open_browser: bool = False, ready: Callable[[], None] | None = None) -> None:
        if threading.current_thread() is threading.main_thread():
            # Ctrl-C stops the server even when it was started with `&` by a script (which makes
            # it ignore SIGINT), and `kill` (SIGTERM, what process managers send) stops it as cleanly.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, _interrupt)
        self.rebuild()
        _tidy_memory()
        observer = self.watch()
        threading.Thread(target=self.builder, name="digest-builder", daemon=True).start()
        threading.Thread(target=self.importer, name="digest-inbox", daemon=True).start()
        server_thread = threading.Thread(target=self.httpd.serve_forever, name="digest-http", daemon=True)
        server_thread.start()
        try:  # from the moment the address is printed, Ctrl-C stops cleanly
            print(
                f"Serving {self.root} at {self.url} (drafts {'included' if self.drafts else 'hidden'}); Ctrl-C stops",
                file=self.out,
                flush=True,
            )
            if open_browser:
                webbrowser.open(self.url)
            if ready:
                ready()
            while server_thread.is_alive():
                server_thread.join(0.5)
        except KeyboardInterrupt:
            print("\nStopping", file=self.out)
        finally:
            self.stop(observer)

    def stop(self, observer: Observer | None = None) -> None:
        self.changes.stop()
        self.inbox.stop()
        self.hub.close()
        if observer is not None:
            observer.stop()
        self.httpd.shutdown()
        self.httpd.server_close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _tidy_memory() -> None:
    """Collect garbage between builds, while the server is idle, and set the survivors (the
    site, its plan and the caches) aside from later collections: a full collection walks every
    object, and one that fell in the middle of a rebuild would keep the browser waiting. What a later build drops is still freed (reference counting); only cycles among
    set-aside objects would wait, and the next tidy-up sets them free again (unfreeze)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
