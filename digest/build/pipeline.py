"""The pipeline of a build that has work to do: load, arrange, plan, render, write.

Cold and incremental builds are the same function. The cache decides how much work is
skipped: briefs whose files did not change are not parsed again, pages whose fingerprint
did not change are not rendered again, and files whose bytes did not change are not written.
`digest.build.entry` runs it (after its quick check that anything changed at all).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Collection, Mapping
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from digest.build.cache import WRITABLE, BuildCache, BuildState, OutputEntry, Planned, manifest_path, write_file
from digest.build.entry import build_date
from digest.build.fingerprint import Fingerprinter, template_keys
from digest.build.headstart import Known, remember
from digest.build.indexing import commit_index, search_folder, start_indexing
from digest.build.listing import folder_times, scan, url_of
from digest.build.ownership import manifest_text
from digest.build.plan import Plan, Remembered
from digest.build.rendering import fingerprint_pages, render_pages
from digest.build.resident import Resident
from digest.build.result import BuildResult, SiteCounts
from digest.build.state import Run, note_journal
from digest.build.writer import Discard, OutputError, SiteWriter, WriteStats
from digest.content.bodies import Body, MissingBody, body_reader
from digest.content.config import Config
from digest.content.editorial import load_editions
from digest.content.files import Inputs
from digest.content.images import image_sizes
from digest.content.instruments import load_instruments, reference_problems
from digest.content.load import load_content
from digest.core.errors import Problem
from digest.core.hashing import key_of
from digest.core.layout import make_folder
from digest.core.model import Brief
from digest.core.version import code_version
from digest.core.workers import Progress, default_jobs
from digest.search.documents import vocabulary
from digest.search.index import SEARCH_DIR
from digest.search.runs import IndexJob
from digest.search.tool import pagefind_version
from digest.site.arrange import build_site
from digest.site.editions import edition_settings, with_editions
from digest.site.links import link_problems
from digest.site.pages import plan_pages
from digest.site.shards import indexed, shard_count
from digest.site.tracker import track
from digest.site.tracker_pages import with_tracker
from digest.theme.assets import publish_assets
from digest.theme.environment import make_environment, theme_assets

log = logging.getLogger(__name__)


def run(
    config: Config,
    out_dir: Path,
    *,
    clean: bool,
    cache: BuildCache | None,
    jobs: int | None,
    progress: Progress | None,
    resident: Resident | None,
    changed: Collection[str] | None,
    started: float,
    looked: Inputs | None,
    listed: Callable[[], tuple[Mapping[str, tuple[int, int]], Mapping[str, int] | None]] | None,
    head: dict[int, IndexJob],
    write: bool = True,
) -> BuildResult:
    """Bring `out_dir` to the site (see digest.build.entry.build). `looked` (the inputs) is what a separate
    `digest build` saw before it started, or None, and `listed()` gives the output folder's files
    as its quick check found them (with the folder times the last build recorded, when it found
    them so), waiting for the check if it still runs; `head` holds the search index runs it
    started early (see digest.build.headstart), which the build takes over (removing them from `head`)
    where they index what it would.

    Without `write` (`digest check`), the same build runs in memory from scratch and writes
    nothing: no output, no cache, no search index; it returns what the build would report.

    The steps: load the content, arrange it as a site (or take a resident caller's last plan),
    look at the output folder, start indexing the changed search shards, plan the pages,
    fingerprint them against the last build's, render what changed, commit, save the cache."""
    clean = clean or not write
    cache, known, remembered = _open(config, out_dir, clean, cache, resident, write)
    r = Run(
        config, out_dir, clean, write, jobs or default_jobs(), progress, resident, changed, started,
        looked, listed, head, cache, code_version(), known, remembered,
    )  # fmt: skip
    _load(r)
    _arrange(r)
    _look_at_output(r)
    try:
        start_indexing(r)
        _plan(r)
        fingerprint_pages(r)
        render_pages(r)
    except BaseException:
        r.writer.abort()
        if r.indexer is not None:
            r.indexer.cancel()
        r.loaded.bodies.flush()  # the brief cache knows these briefs as parsed: keep their bodies for the next build
        raise
    counts = _counts(r)
    if not write:
        return BuildResult(
            out_dir, counts, r.loaded.parsed, r.rendered, WriteStats(0, 0, 0), time.perf_counter() - started
        )
    changed_urls = _commit(r)
    _save(r, counts)
    stats = WriteStats(
        written=len(r.staged),
        unchanged=len(r.entries) - len(r.staged),
        removed=len(r.stale),
        changed_urls=changed_urls,
    )
    return BuildResult(out_dir, counts, r.loaded.parsed, r.rendered, stats, time.perf_counter() - started)


def _open(
    config: Config, out_dir: Path, clean: bool, cache: BuildCache | None, resident: Resident | None, write: bool
) -> tuple[BuildCache, Mapping[str, OutputEntry] | None, bool]:
    """The build's cache (the caller's, the one on disk, or a new one for a clean build), and a
    resident caller's memory of what the output folder holds, with whether it holds just that."""
    # A resident caller is the only writer of its output folder, and keeps in memory what it
    # wrote last: that is what the folder holds, unless a build was cut short (journal).
    known = cache.outputs.get(str(out_dir)) if resident is not None and cache is not None and not clean else None
    if not write:
        cache = None
    remembered = known is not None and out_dir.is_dir() and not cache.journal(out_dir).exists()  # type: ignore[union-attr]
    if clean and resident is not None:  # (nothing of the last build is trusted)
        resident.plans.pop(str(out_dir), None)
        resident.fingerprints.pop(str(out_dir), None)
    if clean:
        cache = BuildCache(config.root) if cache is None or cache.root != config.root else cache.reset()
    elif cache is None or cache.root != config.root:
        cache = BuildCache.load(config.root, code_version())
    return cache, known, remembered


def _load(r: Run) -> None:
    """The content, the templates and assets, and what the last build of the folder left."""
    config = r.config
    # Every problem of every input is found before any is reported: the briefs that load are
    # arranged, planned and rendered even when others did not load.
    r.taxonomy, r.loaded = load_content(
        config,
        r.cache if r.write else None,
        jobs=r.jobs,
        progress=r.progress,
        changed=r.changed,
        looked=None if r.clean else r.looked,
        partial=True,
    )
    r.errors = list(r.loaded.problems)
    r.instruments, instrument_problems, instrument_files = load_instruments(config, r.taxonomy)
    r.errors.extend([*instrument_problems, *reference_problems(r.loaded.briefs, instrument_files)])
    # (the weekly editions' own files and settings: read in full, part of the site's layout)
    r.edition_files, edition_problems = load_editions(config.root)
    r.edition_settings, setting_problems = edition_settings(config, r.taxonomy)
    r.errors.extend(edition_problems + setting_problems)
    r.images = image_sizes(config.root, r.loaded.briefs)
    r.env = make_environment(config.root, None if r.clean else r.cache.folder / "templates")
    r.published = publish_assets(theme_assets(config.root), fingerprint=config.fingerprint_assets)
    r.journal = r.cache.journal(r.out_dir)
    r.interrupted = r.journal.exists()  # (a build died while it changed the folder)
    r.previous = {} if r.clean or r.interrupted else r.cache.outputs.get(r.out_key, {})
    # (the build's date is not in it: the pages that show what it changes have it in their context)
    r.global_key = key_of(
        r.version, replace(config, root=Path("."), today=None), sorted(r.published.names.items()), bool(r.instruments)
    )


def _arrange(r: Run) -> None:
    """The site: a resident caller's last plan while nothing it is made of changed (see Plan),
    else the briefs arranged again, with the key of that arrangement."""
    plan = r.resident.plans.get(r.out_key) if r.resident is not None and r.known is not None else None
    if plan is not None:
        keys_of_templates = template_keys(r.env, plan.templates, r.cache.memo)
        inputs = (r.config, r.taxonomy, r.images, r.global_key, keys_of_templates, *r.layout_inputs)
        if not plan.holds(inputs, r.loaded.briefs, r.previous):
            plan = None
    loaded = r.loaded
    if plan is not None:
        r.plan = plan
        r.site = replace(plan.site, body_keys=MappingProxyType(loaded.body_keys))  # (the load's own new mapping)
        r.pages = plan.pages
        if loaded.new_bodies is not None and loaded.new_bodies_since is plan.body_keys:
            r.new_bodies = loaded.new_bodies
        else:  # (a load since the plan was made whose build failed: compare every body)
            r.new_bodies = frozenset(s for s, key in r.site.body_keys.items() if plan.site.body_keys.get(s) != key)
        r.fingerprints = plan.fingerprints.with_bodies(r.site, [plan.by_slug[s] for s in r.new_bodies])
        r.layout_key = plan.layout_key
        r.templates = plan.templates
        r.keys_of_templates = keys_of_templates
        r.inputs = inputs
        return
    r.site = build_site(r.config, r.taxonomy, loaded.briefs, r.cache.memo, r.images, loaded.body_keys)
    r.site, edition_errors = with_editions(r.site, r.edition_files, r.edition_settings)
    r.errors.extend(edition_errors)
    if r.instruments:
        tracker = track(r.instruments, r.site.briefs, build_date(r.config), r.taxonomy, r.site.tags)
        r.site = replace(r.site, tracker=tracker, problems=r.site.problems + tracker.warnings)
    # What the arrangement of the site and every page's context follow from: with the same key
    # as the last build of this folder, only the pages that showed a changed body, or whose
    # template changed, can differ (and only the search documents of the changed bodies).
    metadata = [(b.meta_digest, b.refs, b.images) for b in loaded.briefs]
    r.layout_key = key_of((r.config, r.taxonomy, r.images, r.global_key, *r.layout_inputs), metadata)
    last = r.cache.planned.get(r.out_key) if r.previous else None
    if last is not None and last.layout_key == r.layout_key:
        r.last = last
        r.changed_bodies = {s for s, k in loaded.body_keys.items() if last.body_keys.get(s) != k}


def _look_at_output(r: Run) -> None:
    """What the output folder holds (a separate build's quick check may have been checking it until now)."""
    if not r.write:
        r.on_disk = {}
    elif r.remembered:
        r.on_disk = Remembered(r.known)  # type: ignore[arg-type]
    elif r.listed is not None:
        r.on_disk, r.folders = r.listed()
    else:
        r.on_disk = scan(r.out_dir)
    # (planned as before, a plan's build starts from the outputs the plan left)
    r.entries = dict(r.previous) if r.plan is not None else {}
    r.writer = SiteWriter(r.out_dir, pool=_pool(r.cache, r.out_key, r.out_dir)) if r.write else Discard()


def _plan(r: Run) -> None:
    """Every page of the site (unless a plan holds), checked: no static file in a page's place,
    no link inside the site to nowhere."""
    if r.plan is not None:
        return
    site, assets = r.site, r.published.files
    body = body_reader(r.loaded.bodies, site.body_keys)
    r.pages = with_tracker(plan_pages(site), site, site.tracker)
    r.errors.extend(
        Problem(f"static/{p.path}", 0, f"a static file collides with the generated page {p.url}; expected another name")
        for p in r.pages
        if p.path in assets or p.path.startswith(SEARCH_DIR + "/")
    )
    r.errors.extend(
        link_problems(
            site,
            [*(p.path for p in r.pages), *assets],
            lambda b: _html_or_none(body, b),
            {p.path for p in r.loaded.problems},
        )
    )
    r.templates = frozenset(p.template for p in r.pages)
    r.keys_of_templates = template_keys(r.env, r.templates, r.cache.memo)
    r.inputs = (r.config, r.taxonomy, r.images, r.global_key, r.keys_of_templates, *r.layout_inputs)
    memory = r.resident.fingerprints.setdefault(r.out_key, {}) if r.resident is not None else {}
    r.fingerprints = Fingerprinter(site, r.global_key, r.keys_of_templates, memory)


def _counts(r: Run) -> SiteCounts:
    loaded = r.loaded
    return SiteCounts(
        briefs=len(r.site.briefs),
        tag_pages=sum(1 for p in r.pages if p.template == "tag.html"),
        weeks=len(r.site.weeks),
        pages=len(r.pages),
        warnings=r.site.problems,
        files=loaded.files,
        drafts=loaded.drafts if not r.config.drafts else 0,
        review=loaded.review,
    )


def _commit(r: Run) -> tuple[str, ...]:
    """Put the staged files in place and remove the outputs no longer made (only those digest
    wrote), in one short step under the caller's lock; then a resident caller's search index.
    The changed URLs."""
    if r.plan is None:
        keep = set(r.entries)
        if r.indexer is not None:
            # (the new pages are shown first, and the index brought up to date after them)
            keep.update(p for p in r.on_disk if p.startswith(SEARCH_DIR + "/"))
        r.stale = [path for path in r.on_disk if path not in keep]
        if r.stale:
            owned = r.owned()
            r.stale = sorted(path for path in r.stale if path in owned)
    # (else: the same outputs as planned before, and index files stay until it is made)
    if r.progress:
        r.progress("writing", 0, len(r.staged) + len(r.stale))
    note_journal(r.writer, r.journal, [p for p in r.staged if p not in r.previous], "; the previous site is unchanged")
    resident = r.resident
    commit_lock = resident.commit_lock if resident is not None else nullcontext()
    with commit_lock:
        r.writer.commit(
            r.staged, r.stale, r.entries
        )  # on OutputError the journal stays: the next build checks every file
    changed_urls = tuple(sorted({url_of(p) for p in (*r.staged, *r.stale)}))
    on_commit = resident.on_commit if resident is not None else None
    if on_commit:
        on_commit(changed_urls)
    if r.indexer is not None:
        index_staged, index_stale = commit_index(
            r.indexer, r.out_dir, r.on_disk, r.entries, r.search_keys, commit_lock,
            resident.superseded if resident else None, r.journal, r.previous, r.owned, r.kept_index,
        )  # fmt: skip
        r.staged += index_staged
        r.stale += index_stale
        if on_commit and (index_staged or index_stale):
            on_commit(tuple(sorted({url_of(p) for p in (*index_staged, *index_stale)})))
    return changed_urls


def _save(r: Run, counts: SiteCounts) -> None:
    """The manifest of what digest wrote, the cache, the plan a resident caller keeps, and the
    state the next build's quick check compares with."""
    cache, out_dir, entries = r.cache, r.out_dir, r.entries
    manifest = manifest_path(r.config.root, out_dir)
    if r.interrupted or entries.keys() != r.previous.keys() or not manifest.exists():
        try:  # (once the files are in place; until then, the journal names the new ones)
            text = manifest_text(entries)
            write_file(manifest, lambda stream: stream.write(text))
        except OSError as exc:
            raise OutputError(
                f"the site in {out_dir} is complete, but the build cache {cache.folder} could not be saved: "
                f"{exc.strerror or exc}; {WRITABLE}"
            ) from None
    cache.outputs[r.out_key] = entries
    # (with the search documents' and shards' keys, for the next build laid out alike)
    searched = (pagefind_version(), r.keys, r.search_keys) if r.config.search else ()
    cache.planned[r.out_key] = Planned(r.layout_key, dict(r.loaded.body_keys), dict(r.keys_of_templates), *searched)
    if r.resident is not None:
        r.resident.plans[r.out_key] = Plan.make(
            r.inputs, r.loaded.briefs, r.site, r.pages, r.fingerprints, entries, r.keys, r.search_keys,
            r.templates, r.loaded.body_keys, r.layout_key,
        )  # fmt: skip
    try:
        cache.save(r.version)
        r.loaded.bodies.save(r.site.body_keys.values())
        r.loaded.bodies.close()
        _save_state(r, counts)
        r.journal.unlink(missing_ok=True)
    except OSError as exc:
        # The site is complete; the journal stays, so the next build checks every output.
        raise OutputError(
            f"the site in {out_dir} is complete, but the build cache {cache.folder} could not be saved: "
            f"{exc.strerror or exc}; {WRITABLE}"
        ) from None


def _save_state(r: Run, counts: SiteCounts) -> None:
    """What the next `digest build`'s quick check compares with (only when the index is complete:
    one left for later is not up to date), and what its search head start needs."""
    looked, entries = r.looked, r.entries
    complete = all(e.fingerprint for p, e in entries.items() if p.startswith(SEARCH_DIR + "/"))
    if looked is not None and looked.signature and complete:
        files = {p: (e.size, e.mtime_ns) for p, e in entries.items()}
        if r.folders is not None:  # (only the folders this commit touched can have changed)
            times = folder_times(r.out_dir, files, since=r.folders, touched=[*r.staged, *r.stale])
        else:
            times = folder_times(r.out_dir, files)
        BuildState(looked.signature, files, counts, times).save(r.config.root, r.out_dir)
    else:
        BuildState.forget(r.config.root, r.out_dir)
    known = None
    if r.config.search and looked is not None and looked.signature and complete and r.resident is None:
        folder = str(search_folder(r.cache, r.out_key))
        known = Known(looked, folder, shard_count(len(indexed(r.site))), r.version, vocabulary(r.site))
    remember(r.config.root, r.out_dir, known)


def _html_or_none(body: Callable[[Brief], Body], brief: Brief) -> str | None:
    """A brief's body HTML for the link check, or None where the store lost it (the render that
    follows finds that and parses again)."""
    try:
        return body(brief)[0]
    except MissingBody:
        return None


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
