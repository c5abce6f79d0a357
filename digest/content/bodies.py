"""What loading the briefs keeps between builds: each brief file's parse (FileEntry) and the
rendered Markdown bodies by content hash (BodyStore, in SQLite inside the cache folder)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digest.core.errors import Problem
from digest.core.layout import CACHE_DIR, make_folder
from digest.core.model import Brief

log = logging.getLogger(__name__)


@dataclass
class FileEntry:
    """What a brief file parsed to, keyed by its stat and content hash and the parse environment."""

    size: int
    mtime_ns: int
    sha: str
    env: str
    result: Brief | tuple[Problem, ...]
    body_key: str = ""  # the key of the brief's body HTML in the BodyStore


@dataclass
class BriefCache:
    """What loading the briefs of one site root keeps: each brief file's parse, and in memory
    whether that is every file as listed and what the last load gave. The build's cache extends it."""

    root: Path
    briefs: dict[str, FileEntry] = field(default_factory=dict)
    listed: bool = False  # in memory only: `briefs` has every brief file, as listed (see load.changed_files)
    last_load: Any = None  # in memory only: what the last load of the briefs gave (see load.load_briefs)

    @property
    def folder(self) -> Path:
        return self.root / CACHE_DIR


class MissingBody(Exception):
    """A body is not in the body store (the cache lost it): the build must parse again."""


Body = tuple[str, int, int]  # a brief's rendered body: its HTML, words and CJK characters


def body_reader(store: BodyStore, keys: Mapping[str, str]) -> Callable[[Brief], Body]:
    """What rendering and indexing read a brief's body through: the store's body under the
    brief's key (`keys`: slug -> body key, the site's). MissingBody when the store lost it."""

    def body(brief: Brief) -> Body:
        key = keys.get(brief.slug)
        found = None if key is None else store.body(key)
        if found is None:
            raise MissingBody(brief.path)
        return found

    return body


class BodyStore:
    """Rendered Markdown bodies by content hash, each with its count of words and of CJK
    characters: fresh ones in memory, earlier ones in SQLite.

    Fresh bodies go to SQLite in batches of FLUSH_AT, so a cold build of a large site never
    holds every body in memory; a small rebuild keeps its few fresh bodies in memory."""

    FLUSH_AT = 1000
    SCHEMA = 2  # SQLite's user_version: a store of another layout is emptied

    def __init__(self, folder: Path | None, fresh: Mapping[str, tuple[str, int, int]] | None = None) -> None:
        self.folder = folder
        self.fresh: dict[str, tuple[str, int, int]] = dict(fresh or {})
        self._db: sqlite3.Connection | None = None

    def add(self, key: str, html: str, counts: tuple[int, int]) -> None:
        self.fresh[key] = (html, *counts)
        if len(self.fresh) >= self.FLUSH_AT:
            self.flush()

    def _insert(self, db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO bodies (key, html, words, cjk) VALUES (?, ?, ?, ?)",
            ((key, *body) for key, body in self.fresh.items()),
        )

    def flush(self) -> None:
        """Move the fresh bodies to SQLite and close the connection (so that processes forked
        later open their own). Without a database they stay in memory."""
        db = self._connect()
        if db is None or not self.fresh:
            return
        try:
            with db:
                self._insert(db)
            self.fresh.clear()
        except sqlite3.Error as exc:
            log.debug("could not store bodies: %s", exc)
        self.close()

    def _connect(self) -> sqlite3.Connection | None:
        if self.folder is None:
            return None
        if self._db is None:
            try:
                make_folder(self.folder)
                self._db = sqlite3.connect(self.folder / "bodies.sqlite")
                self._db.execute("PRAGMA synchronous = OFF")  # a cache: losing it costs a rebuild, not data
                if self._db.execute("PRAGMA user_version").fetchone()[0] != self.SCHEMA:
                    with self._db:
                        self._db.execute("DROP TABLE IF EXISTS bodies")
                        self._db.execute(
                            "CREATE TABLE bodies (key TEXT PRIMARY KEY, html TEXT NOT NULL,"
                            " words INTEGER NOT NULL, cjk INTEGER NOT NULL)"
                        )
                        self._db.execute(f"PRAGMA user_version = {self.SCHEMA}")
            except sqlite3.Error as exc:
                log.debug("body cache unavailable: %s", exc)
                self.close()
                self.folder = None
                return None
        return self._db

    def get(self, key: str) -> str | None:
        """The body's HTML."""
        body = self.body(key)
        return None if body is None else body[0]

    def body(self, key: str) -> tuple[str, int, int] | None:
        """The body's HTML, words and CJK characters."""
        if key in self.fresh:
            return self.fresh[key]
        db = self._connect()
        if db is None:
            return None
        try:
            row = db.execute("SELECT html, words, cjk FROM bodies WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return tuple(row) if row else None  # type: ignore[return-value]

    def save(self, keep: Iterable[str]) -> None:
        """Store the fresh bodies; forget bodies no brief has any more."""
        db = self._connect()
        if db is None:
            return
        try:
            with db:
                self._insert(db)
                keep_set = set(keep)
                stored = [row[0] for row in db.execute("SELECT key FROM bodies")]
                gone = [(k,) for k in stored if k not in keep_set]
                if gone:
                    db.executemany("DELETE FROM bodies WHERE key = ?", gone)
        except sqlite3.Error as exc:
            log.debug("could not save bodies: %s", exc)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
