"""The build: one entry point from files to the site on disk, used by `digest build`, `check` and `serve`.

A separate `digest build` first asks whether anything changed at all: a signature of every
input file and the output folder's files (and folders), against what the last build recorded.
It reads only file metadata, never contents, and only when something changed are
the pipeline's modules loaded and run (digest.build.pipeline). When only a few briefs changed, the
search index of their shards starts right then (digest.build.headstart).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from digest.build.cache import (
    WRITABLE,
    BuildCache,
    BuildState,
    journal_path,
    manifest_path,
    prepare_folder,
    record_key,
    write_file,
)
from digest.build.inputs import look_at_inputs
from digest.build.listing import scan, unchanged
from digest.build.ownership import claim_folder, manifest_text
from digest.build.resident import Resident
from digest.build.result import BuildResult
from digest.build.trash import let_helpers_finish
from digest.build.writer import OutputError, WriteStats
from digest.content.config import Config, load_config
from digest.content.files import Inputs
from digest.core.layout import CACHE_DIR
from digest.core.version import code_version
from digest.core.workers import Progress, collector_paused, die_with_parent

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from digest.search.runs import IndexJob

log = logging.getLogger(__name__)


def open_config(
    root: Path, *, drafts: bool = False, base_url: str | None = None, today: dt.date | None = None
) -> Config:
    config = load_config(root)
    return config.with_overrides(drafts=drafts or None, base_url=base_url, today=today)


def build_date(config: Config) -> dt.date:
    """The build's date: `--today`, or today in the site's time zone."""
    return config.today or dt.datetime.now(config.tz).date()


def build(
    config: Config,
    out_dir: Path,
    *,
    clean: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    cache: BuildCache | None = None,
    resident: Resident | None = None,
    wait: bool = True,
    changed: Collection[str] | None = None,
    write: bool = True,
) -> BuildResult:
    """Bring `out_dir` to exactly the site that `config.root` describes.

    On any content or template error nothing in `out_dir` changes (ContentError lists every
    problem). `clean` ignores everything cached by earlier builds. A long-running caller (the
    dev server) passes the `cache` it keeps in memory and, as the only writer of `out_dir`,
    its `resident` hooks and state (see Resident: a lock held while files change, a callback
    told the changed URLs as soon as they are in place, the search index made after the
    pages). If another build of the site is running, this one waits for it, or with
    `wait=False` raises OutputError at once.

    A caller that watches the files and keeps the `cache` in memory (`digest serve`) passes
    the paths it saw `changed` since its last build (relative to the root): only those briefs
    are looked at (see load_briefs); the templates, assets and settings are read every time.

    Without `write` (`digest check`), the build runs from scratch in memory, finds every
    problem the build would, and writes nothing (no output, cache, lock or search index):
    ContentError lists the errors (with the warnings), or the result has the warnings.
    """
    # (a build of a new day is a build of other inputs: the quick check below sees the date)
    config = config.with_overrides(today=build_date(config))
    options = {
        "jobs": jobs,
        "progress": progress,
        "resident": resident,
        "changed": changed,
    }
    # No cyclic garbage collection while a build runs: it makes tens of thousands of objects
    # that live to its end (briefs, pages, fingerprints) and few reference cycles. Processes
    # forked to render inherit the pause; `digest serve` collects between builds.
    if not write:
        from digest.build import pipeline

        with collector_paused():
            return pipeline.run(
                config, out_dir.absolute(), clean=True, cache=None, started=time.perf_counter(), looked=None,
                listed=None, head={}, write=False, **options,  # type: ignore[arg-type]
            )  # fmt: skip
    with site_lock(config.root, wait=wait) as built_before, collector_paused():
        started = time.perf_counter()
        out_dir = out_dir.absolute()
        _claim(config.root, out_dir, built_before)
        inputs: Inputs | None = None
        listing: _Listing | None = None
        state: BuildState | None = None
        head: dict[int, IndexJob] = {}  # search index runs started early (see digest.build.headstart)
        try:
            # The quick check serves separate `digest build` runs; a long-running caller that keeps
            # the cache in memory (the dev server) builds because it saw a change, so it skips it.
            if cache is None:
                state = None if clean else BuildState.load(config.root, out_dir)

                def changed_inputs(seen: Inputs) -> None:
                    # (while the output folder is still being listed)
                    if state is not None and state.signature != seen.signature and config.search:
                        from digest.build import headstart

                        head.update(headstart.start(config, out_dir, seen, code_version(), jobs or os.cpu_count() or 1))

                inputs, listing = _look(config, out_dir, changed_inputs, state)
                if state and state.signature == inputs.signature and listing.get()[0] == state.files:
                    # Nothing that the site is made of changed, and the output is as the last build left it.
                    stats = WriteStats(0, len(state.files), 0)
                    return BuildResult(out_dir, state.counts, 0, 0, stats, time.perf_counter() - started)
            from digest.build import pipeline  # (its modules load only when there is something to build)
            from digest.content.bodies import MissingBody

            try:
                return pipeline.run(
                    config, out_dir, clean=clean, cache=cache, started=started, looked=inputs,
                    listed=listing.get if listing is not None else None, head=head,
                    **options,  # type: ignore[arg-type]
                )  # fmt: skip
            except MissingBody:
                # The body cache lost something the brief cache relies on: parse everything again.
                return pipeline.run(
                    config, out_dir, clean=True, cache=cache, started=started, looked=inputs, listed=None,
                    head=head, **options,  # type: ignore[arg-type]
                )  # fmt: skip
        finally:
            if listing is not None:
                listing.close()
            for job in head.values():  # (the runs the pipeline did not take over)
                job.stop()
            let_helpers_finish()


def _claim(root: Path, out_dir: Path, built_before: frozenset[str]) -> None:
    """Refuse an output folder that is not digest's (see output.claim_folder). One that an older
    digest built, as its cache recorded, is taken with every file in it as digest's."""

    def adopt() -> bool:
        if record_key(out_dir) not in built_before:
            return False
        text = manifest_text(scan(out_dir))
        write_file(manifest_path(root, out_dir), lambda stream: stream.write(text))
        return True

    try:
        claim_folder(root, out_dir, manifest_path(root, out_dir), journal_path(root, out_dir), adopt)
    except OSError as exc:
        raise OutputError(f"cannot use {out_dir}: {exc.strerror or exc}; expected the output folder") from None


