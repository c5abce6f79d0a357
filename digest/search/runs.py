"""The search index's runs: each shard's segment made in a process of its own, then the one
Pagefind index joined from every shard's segment (digest.search.index).

A reader's search loads one index (`pagefind/`: Pagefind's own format, read by Pagefind's own
JavaScript), whatever the number of briefs. The build makes it in shards of about SHARD_SIZE
briefs (a brief's shard fixed by a hash of its slug): each shard's documents
(digest.search.documents) are read into a segment (digest.search.segment) by a process of its
own while the pages render, a segment is made again only when its shard's documents change,
and the index is joined from the segments (digest.search.bundle). Memory stays bounded by a
shard's documents and the index's own size, and an edit reads one shard again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from digest.core.errors import SearchError
from digest.core.model import Brief
from digest.core.workers import dying_with_parent
from digest.search.documents import FIELDS, document, remove_others, sync_documents, vocabulary
from digest.search.index import index_language, part_prefix, publisher
from digest.search.join import JOINED, Joined, JoinRequest
from digest.search.segment import NAME as SEGMENT
from digest.site.arrange import Site
from digest.site.shards import INDEX_SHARDS, index_groups, shard_count, shards


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
    """The shards to index, each in a process of its own (at most `limit` at a time) writing
    its segment into a temporary folder, then the index joined by `publish` from the segments
    made (shard -> bytes) and those kept from earlier builds. A shard's documents are written
    just before its process starts, so that writing them overlaps with indexing the others and
    with rendering the pages."""

    prepare: Callable[[int], IndexJob]
    pending: list[int]  # shards whose documents are not written yet
    limit: int
    command: list[str]
    publish: Callable[[dict[int, bytes], list[Joined]], dict[str, bytes | None]]
    # The arguments asking a run of these jobs to join the parts it makes all that changed in.
    join: Callable[[Sequence[IndexJob]], list[str]] = lambda _: []
    jobs: list[IndexJob] = field(default_factory=list)  # started
    ready: list[IndexJob] = field(default_factory=list)  # documents written, waiting for a turn

    def poll(self) -> None:
        """Start the next shard if fewer than `limit` run, or else write the documents of the
        next one, so that it starts at once when a run ends (called between batches of pages:
        the builder's own process has little else to do while the pages render, and a run
        waiting for its documents left a core idle)."""
        running = len({j.process.pid for j in self.jobs if j.process is not None and j.process.poll() is None})
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
            # Many shards to index (a first build): several to a process, which then knows
            # most words already when it comes to the next shard.
            batch = [job]
            size = (len(self.ready) + len(self.pending) + 1) // (2 * self.limit)
            while len(batch) < size and (self.ready or self.pending):
                more = self.ready.pop(0) if self.ready else self.prepare(self.pending.pop(0))
                if more.process is not None:  # (a head start: runs on its own)
                    self.jobs.append(more)
                    continue
                batch.append(more)
                self.jobs.append(more)
            try:
                launch(self.command, batch, extra=self.join(batch))
            except SearchError:
                self.cancel()
                raise

    def finish(
        self,
        superseded: Callable[[], bool] | None = None,
        each: Callable[[dict[str, bytes | None]], None] | None = None,
    ) -> dict[str, bytes | None] | None:
        """The published files of the index, relative to the output folder (`pagefind/...`),
        once every shard to index is; None if `superseded()` said, while the shards were
        indexed, that the index is no longer wanted. With `each`, the files go to `each`, and
        none are returned."""
        made: dict[int, bytes] = {}
        joined: list[Joined] = []
        outputs: dict[int, bytes] = {}  # process id -> what it printed
        try:
            self.poll()
            done = 0
            while done < len(self.jobs):
                job = self.jobs[done]
                assert job.process is not None
                while job.process.returncode is None:
                    try:
                        outputs[job.process.pid] = job.process.communicate(timeout=0.05)[0]
                    except subprocess.TimeoutExpired:
                        if superseded is not None and superseded():
                            return None
                        self.poll()  # keep `limit` shards running
                if job.process.returncode != 0:
                    tail = outputs.get(job.process.pid, b"").decode("utf-8", "replace").strip().splitlines()[-3:]
                    raise SearchError(
                        f"indexing the search documents failed ({'; '.join(tail) or f'exit {job.process.returncode}'})"
                    )
                self.poll()  # (the next run starts before this one's segment is read)
                made[job.shard] = _segment_of(job)
                joined += _joined_in(job)
                shutil.rmtree(job.output, ignore_errors=True)
                done += 1
                self.poll()
            if superseded is not None and superseded():
                return None
            files = self.publish(made, joined)
            if each is not None:
                each(files)
                return {}
            return files
        finally:
            self.cancel()

    def cancel(self) -> None:
        for job in [*self.jobs, *self.ready]:
            job.stop()


def launch(command: list[str], job: IndexJob | Sequence[IndexJob], nice: int = 10, extra: Sequence[str] = ()) -> None:
    """Index the job's shard (or the jobs' shards, one after another) in a process of its own,
    `nice` below this process in priority, with the `extra` arguments. It ends when the build's
    process does: left without its build, a run (of Pagefind, then) was seen to wait for ever
    at start-up."""
    jobs = [job] if isinstance(job, IndexJob) else list(job)
    argv = list(command)
    for each in jobs:
        argv += ["--site", str(each.docs), "--output-path", str(each.output)]
    argv += extra
    try:
        if not os.access(argv[0], os.X_OK):  # (said here: the program that starts it would only fail)
            raise FileNotFoundError(errno.ENOENT, "not found or not executable", argv[0])
        process = subprocess.Popen(
            dying_with_parent(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    except OSError as exc:
        raise SearchError(f"cannot index the search documents ({argv[0]}): {exc.strerror or exc}") from None
    for each in jobs:
        each.process = process
        with contextlib.suppress(OSError):
            _pid_file(each.output).write_text(str(process.pid), encoding="ascii")
    # Below the build and the browser in priority: `digest serve` reloads the page while the
    # index is made, and `digest build`'s renderers come first.
    if nice:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, process.pid, nice)


def command(site_language: str, version: str) -> list[str]:
    """The command making a shard's segment, but for its folders (see digest.search.worker),
    with the pages read by a run of this version of the code (`version`) reused."""
    language = index_language(site_language)
    reuse = ["--reuse", version] if version else []
    return [sys.executable, "-m", "digest.search.worker", "--language", language, *reuse, "--fields", ",".join(FIELDS)]


def join_request(
    jobs: Sequence[IndexJob], stale: Iterable[int], folder: Path, count: int, language: str, site_dir: Path
) -> list[str]:
    """The arguments asking a run of `jobs` to join each part in which it makes every shard of
    `stale` (the shards to index again), so that the join runs beside the rendering (see
    digest.search.join); none if there is no such part, or the request cannot be written."""
    mine = {j.shard for j in jobs}
    left = {s // INDEX_SHARDS for s in stale if s not in mine}
    parts = sorted({s // INDEX_SHARDS for s in mine} - left)
    if not parts:
        return []
    request = JoinRequest(
        str(folder),
        language,
        str(site_dir),
        INDEX_SHARDS,
        {str(j.output): j.shard for j in jobs},
        {part: part_prefix(part, index_groups(count)) for part in parts},
    )
    path = jobs[0].output / "join.json"
    try:
        request.write(path)
    except OSError:
        return []  # (the build joins)
    return ["--join", str(path)]


def _joined_in(job: IndexJob) -> list[Joined]:
    """What the job's run joined (see join_request)."""
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(job.output):
            if entry.name.startswith(JOINED):
                with open(entry.path, "rb") as handle:
                    joined = Joined.loads(handle.read())
                if joined is not None:
                    found.append(joined)
    return found


