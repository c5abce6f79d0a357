"""The search index: one small HTML document per brief, indexed by Pagefind into `pagefind/`.

The index is made from the content model, not from the rendered pages, so an incremental
build that renders a single page still indexes every brief. Each brief becomes a document in
`.digest-cache/search/<output>/briefs/<slug>/index.html` holding what a reader searches
(title, summary, key points and body, weighted toward the title and key points) and what a
result shows (title, date, summary, tags), plus the filters (one per tag group, and the
year). Documents are rewritten only when their brief, its tags or the settings changed.

Pagefind holds a whole index in memory while it builds it, and its time grows with the briefs
it is given, so a large digest is indexed in shards of about SHARD_SIZE briefs, at most MAX_SHARDS of them
(`pagefind/<n>/`, a brief's shard fixed by a hash of its slug, the number of shards a power of
two): memory stays bounded, and an edit indexes one shard again. The Pagefind binary (PyPI `pagefind[extended]`) indexes the shards
in separate processes while the build renders its pages; the search page loads the first
shard and merges the others (Pagefind's multisite search), which add one small request each.

Chinese and Japanese text has no spaces between words, and Pagefind only splits it in a
Chinese or Japanese index, which a page in the site's language never loads. So han and kana
characters are indexed one by one (a space between each), and the search page splits a
query the same way: a search for 芯片 finds every brief with 芯 and 片, best matches first.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gzip
import hashlib
import html
import json
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2

from digest.core.model import Brief
from digest.core.workers import dying_with_parent
from digest.search.tool import pagefind_version
from digest.site.arrange import OTHER_GROUP, Site
from digest.site.shards import filters_of, group_labels, indexed, shard_count, shards

SEARCH_DIR = "pagefind"
log = logging.getLogger(__name__)
FORMAT = "3"  # bump when the documents change shape
# Pagefind's own UIs: the theme has its own search page, so they are not published.
_UNPUBLISHED = re.compile(r"^pagefind-(ui|modular-ui|component-ui|highlight)\b|^playground/")
_CJK = "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PAIR = re.compile(f"(?<=[{_CJK}])(?=[{_CJK}])")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_TAG = re.compile(r"(<[^>]*>)")


class SearchError(Exception):
    """The index could not be made; the message says why and what to do."""


def _packaged_binary() -> Path | None:
    """The binary that the `pagefind_bin_extended` or `pagefind_bin` package holds, found as
    Pagefind's own `get_executable` finds it, without importing `pagefind.service` (which imports
    asyncio, a delay before a one-brief edit's head start can start Pagefind)."""
    import importlib.util

    names = ["pagefind_extended", "pagefind"]
    names += [f"{n}.exe" for n in names] if os.name == "nt" else []
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for name in names:
                candidate = Path(folder) / name
                if candidate.is_file():
                    return candidate
    return None


def pagefind_binary() -> Path:
    found = Path(os.environ["PAGEFIND_BINARY_PATH"]) if os.environ.get("PAGEFIND_BINARY_PATH") else None
    found = found or _packaged_binary()
    if found is None:
        try:
            from pagefind.service import get_executable
        except ImportError:  # pragma: no cover - a dependency of digest
            get_executable = None  # type: ignore[assignment]
        found = get_executable() if get_executable else None
    if found is None:
        raise SearchError(
            "search needs the Pagefind binary, which is missing; "
            "expected `pip install 'pagefind[extended]'`, or `search: false` in digest.yaml"
        )
    return found


def space_cjk(markup: str) -> str:
    """A space between adjacent han/kana characters in the text of `markup` (not in its tags)."""
    if not _CJK_CHAR.search(markup):
        return markup  # (most text: one scan instead of splitting and testing every position)
    parts = _TAG.split(markup)
    return "".join(p if p.startswith("<") else _CJK_PAIR.sub(" ", p) for p in parts)


def shard_prefix(shard: int) -> str:
    return f"{SEARCH_DIR}/{shard}/"


