"""Writing a file never through a link: the one way digest writes a file outside the output
folder (the cache's files, compiled templates, the briefs and backups `digest import` writes)."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)

Writer = Callable[[BinaryIO], object]


def create_new(path: Path, write: Writer, *, mode: int = 0o600) -> None:
    """A new file at `path`, written by `write(stream)`; FileExistsError if anything (a file, a
    link) has its name, which is then never opened. `mode`: its permissions before the umask."""
    fd = os.open(path, _FLAGS, mode)
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def replace_file(path: Path, write: Writer, *, mode: int = 0o600) -> None:
    """Write `path` whole or not at all: a new file under a random hidden name beside it (see
    create_new), then renamed over `path` (a rename replaces the name; it never writes where a
    link there points)."""
    for _ in range(100):
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            create_new(temporary, write, mode=mode)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 random names taken
        raise OSError(errno.EEXIST, "no free temporary name", str(path.parent))
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
