"""The site's input files: where the briefs and the theme are, and one signature of them all.

Light on purpose (the standard library and the configuration only): `digest build` reads the
signature before it loads anything else, to tell in a moment that nothing changed.
"""

from __future__ import annotations

import os
from pathlib import Path

from digest.build.listing import scan
from digest.content.config import CONFIG_FILE, Config
from digest.content.files import Inputs, scan_brief_files
from digest.core.hashing import key_of
from digest.search.tool import pagefind_version
from digest.theme.folders import theme_dirs


def look_at_inputs(config: Config, version: str) -> Inputs:
    """Every input file's name, size and modification time (an unreadable one makes the
    signature empty: nothing is known)."""
    parts: list[object] = [version, config.with_overrides(root=Path(".")), pagefind_version() if config.search else ""]
    folders = [*theme_dirs(config.root), config.root / "static", config.root / "content" / "instruments",
        config.root / "content" / "editions",
    ]  # fmt: skip
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