def shard_of_path(relative: str) -> int | None:
    """The shard an output file of the index belongs to ('pagefind/3/index/x' -> 3)."""
    parts = relative.split("/")
    if len(parts) > 2 and parts[0] == SEARCH_DIR and parts[1].isdigit():
        return int(parts[1])
    return None


def document_keys(site: Site, version: str, briefs: Iterable[Brief] | None = None) -> dict[str, str]:
    """Slug -> a hash of everything that brief's search document is made of (its text through
    its `meta_digest` and body key, its tags' labels, groups and URLs, the language, and the
    `version` of the code that makes documents), for every indexed brief (or those of `briefs`)."""
    labels = group_labels(site)
    tags: dict[str, str] = {}  # slug -> what a document shows of the tag

    def tag(slug: str) -> str:
        known = tags.get(slug)
        if known is None:
            t = site.tags[slug]
            known = tags[slug] = (
                f"{t.url}\x1f{t.label}\x1f{labels.get(t.group, OTHER_GROUP[1])}\x1f{_tag_terms(site, slug)}"
            )
        return known

    synonyms = "\x1d".join("\x1f".join(group) for group in site.config.synonyms)
    common = f"{FORMAT}\x1e{version}\x1e{site.config.language}\x1e{synonyms}\x1e"
    keys = {}
    body_keys = site.body_keys
    for brief in indexed(site) if briefs is None else (b for b in briefs if site.config.search_drafts or not b.draft):
        text = (
            common
            + brief.meta_digest
            + body_keys.get(brief.slug, "")
            + brief.published.isoformat()
            + "\x1e"
            + "\x1e".join([tag(s) for s in brief.tags])
        )
        keys[brief.slug] = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return keys


def shard_keys(site: Site, keys: Mapping[str, str], only: Collection[int] | None = None) -> dict[int, str]:
    """Each shard's index (or the shards in `only`): changes when any of its documents does, or
    the Pagefind version, the language or the number of shards."""
    groups = shards(site)
    count = shard_count(sum(len(g) for g in groups.values()))
    found = {}
    for shard, members in groups.items():
        if only is not None and shard not in only:
            continue
        digest = hashlib.blake2b(
            f"{FORMAT} {pagefind_version()} {site.config.language} {count} {shard}".encode(), digest_size=16
        )
        for slug in sorted(b.slug for b in members):
            digest.update(f"{slug}={keys[slug]};".encode())
        found[shard] = digest.hexdigest()
    return found


def _tag_terms(site: Site, slug: str) -> str:
    """A tag's label and the aliases the taxonomy gives it, as a search matches them."""
    definition = site.taxonomy.tags.get(slug)
    aliases = definition.aliases if definition is not None else ()
    return " ".join(dict.fromkeys([site.tags[slug].label, *aliases]))


@functools.lru_cache(maxsize=8)
def _variants(synonyms: tuple[tuple[str, ...], ...]) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    """Each group of synonyms: a pattern finding any of them as whole words, and the group."""
    found = []
    for group in synonyms:
        words = "|".join(re.escape(w) for w in sorted(group, key=len, reverse=True))
        found.append((re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE), group))
    return tuple(found)


def folded(synonyms: tuple[tuple[str, ...], ...], text: str) -> list[str]:
    """The synonyms of the words and phrases of `text` that `text` does not hold itself, so that a
    search for any spelling of a group finds the brief (licence finds license)."""
    extra: list[str] = []
    for pattern, group in _variants(synonyms):
        present = {m.casefold() for m in pattern.findall(text)}
        if present:
            extra += [w for w in group if w.casefold() not in present]
    return extra


