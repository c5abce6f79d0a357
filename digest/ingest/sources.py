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

from digest.content.frontmatter import FrontMatterError, split
from digest.content.sourcefile import decode, link_problem
from digest.content.validation import SLUG
from digest.core.errors import ContentError
from digest.core.model import slugify
from digest.ingest.duplicates import DuplicateIndex, brief_story
from digest.ingest.extract import KINDS


@dataclass(frozen=True)
class Missing:
    """A command-line path that names no file."""

    path: str
    reason: str


def find_sources(
    paths: Sequence[str], skip: Sequence[Path] = (), root: Path | None = None, *, walked: bool = False
) -> tuple[list[Path], list[Missing]]:
    """Files named by `paths` without repeats, in order: files as given, folders searched for
    source files (hidden files and folders, and the folders in `skip`, left out), globs
    expanded; and every path that names nothing. A file that a folder search or a glob found
    through a symbolic link (the file or a folder on its way) is read only if the link leads
    to a file inside the site folder `root` that is not hidden (not `.env`, nothing under
    `.git/`); otherwise it is reported, like a path that names nothing. A file named on the
    command line is the writer's choice, wherever it is; with `walked`, the paths come from
    a watcher of `root` (the serve inbox) and are checked as if a search had found them."""
    skipped = {p.resolve() for p in skip}
    found: list[Path] = []
    missing: list[Missing] = []
    base_real = os.path.realpath(root) if root is not None else None
    for raw in paths:
        path = Path(raw)
        start = path
        if walked and root is not None:
            matches, start = [path], root
        elif path.is_dir() or path.is_file():
            matches = [path]
        elif glob.has_magic(raw):
            matches = [Path(m) for m in sorted(glob.glob(raw, recursive=True))]
            start = _fixed_prefix(raw)
        else:
            matches = []
        if not matches:
            missing.append(Missing(raw, f"{raw}: no such file or folder; expected a source file, a folder or a glob"))
        for match in matches:
            files = _walk(match, skipped) if match.is_dir() else [match]
            for file in files:
                problem = None
                if base_real is not None and (walked or file is not path) and _through_link(file, start):
                    problem = link_problem(base_real, os.path.realpath(file))
                if walked and (any(part.startswith(".") for part in _parts_under(file, start)) or not file.is_file()):
                    continue  # a hidden file or folder is never imported from a walk (nor a file gone since)
                if problem is not None:
                    missing.append(Missing(str(file), f"{file}: {problem}"))
                else:
                    found.append(file)
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique, missing


def _fixed_prefix(pattern: str) -> Path:
    """The folder a glob searches from: its parts before the first with a wildcard."""
    parts: list[str] = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def _parts_under(path: Path, start: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(start).parts
    except ValueError:
        return path.parts


def _through_link(path: Path, start: Path) -> bool:
    """Whether `path`, or a folder between `start` and it, is a symbolic link."""
    current = start
    for part in _parts_under(path, start):
        current = current / part
        if current.is_symlink():
            return True
    return False


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


def existing_briefs(folders: Sequence[Path], root: Path | None = None) -> ExistingBriefs:
    """Every `*.md` brief under `folders` (hidden ones left out, as the build does). A link that
    leads out of the site folder `root`, or to a hidden file, takes its slug but is not read."""
    existing = ExistingBriefs()
    base = os.path.realpath(root) if root is not None else None
    seen: set[Path] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*.md")) if folder.is_dir() else []:
            if path.resolve() in seen or any(part.startswith(".") for part in path.relative_to(folder).parts):
                continue
            seen.add(path.resolve())
            existing.taken.add(path.stem if SLUG.match(path.stem) else slugify(path.stem))
            if base is not None and path.is_symlink() and link_problem(base, os.path.realpath(path)):
                continue
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
