"""The build's page steps: which pages changed (their fingerprints against the last build's),
and rendering those (in worker processes when there are many) to staged bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from digest.build.cache import OutputEntry
from digest.build.fingerprint import Fingerprinter
from digest.build.indexing import stage_index
from digest.build.state import Run
from digest.build.writer import SiteWriter
from digest.content.bodies import body_reader
from digest.core.errors import ContentError, Problem
from digest.core.hashing import key_of
from digest.core.memo import same_inputs
from digest.core.workers import run_batches, shared
from digest.site.arrange import Site
from digest.site.pages import Page
from digest.theme.render import Renderer, render_page


def fingerprint_pages(r: Run) -> None:
    """Which pages to render: those whose fingerprint changed (or is to be taken where they are
    rendered), and the theme's assets staged."""
    previous, on_disk, entries = r.previous, r.on_disk, r.entries
    if r.plan is not None:
        # Planned as before, onto the outputs the plan left: only a page showing a changed body can differ.
        for index in sorted({i for slug in r.new_bodies for i in r.plan.showing.get(slug, ())}):
            page = r.pages[index]
            fingerprint = r.fingerprints.page(page, previous[page.path].bodies)
            if fingerprint != previous[page.path].fingerprint:
                del entries[page.path]
                r.todo.append((index, fingerprint))
    else:
        _fingerprint_all(r)
    for relative, data in r.published.files.items():
        fingerprint = key_of(data)
        old = previous.get(relative)
        if old and old.fingerprint == fingerprint and on_disk.get(relative) == (old.size, old.mtime_ns):
            entries[relative] = old
            continue
        written = r.writer.put(relative, data)
        entries[relative] = OutputEntry(fingerprint, written.size, written.mtime_ns)
        if written.changed:
            r.staged.append(relative)


def _fingerprint_all(r: Run) -> None:
    """Every page of a new plan against the last build's outputs."""
    previous, on_disk, entries, changed_bodies = r.previous, r.on_disk, r.entries, r.changed_bodies
    retemplated: frozenset[str] = frozenset()  # templates changed since a last build planned alike
    if r.last is not None:
        retemplated = frozenset(t for t, key in r.keys_of_templates.items() if r.last.template_keys.get(t) != key)
    # A separate build fingerprints the pages of a new layout where they would be rendered, in
    # parallel; a resident caller's here, where its fingerprinter remembers pages' inputs between builds.
    check_there = changed_bodies is None and r.resident is None
    for index, page in enumerate(r.pages):
        old = previous.get(page.path)
        if old is not None and on_disk.get(page.path) == (old.size, old.mtime_ns):
            if changed_bodies is None:
                if check_there:
                    r.todo.append((index, _CHECK))
                    continue
            elif page.template in retemplated:
                r.todo.append((index, None))  # (fingerprinted where it is rendered, in parallel)
                continue
            elif changed_bodies.isdisjoint(old.bodies):
                entries[page.path] = old  # (its fingerprint would be the one it has)
                continue
        elif check_there:
            r.todo.append((index, None))
            continue
        fingerprint = r.fingerprints.page(page, old.bodies if old else ())
        if old and old.fingerprint == fingerprint and on_disk.get(page.path) == (old.size, old.mtime_ns):
            entries[page.path] = old
        else:
            r.todo.append((index, fingerprint))


def render_pages(r: Run) -> None:
    """Render the pages to do (in worker processes when there are many) and stage their bytes;
    every error of the build raises here, before anything is committed."""
    done = 0
    todo = r.todo

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if r.indexer is not None and not r.index_later:
            r.indexer.poll()  # start the next shards as others finish
        if r.progress:
            r.progress("rendering", done, len(todo))

    r.loaded.bodies.close()  # processes forked to render open their own connection
    state = {
        "site": r.site,
        "pages": r.pages,
        "env": r.env,
        "bodies": r.loaded.bodies,
        "writer": r.writer,
        "fingerprints": r.fingerprints,
        "assets": r.published.names,
        "previous": r.previous,
    }
    problems: set[Problem] = set()
    for result in run_batches(
        _render_batch, todo, jobs=r.jobs, min_parallel=600, state=state, batch_size=100, on_batch=advance
    ):
        if isinstance(result, Problem):
            problems.add(result)
            continue
        if isinstance(result, str):  # (checked: as it was)
            r.entries[result] = r.previous[result]
            continue
        r.rendered += 1
        path, fingerprint, written, used = result
        r.entries[path] = OutputEntry(fingerprint, written.size, written.mtime_ns, used)
        if written.changed:
            r.staged.append(path)
    r.errors.extend(problems)
    if any(p.severity == "error" for p in r.errors):
        raise ContentError([p for p in r.errors if p.severity == "error"], r.site.problems)
    if r.indexer is not None and not r.index_later:
        # (each shard's files are staged while the others are indexed)
        staged, entries, keys, writer, kept = r.staged, r.entries, r.search_keys, r.writer, r.kept_index
        r.indexer.finish(each=lambda files: staged.extend(stage_index(files, writer, entries, keys, kept)))
        r.indexer = None


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


@same_inputs(lambda site: ((site,), None))
def _renderer(site: Site) -> Renderer:
    """One Renderer (and its caches) per process and site, reused across batches."""
    return Renderer(site, shared("env"), body_reader(shared("bodies"), site.body_keys), shared("assets"))