def document(site: Site, brief: Brief, body_html: str, date_text: str) -> str:
    """The HTML Pagefind indexes for one brief. Meta values are the plain text a result shows.

    After the text come the brief's tags (labels and aliases, weighted as key points are, so that
    a brief tagged with what a reader searches for ranks above one that mentions it) and the
    synonyms the site folds; `tail` tells the search page how many words those are, so that an
    excerpt never shows them (nor the title and summary, which a result shows already)."""
    e = html.escape
    tags = json.dumps([[site.tags[s].label, site.tags[s].url] for s in brief.tags], ensure_ascii=False)
    tag_terms = space_cjk(" ".join(_tag_terms(site, s) for s in brief.tags))
    synonyms = ""
    if site.config.synonyms:
        text = _TAG.sub(" ", " ".join([e(brief.title), e(brief.summary), *brief.key_points_html, body_html]))
        synonyms = space_cjk(" ".join(folded(site.config.synonyms, text)))
    meta = {
        "title": brief.title,
        "summary": brief.summary,
        "date": date_text,
        "datetime": brief.date.isoformat(),
        "tags": tags,
    }
    if brief.source is not None and brief.source.name:
        meta["source"] = brief.source.name
    if brief.draft:
        meta["draft"] = "draft"
    meta["tail"] = str(len(tag_terms.split()) + len(synonyms.split()))
    hidden = "".join(f'<span data-pagefind-meta="{k}">{e(v)}</span>' for k, v in meta.items())
    hidden += "".join(
        f'<span data-pagefind-filter="{e(name)}">{e(value)}</span>' for name, value in filters_of(site, brief)
    )
    hidden += f'<span data-pagefind-sort="date">{e(brief.published.isoformat())}</span>'
    points = "".join(f"<li>{space_cjk(p)}</li>" for p in brief.key_points_html)
    return (
        f'<!DOCTYPE html><html lang="{e(site.config.language)}"><head><meta charset="utf-8">'
        f"<title>{e(brief.title)}</title></head><body><main data-pagefind-body>"
        f'<h1 data-pagefind-weight="10">{space_cjk(e(brief.title))}</h1>'
        f'<p data-pagefind-weight="4">{space_cjk(e(brief.summary))}</p>'
        f'<ul data-pagefind-weight="6">{points}</ul>'
        f"<div>{space_cjk(body_html)}</div>"
        + (f'<p data-pagefind-weight="6">{e(tag_terms)}</p>' if tag_terms else "")
        + (f"<p>{e(synonyms)}</p>" if synonyms else "")
        + f"<div data-pagefind-ignore>{hidden}</div>"
        "</main></body></html>"
    )


@dataclass
class IndexJob:
    shard: int
    docs: Path
    output: Path
    process: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        """Stop Pagefind, if it runs, and remove what it wrote."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.output, ignore_errors=True)
        _pid_file(self.output).unlink(missing_ok=True)
        if self.output.parent.parent == SCRATCH_ROOT:  # (a scratch folder: gone when empty)
            with contextlib.suppress(OSError):
                self.output.parent.rmdir()


# Pagefind writes each run's files (hundreds for a shard) into a scratch folder that the build reads
# and removes at once. In memory (tmpfs) no file is allocated on disk only to be unlinked and its
# blocks discarded.
SCRATCH_ROOT = Path("/dev/shm")
SCRATCH_FREE = 1 << 30  # the memory file system is used only with this much free


def scratch(folder: Path, *, create: bool = True) -> Path:
    """Where Pagefind's runs for the index in `folder` write: a folder of this user's own in
    SCRATCH_ROOT when it is there with room to spare (made if need be, with `create`), else
    `folder` itself."""
    try:
        free = os.statvfs(SCRATCH_ROOT)
        if free.f_bavail * free.f_frsize < SCRATCH_FREE:
            return folder
        key = hashlib.blake2b(str(folder.absolute()).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        path = SCRATCH_ROOT / f"digest-{os.getuid()}-{key}"
        if create:
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o700)
        found = os.lstat(path)  # (shared by every user: ours only if we own it and nobody else can write)
        if stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid() and not found.st_mode & 0o077:
            return path
    except (OSError, AttributeError):  # (no such folder, or not POSIX)
        pass
    return folder


def _pid_file(output: Path) -> Path:
    """Where a running Pagefind's process id is kept, for the next build should this one be killed."""
    return output.with_name(output.name + ".pid")


