"""What the output folder holds, as the quick check and the pipeline see it: every file's size and
time, and the folders' times that tell, without listing it again, whether it is as it was."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from stat import S_ISDIR


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


def folder_times(
    folder: Path,
    files: Iterable[str],
    *,
    since: Mapping[str, int] | None = None,
    touched: Iterable[str] = (),
) -> dict[str, int]:
    """The modification time of every folder holding `files` (relative paths), up to `folder`
    itself ("" in the result): see `unchanged`. With the times of the last build (`since`), as
    its quick check found them, only the folders of the paths a commit `touched` are looked at
    again. Empty if one cannot be read."""
    root = str(folder)
    if since is not None:
        times = dict(since)
        for name in _folders_of(touched):
            try:
                times[name] = os.lstat(f"{root}/{name}" if name else root).st_mtime_ns
            except FileNotFoundError:
                times.pop(name, None)  # (emptied and removed)
            except OSError:
                return {}
        return times
    try:
        return {name: os.lstat(f"{root}/{name}" if name else root).st_mtime_ns for name in _folders_of(files)}
    except OSError:
        return {}


def _folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder holding one of `paths`, and their parents up to the top ("")."""
    names = {""}
    for path in paths:
        parent = path.rpartition("/")[0]
        while parent not in names:
            names.add(parent)
            parent = parent.rpartition("/")[0]
    return names


def unchanged(folder: Path, files: Mapping[str, tuple[int, int]], folders: Mapping[str, int]) -> bool:
    """Whether `scan(folder)` would give exactly `files`, where `folders` are the `folder_times`
    taken when it did. A folder's modification time changes whenever an entry in it is added,
    removed or renamed, so a stat of each folder and of each file tells it, without listing
    every folder, which is most of what `scan` spends."""
    if not folders:
        return False
    root = str(folder)
    try:
        for name, mtime in folders.items():
            stat = os.lstat(f"{root}/{name}" if name else root)
            if stat.st_mtime_ns != mtime or not S_ISDIR(stat.st_mode):
                return False
        for path, (size, mtime) in files.items():
            stat = os.lstat(f"{root}/{path}")
            if stat.st_size != size or stat.st_mtime_ns != mtime or S_ISDIR(stat.st_mode):
                return False
    except OSError:
        return False
    return True
