"""No process outlives its build: `digest build` and `digest serve` killed with SIGKILL at any
moment (mid-pool, mid-Pagefind, incremental) leave nothing running, and the next build ends
and equals a clean build."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import tree, without_content_warnings
from tests.sitegen import make_site
from tests.test_incremental import clean_build

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
BRIEFS = 300  # enough pages (over 600) for a cold build to render in a pool of processes


def processes(root: Path, group: int) -> list[str]:
    """Live processes of the process group/session `group`, or working on `root` (by command
    line or current folder). Zombies hold nothing and are left out."""
    found = []
    marker = str(root).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                cwd = ""
        except (OSError, IndexError):
            continue
        state, group_id, session = fields[0], int(fields[2]), int(fields[3])
        if state in ("Z", "X"):
            continue
        if group in (group_id, session) or marker in command or cwd == str(root) or cwd.startswith(f"{root}/"):
            shown = command.replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{entry.name} {shown}")
    return found


def children_of(group: int, *, named: bytes = b"") -> list[int]:
    """The members of a process group (but its leader) whose command line holds `named`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == group:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z" and named in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError):
            continue
    return found


def start(root: Path, *command: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "digest", *command, "--root", str(root)],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # (its own group: every process it starts is found by the group)
    )


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[int], bool], limit: float = 120) -> bool:
    """SIGKILL `process` as soon as `ready(its pid)`; False if it ended first."""
    deadline = time.monotonic() + limit
    while process.poll() is None and time.monotonic() < deadline:
        if ready(process.pid):
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.kill()
    process.wait()
    return False


def assert_nothing_left(root: Path, group: int) -> None:
    deadline = time.monotonic() + 2
    left = processes(root, group)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = processes(root, group)
    assert not left, f"processes left 2 s after the build was killed: {left}"


def next_build_equals_a_clean_build(root: Path, reference: Path) -> None:
    """The next build takes the lock and ends (a wedged lock would make it wait for ever)."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "digest", "build", "--root", str(root), "--quiet"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the build after a killed build waited for ever")
    assert done.returncode == 0, done.stderr
    assert tree(root / "site") == clean_build(root, reference)


def test_a_killed_build_leaves_no_process_and_the_next_build_is_clean(tmp_path: Path) -> None:
    root = tmp_path / "root"
    rng = make_site(root, BRIEFS, seed=5)
    moments: list[tuple[str, Callable[[int], bool]]] = [
        ("cold, mid-pool", lambda pid: len(children_of(pid, named=b"digest")) >= 2),
        ("cold, mid-Pagefind", lambda pid: bool(children_of(pid, named=b"pagefind"))),
    ]
    for what, ready in moments:
        process = start(root, "build", "--jobs", "2")
        assert kill_when(process, ready), f"the build ended before it was {what}"
        assert_nothing_left(root, process.pid)
    next_build_equals_a_clean_build(root, tmp_path / "reference")
    # Incremental builds, killed at a random moment (after edits of a few briefs).
    for n in range(2):
        for _ in range(3):
            path = root / "content" / "briefs" / f"brief-{rng.randrange(BRIEFS)}.md"
            path.write_text(path.read_text() + f"\nAn edit, number {n}.\n")
        process = start(root, "build", "--jobs", "2")
        time.sleep(rng.uniform(0.05, 1.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert_nothing_left(root, process.pid)
    next_build_equals_a_clean_build(root, tmp_path / "reference")


def test_a_killed_serve_leaves_no_process_and_the_next_build_is_clean(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_site(root, BRIEFS, seed=6)
    process = start(root, "serve", "--port", "0")
    # (killed while its first build has processes of its own: the pool's workers, or Pagefind's
    # runs; then again at a random moment)
    assert kill_when(process, lambda pid: bool(children_of(pid))), "serve's first build started processes"
    assert_nothing_left(root, process.pid)
    process = start(root, "serve", "--port", "0")
    time.sleep(random.uniform(0.2, 1.5))
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert_nothing_left(root, process.pid)
    next_build_equals_a_clean_build(root, tmp_path / "reference")


def test_the_lock_names_its_holder_and_a_holder_that_is_gone_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_site(root, BRIEFS, seed=7)
    process = start(root, "build", "--jobs", "2")
    lock = root / ".digest-cache" / "build.lock"

    def named(pid: int) -> bool:
        try:
            return lock.read_text().startswith(f"{pid} ")
        except OSError:
            return False

    assert kill_when(process, named), "the lock file named the build while it ran"
    holder = lock.read_text().splitlines()
    assert holder[0].split()[1].isdigit(), "its id and start time (clock ticks since boot)"
    assert holder[1].startswith(f"digest build --jobs 2 --root {root} (started "), holder
    assert_nothing_left(root, process.pid)
    done = subprocess.run(
        [sys.executable, "-m", "digest", "build", "--root", str(root), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert without_content_warnings(done.stderr) == (
        f"WARNING: taking over {lock} from a build that is gone: process {process.pid}, {holder[1]}\n"
    ), "one line"
    assert lock.read_text() == "", "a build that ends lets go of the lock and its name"