@dataclass
class Indexer:
    """Pagefind over the shards to index, at most `limit` processes at a time, each into a
    temporary folder. A shard's documents are written just before its Pagefind starts, so
    that writing them overlaps with indexing the others and with rendering the pages."""

    prepare: Callable[[int], IndexJob]
    pending: list[int]  # shards whose documents are not written yet
    limit: int
    command: list[str]
    jobs: list[IndexJob] = field(default_factory=list)  # started
    ready: list[IndexJob] = field(default_factory=list)  # documents written, waiting for a turn

    def poll(self) -> None:
        """Start the next shard if fewer than `limit` run, or else write the documents of the
        next one, so that it starts at once when a run ends (called between batches of pages:
        the builder's own process has little else to do while the pages render, and a run of
        Pagefind waiting for its documents left a core idle)."""
        running = sum(1 for j in self.jobs if j.process is not None and j.process.poll() is None)
        if running >= self.limit:
            if self.pending:
                job = self.prepare(self.pending.pop(0))
                (self.jobs if job.process is not None else self.ready).append(job)  # (a head start runs)
            return
        if self.ready:
            job = self.ready.pop(0)
        elif self.pending:
            job = self.prepare(self.pending.pop(0))
        else:
            return
        self.jobs.append(job)
        if job.process is None:  # (not a head start taken over: see prepare)
            try:
                launch(self.command, job)
            except SearchError:
                self.cancel()
                raise

    def finish(
        self,
        superseded: Callable[[], bool] | None = None,
        each: Callable[[dict[str, bytes]], None] | None = None,
    ) -> dict[str, bytes] | None:
        """The published files of the shards indexed, relative to the output folder
        (`pagefind/<shard>/...`); None if `superseded()` said, while Pagefind ran, that the
        index is no longer wanted. With `each`, each shard's files go to `each` as soon as
        the shard is indexed (while the others still are), and none are returned."""
        files: dict[str, bytes] = {}
        try:
            self.poll()
            done = 0
            while done < len(self.jobs):
                job = self.jobs[done]
                assert job.process is not None
                while True:
                    try:
                        out, _ = job.process.communicate(timeout=0.05)
                        break
                    except subprocess.TimeoutExpired:
                        if superseded is not None and superseded():
                            return None
                        self.poll()  # keep `limit` shards running
                if job.process.returncode != 0:
                    tail = out.decode("utf-8", "replace").strip().splitlines()[-3:]
                    raise SearchError(f"Pagefind failed ({'; '.join(tail) or f'exit {job.process.returncode}'})")
                self.poll()  # (the next run starts before this one's files are read)
                if each is not None:
                    each(_published(job))
                else:
                    files.update(_published(job))
                shutil.rmtree(job.output, ignore_errors=True)
                done += 1
                self.poll()
            if superseded is not None and superseded():
                return None
            return files
        finally:
            self.cancel()

    def cancel(self) -> None:
        for job in [*self.jobs, *self.ready]:
            job.stop()


