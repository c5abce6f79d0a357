"""One index's files (`pagefind/`, or a very large digest's part `pagefind/<n>/`) joined from
its shards' segments (digest.search.bundle), with Pagefind's own JavaScript and WebAssembly to
read it; and the segments, kept between builds (a shard's is made again only when its documents
change).

The build joins (digest.search.index); so does a shard's run (digest.search.worker, with
`--join`) when it made every segment that changed in a part: its join then runs while the
build renders the pages, and the build takes its files once it has checked they were joined
from the very segments it would have used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from digest.core.errors import SearchError
from digest.core.files import replace_file
from digest.core.workers import dying_with_parent
from digest.search.bundle import assemble
from digest.search.segment import Segment
from digest.search.tool import pagefind_binary, pagefind_version

FORMAT_OF = "1.5."  # the Pagefind versions whose index format digest.search.bundle writes
# What the search page loads of Pagefind's own files (not its UIs: the theme has its own page).
_RUNTIME = re.compile(r"^(pagefind\.js|pagefind-worker\.js|wasm\.[a-z0-9_-]+\.pagefind)$")


def runtime(folder: Path, language: str) -> tuple[dict[str, bytes], dict[str, object]]:
    """Pagefind's JavaScript and WebAssembly for `language` (file name -> bytes), and its entry
    file's data (its version, the language's WebAssembly, the characters kept in words): from a
    run of the Pagefind binary over a one-page site, once per Pagefind version and language."""
    place = folder / "runtime" / f"{hashlib.blake2b(pagefind_version().encode(), digest_size=8).hexdigest()}-{language}"
    if not (place / "pagefind-entry.json").is_file():
        _make_runtime(place, language)
    files = {p.name: p.read_bytes() for p in sorted(place.iterdir()) if _RUNTIME.match(p.name)}
    entry = json.loads((place / "pagefind-entry.json").read_bytes())
    if not str(entry.get("version", "")).startswith(FORMAT_OF):
        raise SearchError(
            f"the installed Pagefind is version {entry.get('version')}, whose index format digest does not write;"
            " expected `pip install 'pagefind[extended]>=1.5.2,<1.6'`"
        )
    return files, entry


def _make_runtime(place: Path, language: str) -> None:
    place.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=place.parent, prefix="making-") as work:
        site, out = Path(work) / "site", Path(work) / "out"
        site.mkdir()
        (site / "index.html").write_text(
            f'<!DOCTYPE html><html lang="{language}"><body><main data-pagefind-body><p>digest</p></main></body></html>',
            encoding="utf-8",
        )
        argv = [str(pagefind_binary()), "--force-language", language, "--quiet", "--site", str(site)]
        try:
            run = subprocess.run(
                dying_with_parent([*argv, "--output-path", str(out)]),
                capture_output=True,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except OSError as exc:
            raise SearchError(f"cannot run Pagefind ({argv[0]}): {exc.strerror or exc}") from None
        if run.returncode != 0 or not (out / "pagefind-entry.json").is_file():
            tail = run.stdout.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise SearchError(f"Pagefind failed ({'; '.join(tail) or f'exit {run.returncode}'})")
        ready = Path(work) / "runtime"
        ready.mkdir()
        for path in out.iterdir():
            if _RUNTIME.match(path.name) or path.name == "pagefind-entry.json":
                shutil.copyfile(path, ready / path.name)
        with contextlib.suppress(OSError):  # (another build made it meanwhile: the same files)
            ready.rename(place)


def segment_path(folder: Path, shard: int, key: str) -> Path:
    """Where a shard's segment made for `key` is kept between builds."""
    return folder / "segments" / f"{shard}.{key}"


def kept_segments(folder: Path) -> dict[int, str]:
    """The shards whose segments are kept, and the key each was made for."""
    found = {}
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder / "segments"):
            shard, dot, key = entry.name.partition(".")
            if dot and shard.isdigit() and "." not in key:
                found[int(shard)] = key
    return found


def keep_segment(folder: Path, shard: int, key: str, data: bytes) -> None:
    """Keep a shard's segment made for `key` (in place of the one kept before)."""
    path = segment_path(folder, shard, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, lambda stream: stream.write(data))
    for entry in os.scandir(path.parent):
        if entry.name.startswith(f"{shard}.") and entry.name != path.name:
            os.unlink(entry.path)


