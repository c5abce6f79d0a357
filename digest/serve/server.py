"""`digest serve`: build, serve, watch, rebuild, and tell the open pages.

The rebuild is the very `build()` that `digest build` runs (with its cache kept in memory).
Watchdog callbacks only record what changed (digest.serve.changes); a single builder thread
waits for a quiet moment and builds once for a whole burst of changes; a change that arrives
during a build causes one more build after it. Pages are served from the last complete build.
Sources saved into the inbox are imported on a thread of their own (digest.serve.inbox).
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import logging
import os
import signal
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from watchdog.observers import Observer

from digest.build.cache import BuildCache
from digest.build.entry import build, open_config
from digest.build.resident import Resident
from digest.build.result import BuildResult
from digest.build.writer import OutputError
from digest.content.config import Config
from digest.content.files import scan_brief_files
from digest.core.errors import ContentError, SearchError
from digest.core.layout import BRIEFS_DIR, CACHE_DIR
from digest.core.version import code_version
from digest.serve.changes import Changes, watch
from digest.serve.http import DevServer, Hub
from digest.serve.inbox import Inbox
from digest.serve.watch import kind_of_change

SERVE_DIR = f"{CACHE_DIR}/serve"
log = logging.getLogger(__name__)


def preview_config(
    root: Path, *, drafts: bool = False, base_url: str | None = None, today: dt.date | None = None
) -> Config:
    """The site's configuration as `digest serve` builds it: theme assets keep their names (a
    page open in the browser swaps them in place) and the drafts it shows can be searched for."""
    return open_config(root, drafts=drafts, base_url=base_url, today=today).with_overrides(
        fingerprint_assets=False, search_drafts=True
    )


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
        except (OutputError, SearchError, OSError) as exc:
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

    def builder(self) -> None:
        while True:
            changed = self.changes.take()
            if changed is None:
                return
            self.inbox.add(self.root, changed)
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

    def run(self, open_browser: bool = False, ready: Callable[[], None] | None = None) -> None:
        if threading.current_thread() is threading.main_thread():
            # Ctrl-C stops the server even when it was started with `&` by a script (which makes
            # it ignore SIGINT), and `kill` (SIGTERM, what process managers send) stops it as cleanly.
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, _interrupt)
        self.rebuild()
        _tidy_memory()
        observer = watch(self.root, self.changes)
        threading.Thread(target=self.builder, name="digest-builder", daemon=True).start()
        threading.Thread(
            target=self.inbox.serve, args=(self.root, self.out, self.err), name="digest-inbox", daemon=True
        ).start()
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
