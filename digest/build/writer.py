"""Writing outputs: only changed bytes, staged beside the output folder, committed in one short step.

Changed files are first written to a staging folder next to the output folder; nothing in
the output folder changes until every page has rendered. The commit then swaps staged
files with the ones they replace, or renames them into place (each step is atomic: a reader
sees the old file or the new one), and removes outputs that no longer exist. Files
whose bytes did not change are never touched, so they keep their modification times and
a sync tool uploads only what changed. A first build renames the whole staging folder.
The old files that a commit swaps out are kept as a pool (in the build cache), and the next
build stages its files by writing over them rather than by creating new ones.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import posixpath
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISDIR, S_ISLNK, S_ISREG

from digest.build.trash import discard, remove_stale_staging


class OutputError(Exception):
    """The site could not be written; the previous output is untouched."""


class RefusedFolder(OutputError):
    """A folder that digest must not write into or remove from (a usage error: exit 2)."""


@dataclass(frozen=True)
class Written:
    path: str
    changed: bool
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class WriteStats:
    written: int
    unchanged: int
    removed: int
    changed_urls: tuple[str, ...] = ()


def check_output_path(relative: str) -> None:
    normalized = posixpath.normpath(relative)
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or normalized.startswith("..")
        or normalized != relative
        or ":" in relative.split("/", 1)[0]
        or "\x00" in relative
    ):
        raise OutputError(f"refusing to write '{relative}': outside the output folder")


class SiteWriter:
    """Stages the changed outputs of one build, then commits or aborts them."""

    def __init__(self, out_dir: Path, pool: Path | None = None) -> None:
        self.out_dir = out_dir.absolute()
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise OutputError(f"{self.out_dir} exists and is not a folder; expected the output folder")
        self.fresh = not self.out_dir.exists()
        self.staging = self.out_dir.parent / f".{self.out_dir.name}.staging-{os.getpid()}"
        self.undo = self.staging.with_name(self.staging.name + ".undo")
        self.root = str(self.out_dir)
        self.linked_dirs: dict[str, bool] = {}
        self.flat_ready = False  # the staging folder exists (incremental builds stage files side by side)
        # The files that earlier commits swapped out, to be written over (see _open_staged).
        self.pool = None if self.fresh else pool
        remove_stale_staging(self.out_dir, adopt=self.pool)
        if self.pool is not None:
            with contextlib.suppress(OSError):  # (no pool yet, or not on this file system)
                os.rename(self.pool, self.staging)
                self.flat_ready = True

    def _look_up(self, relative: str) -> tuple[bool, os.stat_result | None]:
        """Whether `relative` is, or is inside, a symbolic link in the output folder, and what is
        there (its `lstat`, None if nothing). Such links are never written or read through: a
        linked folder is replaced by a real one, so no build writes outside the output folder."""
        parts = relative.split("/")
        prefix = ""
        for n, part in enumerate(parts, 1):
            prefix = f"{prefix}/{part}" if prefix else part
            linked = self.linked_dirs.get(prefix)
            if linked is None:
                try:
                    stat = os.lstat(f"{self.root}/{prefix}")
                except OSError:
                    return False, None  # nothing there, so nothing below it either
                linked = S_ISLNK(stat.st_mode)
                if n == len(parts):
                    return linked, stat
                self.linked_dirs[prefix] = linked
            if linked:
                return True, None
        return False, None  # (a path known as a folder of other outputs: not a file to compare)

    def put(self, relative: str, data: bytes) -> Written:
        """Stage `data` for `relative` unless the output folder already has exactly these bytes."""
        check_output_path(relative)
        if not self.fresh:
            linked, stat = self._look_up(relative)
            if not linked and stat is not None and S_ISREG(stat.st_mode) and stat.st_size == len(data):
                try:
                    with open(f"{self.root}/{relative}", "rb") as handle:
                        same = handle.read() == data
                except OSError:
                    same = False
                if same:
                    return Written(relative, False, stat.st_size, stat.st_mtime_ns)
        target = self._staged(relative)
        try:
            if self.fresh:
                os.makedirs(os.path.dirname(target), exist_ok=True)
            elif not self.flat_ready:
                self.staging.mkdir(parents=True, exist_ok=True)
                self.flat_ready = True
            # (os.open, not open(): one write needs no buffered file object, and this runs once a page)
            handle, size = (_create(target), 0) if self.fresh else self._open_staged(target)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(handle, view) :]
                if size > len(data):
                    os.ftruncate(handle, len(data))
                stat = os.fstat(handle)
            finally:
                os.close(handle)
        except OSError as exc:
            raise OutputError(
                f"cannot write {self.out_dir / relative}: {exc.strerror or exc}; the previous site is unchanged"
            ) from None
        return Written(relative, True, stat.st_size, stat.st_mtime_ns)

    def _open_staged(self, target: str) -> tuple[int, int]:
        """A staged file to write, and the size of what it holds: an old copy from the pool,
        written over, where there is one that nothing else links to, else a new file.

        Writing over an existing file's blocks spares the file system allocating new ones
        (truncating a file first would not), and a brief-template edit stages every brief's
        page. A pool file is an old page that
        the output folder no longer holds (or a staged page a failed build never committed);
        one with another link (a copy of the site made with `cp -al`) is never written."""
        try:
            handle = os.open(target, os.O_WRONLY | os.O_CLOEXEC | _NOFOLLOW)
        except FileNotFoundError:
            return _create(target), 0
        except OSError as exc:  # (something there that cannot be written: replaced by a new file)
            try:
                os.unlink(target)
            except FileNotFoundError:
                raise exc from None
            return _create(target), 0
        stat = os.fstat(handle)
        if S_ISREG(stat.st_mode) and stat.st_nlink == 1:
            if stat.st_mode & 0o7777 != _FILE_MODE and hasattr(os, "fchmod"):
                os.fchmod(handle, _FILE_MODE)
            return handle, stat.st_size
        os.close(handle)
        os.unlink(target)
        return _create(target), 0

    def _staged(self, relative: str) -> str:
        """Where `relative` is staged: in a new site, the staging folder is the site to be, moved
        into place whole; otherwise files are staged side by side (named by a hash of their
        path), so that a commit makes and removes no folders but the ones the site gains or loses."""
        if self.fresh:
            return f"{self.staging}/{relative}"
        return (
            f"{self.staging}/{hashlib.blake2b(relative.encode('utf-8', 'surrogatepass'), digest_size=12).hexdigest()}"
        )

    def abort(self) -> None:
        if not self._keep_pool():
            shutil.rmtree(self.staging, ignore_errors=True)

    def _keep_pool(self, keep: Iterable[str] | None = None) -> bool:
        """Keep the staging folder as the pool for the next build (False where there is no
        pool). With `keep` (every output of the site), old copies of pages the site no
        longer has are removed first, in the background."""
        if self.pool is None or not self.staging.is_dir():
            return False
        if keep is not None:
            wanted = {self._staged(relative).rpartition("/")[2] for relative in keep}
            gone = self.staging.with_name(self.staging.name + ".gone")
            with contextlib.suppress(OSError):
                for entry in os.scandir(self.staging):
                    if entry.name not in wanted:
                        gone.mkdir(exist_ok=True)
                        os.rename(entry.path, f"{gone}/{entry.name}")
            discard(gone, in_background=True)
        try:
            self.pool.parent.mkdir(parents=True, exist_ok=True)
            os.rename(self.staging, self.pool)
        except OSError:
            return False
        return True

    def commit(self, staged: list[str], stale: list[str], outputs: Iterable[str] | None = None) -> None:
        """Move staged files into place and remove stale outputs. If a step fails (a full disk,
        a permission), the steps already taken are undone: the previous site stays as it was.
        The old files swapped out stay in the pool (if the writer has one) for the next build;
        after a large commit, those of pages not among `outputs` (all the site's, if given) go."""
        try:
            if self.fresh:
                try:
                    self.out_dir.parent.mkdir(parents=True, exist_ok=True)
                    self.staging.mkdir(parents=True, exist_ok=True)
                    os.rename(self.staging, self.out_dir)
                except OSError as exc:
                    raise OutputError(f"cannot create {self.out_dir}: {exc.strerror or exc}") from None
                return
            undo = _Undo(self.out_dir, self.undo)
            current = ""
            try:
                for current in staged:  # (paths as strings: this loop runs once a staged file)
                    target = f"{self.root}/{current}"
                    linked, found = self._look_up(current)  # (a file there: its lstat tells what it is)
                    if linked:
                        _make_parent(undo, Path(target).parent)
                    mode: int | None = None if found is None or linked else found.st_mode
                    if mode is None:
                        try:
                            mode = os.lstat(target).st_mode
                        except (FileNotFoundError, NotADirectoryError):
                            mode = None
                    if mode is not None and S_ISDIR(mode):
                        undo.move_away(current)
                    elif mode is None and not os.path.isdir(os.path.dirname(target)):
                        _make_parent(undo, Path(target).parent)
                    if mode is not None and S_ISREG(mode):
                        source = self._staged(current)
                        if exchange(source, target):  # (the old file is left where the new one was)
                            undo.swapped(current, source)
                            continue
                    if mode is not None and not S_ISDIR(mode):
                        undo.keep(current)
                    os.replace(self._staged(current), target)
                    undo.placed(current)
                for current in stale:
                    check_output_path(current)
                    if (self.out_dir / current).is_dir() and not (self.out_dir / current).is_symlink():
                        continue  # a link to a folder, replaced by a real folder above
                    if _through_link(self.root, current):
                        continue  # (in a linked folder: not the output folder's to remove)
                    if undo.keep(current):
                        (self.out_dir / current).unlink()
                        _remove_empty_parents(self.out_dir, (self.out_dir / current).parent)
            except OSError as exc:
                restored = undo.rollback()
                outcome = "the previous site is unchanged" if restored else "the next build repairs it"
                raise OutputError(f"cannot update {self.out_dir / current}: {exc.strerror or exc}; {outcome}") from None
        finally:
            many = len(staged) + len(stale) >= BACKGROUND_AT
            if not self._keep_pool(outputs if many and outputs is not None else None):
                discard(self.staging, in_background=many)  # (the old files a swap left there)
            discard(self.undo, in_background=many)


class _Undo:
    """What a commit changed in the output folder, and how to take it back: old files are
    swapped with their new ones (left in the staging folder), or hard-linked (or moved) into a
    flat folder beside it before they are replaced or removed."""

    def __init__(self, out_dir: Path, folder: Path) -> None:
        self.out_dir, self.folder = out_dir, folder
        self.steps: list[tuple[str, str, str]] = []  # (kind, relative path, name in the folder), in order
        self.ready = False  # the folder exists

    def _save(self, relative: str, move: bool) -> bool:
        if not self.ready:
            self.folder.mkdir(exist_ok=True)
            self.ready = True
        name = str(len(self.steps))
        source, kept = f"{self.out_dir}/{relative}", f"{self.folder}/{name}"
        try:
            if move:
                os.rename(source, kept)
            else:
                try:
                    os.link(source, kept, follow_symlinks=False)
                except (FileNotFoundError, NotADirectoryError):
                    raise
                except OSError:  # no hard links here: copy
                    shutil.copy2(source, kept, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return False
        self.steps.append(("moved" if move else "kept", relative, name))
        return True

    def keep(self, relative: str) -> bool:
        """Keep a copy of the file at `relative` (if there is one); True if there was."""
        return self._save(relative, move=False)

    def move_away(self, relative: str) -> None:
        """Move what stands at `relative` (a folder, or a file where a folder must be) aside."""
        self._save(relative, move=True)

    def made(self, relative: str) -> None:
        self.steps.append(("made", relative, ""))

    def placed(self, relative: str) -> None:
        self.steps.append(("placed", relative, ""))

    def swapped(self, relative: str, old: str) -> None:
        """The file at `relative` was exchanged with a new one: the old one is now at `old`."""
        self.steps.append(("swapped", relative, old))

    def rollback(self) -> bool:
        """Undo every step, newest first; True if the output folder is as it was."""
        ok = True
        for kind, relative, name in reversed(self.steps):
            target = self.out_dir / relative
            try:
                if kind == "placed":
                    target.unlink()
                elif kind == "made":
                    target.rmdir()
                elif kind == "swapped":
                    os.replace(name, target)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(self.folder / name, target)
            except FileNotFoundError:
                continue
            except OSError:
                ok = False
        return ok


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}  # (by the kernel or file system)
_RENAMEAT2: list[Callable[..., int] | None] = []  # Linux's renameat2, once looked up (None: not here)


def _renameat2() -> Callable[..., int] | None:
    if not _RENAMEAT2:
        function = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                function = ctypes.CDLL(None, use_errno=True).renameat2
                function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
                function.restype = ctypes.c_int
            except (OSError, AttributeError):  # (a C library without it)
                function = None
        _RENAMEAT2.append(function)
    return _RENAMEAT2[0]


def exchange(new: str, old: str) -> bool:
    """Swap two files in one atomic step (Linux's `renameat2` with RENAME_EXCHANGE); False
    where that is not available: the caller then keeps a link to the old file and renames the
    new one over it. That is the slow path on ext4, which allocates the new file's blocks before
    renaming over a file (`auto_da_alloc`), so a commit that replaces every page pays for all
    of them at once.

    The commit looks this function up in the module each time, so that the path a system
    without `renameat2` takes (and a swap that fails half-way) can be tested on one that has it:
    tests/test_faults.py puts in its place one that answers False, or fails."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(old), _RENAME_EXCHANGE) == 0:
        return True
    import ctypes

    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        _RENAMEAT2[0] = None
        return False
    raise OSError(code, os.strerror(code), old)


# Removing a file's last link frees its blocks, which adds up over the thousands of pages that an
# edit of the brief template replaces; a build should not wait for it. The old copies that a
# large commit kept for its undo are removed by a detached process, after the build.
BACKGROUND_AT = 1000
_FILE_MODE = 0o666 & ~os.umask(os.umask(0o022))  # a new file's permissions (this process's umask applied)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _create(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)


def _through_link(root: str, relative: str) -> bool:
    """Whether a folder on the way to `relative` (under `root`) is a symbolic link."""
    parts = relative.split("/")[:-1]
    current = root
    for part in parts:
        current = f"{current}/{part}"
        try:
            if S_ISLNK(os.lstat(current).st_mode):
                return True
        except OSError:
            return False
    return False


def _make_parent(undo: _Undo, folder: Path) -> None:
    """Create `folder`, moving aside a file that stands where a folder must be."""
    current = undo.out_dir
    for part in folder.relative_to(undo.out_dir).parts:
        current = current / part
        if current.is_dir() and not current.is_symlink():
            continue
        relative = current.relative_to(undo.out_dir).as_posix()
        if current.exists() or current.is_symlink():
            undo.move_away(relative)
        current.mkdir()
        undo.made(relative)


def _remove_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


class Discard:
    """The writer of a build that writes nothing (`digest check`): every page is rendered, and dropped."""

    def put(self, relative: str, data: bytes) -> Written:
        check_output_path(relative)
        return Written(relative, True, len(data), 0)

    def abort(self) -> None:
        pass
