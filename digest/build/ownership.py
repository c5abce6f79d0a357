"""Which folder a build may write into, and which files in it are digest's: the manifest of what
the last build wrote and the journal of what a commit is about to create. Only those are ever
removed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISDIR, S_ISLNK

from digest.build.writer import OutputError, RefusedFolder

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


# The output folder is digest's only where digest made it: a build removes only the files that a
# build wrote there, as its manifest records (a plain list of paths in the cache, see
# cache.manifest_path), plus those a killed build's journal names. Anything else in the folder
# stays, and a folder that holds files digest did not write is refused before anything changes.
INPUT_FOLDERS = ("content", "templates", "static")


def claim_folder(root: Path, out_dir: Path, manifest: Path, journal: Path, adopt: Callable[[], bool]) -> None:
    """Raise RefusedFolder unless `out_dir` is a folder digest may build into: not the site
    folder or one holding it, nothing inside the site's inputs, no other site's folder, no
    symbolic link, not another user's, and either missing, empty, or made by a digest build (a
    `manifest` or a `journal` records it). For a folder that holds files and no record,
    `adopt()` says whether an older digest built it (the caller knows it from that build's
    cache), and records its files as digest's if so."""
    place, home = out_dir.resolve(), root.resolve()
    expected = f"expected a folder for the built site only, such as {home / 'site'}"
    if place == home or home.is_relative_to(place):
        raise RefusedFolder(f"{out_dir}: the output folder would be the site folder or hold it; {expected}")
    for name in INPUT_FOLDERS:
        if place.is_relative_to(home / name):
            raise RefusedFolder(f"{out_dir}: the output folder would be inside the site's {name}/; {expected}")
    try:
        found = os.lstat(out_dir)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot use {out_dir}: {exc.strerror or exc}; expected the output folder") from None
    if S_ISLNK(found.st_mode):
        raise RefusedFolder(
            f"{out_dir}: the output folder is a symbolic link (to {os.readlink(out_dir)}); expected a real "
            "folder (remove the link: the next build makes the folder)"
        )
    if not S_ISDIR(found.st_mode):
        raise OutputError(f"{out_dir.absolute()} exists and is not a folder; expected the output folder")
    if hasattr(os, "getuid") and found.st_uid != os.getuid():
        raise RefusedFolder(
            f"{out_dir}: the output folder belongs to another user (uid {found.st_uid}); expected a folder of your own"
        )
    if os.path.lexists(place / "digest.yaml"):
        raise RefusedFolder(f"{out_dir}: the output folder holds a digest.yaml (a site's folder); {expected}")
    if os.path.lexists(manifest) or os.path.lexists(journal):
        return
    with os.scandir(out_dir) as entries:
        first = next(iter(entries), None)
    if first is None:
        return
    if adopt():
        return
    raise RefusedFolder(
        f"{out_dir}: the output folder holds files that no digest build wrote (such as '{first.name}'); "
        "expected an empty folder or one digest built (empty it, or pass another --out)"
    )


def manifest_text(paths: Iterable[str]) -> bytes:
    """The manifest of an output folder: the paths of its files that the last build wrote."""
    lines = "\n".join(sorted(paths))
    return f"# digest: the files that the last build wrote in its output folder\n{lines}\n".encode(
        "utf-8", "surrogateescape"
    )


def owned_files(*records: Path) -> set[str]:
    """The paths that the manifest and journal files `records` name (missing files name none)."""
    owned: set[str] = set()
    for record in records:
        try:
            with open(record, "rb", opener=_no_follow) as handle:
                text = handle.read().decode("utf-8", "surrogateescape")
        except OSError:  # (missing, or a link: no record)
            continue
        owned.update(line for line in text.split("\n") if line and not line.startswith("#"))
    return owned


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | _NOFOLLOW)


def note_written(journal: Path, paths: Iterable[str]) -> None:
    """Add to the journal (see cache.BuildCache.journal) the paths a commit is about to create,
    so that a build killed before the manifest is written still knows they are digest's. The
    journal is made if missing, never through a link."""
    text = "".join(f"{path}\n" for path in paths).encode("utf-8", "surrogateescape")
    handle = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | _NOFOLLOW, 0o600)
    try:
        view = memoryview(text)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)
