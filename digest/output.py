"""Writing the rendered site to disk: all or nothing.

The new site is written next to the output folder and swapped in with renames, so the
output folder always holds one complete build. Files whose bytes did not change are
hard-linked from the previous build, so they keep their modification times and a sync
tool uploads only what changed.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class OutputError(Exception):
    """The site could not be written; the previous output is untouched."""


@dataclass(frozen=True)
class WriteStats:
    written: int
    unchanged: int
    removed: int


def check_output_path(relative: str) -> None:
    normalized = posixpath.normpath(relative)
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or normalized.startswith("..")
        or normalized != relative
        or ":" in relative.split("/", 1)[0]
    ):
        raise OutputError(f"refusing to write '{relative}': outside the output folder")


def _same(old: Path, data: bytes) -> bool:
    try:
        return old.stat().st_size == len(data) and old.read_bytes() == data
    except OSError:
        return False


def write_outputs(out_dir: Path, outputs: Mapping[str, bytes]) -> WriteStats:
    """Replace `out_dir` with exactly `outputs` (relative path -> bytes)."""
    for relative in outputs:
        check_output_path(relative)
    out_dir = out_dir.absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a folder")
    parent = out_dir.parent
    staging = parent / f".{out_dir.name}.new-{os.getpid()}"
    retired = parent / f".{out_dir.name}.old-{os.getpid()}"
    written = unchanged = 0
    try:
        parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for relative in sorted(outputs):
            data = outputs[relative]
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            old = out_dir / relative
            if _same(old, data):
                try:
                    os.link(old, target)
                    unchanged += 1
                    continue
                except OSError:
                    pass
            target.write_bytes(data)
            written += 1
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(
            f"cannot write the site to {out_dir}: {exc.strerror or exc}; the previous site is unchanged"
        ) from None
    removed = 0
    if out_dir.exists():
        removed = sum(1 for p in out_dir.rglob("*") if p.is_file() and p.relative_to(out_dir).as_posix() not in outputs)
        shutil.rmtree(retired, ignore_errors=True)
        os.rename(out_dir, retired)
    os.rename(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)
    return WriteStats(written, unchanged, removed)
