"""Writing outputs: only changed bytes, staged beside the output folder, committed in one short step.

Changed files are first written to a staging folder next to the output folder; nothing in
the output folder changes until every page has rendered. The commit then renames staged
files into place (each rename is atomic) and removes outputs that no longer exist. Files
whose bytes did not change are never touched, so they keep their modification times and
a sync tool uploads only what changed. A first build renames the whole staging folder.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
from dataclasses import dataclass
from pathlib import Path


class OutputError(Exception):
    """The site could not be written; the previous output is untouched."""


@dataclass(frozen=True)
class Written:
    path: str
    changed: bool
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class WriteStats:
    written: int
    unchanged: int
    removed: int
    changed_urls: tuple[str, ...] = ()


def check_output_path(relative: str) -> None:
    normalized = posixpath.normpath(relative)
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or normalized.startswith("..")
        or normalized != relative
        or ":" in relative.split("/", 1)[0]
        or "\x00" in relative
    ):
        raise OutputError(f"refusing to write '{relative}': outside the output folder")


def url_of(relative: str) -> str:
    """'briefs/x/index.html' -> '/briefs/x/'."""
    return "/" + relative.removesuffix("index.html")


def scan(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder`: relative path -> (size, mtime_ns)."""
    found: dict[str, tuple[int, int]] = {}
    if not folder.is_dir():
        return found
    stack = [(str(folder), "")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, name + "/"))
                else:
                    stat = entry.stat(follow_symlinks=False)
                    found[name] = (stat.st_size, stat.st_mtime_ns)
    return found


class SiteWriter:
    """Stages the changed outputs of one build, then commits or aborts them."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir.absolute()
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise OutputError(f"{self.out_dir} exists and is not a folder; expected the output folder")
        self.fresh = not self.out_dir.exists()
        self.staging = self.out_dir.parent / f".{self.out_dir.name}.staging-{os.getpid()}"

    def put(self, relative: str, data: bytes) -> Written:
        """Stage `data` for `relative` unless the output folder already has exactly these bytes."""
        check_output_path(relative)
        if not self.fresh:
            old = self.out_dir / relative
            try:
                stat = old.stat()
                if stat.st_size == len(data) and old.read_bytes() == data:
                    return Written(relative, False, stat.st_size, stat.st_mtime_ns)
            except OSError:
                pass
        target = self.staging / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            stat = target.stat()
        except OSError as exc:
            raise OutputError(
                f"cannot write {relative}: {exc.strerror or exc}; the previous site is unchanged"
            ) from None
        return Written(relative, True, stat.st_size, stat.st_mtime_ns)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self, staged: list[str], stale: list[str]) -> None:
        """Move staged files into place and remove stale outputs."""
        if self.fresh:
            self.out_dir.parent.mkdir(parents=True, exist_ok=True)
            if not self.staging.exists():
                self.staging.mkdir(parents=True)
            os.rename(self.staging, self.out_dir)
            return
        try:
            for relative in staged:
                target = self.out_dir / relative
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                elif not target.parent.is_dir():
                    _make_parent(self.out_dir, target.parent)
                os.replace(self.staging / relative, target)
            for relative in stale:
                check_output_path(relative)
                with contextlib.suppress(FileNotFoundError):
                    (self.out_dir / relative).unlink()
                _remove_empty_parents(self.out_dir, (self.out_dir / relative).parent)
        except OSError as exc:
            raise OutputError(f"cannot update {self.out_dir}: {exc.strerror or exc}") from None
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)


def _make_parent(root: Path, folder: Path) -> None:
    """Create `folder`, replacing a file that stands where a folder must be."""
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        if current.exists() and not current.is_dir():
            current.unlink()
        current.mkdir(exist_ok=True)


def _remove_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
