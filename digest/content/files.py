"""The brief files of a site: listed without following a link out of the site, and what the
build's quick check saw of them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from digest.content.sourcefile import inside, link_problem
from digest.core.layout import BRIEFS_DIR


@dataclass(frozen=True)
class BriefFiles:
    """The brief files under content/briefs, and the symbolic links there that lead outside the
    site or to a hidden file or folder of it."""

    files: list[tuple[str, str]]  # (path relative to the root, path), sorted
    outside: list[tuple[str, str]]  # links not followed: each one is an error (see `link_problem`)


def scan_brief_files(root: Path) -> BriefFiles:
    """Walk content/briefs. Symbolic links are followed only where they stay inside the site
    folder and lead to no hidden file or folder (`.env`, `.git/`), and a linked folder is
    searched once (a link to its own parent is no loop)."""
    base = os.path.realpath(root)
    top = str(root / BRIEFS_DIR)
    if not inside(base, os.path.realpath(top)):  # content/ or content/briefs is a link out of the site
        link = next((p for p in ("content", BRIEFS_DIR) if os.path.islink(root / p)), BRIEFS_DIR)
        return BriefFiles([], [(link, top)])
    found: list[tuple[str, str]] = []
    outside: list[tuple[str, str]] = []
    seen = {os.path.realpath(top)}
    stack = [(top, BRIEFS_DIR + "/")]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        rest = []
        for entry in entries:  # plain brief files first, in any order (the list is sorted at the end)
            if entry.name.startswith("."):
                continue
            if entry.name.endswith(".md") and not entry.is_symlink() and entry.is_file():
                found.append((rel + entry.name, entry.path))
            else:
                rest.append(entry)
        # (in name order: a folder linked twice is searched once, under its first name)
        for entry in sorted(rest, key=lambda e: e.name):
            real = os.path.realpath(entry.path) if entry.is_symlink() else None
            if real is not None and link_problem(base, real) is not None:
                if entry.name.endswith(".md") or entry.is_dir():
                    outside.append((rel + entry.name, entry.path))
            elif entry.is_dir():
                real = real or os.path.realpath(entry.path)
                if real not in seen:
                    seen.add(real)
                    stack.append((entry.path, rel + entry.name + "/"))
            elif entry.name.endswith(".md") and entry.is_file():
                found.append((rel + entry.name, entry.path))
    return BriefFiles(sorted(found), sorted(outside))


@dataclass(frozen=True)
class Inputs:
    """What a build is made of, as seen by its quick check: when `signature` is unchanged, so is
    the site. `briefs` tells which brief files changed since, `others` whether anything else did."""

    signature: str  # every input file's name, size and modification time, the code and the configuration
    briefs: dict[str, tuple[int, int]]  # brief file (relative to the root) -> (size, mtime_ns)
    others: str  # the signature of everything but the brief files
    listed: BriefFiles | None = None  # the brief files as listed (the build loads them from this listing)