def launch(command: list[str], job: IndexJob, nice: int = 10) -> None:
    """Run Pagefind on the job's documents, into its output folder, `nice` below this process in
    priority. It ends when the build's process does: left without its build, a Pagefind was
    seen to wait for ever at start-up."""
    argv = [*command, "--site", str(job.docs), "--output-path", str(job.output)]
    try:
        if not os.access(argv[0], os.X_OK):  # (said here: the program that starts it would only fail)
            raise FileNotFoundError(errno.ENOENT, "not found or not executable", argv[0])
        job.process = subprocess.Popen(
            dying_with_parent(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    except OSError as exc:
        raise SearchError(f"cannot run Pagefind ({argv[0]}): {exc.strerror or exc}") from None
    with contextlib.suppress(OSError):
        _pid_file(job.output).write_text(str(job.process.pid), encoding="ascii")
    # Below the build and the browser in priority: `digest serve` reloads the page while
    # Pagefind runs, and `digest build`'s renderers come first.
    if nice:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, job.process.pid, nice)


def command(site_language: str) -> list[str]:
    """Pagefind's command line, but for the folders."""
    language = site_language.split("-")[0].lower()
    return [str(pagefind_binary()), "--force-language", language, "--quiet"]


def _published(job: IndexJob) -> dict[str, bytes]:
    prefix = shard_prefix(job.shard)
    files: dict[str, bytes] = {}
    for path in sorted(job.output.rglob("*")):
        relative = path.relative_to(job.output).as_posix()
        if path.is_file() and not _UNPUBLISHED.search(relative):
            files[prefix + relative] = path.read_bytes()
    if prefix + "pagefind.js" not in files:
        raise SearchError("Pagefind wrote no index")
    return reproducible(files, prefix)


_SIGNATURE = b"pagefind_dcd"


def _unpack(data: bytes) -> Any:
    raw = gzip.decompress(data)
    if not raw.startswith(_SIGNATURE):
        raise ValueError("not a Pagefind file")
    return cbor2.loads(raw[len(_SIGNATURE) :])


def _pack(value: Any) -> bytes:
    return gzip.compress(_SIGNATURE + cbor2.dumps(value, canonical=True), mtime=0)


def reproducible(files: dict[str, bytes], prefix: str) -> dict[str, bytes]:
    """The same index files for the same documents, build after build.

    Pagefind writes the values of each filter in hash-map order, which changes from run to run,
    and names files after their bytes, so the filter files, the metadata file naming them and
    `pagefind-entry.json` would differ between two builds of one site. Their values are sorted
    here and the files renamed after the sorted bytes. If the format is not the one expected
    (another Pagefind version), the files are left as Pagefind wrote them: still correct."""
    try:
        entry_name = prefix + "pagefind-entry.json"
        entry = json.loads(files[entry_name])
        out = dict(files)
        for language, info in entry["languages"].items():
            meta_name = f"{prefix}pagefind.{info['hash']}.pf_meta"
            meta = _unpack(files[meta_name])
            filters = []
            for name, old_hash in meta[3]:
                old_path = f"{prefix}filter/{old_hash}.pf_filter"
                filter_name, values = _unpack(files[old_path])
                data = _pack([filter_name, sorted(values, key=lambda v: v[0])])
                new_hash = f"{language}_{hashlib.sha256(data).hexdigest()[:7]}"
                del out[old_path]
                out[f"{prefix}filter/{new_hash}.pf_filter"] = data
                filters.append([name, new_hash])
            meta[3] = sorted(filters)
            data = _pack(meta)
            new_hash = f"{language}_{hashlib.sha256(data).hexdigest()[:10]}"
            del out[meta_name]
            out[f"{prefix}pagefind.{new_hash}.pf_meta"] = data
            info["hash"] = new_hash
        out[entry_name] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return dict(sorted(out.items()))
    except (KeyError, ValueError, TypeError, IndexError, OSError, EOFError, cbor2.CBORError) as exc:
        log.warning("search index left as Pagefind wrote it (%s)", exc)
        return files


def start_index(
    site: Site,
    folder: Path,
    keys: Mapping[str, str],
    todo: Iterable[int],
    body: Callable[[Brief], str],
    date_text: Callable[[Brief], str],
    limit: int,
    *,
    start: bool = True,
    head: dict[int, IndexJob] | None = None,
) -> Indexer:
    """Index the shards `todo` again: each shard's documents in `folder` are brought up to date
    with `keys` when its turn comes, then Pagefind runs on them (at most `limit` at a time).
    Without `start`, nothing runs before the first `poll()`. A run in `head` (shard -> job, see
    digest.build.headstart) is taken over, and removed from it, when its shard's documents were
    already exactly these; otherwise it is stopped and the shard indexed again."""
    docs = folder / "docs"
    groups = shards(site)
    count = shard_count(sum(len(g) for g in groups.values()))
    try:
        _remove_others(docs, [str(n) for n in range(count)])
        remove_leftovers(folder, keep=[j.output for j in (head or {}).values()])
    except OSError as exc:
        raise SearchError(f"cannot write the search documents in {folder}: {exc.strerror or exc}") from None

    def prepare(shard: int) -> IndexJob:
        members = {b.slug: b for b in groups[shard]}
        shard_docs = docs / str(shard)
        try:
            wrote = sync_documents(
                shard_docs,
                {s: keys[s] for s in members},
                lambda s: document(site, members[s], body(members[s]), date_text(members[s])),
            )
            early = head.pop(shard, None) if head is not None else None
            if early is not None:
                if not wrote and early.docs == shard_docs:
                    return early  # (Pagefind already runs on these very documents)
                early.stop()
            return IndexJob(shard, shard_docs, Path(tempfile.mkdtemp(prefix=f"index-{shard}.", dir=scratch(folder))))
        except OSError as exc:
            raise SearchError(f"cannot write the search documents in {folder}: {exc.strerror or exc}") from None

    indexer = Indexer(prepare, sorted(todo), max(1, limit), command(site.config.language))
    if start:
        indexer.poll()
    return indexer


def sync_documents(shard_docs: Path, keys: Mapping[str, str], make: Callable[[str], str]) -> bool:
    """Bring the documents of one shard to `keys` (slug -> document key): a document whose key
    differs from the shard's manifest (or that is missing) is written with `make(slug)`, one of
    another brief removed. True if anything was written or removed. (OSError as it comes.)"""
    manifest_path = shard_docs / "manifest.json"
    wrote = False
    manifest = read_manifest(shard_docs)
    if manifest is None:
        manifest = {}
        shutil.rmtree(shard_docs, ignore_errors=True)
        wrote = True
    manifest_path.unlink(missing_ok=True)  # written again once every document is in place
    wrote = _remove_others(shard_docs / "briefs", keys) or wrote
    folder = str(shard_docs / "briefs")
    os.makedirs(folder, exist_ok=True)
    for slug, key in keys.items():
        target = f"{folder}/{slug}/index.html"
        if manifest.get(slug) == key and os.path.isfile(target):
            continue
        with contextlib.suppress(FileExistsError):
            os.mkdir(f"{folder}/{slug}")
        # (written in place: with the manifest gone until every document is written, a build
        # killed meanwhile leaves the next one to write the shard's documents again)
        with open(target, "w", encoding="utf-8", opener=_no_follow) as handle:
            handle.write(make(slug))
        wrote = True
    manifest_path.write_text(json.dumps(dict(keys), sort_keys=True), encoding="utf-8")
    return wrote


def _no_follow(path: str, flags: int) -> int:
    """An `opener` that never writes through a symbolic link (the documents are in the cache)."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)


def remove_leftovers(folder: Path, keep: Iterable[Path]) -> None:
    """Remove what Pagefind runs of earlier builds left in `folder` (a build killed while
    Pagefind ran), but the runs in `keep`. Such a run's Pagefind is stopped too: left without
    its build, it was seen to wait forever at start-up, holding its threads."""
    kept = {str(p) for p in keep}
    places = list(dict.fromkeys([folder, scratch(folder, create=False)]))
    entries = []
    for place in places:
        with contextlib.suppress(FileNotFoundError):
            entries += list(os.scandir(place))
    for entry in entries:
        if not entry.name.startswith("index-"):
            continue
        if entry.name.endswith(".pid"):
            output = entry.path.removesuffix(".pid")
            if output not in kept:
                _stop_left(Path(entry.path), output)
        elif entry.path not in kept:
            shutil.rmtree(entry.path, ignore_errors=True)
    for place in places[1:]:  # (the scratch folder, gone when empty)
        with contextlib.suppress(OSError):
            place.rmdir()


def _stop_left(pid_file: Path, output: str) -> None:
    """Kill the Pagefind a pid file names, if that process still runs into `output`."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text(encoding="ascii"))
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if output.encode() in command:  # (that very run, not a process that took its number)
            os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def read_manifest(shard_docs: Path) -> dict[str, str] | None:
    """Slug -> key of each document in place in a shard's folder; None if unknown."""
    try:
        manifest = json.loads((shard_docs / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _remove_others(folder: Path, keep: Iterable[str]) -> bool:
    """Remove what `folder` holds but the names in `keep`; True if anything was there."""
    wanted = set(keep)
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return False
    removed = False
    for entry in entries:
        if entry.name not in wanted:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed = True
    return removed
