"""What an import starts from: the source files that the command line names (files,
folders searched recursively, globs), and the briefs already there (the slugs they take,
and which source each imported brief came from)."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest.brief import SLUG
from digest.duplicates import DuplicateIndex, brief_story
from digest.errors import ContentError
from digest.extract import KINDS
from digest.frontmatter import FrontMatterError, split
from digest.model import slugify
from digest.sourcefile import OUTSIDE, decode, inside


@dataclass(frozen=True)
class Missing:
    """A command-line path that names no file."""

    path: str
    reason: str


def find_sources(
    paths: Sequence[str], skip: Sequence[Path] = (), root: Path | None = None
) -> tuple[list[Path], list[Missing]]:
    """Files named by `paths` without repeats, in order: files as given, folders searched for
    source files (hidden files and folders, and the folders in `skip`, left out), globs
    expanded; and every path that names nothing. Inside a folder, a symbolic link that leads
    outside the site folder `root` is not followed but reported, like a path that names nothing."""
    skipped = {p.resolve() for p in skip}
    found: list[Path] = []
    missing: list[Missing] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() or path.is_file():
            matches = [path]
        elif glob.has_magic(raw):
            matches = [Path(m) for m in sorted(glob.glob(raw, recursive=True))]
        else:
            matches = []
        if not matches:
            missing.append(Missing(raw, f"{raw}: no such file or folder; expected a source file, a folder or a glob"))
        for match in matches:
            if not match.is_dir():
                found.append(match)
                continue
            for path in _walk(match, skipped):
                if root is not None and path.is_symlink() and not inside(str(root.resolve()), str(path.resolve())):
                    missing.append(Missing(str(path), f"{path}: {OUTSIDE}"))
                else:
                    found.append(path)
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique, missing


def _walk(folder: Path, skipped: set[Path]) -> list[Path]:
    files = []
    for current, dirs, names in os.walk(folder):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() not in skipped)
        files += [here / n for n in sorted(names) if not n.startswith(".") and Path(n).suffix.lower() in KINDS]
    return files


@dataclass
class ExistingBriefs:
    """The briefs already there. Mutable: an import run claims slugs as it goes."""

    taken: set[str] = field(default_factory=set)  # slugs in use
    by_source: dict[str, tuple[Path, dict[str, Any]]] = field(default_factory=dict)  # source -> (brief, front matter)
    stories: DuplicateIndex = field(default_factory=DuplicateIndex)  # the briefs' texts, for near-duplicates

    def claim(self, base: str) -> str:
        """`base`, or `base-2`, `base-3` ... whichever is free; it is taken from now on."""
        slug, n = base, 1
        while slug in self.taken:
            n += 1
            slug = f"{base}-{n}"
        self.taken.add(slug)
        return slug


def existing_briefs(folders: Sequence[Path]) -> ExistingBriefs:
    """Every `*.md` brief under `folders` (hidden ones left out, as the build does)."""
    existing = ExistingBriefs()
    seen: set[Path] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*.md")) if folder.is_dir() else []:
            if path.resolve() in seen or any(part.startswith(".") for part in path.relative_to(folder).parts):
                continue
            seen.add(path.resolve())
            existing.taken.add(path.stem if SLUG.match(path.stem) else slugify(path.stem))
            try:
                data = path.read_bytes()
                existing.stories.add(str(path), brief_story(data.decode("utf-8", "replace")))
                if b"imported_from:" not in data and b"slug:" not in data:
                    continue  # nothing more to learn: parse only what can say more
                meta = split(decode(data, str(path))).meta.data
            except (OSError, ContentError, FrontMatterError):
                continue
            if not isinstance(meta, dict):
                continue
            if isinstance(meta.get("slug"), str):
                existing.taken.add(meta["slug"])
            origin = meta.get("imported_from")
            if isinstance(origin, dict) and isinstance(origin.get("file"), str):
                existing.by_source.setdefault(origin["file"], (path, meta))
    return existing