Listed = tuple[Mapping[str, tuple[int, int]], Mapping[str, int] | None]  # files, and folder times if confirmed


class _Listing:
    """The output folder's files as the quick check finds them: the last build's record of
    them (with its folder times) when a stat of each file and folder confirms it, else a
    listing. The stats are made in a forked process where it can, so that they run beside
    the rest of the build (a thread would share the interpreter with it: a stat loop and the
    loading of the cache slow each other down), and only when the build needs the answer
    does it wait for it (`get`)."""

    def __init__(self, out_dir: Path, state: BuildState | None) -> None:
        self.out_dir, self.state = out_dir, state
        self.pid: int | None = None
        self.result: Listed | None = None
        self.failure: BaseException | None = None
        self.thread: threading.Thread | None = None
        if state is not None and getattr(state, "folders", None) and hasattr(os, "fork"):
            parent = os.getpid()
            try:
                self.pid = os.fork()
            except OSError:
                self.pid = None
            if self.pid == 0:  # (the child: answers with its exit status, and runs nothing else)
                code = 1
                try:
                    die_with_parent(parent)
                    code = 0 if unchanged(out_dir, state.files, state.folders) else 1
                finally:
                    os._exit(code)
        if self.pid is None:
            self.thread = threading.Thread(target=self._list, daemon=True)
            self.thread.start()

    def _list(self) -> None:
        try:
            state = self.state
            if state is not None and unchanged(self.out_dir, state.files, getattr(state, "folders", {})):
                self.result = (state.files, state.folders)
            else:
                self.result = (scan(self.out_dir), None)
        except BaseException as exc:  # noqa: BLE001 - raised again in the thread that asks
            self.failure = exc

    def get(self) -> Listed:
        if self.pid is not None:
            _, status = os.waitpid(self.pid, 0)
            self.pid = None
            if os.waitstatus_to_exitcode(status) == 0 and self.state is not None:
                self.result = (self.state.files, self.state.folders)  # (as the child found them)
            else:
                self.result = (scan(self.out_dir), None)
        elif self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.failure is not None:
            raise self.failure
        assert self.result is not None
        return self.result

    def close(self) -> None:
        """The check is no longer needed (the build ended before it asked)."""
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = None
        if self.thread is not None:
            self.thread.join()


