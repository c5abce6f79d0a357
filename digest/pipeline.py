"""The pipeline of a build that has work to do: load, arrange, plan, render, write.

Cold and incremental builds are the same function. The cache decides how much work is
skipped: briefs whose files did not change are not parsed again, pages whose fingerprint
did not change are not rendered again, and files whose bytes did not change are not written.
`digest.build` runs it (after its quick check that anything changed at all).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from digest.assets import publish_assets
from digest.cache import (
    WRITABLE,
    BodyStore,
    BuildCache,
    BuildState,
    OutputEntry,
    code_version,
    make_folder,
    manifest_path,
    write_file,
)
from digest.config import Config
from digest.content import load_content
from digest.dates import longdate
from digest.editions import edition_settings, with_editions
from digest.editorial import load_editions
from digest.errors import ContentError, Problem
from digest.fingerprint import Fingerprinter, template_keys
from digest.hashing import key_of
from digest.headstart import Known, remember
from digest.images import image_sizes
from digest.inputs import Inputs, pagefind_version
from digest.links import link_problems
from digest.model import Brief
from digest.output import (
    OutputError,
    SiteWriter,
    WriteStats,
    Written,
    check_output_path,
    folder_times,
    manifest_text,
    note_written,
    owned_files,
    scan,
    url_of,
)
from digest.pages import Page, plan_pages
from digest.plan import Plan, Remembered
from digest.render import MissingBody, Renderer, render_page
from digest.result import BuildResult, Progress, SiteCounts
from digest.search import (
    SEARCH_DIR,
    Indexer,
    IndexJob,
    document_keys,
    indexed,
    remove_leftovers,
    shard_count,
    shard_keys,
    shard_of_path,
    shards_of,
    start_index,
)
from digest.site import Site, build_site
from digest.templates import make_environment, theme_assets
from digest.workers import default_jobs, run_batches, shared

log = logging.getLogger(__name__)


def run(
    config: Config,
    out_dir: Path,
    *,
    clean: bool,
    cache: BuildCache | None,
    jobs: int | None,
    progress: Progress | None,
    commit_lock: AbstractContextManager[object],
    on_commit: Callable[[tuple[str, ...]], None] | None,
    superseded: Callable[[], bool] | None,
    changed: Collection[str] | None,
    started: float,
    looked: Inputs | None,
    listed: Callable[[], tuple[Mapping[str, tuple[int, int]], Mapping[str, int] | None]] | None,
    head: dict[int, IndexJob],
    write: bool = True,
) -> BuildResult:
    """Bring `out_dir` to the site (see digest.build.build). `looked` (the inputs) is what a separate
    `digest build` saw before it started, or None, and `listed()` gives the output folder's files
    as its quick check found them (with the folder times the last build recorded, when it found
    them so), waiting for the check if it still runs; `head` holds the search index runs it
    started early (see digest.headstart), which the build takes over (removing them from `head`)
    where they index what it would.

    Without `write` (`digest check`), the same build runs in memory from scratch and writes
    nothing: no output, no cache, no search index; it returns what the build would report."""
    jobs = jobs or default_jobs()
    clean = clean or not write
    version = code_version()
    # `digest serve` is the only writer of its private output folder, and keeps in memory what
    # it wrote last: that is what the folder holds, unless a build was cut short (journal).
    known = cache.outputs.get(str(out_dir)) if config.serving and cache is not None and not clean else None
    if not write:
        cache = None
    remembered = known is not None and out_dir.is_dir() and not cache.journal(out_dir).exists()  # type: ignore[union-attr]
    if clean:
        cache = BuildCache(config.root) if cache is None or cache.root != config.root else cache.reset()
    elif cache is None or cache.root != config.root:
        cache = BuildCache.load(config.root, version)
    # Every problem of every input is found before any is reported: the briefs that load are
    # arranged, planned and rendered even when others did not load.
    taxonomy, loaded = load_content(
        config,
        cache if write else None,
        jobs=jobs,
        progress=progress,
        changed=changed,
        looked=None if clean else looked,
        partial=True,
    )
    errors: list[Problem] = list(loaded.problems)
    # (the weekly editions' own files and settings: read in full, part of the site's layout)
    edition_files, edition_problems = load_editions(config.root)
    settings, setting_problems = edition_settings(config, taxonomy)
    errors.extend(edition_problems + setting_problems)
    bodies = loaded.bodies
    images = image_sizes(config.root, loaded.briefs)
    env = make_environment(config.root, None if clean else cache.folder / "templates")
    published = publish_assets(theme_assets(config.root), fingerprint=not config.serving)
    assets = published.files
    out_key = str(out_dir)
    journal = cache.journal(out_dir)
    interrupted = journal.exists()  # (a build died while it changed the folder)
    previous = {} if clean or interrupted else cache.outputs.get(out_key, {})
    manifest = manifest_path(config.root, out_dir)
    owned_once: list[set[str]] = []

    def owned() -> set[str]:
        """The files of the output folder that builds wrote (read only when some file there is
        not among this build's outputs): only those are ever removed."""
        if not owned_once:
            owned_once.append(owned_files(manifest, journal))
        return owned_once[0]

    global_key = key_of(version, config.with_overrides(root=Path(".")), sorted(published.names.items()))

    # A caller that keeps its cache in memory reuses the last build's plan while nothing it
    # is made of changed (see Plan); otherwise the site is arranged and planned again.
    plan = cache.plans.get(out_key) if known is not None else None
    if plan is not None:
        keys_of_templates = template_keys(env, plan.templates, cache.memo)
        inputs = (config, taxonomy, images, global_key, keys_of_templates, edition_files, settings)
        if not plan.holds(inputs, loaded.briefs, previous):
            plan = None
    new_bodies: frozenset[str] = frozenset()  # slugs whose body changed since the plan was made
    last: tuple[Any, ...] | None = None  # what the last build of this folder planned, if laid out alike
    changed_bodies: set[str] | None = None  # slugs whose body changed since then (None: no such build)
    if plan is not None:
        site = replace(plan.site, body_keys=MappingProxyType(loaded.body_keys))  # (the load's own new mapping)
        pages = plan.pages
        if loaded.new_bodies is not None and loaded.new_bodies_since is plan.body_keys:
            new_bodies = loaded.new_bodies
        else:  # (a load since the plan was made whose build failed: compare every body)
            new_bodies = frozenset(s for s, key in site.body_keys.items() if plan.site.body_keys.get(s) != key)
        fingerprints = plan.fingerprints.with_bodies(site, [plan.by_slug[s] for s in new_bodies])
        layout_key = plan.layout_key
    else:
        site = build_site(config, taxonomy, loaded.briefs, cache.memo, images, loaded.body_keys)
        site, edition_errors = with_editions(site, edition_files, settings)
        errors.extend(edition_errors)
        # What the arrangement of the site and every page's context follow from: with the same key
        # as the last build of this folder, only the pages that showed a changed body, or whose
        # template changed, can differ (and only the search documents of the changed bodies).
        metadata = [(b.meta_digest, b.refs, b.images) for b in loaded.briefs]
        layout_key = key_of((config, taxonomy, images, global_key, edition_files, settings), metadata)
        last = cache.planned.get(out_key) if previous else None
        if last is not None and last[0] != layout_key:
            last = None
        if last is not None:
            changed_bodies = {s for s, k in loaded.body_keys.items() if last[1].get(s) != k}

    # What the output folder holds (a separate build's quick check may have been checking it until now).
    on_disk: Mapping[str, tuple[int, int]]
    folders: Mapping[str, int] | None = None
    if not write:
        on_disk = {}
    elif remembered:
        on_disk = Remembered(known)  # type: ignore[arg-type]
    elif listed is not None:
        on_disk, folders = listed()
    else:
        on_disk = scan(out_dir)

    # (planned as before, a plan's build starts from the outputs the plan left)
    entries: dict[str, OutputEntry] = dict(previous) if plan is not None else {}
    todo: list[tuple[int, str | None]] = []  # (page index, fingerprint if known) to render
    writer: SiteWriter | _Discard = SiteWriter(out_dir, pool=_pool(cache, out_key, out_dir)) if write else _Discard()
    staged: list[str] = []
    problems: set[Problem] = set()
    indexer: Indexer | None = None
    keys: dict[str, str] = {}
    search_keys: dict[int, str] = {}
    try:
        if config.search and write:
            # Pagefind indexes the shards whose briefs changed, in its own processes, while the pages are
            # fingerprinted and rendered.
            stale_shards = []
            if plan is not None:
                changed_briefs = [plan.by_slug[s] for s in new_bodies]
                keys = {**plan.document_keys, **document_keys(site, version, changed_briefs)}
                search_keys = {**plan.shard_keys, **shard_keys(site, keys, shards_of(site, new_bodies))}
                for shard, key in search_keys.items():
                    if shard not in plan.fresh_shards or key != plan.shard_keys.get(shard):
                        stale_shards.append(shard)
                        for path in plan.shard_files.get(shard, ()):
                            del entries[path]
            elif last is not None and changed_bodies is not None and last[3:4] == (pagefind_version(),):
                # (laid out as the last build: the documents of the briefs whose body changed differ, no others)
                changed_briefs = [b for b in site.briefs if b.slug in changed_bodies]
                keys = {**last[4], **document_keys(site, version, changed_briefs)}
                search_keys = {**last[5], **shard_keys(site, keys, shards_of(site, changed_bodies))}
            else:
                keys = document_keys(site, version)
                search_keys = shard_keys(site, keys)
            if plan is None:
                by_shard: dict[int | None, dict[str, OutputEntry]] = {}
                for path, entry in previous.items():
                    if path.startswith(SEARCH_DIR + "/"):
                        by_shard.setdefault(shard_of_path(path), {})[path] = entry
                for shard, key in search_keys.items():
                    kept = by_shard.get(shard, {})
                    if kept and all(
                        e.fingerprint == key and on_disk.get(p) == (e.size, e.mtime_ns) for p, e in kept.items()
                    ):
                        entries.update(kept)
                    else:
                        stale_shards.append(shard)
            if stale_shards:
                folder = _search_folder(cache, out_key)
                # `digest serve` starts it once the pages are in place: the reload comes first.
                indexer = start_index(
                    site,
                    folder,
                    keys,
                    stale_shards,
                    lambda b: _body(bodies, site, b),
                    lambda b: longdate(b.published),
                    jobs,
                    start=not config.serving,
                    head=head,
                )
            else:  # (what a killed build's Pagefind runs left goes all the same)
                remove_leftovers(_search_folder(cache, out_key), keep=[j.output for j in head.values()])
        if plan is None:  # (planned while Pagefind runs)
            pages = plan_pages(site)
            collisions = [
                Problem(
                    f"static/{p.path}",
                    0,
                    f"a static file collides with the generated page {p.url}; expected another name",
                )
                for p in pages
                if p.path in assets or p.path.startswith(SEARCH_DIR + "/")
            ]
            errors.extend(collisions)
            errors.extend(
                link_problems(
                    site,
                    [*(p.path for p in pages), *assets],
                    lambda b: _body_or_none(bodies, site, b),
                    {p.path for p in loaded.problems},
                )
            )
            templates = frozenset(p.template for p in pages)
            keys_of_templates = template_keys(env, templates, cache.memo)
            inputs = (config, taxonomy, images, global_key, keys_of_templates, edition_files, settings)
            fingerprints = Fingerprinter(site, global_key, keys_of_templates, cache.pages.setdefault(out_key, {}))
        if plan is not None:
            # Planned as before, onto the outputs the plan left: only a page showing a changed body can differ.
            for index in sorted({i for slug in new_bodies for i in plan.showing.get(slug, ())}):
                page = pages[index]
                fingerprint = fingerprints.page(page, previous[page.path].bodies)
                if fingerprint != previous[page.path].fingerprint:
                    del entries[page.path]
                    todo.append((index, fingerprint))
        else:
            retemplated: frozenset[str] = frozenset()  # templates changed since a last build planned alike
            if last is not None:
                retemplated = frozenset(t for t, key in keys_of_templates.items() if last[2].get(t) != key)
            # A separate build fingerprints the pages of a new layout where they would be rendered, in
            # parallel; `digest serve` here, where its fingerprinter remembers pages' inputs between builds.
            check_there = changed_bodies is None and not config.serving
            for index, page in enumerate(pages):
                old = previous.get(page.path)
                if old is not None and on_disk.get(page.path) == (old.size, old.mtime_ns):
                    if changed_bodies is None:
                        if check_there:
                            todo.append((index, _CHECK))
                            continue
                    elif page.template in retemplated:
                        todo.append((index, None))  # (fingerprinted where it is rendered, in parallel)
                        continue
                    elif changed_bodies.isdisjoint(old.bodies):
                        entries[page.path] = old  # (its fingerprint would be the one it has)
                        continue
                elif check_there:
                    todo.append((index, None))
                    continue
                fingerprint = fingerprints.page(page, old.bodies if old else ())
                if old and old.fingerprint == fingerprint and on_disk.get(page.path) == (old.size, old.mtime_ns):
                    entries[page.path] = old
                else:
                    todo.append((index, fingerprint))
        for relative, data in assets.items():
            fingerprint = key_of(data)
            old = previous.get(relative)
            if old and old.fingerprint == fingerprint and on_disk.get(relative) == (old.size, old.mtime_ns):
                entries[relative] = old
                continue
            written = writer.put(relative, data)
            entries[relative] = OutputEntry(fingerprint, written.size, written.mtime_ns)
            if written.changed:
                staged.append(relative)
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            if indexer is not None and not config.serving:
                indexer.poll()  # start the next shards as others finish
            if progress:
                progress("rendering", done, len(todo))

        bodies.close()  # processes forked to render open their own connection
        state = {
            "site": site,
            "pages": pages,
            "env": env,
            "bodies": bodies,
            "writer": writer,
            "fingerprints": fingerprints,
            "assets": published.names,
            "previous": previous,
        }
        rendered = 0
        for result in run_batches(
            _render_batch, todo, jobs=jobs, min_parallel=600, state=state, batch_size=100, on_batch=advance
        ):
            if isinstance(result, Problem):
                problems.add(result)
                continue
            if isinstance(result, str):  # (checked: as it was)
                entries[result] = previous[result]
                continue
            rendered += 1
            path, fingerprint, written, used = result
            entries[path] = OutputEntry(fingerprint, written.size, written.mtime_ns, used)
            if written.changed:
                staged.append(path)
        errors.extend(problems)
        if any(p.severity == "error" for p in errors):
            raise ContentError([p for p in errors if p.severity == "error"], site.problems)
        if indexer is not None and not config.serving:
            # (each shard's files are staged while the others are indexed)
            indexer.finish(each=lambda files: staged.extend(_stage_index(files, writer, entries, search_keys)))
            indexer = None
    except BaseException:
        writer.abort()
        if indexer is not None:
            indexer.cancel()
        bodies.flush()  # the brief cache knows these briefs as parsed: keep their bodies for the next build
        raise

    counts = SiteCounts(
        briefs=len(site.briefs),
        tag_pages=sum(1 for p in pages if p.template == "tag.html"),
        weeks=len(site.weeks),
        pages=len(pages),
        warnings=site.problems,
        files=loaded.files,
        drafts=loaded.drafts if not config.drafts else 0,
        review=loaded.review,
    )
    if not write:
        return BuildResult(out_dir, counts, loaded.parsed, rendered, WriteStats(0, 0, 0), time.perf_counter() - started)
    if plan is not None:
        stale: list[str] = []  # the same outputs as planned before (and index files stay until it is made)
    else:
        keep = set(entries)
        if indexer is not None:
            # `digest serve` shows the new pages first and brings the index up to date after them.
            keep.update(p for p in on_disk if p.startswith(SEARCH_DIR + "/"))
        stale = [path for path in on_disk if path not in keep]
        if stale:
            stale = sorted(path for path in stale if path in owned())
    if progress:
        progress("writing", 0, len(staged) + len(stale))
    _note_journal(writer, journal, [p for p in staged if p not in previous], "; the previous site is unchanged")
    with commit_lock:
        writer.commit(staged, stale, entries)  # on OutputError the journal stays: the next build checks every file
    changed_urls = tuple(sorted({url_of(p) for p in (*staged, *stale)}))
    if on_commit:
        on_commit(changed_urls)
    if indexer is not None:
        index_staged, index_stale = _commit_index(
            indexer, out_dir, on_disk, entries, search_keys, commit_lock, superseded, journal, previous, owned
        )
        staged += index_staged
        stale += index_stale
        if on_commit and (index_staged or index_stale):
            on_commit(tuple(sorted({url_of(p) for p in (*index_staged, *index_stale)})))
    if interrupted or entries.keys() != previous.keys() or not manifest.exists():
        try:  # (once the files are in place; until then, the journal names the new ones)
            text = manifest_text(entries)
            write_file(manifest, lambda stream: stream.write(text))
        except OSError as exc:
            raise OutputError(
                f"the site in {out_dir} is complete, but the build cache {cache.folder} could not be saved: "
                f"{exc.strerror or exc}; {WRITABLE}"
            ) from None
    cache.outputs[out_key] = entries
    # (with the search documents' and shards' keys, for the next build laid out alike)
    searched = (pagefind_version(), keys, search_keys) if config.search else ()
    cache.planned[out_key] = (layout_key, dict(loaded.body_keys), keys_of_templates, *searched)
    if config.serving:
        cache.plans[out_key] = Plan.make(
            inputs, loaded.briefs, site, pages, fingerprints, entries, keys, search_keys,
            plan.templates if plan else templates, loaded.body_keys, layout_key,
        )  # fmt: skip
    try:
        cache.save(version)
        bodies.save(site.body_keys.values())
        bodies.close()
        complete = all(e.fingerprint for p, e in entries.items() if p.startswith(SEARCH_DIR + "/"))
        if looked is not None and looked.signature and complete:  # (an index left for later is not up to date)
            files = {p: (e.size, e.mtime_ns) for p, e in entries.items()}
            if folders is not None:  # (only the folders this commit touched can have changed)
                times = folder_times(out_dir, files, since=folders, touched=[*staged, *stale])
            else:
                times = folder_times(out_dir, files)
            BuildState(looked.signature, files, counts, times).save(config.root, out_dir)
        else:
            BuildState.forget(config.root, out_dir)
        known = None
        if config.search and looked is not None and looked.signature and complete and not config.serving:
            tags = {t.slug: (t.url, t.label, t.group) for t in site.tags.values()}
            known = Known(looked, str(_search_folder(cache, out_key)), shard_count(len(indexed(site))), version, tags)
        remember(config.root, out_dir, known)
        journal.unlink(missing_ok=True)
    except OSError as exc:
        # The site is complete; the journal stays, so the next build checks every output.
        raise OutputError(
            f"the site in {out_dir} is complete, but the build cache {cache.folder} could not be saved: "
            f"{exc.strerror or exc}; {WRITABLE}"
        ) from None
    stats = WriteStats(
        written=len(staged),
        unchanged=len(entries) - len(staged),
        removed=len(stale),
        changed_urls=changed_urls,
    )
    return BuildResult(out_dir, counts, loaded.parsed, rendered, stats, time.perf_counter() - started)


class _Discard:
    """The writer of a build that writes nothing (`digest check`): every page is rendered, and dropped."""

    def put(self, relative: str, data: bytes) -> Written:
        check_output_path(relative)
        return Written(relative, True, len(data), 0)

    def abort(self) -> None:
        pass


def _note_journal(writer: SiteWriter | _Discard, journal: Path, paths: list[str], after: str = "") -> None:
    """Name in the journal the files a commit is about to create (output.note_written); where
    that cannot be written, the staged files are dropped and nothing is committed."""
    try:
        note_written(journal, paths)
    except OSError as exc:
        writer.abort()
        raise OutputError(
            f"cannot write the build cache {journal.parent}: {exc.strerror or exc}; {WRITABLE}{after}"
        ) from None


def _body_or_none(bodies: BodyStore, site: Site, brief: Brief) -> str | None:
    key = site.body_keys.get(brief.slug)
    body = None if key is None else bodies.body(key)
    return body[0] if body else None


def _pool(cache: BuildCache, out_key: str, out_dir: Path) -> Path | None:
    """Where the old copies of pages that a commit swaps out wait for the next build to write
    over them (see SiteWriter): in the cache, when it is on the output folder's file system."""
    try:
        make_folder(cache.folder)
        if os.stat(cache.folder).st_dev != os.stat(out_dir.absolute().parent).st_dev:
            return None
    except OSError:
        return None
    return cache.folder / f"pool-{key_of(out_key)[:12]}"


def _search_folder(cache: BuildCache, out_key: str) -> Path:
    """The search documents of an output folder, and Pagefind's output while it runs."""
    return cache.folder / "search" / key_of(out_key)[:12]


def _body(bodies: BodyStore, site: Site, brief: Brief) -> str:
    key = site.body_keys.get(brief.slug)
    html = None if key is None else bodies.get(key)
    if html is None:
        raise MissingBody(brief.path)
    return html


def _stage_index(
    files: dict[str, bytes], writer: SiteWriter, entries: dict[str, OutputEntry], keys: dict[int, str]
) -> list[str]:
    """Stage the files of the shards just indexed; the ones whose bytes changed."""
    staged = []
    for relative, data in files.items():
        written = writer.put(relative, data)
        entries[relative] = OutputEntry(keys[shard_of_path(relative) or 0], written.size, written.mtime_ns)
        if written.changed:
            staged.append(relative)
    return staged


def _commit_index(
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
        staged = _stage_index(files, writer, entries, keys)
    except BaseException:
        writer.abort()
        raise
    stale = sorted(p for p in on_disk if p.startswith(SEARCH_DIR + "/") and p not in entries and p in owned())
    _note_journal(writer, journal, [p for p in staged if p not in previous])
    with commit_lock:
        writer.commit(staged, stale)
    return staged, stale


_CHECK = "?"  # (instead of a page's fingerprint to render: compare it with the last build's first)


def _render_batch(
    items: Sequence[tuple[int, str | None]],
) -> list[tuple[str, str, object, tuple[str, ...]] | Problem | str]:
    """Render pages (index, fingerprint or None to take it after rendering); a page given with
    _CHECK is fingerprinted first, and only its path comes back if that is the last build's."""
    site: Site = shared("site")
    pages: Sequence[Page] = shared("pages")
    writer: SiteWriter = shared("writer")
    fingerprints: Fingerprinter = shared("fingerprints")
    previous: Mapping[str, OutputEntry] = shared("previous")
    renderer = _renderer(site)
    results: list[tuple[str, str, object, tuple[str, ...]] | Problem | str] = []
    for index, fingerprint in items:
        page = pages[index]
        if fingerprint == _CHECK:
            old = previous[page.path]
            fingerprint = fingerprints.page(page, old.bodies)
            if fingerprint == old.fingerprint:
                results.append(page.path)
                continue
        rendered = render_page(renderer, page, site.config.root)
        if isinstance(rendered, Problem):
            results.append(rendered)
            continue
        data, used = rendered
        if used or fingerprint is None:
            fingerprint = fingerprints.page(page, used)
        results.append((page.path, fingerprint, writer.put(page.path, data), used))
    return results


_RENDERER: list[Renderer] = []


def _renderer(site: Site) -> Renderer:
    """One Renderer (and its caches) per process and site, reused across batches."""
    if not _RENDERER or _RENDERER[0].site is not site:
        _RENDERER[:] = [Renderer(site, shared("env"), shared("bodies"), shared("assets"))]
    return _RENDERER[0]
