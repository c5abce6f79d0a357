"""The build cache in `.digest-cache/`: parsed briefs, rendered bodies, and what each output was built from.

Everything here is an optimisation: a missing, corrupt or foreign cache (another version of
digest or of its code) is an empty cache, which means a clean build, never a wrong one.

The cache holds pickles, and loading a pickle can run code, so the folder is trusted only as the
build made it: a real folder (not a symbolic link), the user's own, closed to everyone else
(mode 0700, which git and most copies never make). A link or another user's folder is refused;
a folder open to others (one an older digest made, or a copy, or a commit) is emptied and made
again, unread: a clean build (see `prepare_folder`). Files in it are written to a new name
(O_EXCL|O_NOFOLLOW, never through a link) and renamed into place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from digest.build.writer import OutputError, RefusedFolder
from digest.content.bodies import BriefCache, FileEntry
from digest.core.files import replace_file
from digest.core.layout import CACHE_DIR, make_folder

log = logging.getLogger(__name__)
KEPT = "import-backups"  # (digest.ingest.importer's backups: kept when the folder is made again)
WRITABLE = "expected a writable folder (fix its permissions, free some space, or delete it)"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def prepare_folder(root: Path) -> frozenset[str]:
    """Make sure the cache folder of `root` is one to trust (see above), making it if need be.
    Returns the keys (see `record_key`) of the output folders whose builds an emptied folder
    recorded: their files are digest's (an older digest built them), see output.claim_folder.
    Raises RefusedFolder for a link or another user's folder, OutputError if it cannot be made."""
    folder = root / CACHE_DIR
    try:
        os.mkdir(folder, 0o700)
        return frozenset()
    except FileExistsError:
        pass
    except OSError as exc:
        raise OutputError(f"cannot use the build cache {folder}: {exc.strerror or exc}; {WRITABLE}") from None
    try:
        found = os.lstat(folder)
        if stat.S_ISLNK(found.st_mode):
            raise RefusedFolder(
                f"{folder} is a symbolic link (to {os.readlink(folder)}); expected a folder digest made "
                "(remove the link: the next build makes the folder)"
            )
        if not stat.S_ISDIR(found.st_mode):
            raise OutputError(f"cannot use the build cache {folder}: it is not a folder; {WRITABLE}")
        if hasattr(os, "getuid") and found.st_uid != os.getuid():
            raise RefusedFolder(
                f"{folder} belongs to another user (uid {found.st_uid}); expected a folder of your own "
                "(remove it: the next build makes it again)"
            )
        if found.st_mode & 0o077 == 0:
            return frozenset()
        names = os.listdir(folder)
        if set(names) <= {KEPT, ".gitignore"}:  # (nothing the build reads: made by `digest import`)
            os.chmod(folder, 0o700)
            return frozenset()
        built = frozenset(name[6:-7] for name in names if name.startswith("state-") and name.endswith(".pickle"))
        log.warning(
            "%s is open to other users (mode %o), so nothing in it is trusted; it is made again, empty (a clean build)",
            folder,
            stat.S_IMODE(found.st_mode),
        )
        kept = root / f"{CACHE_DIR}.{KEPT}-{os.getpid()}"
        if KEPT in names and stat.S_ISDIR(os.lstat(folder / KEPT).st_mode):
            os.rename(folder / KEPT, kept)  # (a writer's old versions of briefs: never read by a build)
        shutil.rmtree(folder)
        os.mkdir(folder, 0o700)
        if os.path.isdir(kept):
            os.rename(kept, folder / KEPT)
        return built
    except OSError as exc:
        raise OutputError(f"cannot use the build cache {folder}: {exc.strerror or exc}; {WRITABLE}") from None


def trusted(folder: Path) -> bool:
    """Whether `folder` is a cache folder to read pickles from (see above)."""
    try:
        found = os.lstat(folder)
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or found.st_uid == os.getuid()
    return stat.S_ISDIR(found.st_mode) and mine and found.st_mode & 0o077 == 0


def record_key(out_dir: Path) -> str:
    """The key of an output folder in the names of the cache's files about it."""
    return hashlib.blake2b(str(out_dir).encode(), digest_size=8).hexdigest()