def join(
    folder: Path,
    language: str,
    shards: Sequence[int],
    keys: Mapping[int, str],
    made: Mapping[int, bytes],
    prefix: str,
    present: Callable[[str], bool],
) -> dict[str, bytes | None]:
    """One index's files (under `prefix`), joined from its shards' segments: the ones `made`
    (shard -> bytes), else the ones kept for `keys`. A file that `present` says is in place and
    is named by its content is None (not made again)."""
    assets, entry = runtime(folder, language)
    pages = 0

    def segments() -> Iterator[Segment]:
        # (one at a time: each is let go once its words are joined)
        nonlocal pages
        for shard in shards:
            data = made.get(shard)
            try:
                segment = Segment.loads(
                    data if data is not None else segment_path(folder, shard, keys[shard]).read_bytes()
                )
            except (OSError, ValueError, EOFError, TypeError) as exc:
                raise SearchError(f"cannot read the search index's parts in {folder}: {exc}") from None
            pages += len(segment.pages)
            yield segment

    meta_hash, files = assemble(segments(), language, str(entry["version"]), lambda path: present(prefix + path))
    wasm = entry.get("languages", {}).get(language, {}).get("wasm")  # type: ignore[union-attr]
    index_entry = {
        "version": entry["version"],
        "languages": {language: {"hash": meta_hash, "wasm": wasm, "page_count": pages}},
        "include_characters": entry.get("include_characters", []),
    }
    published: dict[str, bytes | None] = {prefix + name: data for name, data in assets.items()}
    published[prefix + "pagefind-entry.json"] = json.dumps(
        index_entry, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    published.update((prefix + name, data) for name, data in files.items())
    return published


# A part joined by a shard's run: what it was joined from, and its files.
JOINED = "joined."  # + the part's number: the file a run writes it to (in its first output folder)
_JOINED_FORMAT = 1


@dataclass(frozen=True)
class Joined:
    part: int
    made: frozenset[int]  # the shards whose segments the run made
    kept: dict[int, str]  # the part's other shards, and the key of the segment kept for each
    files: dict[str, bytes | None]

    def dumps(self) -> bytes:
        return marshal.dumps((_JOINED_FORMAT, self.part, sorted(self.made), self.kept, self.files))

    @classmethod
    def loads(cls, data: bytes) -> Joined | None:
        """What a run joined, or None if it is not in this format."""
        try:
            version, part, made, kept, files = marshal.loads(data)
        except (ValueError, EOFError, TypeError):
            return None
        return cls(part, frozenset(made), kept, files) if version == _JOINED_FORMAT else None


@dataclass(frozen=True)
class JoinRequest:
    """What a shard's run needs to join the parts (`parts`: number -> the prefix of their
    files) whose every segment to make again is one of its own (`made`: output folder -> shard):
    the build's search folder (the kept segments), the index's language, the site folder (what
    is in place there need not be made again) and the shards per part."""

    folder: str
    language: str
    site: str
    part_size: int
    made: dict[str, int]
    parts: dict[int, str]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> JoinRequest:
        values = json.loads(path.read_bytes())
        values["parts"] = {int(n): prefix for n, prefix in values["parts"].items()}
        return cls(**values)


def join_in_run(request: JoinRequest, made: Mapping[str, bytes]) -> None:
    """Join the parts `request` names, from the segments this run made (output folder ->
    bytes) and the ones kept for the part's other shards, each into its first output folder's
    JOINED file. A part that cannot be joined here is left to the build."""
    folder, site = Path(request.folder), Path(request.site)
    mine = {request.made[output]: data for output, data in made.items() if output in request.made}
    outputs = {shard: output for output, shard in request.made.items()}
    kept = kept_segments(folder)
    for part, prefix in sorted(request.parts.items()):
        own = {s: data for s, data in mine.items() if s // request.part_size == part}
        if not own:
            continue
        others = {s: key for s, key in kept.items() if s // request.part_size == part and s not in own}
        in_place = _files_in_place(site, prefix)
        try:
            files = join(folder, request.language, sorted({*own, *others}), others, own, prefix, in_place.__contains__)
        except SearchError:
            continue  # (the build joins it, and says what is wrong)
        result = Joined(part, frozenset(own), others, files).dumps()
        replace_file(Path(outputs[min(own)]) / f"{JOINED}{part}", lambda stream, data=result: stream.write(data))


def _files_in_place(site: Path, prefix: str) -> set[str]:
    """The index's files under `prefix` in the site folder, named by their content."""
    found = set()
    for sub in ("", "fragment/", "index/", "filter/"):
        with contextlib.suppress(OSError):
            found.update(prefix + sub + e.name for e in os.scandir(site / prefix / sub) if e.is_file())
    return found
