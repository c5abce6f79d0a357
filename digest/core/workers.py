"""Running work in a pool of processes, for cold builds; small batches run in-process.

Workers are forked, so they start with the parent's state (site model, templates) without
pickling it; each batch's results come back in order, so parallel output equals serial output.
No worker outlives its build: each asks the kernel to end it when the build's process ends
(`die_with_parent`), so a build killed mid-pool leaves nothing behind (workers left to
themselves were seen blocked for ever on a pipe no one read).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STATE: dict[str, Any] = {}
_PR_SET_PDEATHSIG = 1  # (linux/prctl.h)
_PRCTL: list[Callable[..., int] | None] = []  # Linux's prctl, once looked up (None: not here)


def _prctl() -> Callable[..., int] | None:
    if not _PRCTL:
        function = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                function = ctypes.CDLL(None, use_errno=True).prctl
                function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
                function.restype = ctypes.c_int
            except (OSError, AttributeError):  # (a C library without it)
                function = None
        _PRCTL.append(function)
    return _PRCTL[0]


def die_with_parent(parent: int | None = None) -> None:
    """In a process forked (or about to exec) for a build: be killed as soon as the thread that
    started it ends, as when the build is killed (Linux's parent-death signal; elsewhere, only
    the check below). `parent`: the build's process id, to end at once if it is gone already."""
    function = _prctl()
    if function is not None:
        function(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


# A program started for a build (Pagefind) asks for the same signal before it runs: through
# util-linux's `setpriv --pdeathsig`, or where that is missing a few lines of Python that ask and
# then exec it. (Asking in a `preexec_fn` would make every start a full fork of the build's
# process, instead of a vfork, which is slow with a large heap; see docs/BENCHMARKS.md.)
_SHIM = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    os._exit(1)\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)
_SETPRIV: list[bool] = []  # whether `setpriv --pdeathsig` is here (looked up once)


def dying_with_parent(argv: list[str]) -> list[str]:
    """`argv` made to die with the thread that starts it, as
    die_with_parent does (as it is where that is not available)."""
    if _prctl() is None:
        return argv
    if not _SETPRIV:
        import shutil
        import subprocess

        found = shutil.which("setpriv")
        helped = False
        if found is not None:
            try:
                helped = b"--pdeathsig" in subprocess.run([found, "--help"], capture_output=True, timeout=10).stdout
            except (OSError, subprocess.SubprocessError):
                helped = False
        _SETPRIV.append(helped)
    if _SETPRIV[0]:
        return ["setpriv", "--pdeathsig", "KILL", "--", *argv]
    return [sys.executable, "-S", "-c", _SHIM, str(os.getpid()), *argv]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def shared(name: str) -> Any:
    """A value the parent published with `run_batches(..., state=...)`."""
    return _STATE[name]


def run_batches(
    function: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    *,
    jobs: int,
    min_parallel: int,
    state: dict[str, Any],
    batch_size: int = 200,
    on_batch: Callable[[int], None] | None = None,
) -> Iterator[R]:
    """Apply `function` to batches of `items`, in parallel if worth it; results in item order."""
    import multiprocessing  # (here: `digest build` loads this module to tell whether anything changed)
    from concurrent.futures import ProcessPoolExecutor

    _STATE.clear()
    _STATE.update(state)
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    if jobs <= 1 or len(items) < min_parallel or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            results = function(batch)
            if on_batch:
                on_batch(len(batch))
            yield from results
        return
    context = multiprocessing.get_context("fork")
    _prctl()  # (looked up before forking: a worker only calls it)
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        for batch, results in zip(batches, pool.map(function, batches), strict=True):
            if on_batch:
                on_batch(len(batch))
            yield from results


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block, for work that makes many objects that
    live to its end and few reference cycles: the collector's passes over a growing heap find
    next to nothing there. Those objects are still freed by reference counting. The collector
    runs again afterwards, if it ran before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


Progress = Callable[[str, int, int], None]  # (phase, done, total)
