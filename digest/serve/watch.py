"""Which changed paths matter to the site: a small pure function, used by the dev server's watcher."""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath

IGNORED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".digest-cache", "__pycache__", "node_modules", ".venv", ".idea", ".vscode"}
)
IGNORED_FILES = (
    "*.swp",
    "*.swx",
    "*.swo",
    "*~",
    ".#*",
    "#*#",
    "4913",
    "*.tmp",
    "*.part",
    ".DS_Store",
    "*.kate-swp",
    ".goutputstream-*",
    "*.crdownload",
)


def is_relevant(relative: str, output_dirs: tuple[str, ...] = ("site",)) -> bool:
    """Whether a change at `relative` (a path under the site root, '/'-separated) can change the site."""
    parts = PurePosixPath(relative).parts
    if not parts or any(part in IGNORED_DIRS for part in parts[:-1]) or parts[0] in IGNORED_DIRS:
        return False
    if any(relative == d or relative.startswith(d.rstrip("/") + "/") for d in output_dirs):
        return False
    name = parts[-1]
    return not any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED_FILES)


def kind_of_change(relative: str) -> str:
    """'brief', 'template', 'asset', 'config', 'taxonomy' or 'other'."""
    if relative.startswith("content/briefs/") and relative.endswith(".md"):
        return "brief"
    if relative.startswith("templates/static/") or relative.startswith("static/"):
        return "asset"
    if relative.startswith("templates/"):
        return "template"
    if relative == "digest.yaml":
        return "config"
    if relative.endswith("tags.yaml"):
        return "taxonomy"
    return "other"
