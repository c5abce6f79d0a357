"""Removing what a build no longer needs without making it wait: the undo folder of a large
commit goes to a detached process at the lowest priority, which stops if the build dies; the
staging folders of killed builds go at the next build."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

_DISCARDING: list[subprocess.Popen[bytes]] = []


# The remover in the background watches a pipe from the build: if the build dies (killed), the
# pipe closes with nothing said and the remover stops at once, so no process outlives a killed
# build; a build that ends (well or with an error) says so first (`let_helpers_finish`), and the
# removal goes on after it. What a stopped removal left is removed by the next build.
_REMOVER = (
    "import os, shutil, sys, threading\n"
    "os.nice(19)\n"
    "def watch():\n"
    "    if not os.read(0, 1):\n"
    "        os._exit(0)\n"
    "threading.Thread(target=watch, daemon=True).start()\n"
    "shutil.rmtree(sys.argv[1], True)\n"
)


def discard(folder: Path, *, in_background: bool) -> None:
    """Remove the undo folder of a commit: at once, or renamed aside and removed in the background."""
    _DISCARDING[:] = [p for p in _DISCARDING if p.poll() is None]  # (reap the finished ones)
    if in_background and folder.is_dir():
        trash = folder.with_name(folder.name.replace(".staging-", ".trash-") + f".{time.time_ns()}")
        try:
            os.rename(folder, trash)
            # (at the lowest priority: the next build, or the browser of `digest serve`, comes first)
            command = [sys.executable, "-c", _REMOVER, str(trash)]
            quiet = subprocess.DEVNULL
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=quiet, stderr=quiet, start_new_session=True
            )
            _DISCARDING.append(process)
            return
        except OSError:
            folder = trash if trash.exists() else folder
    shutil.rmtree(folder, ignore_errors=True)


def let_helpers_finish() -> None:
    """The build ends: the removals it started in the background may finish after it."""
    for process in _DISCARDING:
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(OSError):
                process.stdin.write(b"\n")
            with contextlib.suppress(OSError):
                process.stdin.close()


def remove_stale_staging(out_dir: Path, adopt: Path | None = None) -> None:
    """Remove staging folders of builds that were killed (their process is gone); with `adopt`
    (where the pool goes) and no pool there, a killed build's staging folder becomes the pool
    (it holds the pool that build took, and pages it never committed: all files to write over)."""
    prefix = f".{out_dir.name}.staging-"
    try:
        entries = list(os.scandir(out_dir.parent))
    except OSError:
        return
    trash = f".{out_dir.name}.trash-"
    for entry in entries:
        if entry.name.startswith(trash):  # left by a removal in the background that was stopped
            pid = entry.name[len(trash) :].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                discard(Path(entry.path), in_background=True)
            continue
        if not entry.name.startswith(prefix):
            continue
        pid = entry.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            if adopt is not None and entry.name == prefix + pid and not os.path.lexists(adopt):
                with contextlib.suppress(OSError):
                    adopt.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(entry.path, adopt)
                    continue
            discard(Path(entry.path), in_background=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