def manifest_path(root: Path, out_dir: Path) -> Path:
    """The manifest of an output folder: the files the last build wrote there (see output.claim_folder)."""
    return root / CACHE_DIR / f"written-{record_key(out_dir)}"


def journal_path(root: Path, out_dir: Path) -> Path:
    """See BuildCache.journal."""
    return root / CACHE_DIR / f"writing-{record_key(out_dir)}"


def write_file(path: Path, write: Callable[[Any], None]) -> None:
    """Write a file of the cache whole, never through a link (see replace_file)."""
    replace_file(path, write)


class Planned(NamedTuple):
    """What the last build of an output folder planned: a build whose site has the same
    `layout_key` differs from it only in the pages that show a changed body or use a changed
    template, and (with search) in the documents of the changed bodies."""

    layout_key: str
    body_keys: dict[str, str]  # slug -> the key of its body
    template_keys: dict[str, str]  # template -> the key of it and what it includes
    pagefind: str | None = None  # with search: Pagefind's version,
    document_keys: dict[str, str] | None = None  # slug -> its search document's key,
    shard_keys: dict[int, str] | None = None  # and shard -> its key


class OutputEntry(NamedTuple):
    """What an output was made from, and its size and time as written. (A named tuple: the
    cache holds one per output, tens of thousands of them, and tuples unpickle faster than objects.)"""

    fingerprint: str
    size: int
    mtime_ns: int
    bodies: tuple[str, ...] = ()  # slugs whose body() the page used when it was rendered


@dataclass
class BuildCache(BriefCache):
    """The cache of one site root: the briefs' part (see BriefCache) and what the build made of them."""

    outputs: dict[str, dict[str, OutputEntry]] = field(default_factory=dict)  # out dir -> path -> entry
    memo: dict[str, object] = field(default_factory=dict)  # derived tables reused across builds (see build_site)
    planned: dict[str, Planned] = field(default_factory=dict)  # out dir -> what its last build planned
    _base: tuple[str, dict[str, FileEntry]] = ("", {})  # the briefs as in the base file
    _outputs_base: tuple[str, dict[tuple[str, str], OutputEntry]] = ("", {})  # the outputs as in theirs
    _memo_base: tuple[str, dict[str, object]] = ("", {})  # the memo as in its base file

    def reset(self) -> BuildCache:
        """Forget everything (in memory; the files are rewritten by the next save): a clean build
        that keeps this object, which its caller (`digest serve`) holds on to."""
        fresh = BuildCache(self.root)
        names = (
            "briefs",
            "outputs",
            "memo",
            "planned",
            "_base",
            "_outputs_base",
            "_memo_base",
            "listed",
            "last_load",
        )
        for name in names:
            setattr(self, name, getattr(fresh, name))
        return self

    @classmethod
    def load(cls, root: Path, version: str) -> BuildCache:
        folder = root / CACHE_DIR
        cache = cls(root)
        if not trusted(folder):
            return cache
        try:
            cache.briefs, cache._base = _read_layered(folder, "briefs", version)
            outputs, cache._outputs_base = _read_layered(folder, "outputs", version)
            for (out, path), entry in outputs.items():
                cache.outputs.setdefault(out, {})[path] = entry
            cache.memo, cache._memo_base = _read_layered(folder, "memo", version)
            planned = _read(folder / "cache.pickle", version)
            if planned is not None:
                cache.planned = planned
            if (
                not isinstance(cache.briefs, dict)
                or not isinstance(cache.outputs, dict)
                or not isinstance(cache.memo, dict)
                or not isinstance(cache.planned, dict)
            ):
                raise ValueError("unexpected cache layout")
            return cache
        except Exception as exc:  # noqa: BLE001 - any damage to the cache means: start clean
            log.debug("unreadable cache (%s); starting clean", exc)
            return cls(root)

    def save(self, version: str) -> None:
        """Write the cache. Parsed briefs, and what each output was made from, each go to a
        large base file, rewritten only now and then, and a small file of changes since the
        base, so saving after a small edit is quick."""
        make_folder(self.folder)
        ignore = self.folder / ".gitignore"
        if not ignore.exists():
            write_file(ignore, lambda stream: stream.write(b"*\n"))
        self._base = _write_layered(self.folder, "briefs", version, self.briefs, self._base)
        outputs = {(out, path): entry for out, entries in self.outputs.items() for path, entry in entries.items()}
        self._outputs_base = _write_layered(self.folder, "outputs", version, outputs, self._outputs_base)
        # (the memo's large tables are the same objects build after build unless the tags change)
        self._memo_base = _write_layered(self.folder, "memo", version, self.memo, self._memo_base)
        _write(self.folder / "cache.pickle", version, self.planned)

    def journal(self, out_dir: Path) -> Path:
        """A file that exists while `out_dir` is being changed: if a build dies then, the next
        build does not trust what the cache says about that folder. It names the files that
        builds since the last complete one created there (see output.note_written)."""
        return journal_path(self.root, out_dir)


