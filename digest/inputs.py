"""The site's input files: where the briefs and the theme are, and one signature of them all.

Light on purpose (the standard library and the configuration only): `digest build` reads the
signature before it loads anything else, to tell in a moment that nothing changed.
"""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass
from pathlib import Path

from digest.config import CONFIG_FILE, Config
from digest.hashing import key_of
from digest.output import scan
from digest.sourcefile import inside, link_problem

BRIEFS_DIR = "content/briefs"


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


def default_theme_dir() -> Path:
    """The default theme: inside the installed package, or `templates/` of a source checkout."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "templates"


def theme_dirs(root: Path) -> list[Path]:
    """Template folders, highest priority first: the site's own, then the default theme."""
    dirs = [root / "templates", default_theme_dir()]
    unique: list[Path] = []
    for d in dirs:
        if d.is_dir() and all(d.resolve() != u.resolve() for u in unique):
            unique.append(d)
    return unique


@functools.cache
def pagefind_version() -> str:
    """The installed Pagefind's version: its packages' metadata folders beside it, as pip
    installs them (listing one folder), else importlib.metadata (slow to import, so only as the fallback)."""
    import importlib.util

    spec = importlib.util.find_spec("pagefind")
    if spec is not None and spec.origin:
        folder = os.path.dirname(os.path.dirname(spec.origin))
        with contextlib.suppress(OSError):
            found = sorted(
                name
                for name in os.listdir(folder)
                if name.startswith(("pagefind-", "pagefind_bin")) and name.endswith(".dist-info")
            )
            if any(name.startswith("pagefind-") for name in found):
                return " ".join(found)
    from importlib import metadata

    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency of digest
        return "missing"


@dataclass(frozen=True)
class Inputs:
    """What a build is made of, as seen by its quick check: when `signature` is unchanged, so is
    the site. `briefs` tells which brief files changed since, `others` whether anything else did."""

    signature: str  # every input file's name, size and modification time, the code and the configuration
    briefs: dict[str, tuple[int, int]]  # brief file (relative to the root) -> (size, mtime_ns)
    others: str  # the signature of everything but the brief files
    listed: BriefFiles | None = None  # the brief files as listed (the build loads them from this listing)


def look_at_inputs(config: Config, version: str) -> Inputs:
    """Every input file's name, size and modification time (an unreadable one makes the
    signature empty: nothing is known)."""
    parts: list[object] = [version, config.with_overrides(root=Path(".")), pagefind_version() if config.search else ""]
    folders = [*theme_dirs(config.root), config.root / "static", config.root / "content" / "editions"]
    files = [config.root / CONFIG_FILE, config.root / config.taxonomy]
    for folder in folders:
        found = scan(folder)
        parts.append((str(folder), sorted(found.items())))
    for path in files:
        try:
            stat = path.stat()
            parts.append((str(path), stat.st_size, stat.st_mtime_ns))
        except OSError:
            parts.append((str(path), None))
    others = key_of(parts)
    briefs: dict[str, tuple[int, int]] = {}
    listed = scan_brief_files(config.root)
    every = sorted(listed.files + listed.outside) if listed.outside else listed.files  # (each list is sorted)
    for rel, path in every:
        try:
            stat = os.stat(path)
        except OSError:
            return Inputs("", {}, others)
        briefs[rel] = (stat.st_size, stat.st_mtime_ns)
    # (joined as text rather than hashed as a repr: this runs on every build, over every brief)
    text = "".join([f"{rel}\0{size}\0{mtime}\n" for rel, (size, mtime) in briefs.items()])
    return Inputs(key_of([others, text]), briefs, others, listed)
