"""Where a site keeps what: the folders every part of digest agrees on."""

from __future__ import annotations

from pathlib import Path

CACHE_DIR = ".digest-cache"


BRIEFS_DIR = "content/briefs"


def make_folder(folder: Path) -> None:
    """Make a cache folder if it is missing (private to its owner, as the build's cache is)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
