"""The build's search steps: indexing the shards whose briefs changed while the pages render,
joining the index, and staging or (for a resident caller, after its pages) committing its files."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

from digest.build.cache import BuildCache, OutputEntry
from digest.build.state import Run, note_journal
from digest.build.writer import SiteWriter
from digest.content.bodies import body_reader
from digest.core.dates import longdate
from digest.core.hashing import key_of
from digest.search.documents import document_keys, shard_keys, vocabulary
from digest.search.index import SEARCH_DIR, kept_segments, part_key
from digest.search.runs import Indexer, remove_leftovers, start_index
from digest.search.tool import pagefind_version
from digest.site.shards import indexed, shards_of


def start_indexing(r: Run) -> None:
    """The shards whose briefs changed are indexed again, each in a process of its own, while the
    pages are planned, fingerprinted and rendered (a resident caller's once its pages are in
    place); the one index is then joined from every shard's segment (see digest.search.runs)."""
    if not (r.config.search and r.write):
        return
    site, plan, last = r.site, r.plan, r.last
    if plan is not None:
        changed_briefs = [plan.by_slug[s] for s in r.new_bodies]
        r.keys = {**plan.document_keys, **document_keys(vocabulary(site), r.version, changed_briefs, site.body_keys)}
        r.search_keys = {**plan.shard_keys, **shard_keys(site, r.keys, shards_of(site, r.new_bodies))}
    elif last is not None and r.changed_bodies is not None and last.pagefind == pagefind_version():
        # (laid out as the last build: the documents of the briefs whose body changed differ, no others)
        changed_briefs = [b for b in site.briefs if b.slug in r.changed_bodies]
        r.keys = {
            **(last.document_keys or {}),
            **document_keys(vocabulary(site), r.version, changed_briefs, site.body_keys),
        }
        r.search_keys = {**(last.shard_keys or {}), **shard_keys(site, r.keys, shards_of(site, r.changed_bodies))}
    else:
        r.keys = document_keys(vocabulary(site), r.version, indexed(site), site.body_keys)
        r.search_keys = shard_keys(site, r.keys)
    folder = search_folder(r.cache, r.out_key)
    kept = kept_segments(folder)
    stale_shards = [shard for shard, key in r.search_keys.items() if kept.get(shard) != key]
    published = {
        p: e for p, e in (plan.entries if plan is not None else r.previous).items() if p.startswith(SEARCH_DIR + "/")
    }
    fresh = bool(published) and all(
        e.fingerprint == part_key(r.search_keys, p) and (plan is not None or r.on_disk.get(p) == (e.size, e.mtime_ns))
        for p, e in published.items()
    )
    if not r.search_keys or (not stale_shards and fresh):
        if plan is None and r.search_keys:
            r.entries.update(published)
        elif not r.search_keys:  # (nothing to find: no index, and its old files go)
            for path in published:
                r.entries.pop(path, None)
        # (what a killed build's runs left goes all the same)
        remove_leftovers(folder, keep=[j.output for j in r.head.values()])
        return
    for path in published:
        r.entries.pop(path, None)
    body = body_reader(r.loaded.bodies, site.body_keys)
    # (files named by their content's hash, in place as the last build left them: not made again)
    on_disk = r.on_disk

    def present(path: str) -> bool:
        entry = published.get(path)
        return entry is not None and (plan is not None or on_disk.get(path) == (entry.size, entry.mtime_ns))

    r.kept_index = published
    r.indexer = start_index(
        site,
        folder,
        r.keys,
        r.search_keys,
        stale_shards,
        lambda b: body(b)[0],
        lambda b: longdate(b.published),
        r.jobs,
        start=not r.index_later,
        head=r.head,
        present=present,
        previous={p: e.fingerprint for p, e in published.items()},
        site_dir=r.out_dir,
        version=r.version,
    )


def search_folder(cache: BuildCache, out_key: str) -> Path:
    """The search documents of an output folder, the segments of its shards, and the runs' output while they run."""
    return cache.folder / "search" / key_of(out_key)[:12]


def stage_index(
    files: dict[str, bytes | None],
    writer: SiteWriter,
    entries: dict[str, OutputEntry],
    keys: dict[int, str],
    kept: Mapping[str, OutputEntry],
) -> list[str]:
    """Stage the index's files; the ones whose bytes changed. A file without bytes is in place
    as the last build left it (`kept`). A file as it was keeps its entry as loaded: the cache
    saves only the entries that are not the very ones it loaded (see build.cache)."""
    staged = []
    for relative, data in files.items():
        key = part_key(keys, relative)
        old = kept.get(relative)
        if data is None:
            entries[relative] = old if old.fingerprint == key else OutputEntry(key, old.size, old.mtime_ns)  # type: ignore[union-attr]
            continue
        written = writer.put(relative, data)
        same = old is not None and (old.fingerprint, old.size, old.mtime_ns) == (key, written.size, written.mtime_ns)
        entries[relative] = old if same else OutputEntry(key, written.size, written.mtime_ns)  # type: ignore[assignment]
        if written.changed:
            staged.append(relative)
    return staged


def commit_index(
    indexer: Indexer,
    out_dir: Path,
    on_disk: Mapping[str, tuple[int, int]],
    entries: dict[str, OutputEntry],
    keys: dict[int, str],
    commit_lock: AbstractContextManager[object],
    superseded: Callable[[], bool] | None,
    journal: Path,
    previous: Mapping[str, OutputEntry],
    owned: Callable[[], set[str]],
    kept: Mapping[str, OutputEntry],
) -> tuple[list[str], list[str]]:
    """The search index of a `digest serve` build, committed after its pages (staged, stale).
    Left as it was when `superseded()`: its files then have no entry, so the next build makes it."""
    files = indexer.finish(superseded)
    if files is None:
        # The shards' old files stay until the next build replaces them: remember they are there.
        for path, (size, mtime_ns) in on_disk.items():
            if path.startswith(SEARCH_DIR + "/") and path not in entries:
                entries[path] = OutputEntry("", size, mtime_ns)
        return [], []
    writer = SiteWriter(out_dir)
    try:
        staged = stage_index(files, writer, entries, keys, kept)
    except BaseException:
        writer.abort()
        raise
    stale = sorted(p for p in on_disk if p.startswith(SEARCH_DIR + "/") and p not in entries and p in owned())
    note_journal(writer, journal, [p for p in staged if p not in previous])
    with commit_lock:
        writer.commit(staged, stale)
    return staged, stale