K = TypeVar("K")
V = TypeVar("V")


def _read_layered(folder: Path, name: str, version: str) -> tuple[dict[Any, Any], tuple[str, dict[Any, Any]]]:
    """A table kept as a base file and a file of changes since it (see _write_layered): the
    table, and the base as read (token, table) for the next save."""
    base = _read(folder / f"{name}.pickle", version)
    if base is None:
        return {}, ("", {})
    token, table = base
    current = dict(table)
    delta = _read(folder / f"{name}-delta.pickle", version)
    if delta is not None and delta[0] == token:
        changed, removed = delta[1]
        current.update(changed)
        for key in removed:
            current.pop(key, None)
    return current, (token, table)


def _write_layered(
    folder: Path, name: str, version: str, table: dict[K, V], base: tuple[str, dict[K, V]]
) -> tuple[str, dict[K, V]]:
    """Save `table` as a large base file, rewritten only now and then, and a small file of the
    entries changed or removed since (values compared by identity: an entry kept from the last
    load is the very same object), so saving after a small edit is quick. The new base."""
    token, old = base
    changed = {k: v for k, v in table.items() if old.get(k) is not v}
    removed = [k for k in old if k not in table]
    if not old or len(changed) + len(removed) > max(200, len(old) // 10):
        token = os.urandom(8).hex()
        _write(folder / f"{name}.pickle", version, (token, table))
        (folder / f"{name}-delta.pickle").unlink(missing_ok=True)
        return token, dict(table)
    _write(folder / f"{name}-delta.pickle", version, (token, (changed, removed)))
    return base


def _read(path: Path, version: str) -> Any:
    """The payload of a cache file, or None if it is missing or from other code."""
    try:
        with path.open("rb") as handle:
            if pickle.load(handle) != version:
                return None
            return pickle.load(handle)
    except FileNotFoundError:
        return None


def _write(path: Path, version: str, payload: object) -> None:
    def dump(handle: Any) -> None:
        pickle.dump(version, handle, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)

    write_file(path, dump)


@dataclass
class BuildState:
    """What the last successful build of one output folder saw and left: enough to tell,
    cheaply, that nothing changed since."""

    signature: str
    files: dict[str, tuple[int, int]]  # output path -> (size, mtime_ns)
    counts: Any
    folders: dict[str, int] = field(default_factory=dict)  # the output's folders' mtime_ns (see output.unchanged)

    @staticmethod
    def _path(root: Path, out_dir: Path) -> Path:
        return root / CACHE_DIR / f"state-{record_key(out_dir)}.pickle"

    @classmethod
    def load(cls, root: Path, out_dir: Path) -> BuildState | None:
        try:
            with cls._path(root, out_dir).open("rb") as handle:
                state = pickle.load(handle)
            return state if isinstance(state, cls) else None
        except Exception:  # noqa: BLE001 - unreadable means unknown
            return None

    @classmethod
    def forget(cls, root: Path, out_dir: Path) -> None:
        cls._path(root, out_dir).unlink(missing_ok=True)

    def save(self, root: Path, out_dir: Path) -> None:
        write_file(self._path(root, out_dir), lambda handle: pickle.dump(self, handle, pickle.HIGHEST_PROTOCOL))
