"""Faults while writing the site: a full disk, a refused permission, an unwritable cache, two
builds at once. The previous site stays as it was, the error says where and why, and the
next build after the fault equals a clean build."""

from __future__ import annotations

import errno
import fcntl
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import digest.build.writer
from digest.cli import main
from tests.conftest import tree
from tests.sitegen import make_site
from tests.test_incremental import clean_build

FAULTS = {"disk-full": errno.ENOSPC, "permission": errno.EACCES}


def fault(code: int, path: object) -> OSError:
    return OSError(code, os.strerror(code), str(path))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A built site, then edits that change, add and remove outputs (so the next build both
    stages files and removes stale ones)."""
    root = tmp_path / "root"
    make_site(root, 12, seed=4)
    assert main(["build", "--root", str(root), "--quiet", "--jobs", "1"]) == 0
    briefs = root / "content" / "briefs"
    for n in (1, 2, 3):
        path = briefs / f"brief-{n}.md"
        path.write_text(path.read_text().replace(f"title: Brief number {n}", f"title: Edited brief {n}"))
    (briefs / "brief-5.md").unlink()
    shutil.copy(briefs / "brief-6.md", briefs / "added.md")
    (briefs / "added.md").write_text((briefs / "added.md").read_text().replace("Brief number 6", "Added brief"))
    return root


def failing_build(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run `digest build`; it must fail with exit 1 and exactly one line on stderr."""
    capsys.readouterr()
    assert main(["build", "--root", str(root), "--quiet", "--jobs", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, f"one line, got: {err!r}"
    assert "Traceback" not in err and "internal error" not in err, err
    return err


def assert_recovers(root: Path, tmp_path: Path) -> None:
    """No staging folders left, and the next build (fault cleared) equals a clean build."""
    assert not [p.name for p in root.iterdir() if ".staging-" in p.name], "no staging folder is left behind"
    assert main(["build", "--root", str(root), "--quiet", "--jobs", "1"]) == 0
    assert tree(root / "site") == clean_build(root, tmp_path / "reference")


def swaps_here(folder: Path) -> bool:
    """Whether the system can swap two files in `folder` in one step (where it cannot, the
    writer's `exchange` says False and the commit takes its other path)."""
    new, old = folder / "swap-new", folder / "swap-old"
    new.write_text("new")
    old.write_text("old")
    return digest.build.writer.exchange(str(new), str(old))


def fail_on_call(real: Callable[..., object], number: int, code: int, only: str = "") -> Callable[..., object]:
    """`real`, except that its `number`th call (counting calls whose first argument contains
    `only`) raises OSError(code)."""
    calls = {"n": 0}

    def wrapper(*args: object, **kwargs: object) -> object:
        if only in str(args[0]):
            calls["n"] += 1
            if calls["n"] == number:
                raise fault(code, args[0])
        return real(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize("kind", sorted(FAULTS))
@pytest.mark.parametrize("number", [1, 4])
def test_a_fault_while_staging_leaves_the_previous_site(
    site: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    number: int,
) -> None:
    before = tree(site / "site")
    # (`os.open`, which stages every output file)
    monkeypatch.setattr(os, "open", fail_on_call(os.open, number, FAULTS[kind], ".staging-"))
    err = failing_build(site, capsys)
    assert err.startswith(f"digest: error: cannot write {site.absolute() / 'site'}/"), err
    assert f": {os.strerror(FAULTS[kind])}; the previous site is unchanged" in err
    assert tree(site / "site") == before
    monkeypatch.undo()
    assert_recovers(site, tmp_path)


@pytest.mark.parametrize("kind", sorted(FAULTS))
@pytest.mark.parametrize("point", ["first-move", "later-move", "later-swap", "removing-stale"])
@pytest.mark.parametrize("swaps", [True, False], ids=["swapping", "no-swaps"])
def test_a_fault_while_committing_restores_the_previous_site(
    site: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    point: str,
    swaps: bool,
) -> None:
    """Swapped files (where the system can swap two files), replaced, added and removed ones
    are all put back when a step of the commit fails."""
    if not swaps:  # (as on a system that cannot swap files)
        monkeypatch.setattr(digest.build.writer, "exchange", lambda new, old: False)
    elif not swaps_here(tmp_path):
        pytest.skip("no renameat2 here")
    before = tree(site / "site")
    code = FAULTS[kind]
    if point == "removing-stale":
        monkeypatch.setattr(Path, "unlink", fail_on_call(Path.unlink, 1, code, str(site / "site" / "briefs")))
    elif point == "later-swap":
        if not swaps:
            pytest.skip("no swaps")
        monkeypatch.setattr(
            digest.build.writer, "exchange", fail_on_call(digest.build.writer.exchange, 4, code, ".staging-")
        )
    else:
        replace = fail_on_call(os.replace, 1 if point == "first-move" else 6, code, ".staging-")
        monkeypatch.setattr("digest.build.writer.os.replace", replace)
    err = failing_build(site, capsys)
    assert err.startswith(f"digest: error: cannot update {site.absolute() / 'site'}/"), err
    assert err.endswith(f": {os.strerror(code)}; the previous site is unchanged"), err
    assert tree(site / "site") == before, "every step of the commit was undone"
    monkeypatch.undo()
    assert_recovers(site, tmp_path)


def test_a_commit_swaps_each_changed_file_with_its_new_bytes_in_one_step(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where Linux can exchange two files, an output that changed is swapped with its staged
    copy, not renamed over (ext4 makes that 3-4 times as costly): no rename lands on a file."""
    if not swaps_here(tmp_path):
        pytest.skip("no renameat2 here")
    over: list[str] = []
    real = os.replace

    def replace(source: str, target: str) -> None:
        if ".staging-" in str(source) and os.path.lexists(target):
            over.append(str(target))
        real(source, target)

    monkeypatch.setattr("digest.build.writer.os.replace", replace)
    swapped: list[str] = []
    exchange = digest.build.writer.exchange

    def counted(new: str, old: str) -> bool:
        done = exchange(new, old)
        swapped.extend([old] if done else [])
        return done

    monkeypatch.setattr(digest.build.writer, "exchange", counted)
    assert main(["build", "--root", str(site), "--quiet", "--jobs", "1"]) == 0
    assert over == []
    assert str(site / "site" / "briefs" / "brief-1" / "index.html") in swapped
    assert "Edited brief 1" in (site / "site" / "briefs" / "brief-1" / "index.html").read_text()
    assert not [p.name for p in site.iterdir() if ".staging-" in p.name]
    assert tree(site / "site") == clean_build(site, tmp_path / "reference")


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_a_search_document_that_cannot_be_removed_is_an_error_not_a_stale_result(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A removed brief's search document goes with it; where it cannot be removed, the build
    stops with a one-line error naming the folder, instead of indexing the removed brief."""
    before = tree(site / "site")
    unlink = os.unlink

    def refusing(path: object, *args: object, **kwargs: object) -> None:
        # (the removal of a document folder, file by file, inside the search cache)
        if path == "index.html" and "dir_fd" in kwargs:
            raise fault(FAULTS[kind], path)
        unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", refusing)
    err = failing_build(site, capsys)
    assert err.startswith("digest: error: cannot write the search documents in "), err
    assert err.endswith(os.strerror(FAULTS[kind])), err
    assert tree(site / "site") == before
    monkeypatch.undo()
    assert_recovers(site, tmp_path)


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_a_fault_on_the_first_build_leaves_no_site_and_no_staging(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    root = tmp_path / "root"
    make_site(root, 5)
    monkeypatch.setattr("digest.build.writer.os.rename", fail_on_call(os.rename, 1, FAULTS[kind], ".staging-"))
    err = failing_build(root, capsys)
    assert err == f"digest: error: cannot create {root.absolute() / 'site'}: {os.strerror(FAULTS[kind])}"
    assert not (root / "site").exists()
    monkeypatch.undo()
    assert_recovers(root, tmp_path)


def test_an_unwritable_cache_is_a_clear_error_before_anything_changes(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decision: the build needs its cache folder (for the lock and the journal that makes a
    killed build repairable); if it cannot be written, the build stops with a clear error
    before the site changes, rather than building without it."""
    before = tree(site / "site")
    real_open = os.open

    def refusing(path: object, flags: int, *args: object, **kwargs: object) -> int:  # (the journal, when it is made)
        if "writing-" in str(path) and flags & os.O_CREAT:
            raise fault(errno.EACCES, path)
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing)
    err = failing_build(site, capsys)
    assert err == (
        f"digest: error: cannot write the build cache {site / '.digest-cache'}: Permission denied; expected a "
        "writable folder (fix its permissions, free some space, or delete it); the previous site is unchanged"
    )
    assert tree(site / "site") == before
    monkeypatch.undo()
    assert_recovers(site, tmp_path)


def test_a_cache_folder_that_is_a_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    make_site(root, 5)
    (root / ".digest-cache").write_text("not a folder")
    err = failing_build(root, capsys)
    assert err.startswith(f"digest: error: cannot use the build cache {root / '.digest-cache'}: "), err
    assert err.endswith("expected a writable folder (fix its permissions, free some space, or delete it)")
    assert not (root / "site").exists()
    (root / ".digest-cache").unlink()
    assert_recovers(root, tmp_path)


def test_a_cache_that_cannot_be_saved_after_the_site_is_written_is_reported(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = site / ".digest-cache"
    real_open = os.open

    def full(path: object, flags: int, *args: object, **options: object) -> int:  # (the cache's tables, when saved)
        if Path(str(path)).parent == cache and ".pickle." in str(path) and flags & os.O_CREAT:
            raise fault(errno.ENOSPC, path)
        return real_open(path, flags, *args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", full)
    err = failing_build(site, capsys)
    assert err.startswith(f"digest: error: the site in {site.absolute() / 'site'} is complete, but the build cache ")
    assert "could not be saved: No space left on device;" in err
    monkeypatch.undo()
    assert tree(site / "site") == clean_build(site, tmp_path / "reference"), "the site itself is right"
    path = site / "content" / "briefs" / "brief-7.md"
    path.write_text(path.read_text() + "\nAn edit after the fault.\n")
    assert_recovers(site, tmp_path)


# --- two builds of one site at once ------------------------------------------------------------


def start_build(root: Path, *extra: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "build", "--root", str(root), "--quiet", "--jobs", "1", *extra],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def lock_is_held(root: Path) -> bool:
    path = root / ".digest-cache" / "build.lock"
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_a_second_build_waits_and_a_no_wait_build_refuses(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_site(root, 30, seed=9)
    (root / "templates").mkdir()
    (root / "templates" / "404.html").write_text(  # a page that takes a few seconds to render
        '{% extends "base.html" %}{% block main %}{% set ns = namespace(x=0) %}'
        "{% for i in range(8000000) %}{% set ns.x = ns.x + i %}{% endfor %}<h1>Lost {{ ns.x }}</h1>{% endblock %}"
    )
    first, _ = start_build(root)
    deadline = time.monotonic() + 60
    while not lock_is_held(root):
        assert first.poll() is None and time.monotonic() < deadline, "the first build takes the lock"
        time.sleep(0.02)
    path = root / "content" / "briefs" / "brief-4.md"
    path.write_text(path.read_text().replace("title: Brief number 4", "title: Saved during the first build"))
    second, second_err = start_build(root)
    assert second_err.get(timeout=60).startswith("WARNING: waiting for another build of this site to finish (")
    refused = subprocess.run(
        [sys.executable, "-m", "digest", "build", "--root", str(root), "--no-wait", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith("digest: error: another build of this site is running (it holds ")
    assert "without --no-wait, digest build waits for it" in refused.stderr and refused.stderr.count("\n") == 1
    assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0
    assert b"Saved during the first build" in (root / "site" / "briefs" / "brief-4" / "index.html").read_bytes()
    assert tree(root / "site") == clean_build(root, tmp_path / "reference"), "never interleaved"