def _segment_of(job: IndexJob) -> bytes:
    try:
        return (job.output / SEGMENT).read_bytes()
    except OSError as exc:
        raise SearchError(f"the search index of shard {job.shard} was not written: {exc.strerror or exc}") from None


def start_index(
    site: Site,
    folder: Path,
    keys: Mapping[str, str],
    index_keys: Mapping[int, str],
    todo: Iterable[int],
    body: Callable[[Brief], str],
    date_text: Callable[[Brief], str],
    limit: int,
    *,
    start: bool = True,
    head: dict[int, IndexJob] | None = None,
    present: Callable[[str], bool] = lambda _: False,
    previous: Mapping[str, str] | None = None,
    site_dir: Path | None = None,
    version: str = "",
) -> Indexer:
    """Index the shards `todo` again: each shard's documents in `folder` are brought up to date
    with `keys` when its turn comes, then a run reads them (at most `limit` at a time); the index
    is joined once they are done (its files that `present` says are in place are not made again).
    Given the site folder (`site_dir`), a run that makes all that changed in a part joins it.
    A run reuses what a run of the same `version` of the code read of a document unchanged since.
    Without `start`, nothing runs before the first `poll()`. A run in `head` (shard -> job, see
    digest.build.headstart) is taken over, and removed from it, when its shard's documents were
    already exactly these; otherwise it is stopped and the shard indexed again."""
    docs = folder / "docs"
    groups, words = shards(site), vocabulary(site)
    count = shard_count(sum(len(g) for g in groups.values()))
    try:
        remove_others(docs, [str(n) for n in range(count)])
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
                lambda s: document(words, members[s], body(members[s]), date_text(members[s])),
            )
            early = head.pop(shard, None) if head is not None else None
            if early is not None:
                if not wrote and early.docs == shard_docs:
                    return early  # (Pagefind already runs on these very documents)
                early.stop()
            return IndexJob(shard, shard_docs, Path(tempfile.mkdtemp(prefix=f"index-{shard}.", dir=scratch(folder))))
        except OSError as exc:
            raise SearchError(f"cannot write the search documents in {folder}: {exc.strerror or exc}") from None

    stale, language = sorted(todo), index_language(site.config.language)
    publish = publisher(language, folder, index_keys, count, present, previous)

    def join(jobs: Sequence[IndexJob]) -> list[str]:
        return [] if site_dir is None else join_request(jobs, stale, folder, count, language, site_dir)

    indexer = Indexer(prepare, list(stale), max(1, limit), command(site.config.language, version), publish, join)
    if start:
        indexer.poll()
    return indexer


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