def _look(
    config: Config, out_dir: Path, seen: Callable[[Inputs], None], state: BuildState | None
) -> tuple[Inputs, _Listing]:
    """The inputs, and the output folder's files checked meanwhile (see _Listing). `seen(inputs)`
    is called as soon as the inputs are known, while the check may still run."""
    listing = _Listing(out_dir, state)
    try:
        inputs = look_at_inputs(config, code_version())
        seen(inputs)
    except BaseException:
        listing.close()
        raise
    return inputs, listing


@contextmanager
def site_lock(root: Path, *, wait: bool = True) -> Iterator[frozenset[str]]:
    """One build of a site at a time (a `digest build` beside `digest serve`, or two builds):
    the second waits for the first (or refuses, without `wait`), so their outputs and caches
    never interleave. Yields what cache.prepare_folder returns (the cache folder is checked,
    and made if need be, first).

    The lock is an `flock` on `.digest-cache/build.lock`, held by this process alone: the file
    is opened close-on-exec and closed in every process forked from this one (see _forked), so
    no worker or helper ever holds it, and it is released when this process ends, however it
    ends. The file names its holder (process id, start time, command) while the lock is held; a
    holder named there that is gone (a killed build) is reported in one line as the lock is
    taken over."""
    built_before = prepare_folder(root)
    folder = root / CACHE_DIR
    path = folder / "build.lock"
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        raise OutputError(f"cannot use the build cache {folder}: {exc.strerror or exc}; {WRITABLE}") from None
    _LOCKS.add(handle)
    try:
        if fcntl is None:  # pragma: no cover - not POSIX
            yield built_before
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            if not wait:
                raise OutputError(
                    f"another build of this site is running (it holds {path}{holder}); "
                    "expected it to finish first (without --no-wait, digest build waits for it)"
                ) from None
            log.warning("waiting for another build of this site to finish (%s%s)...", path, holder)
            fcntl.flock(handle, fcntl.LOCK_EX)
        left = _holder(handle)
        if left:
            log.warning("taking over %s from a build that is gone%s", path, left)
        _name_holder(handle)
        try:
            yield built_before
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(handle, 0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        _LOCKS.discard(handle)
        os.close(handle)


_LOCKS: set[int] = set()  # the lock files this process holds open


def _forked() -> None:
    """In a process just forked from a build: let go of the lock files (see site_lock)."""
    for handle in list(_LOCKS):
        with contextlib.suppress(OSError):
            os.close(handle)
    _LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


def _start_time(pid: int) -> str:
    """A process's start time (clock ticks since boot, Linux), to tell it from a later process
    given the same id; "" where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def _name_holder(handle: int) -> None:
    command = " ".join(["digest", *sys.argv[1:]]).replace("\n", " ")[:300]
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    text = f"{os.getpid()} {_start_time(os.getpid())}\n{command} (started {started})\n"
    with contextlib.suppress(OSError):
        os.ftruncate(handle, 0)
        os.pwrite(handle, text.encode("utf-8", "replace"), 0)


def _holder(handle: int) -> str:
    """Who the lock file names as its holder, as ': process N, COMMAND (started T)', or ''.
    The holder clears the file as it lets go, so a name found on a free lock is a build that
    died holding it."""
    try:
        first, _, rest = os.pread(handle, 1000, 0).decode("utf-8", "replace").partition("\n")
        pid = int(first.split(" ", 1)[0])
    except (OSError, ValueError):
        return ""
    return f": process {pid}, {rest.strip()}" if rest.strip() else f": process {pid}"
