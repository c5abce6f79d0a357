"""Loading briefs: files under `content/briefs/` -> validated, frozen Brief values."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from digest.content.bodies import BodyStore, BriefCache, FileEntry
from digest.content.brief import content_hash, parse_brief
from digest.content.config import Config
from digest.content.files import Inputs, scan_brief_files
from digest.content.sourcefile import MAX_BYTES, OUTSIDE, decode, link_problem, too_large
from digest.content.taxonomy import empty_taxonomy, load_taxonomy
from digest.core.errors import ContentError, Problem
from digest.core.layout import BRIEFS_DIR
from digest.core.memo import same_inputs
from digest.core.model import Brief, ParsedBrief, Taxonomy
from digest.core.workers import Progress, run_batches, shared


@dataclass(frozen=True)
class LoadResult:
    briefs: tuple[Brief, ...]  # valid briefs, drafts only if config.drafts
    bodies: BodyStore  # the bodies rendered in this run, and those of earlier runs
    body_keys: Mapping[str, str]  # slug -> the key of its body in `bodies`, for `briefs`
    parsed: int  # files parsed in this run (the others came from the cache)
    files: int = 0  # brief files, valid or not, drafts or not
    drafts: int = 0  # valid briefs marked draft (left out unless config.drafts)
    problems: tuple[Problem, ...] = ()  # with `partial`: the errors of the files left out of `briefs`
    # slugs whose body changed since the last load with this cache, when only bodies changed,
    # and the body keys of that load (what `new_bodies` is counted against)
    new_bodies: frozenset[str] | None = None
    new_bodies_since: Mapping[str, str] | None = None
    review: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (path, keys) of the drafts an editor must still check


def _settings(config: Config) -> tuple[object, ...]:
    return (config.timezone, config.open_tags, tuple(sorted(config.fields.items())))


@same_inputs(lambda config, taxonomy: ((taxonomy,), _settings(config)))
def parse_environment(config: Config, taxonomy: Taxonomy) -> str:
    """What a parse depends on besides the file: a changed taxonomy or timezone re-parses."""
    return content_hash(repr(_settings(config)), repr(sorted(taxonomy.lookup.items())), repr(sorted(taxonomy.tags)))


def changed_files(root: Path, cache: BriefCache, changed: Collection[str]) -> tuple[list[str], list[str]] | None:
    """The brief files a watcher saw change (paths relative to the root), without listing the
    folder: (those to look at, known ones that are gone). None when that cannot be trusted for
    these changes (a folder or a link changed, or the last listing found links out of the
    site): then the folder is listed again."""
    if not cache.listed:
        return None
    prefix = BRIEFS_DIR + "/"
    look: list[str] = []
    gone: list[str] = []
    for rel in changed:
        if not rel.startswith(prefix):
            continue
        path = root / rel
        if not rel.endswith(".md") or path.is_dir() or path.is_symlink():
            return None  # a folder or a link: list the folder again
        if not any(part.startswith(".") for part in rel[len(prefix) :].split("/")) and path.is_file():
            look.append(rel)
        elif rel in cache.briefs:
            gone.append(rel)
    return look, gone


@dataclass(frozen=True)
class _LastLoad:
    """The result of the last load with a cache kept in memory, reused by the next one when
    the files a watcher named parsed to the very same briefs (an edit of a body)."""

    env: str
    drafts: bool
    briefs: tuple[Brief, ...]
    body_keys: Mapping[str, str]
    counts: tuple[int, int, tuple[tuple[str, tuple[str, ...]], ...]]  # `_counts` of its cache


def load_briefs(
    config: Config,
    taxonomy: Taxonomy,
    cache: BriefCache | None = None,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    changed: Collection[str] | None = None,
    looked: Inputs | None = None,
    partial: bool = False,
) -> LoadResult:
    """Read every brief, parsing only files the cache does not already know.

    `changed`, from a caller that watches the files (`digest serve`), lists the paths changed
    since the last call with this cache: only those are looked at, the other briefs are taken
    from the cache as they are (and when those files parse to the very same briefs, so is the
    list of briefs). Without it every file is listed and checked (its size and modification time),
    or taken as the build's quick check `looked` at them just before (a file saved since is
    read as it is now, and recorded with the size and time seen then: the next build looks again).

    Raises ContentError with the problems of every invalid brief, or with `partial` returns the
    valid ones and those problems (so that a build reports the other briefs' problems too). Bodies rendered now go to
    the cache's body store (in memory only when there is no cache).
    """
    store_bodies = cache is not None
    cache = cache if cache is not None else BriefCache(config.root)
    env = parse_environment(config, taxonomy)
    last: _LastLoad | None = cache.last_load
    cache.last_load = None
    hinted = changed_files(config.root, cache, changed) if changed is not None else None
    if hinted is not None and (last is None or last.env != env):
        hinted = None  # a new taxonomy or timezone (every brief parses again), or the last load failed
    files, seen, problems = _files_to_look_at(config, cache, hinted, looked)
    known, todo = _look_at(files, seen, cache, env, problems)
    if progress:
        progress("reading briefs", len(known), len(known) + len(todo))
    bodies = BodyStore(cache.folder if store_bodies else None)
    _parse_new(config, taxonomy, cache, env, todo, known, bodies, jobs, progress)
    if hinted is None:
        cache.briefs = dict(sorted(known.items()))
    else:
        same = _update_in_place(config, cache, env, known, hinted[1], last, problems, bodies, len(todo))
        if same is not None:
            return same
    return _result(config, cache, env, bodies, problems, len(todo), partial)


_Todo = tuple[str, str, bytes, tuple[int, int], str]  # (file, stem, its bytes, (size, mtime_ns), hash)


def _files_to_look_at(
    config: Config, cache: BriefCache, hinted: tuple[list[str], list[str]] | None, looked: Inputs | None
) -> tuple[list[tuple[str, str]], Mapping[str, tuple[int, int]], list[Problem]]:
    """The brief files to look at (relative, full path): those a watcher named, else every one
    (as the build's quick check listed them, with the sizes and times it saw, when it did)."""
    if hinted is not None:
        base = str(config.root)
        return [(rel, os.path.join(base, rel)) for rel in hinted[0]], {}, []
    listed = looked.listed if looked is not None else None
    seen = looked.briefs if looked is not None and listed is not None else {}
    found = listed if listed is not None else scan_brief_files(config.root)
    cache.listed = not found.outside
    base = os.path.realpath(config.root)
    problems = [Problem(rel, 0, link_problem(base, os.path.realpath(path)) or OUTSIDE) for rel, path in found.outside]
    return found.files, seen, problems


def _look_at(
    files: list[tuple[str, str]],
    seen: Mapping[str, tuple[int, int]],
    cache: BriefCache,
    env: str,
    problems: list[Problem],
) -> tuple[dict[str, FileEntry], list[_Todo]]:
    """The files the cache knows as they are (by size and time, else by content hash), and the
    others, read, to parse."""
    known: dict[str, FileEntry] = {}
    todo: list[_Todo] = []
    for rel, name in files:
        try:
            size_time = seen.get(rel)
            if size_time is None:
                stat = os.stat(name)
                size_time = (stat.st_size, stat.st_mtime_ns)
            if size_time[0] > MAX_BYTES:  # not read at all: a huge file is an error, not a memory spike
                problems.append(too_large(rel, size_time[0]))
                continue
            entry = cache.briefs.get(rel)
            if entry and entry.env == env and (entry.size, entry.mtime_ns) == size_time:
                known[rel] = entry
                continue
            with open(name, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            if isinstance(exc, FileNotFoundError) and rel in seen:
                continue  # removed since the quick check looked (which the next build sees)
            problems.append(Problem(rel, 0, f"cannot read file: {exc.strerror}; expected a readable file"))
            continue
        sha = hashlib.blake2b(data, digest_size=16).hexdigest()
        if entry and entry.env == env and entry.sha == sha:
            known[rel] = FileEntry(*size_time, sha, env, entry.result, entry.body_key)
        else:
            todo.append((rel, os.path.splitext(os.path.basename(rel))[0], data, size_time, sha))
    return known, todo


def _parse_new(
    config: Config,
    taxonomy: Taxonomy,
    cache: BriefCache,
    env: str,
    todo: list[_Todo],
    known: dict[str, FileEntry],
    bodies: BodyStore,
    jobs: int,
    progress: Progress | None,
) -> None:
    """Parse the files read (in worker processes when there are many) into `known`, their
    bodies into `bodies`."""
    done = len(known)
    total = len(known) + len(todo)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress("reading briefs", done, total)

    items = [(rel, stem, data) for rel, stem, data, _, _ in todo]
    state = {"config": config, "taxonomy": taxonomy}
    results = run_batches(_parse_batch, items, jobs=jobs, min_parallel=400, state=state, on_batch=advance)
    for (rel, _, _, size_time, sha), result in zip(todo, results, strict=True):
        if isinstance(result, ParsedBrief):
            bodies.add(result.body_key, result.body_html, result.body_counts)
            brief = result.brief
            old = cache.briefs.get(rel)
            # (same parse environment: equal datetimes may still differ in their timezone)
            if old is not None and old.env == env and old.result == brief:
                brief = old.result  # the same brief (an edit of the body alone): the site's plan still holds
            known[rel] = FileEntry(*size_time, sha, env, brief, result.body_key)
        else:
            known[rel] = FileEntry(*size_time, sha, env, result)


def _update_in_place(
    config: Config,
    cache: BriefCache,
    env: str,
    known: dict[str, FileEntry],
    removed: list[str],
    last: _LastLoad | None,
    problems: list[Problem],
    bodies: BodyStore,
    parsed: int,
) -> LoadResult | None:
    """Put the entries of the files a watcher named into the cache; when they parsed to the very
    briefs they were, the result of the last load with their new bodies (else None)."""
    # (in place: an edit touches a few entries; copying all of them would be most of its work)
    previous = {rel: cache.briefs.get(rel) for rel in (*known, *removed)}
    cache.briefs.update(known)
    for rel in removed:
        del cache.briefs[rel]
    if any(previous[rel] is None for rel in known):
        cache.briefs = dict(sorted(cache.briefs.items()))  # (a new file: in its place, as listed)
    if last is None or removed or problems or last.drafts != config.drafts:
        return None
    if not all(previous[rel] is not None and previous[rel].result is e.result for rel, e in known.items()):  # type: ignore[union-attr]
        return None
    # The files named parsed to the very briefs they were: the same list, other bodies.
    body_keys = dict(last.body_keys)
    new_bodies = set()
    for entry in known.values():
        slug = entry.result.slug  # type: ignore[union-attr]
        if slug in body_keys and body_keys[slug] != entry.body_key:
            body_keys[slug] = entry.body_key
            new_bodies.add(slug)
    # (the same briefs: the same files, drafts and review queue as the last load counted)
    cache.last_load = _LastLoad(env, config.drafts, last.briefs, body_keys, last.counts)
    files, drafts, review = last.counts
    return LoadResult(
        last.briefs, bodies, body_keys, parsed, files, drafts, (), frozenset(new_bodies), last.body_keys, review
    )


def _result(
    config: Config,
    cache: BriefCache,
    env: str,
    bodies: BodyStore,
    problems: list[Problem],
    parsed: int,
    partial: bool,
) -> LoadResult:
    """Every brief of the cache (drafts when they are built), and every problem."""
    briefs: list[Brief] = []
    body_keys = {}
    for entry in cache.briefs.values():
        if isinstance(entry.result, Brief):
            if config.drafts or not entry.result.draft:
                briefs.append(entry.result)
                body_keys[entry.result.slug] = entry.body_key
        else:
            problems.extend(entry.result)
    problems.extend(duplicate_slugs(b.result for b in cache.briefs.values() if isinstance(b.result, Brief)))
    files, drafts, review = _counts(cache)
    if problems:
        if not partial:
            raise ContentError(problems)
        # (not remembered as the last load: the next one looks at every brief again)
        return LoadResult(
            tuple(briefs), bodies, body_keys, parsed, files, drafts, tuple(sorted(problems)), review=review
        )
    cache.last_load = _LastLoad(env, config.drafts, tuple(briefs), body_keys, (files, drafts, review))
    return LoadResult(cache.last_load.briefs, bodies, body_keys, parsed, files, drafts, review=review)


def _counts(cache: BriefCache) -> tuple[int, int, tuple[tuple[str, tuple[str, ...]], ...]]:
    """The brief files, the valid briefs among them marked draft, and the drafts whose `review:`
    (written by `digest import`) still names keys to check: one pass, as every build makes it."""
    drafts = 0
    queue = []
    for entry in cache.briefs.values():
        brief = entry.result
        if isinstance(brief, Brief) and brief.draft:
            drafts += 1
            keys = brief.extra.get("review")
            if isinstance(keys, (list, tuple)) and keys:
                queue.append((brief.path, tuple(str(k) for k in keys)))
    return len(cache.briefs), drafts, tuple(sorted(queue))


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


def load_content(
    config: Config,
    cache: BriefCache | None = None,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
    changed: Collection[str] | None = None,
    looked: Inputs | None = None,
    partial: bool = False,
) -> tuple[Taxonomy, LoadResult]:
    """Taxonomy and briefs; all problems of both reported together. `changed`, `looked`: see
    load_briefs. With `partial`, the problems are returned in LoadResult.problems with the valid
    briefs, instead of raised."""
    problems: list[Problem] = []
    untagged = False
    try:
        taxonomy = load_taxonomy(config.root, config.taxonomy)
    except ContentError as exc:
        problems.extend(exc.problems)
        untagged = True
        taxonomy = empty_taxonomy(config.taxonomy)
        # (the briefs' tags cannot be checked against a taxonomy that did not load: its errors come first)
        config = config.with_overrides(open_tags=True)
    try:
        loaded = load_briefs(
            config, taxonomy, cache, jobs=jobs, progress=progress, changed=changed, looked=looked, partial=partial
        )
    except ContentError as exc:
        problems.extend(exc.problems)
    if problems and not partial:
        raise ContentError(problems)
    if problems:
        briefs = tuple(replace(b, warnings=()) for b in loaded.briefs) if untagged else loaded.briefs
        loaded = replace(loaded, briefs=briefs, problems=tuple(sorted({*problems, *loaded.problems})))
    return taxonomy, loaded
