"""Loading briefs: files under `content/briefs/` -> validated, frozen Brief values."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from digest.brief import content_hash, parse_brief
from digest.cache import BodyStore, BuildCache, FileEntry
from digest.config import Config
from digest.errors import ContentError, Problem
from digest.model import Brief, ParsedBrief, Taxonomy
from digest.sourcefile import MAX_BYTES, OUTSIDE, decode, inside, too_large
from digest.workers import run_batches, shared

Progress = Callable[[str, int, int], None]

BRIEFS_DIR = "content/briefs"


@dataclass(frozen=True)
class BriefFiles:
    """The brief files under content/briefs, and the symbolic links there that lead outside the site."""

    files: list[tuple[str, str]]  # (path relative to the root, path), sorted
    outside: list[tuple[str, str]]  # links not followed: each one is an error


def brief_files(root: Path) -> list[tuple[str, str]]:
    """Every brief file under content/briefs as (path relative to the root, path), sorted, with
    the links that lead outside the site (which `load_briefs` reports); hidden files and folders
    are skipped."""
    found = scan_brief_files(root)
    return sorted(found.files + found.outside)


def scan_brief_files(root: Path) -> BriefFiles:
    """Walk content/briefs. Symbolic links are followed only where they stay inside the site
    folder, and a linked folder is searched once (a link to its own parent is no loop)."""
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
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            real = os.path.realpath(entry.path) if entry.is_symlink() else None
            if real is not None and not inside(base, real):
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


@dataclass(frozen=True)
class LoadResult:
    briefs: tuple[Brief, ...]  # valid briefs, drafts only if config.drafts
    bodies: BodyStore  # the bodies rendered in this run, and those of earlier runs
    body_keys: Mapping[str, str]  # slug -> the key of its body in `bodies`, for `briefs`
    parsed: int  # files parsed in this run (the others came from the cache)


def parse_environment(config: Config, taxonomy: Taxonomy) -> str:
    """What a parse depends on besides the file: a changed taxonomy or timezone re-parses."""
    return content_hash(config.timezone, repr(sorted(taxonomy.lookup.items())), repr(sorted(taxonomy.tags)))


def load_briefs(
    config: Config,
    taxonomy: Taxonomy,
    cache: BuildCache | None = None,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> LoadResult:
    """Read every brief, parsing only files the cache does not already know.

    Raises ContentError with the problems of every invalid brief. Bodies rendered now go to
    the cache's body store (in memory only when there is no cache).
    """
    store_bodies = cache is not None
    cache = cache if cache is not None else BuildCache(config.root)
    env = parse_environment(config, taxonomy)
    known: dict[str, FileEntry] = {}
    todo: list[tuple[str, str, bytes, os.stat_result, str]] = []
    found = scan_brief_files(config.root)
    problems = [Problem(rel, 0, OUTSIDE) for rel, _ in found.outside]
    for rel, name in found.files:
        try:
            stat = os.stat(name)
            if stat.st_size > MAX_BYTES:  # not read at all: a huge file is an error, not a memory spike
                problems.append(too_large(rel, stat.st_size))
                continue
            entry = cache.briefs.get(rel)
            if entry and entry.env == env and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns:
                known[rel] = entry
                continue
            with open(name, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            problems.append(Problem(rel, 0, f"cannot read file: {exc.strerror}; expected a readable file"))
            continue
        sha = hashlib.blake2b(data, digest_size=16).hexdigest()
        if entry and entry.env == env and entry.sha == sha:
            known[rel] = FileEntry(stat.st_size, stat.st_mtime_ns, sha, env, entry.result, entry.body_key)
        else:
            todo.append((rel, os.path.splitext(os.path.basename(rel))[0], data, stat, sha))
    if progress:
        progress("reading briefs", len(known), len(known) + len(todo))
    bodies = BodyStore(cache.folder if store_bodies else None)
    done = len(known)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress("reading briefs", done, len(known) + len(todo))

    jobs_items = [(rel, stem, data) for rel, stem, data, _, _ in todo]
    results = run_batches(
        _parse_batch,
        jobs_items,
        jobs=jobs,
        min_parallel=400,
        state={"config": config, "taxonomy": taxonomy},
        on_batch=advance,
    )
    for (rel, _, _, stat, sha), result in zip(todo, results, strict=True):
        if isinstance(result, ParsedBrief):
            bodies.add(result.body_key, result.body_html)
            brief = result.brief
            old = cache.briefs.get(rel)
            # (same parse environment: equal datetimes may still differ in their timezone)
            if old is not None and old.env == env and old.result == brief:
                brief = old.result  # the same brief (an edit of the body alone): the site's plan still holds
            known[rel] = FileEntry(stat.st_size, stat.st_mtime_ns, sha, env, brief, result.body_key)
        else:
            known[rel] = FileEntry(stat.st_size, stat.st_mtime_ns, sha, env, result)
    cache.briefs = dict(sorted(known.items()))
    briefs: list[Brief] = []
    body_keys: dict[str, str] = {}
    for entry in cache.briefs.values():
        if isinstance(entry.result, Brief):
            if config.drafts or not entry.result.draft:
                briefs.append(entry.result)
                body_keys[entry.result.slug] = entry.body_key
        else:
            problems.extend(entry.result)
    problems.extend(duplicate_slugs(b.result for b in cache.briefs.values() if isinstance(b.result, Brief)))
    if problems:
        raise ContentError(problems)
    return LoadResult(tuple(briefs), bodies, body_keys, len(todo))


def _parse_batch(items: Sequence[tuple[str, str, bytes]]) -> list[ParsedBrief | tuple[Problem, ...]]:
    config, taxonomy = shared("config"), shared("taxonomy")
    results: list[ParsedBrief | tuple[Problem, ...]] = []
    for rel, stem, data in items:
        try:
            results.append(parse_brief(decode(data, rel), rel, stem, config, taxonomy))
        except ContentError as exc:
            results.append(exc.problems)
    return results


def duplicate_slugs(briefs: Iterable[Brief]) -> list[Problem]:
    seen: dict[str, Brief] = {}
    problems = []
    for brief in briefs:
        first = seen.setdefault(brief.slug, brief)
        if first is not brief:
            problems.append(
                Problem(
                    brief.path,
                    brief.lines.get("slug", 1),
                    f"URL /briefs/{brief.slug}/ is also the URL of {first.path}; expected one brief per slug (set `slug:` in one of them)",
                )
            )
    return problems
