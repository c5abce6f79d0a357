"""The one search index a reader loads (`pagefind/`): joined from every shard's segment
(digest.search.bundle), with Pagefind's own JavaScript and WebAssembly to read it, and the
shards' segments kept between builds (a shard's is made again only when its documents change).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from digest.core.errors import SearchError
from digest.core.workers import dying_with_parent
from digest.search.bundle import assemble
from digest.search.segment import Segment
from digest.search.tool import pagefind_binary, pagefind_version
from digest.site import shards as layout
from digest.site.arrange import Site

SEARCH_DIR = "pagefind"
FORMAT_OF = "1.5."  # the Pagefind versions whose index format digest.search.bundle writes
# What the search page loads of Pagefind's own files (not its UIs: the theme has its own page).
_RUNTIME = re.compile(r"^(pagefind\.js|pagefind-worker\.js|wasm\.[a-z0-9_-]+\.pagefind)$")


def index_language(site_language: str) -> str:
    """The language the index is made for: the site's, without its region (as Pagefind's
    `--force-language` takes it)."""
    return site_language.split("-")[0].lower()


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


# The fingerprint of a file named by a hash of its bytes (fragments, chunks, filters, metadata):
# it is what its name says, whatever its part was made from, so an edit leaves it as it was.
NAMED_BY_CONTENT = "named by its content"


def part_key(keys: Mapping[int, str], path: str) -> str:
    """What a file of the index (`pagefind/...`) was made from, as its entry's fingerprint
    records it: the keys of its part's shards (all shards' with one part), or NAMED_BY_CONTENT."""
    rest = path[len(SEARCH_DIR) + 1 :]
    if rest.endswith(".pf_meta") or "fragment/" in rest or "index/" in rest or "filter/" in rest:
        return NAMED_BY_CONTENT
    folder = rest.split("/")[0]
    group = int(folder) if folder.isdigit() and "/" in rest else None
    members = sorted(s for s in keys if group is None or s // layout.INDEX_SHARDS == group)
    text = " ".join(f"{shard}={keys[shard]}" for shard in members)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def publisher(
    site: Site,
    folder: Path,
    keys: Mapping[int, str],
    count: int,
    present: Callable[[str], bool] = lambda _: False,
    previous: Mapping[str, str] | None = None,
) -> Callable[[dict[int, bytes]], dict[str, bytes | None]]:
    """What makes the index's files (`pagefind/...`) from the segments just made (shard ->
    bytes), which it keeps for later builds, and the ones kept for the other shards (of `count`).
    A very large digest is published as several indexes (`pagefind/<n>/`, see
    site.shards.INDEX_SHARDS), each made again only when one of its shards changed. Files that
    `present` says are in place as the last build left them (of `previous`, the index's files
    then and what each was made from, see `part_key`), named by a hash of their content or of a
    part made from the same shards, are None: kept as they are."""
    language = index_language(site.config.language)

    def publish(made: dict[int, bytes]) -> dict[str, bytes | None]:
        try:
            old = kept_segments(folder)
            for shard, data in made.items():
                _keep_segment(folder, shard, keys[shard], data)
            for shard, key in old.items():
                if keys.get(shard) != key and shard not in made:  # (a shard no more)
                    with contextlib.suppress(FileNotFoundError):
                        segment_path(folder, shard, key).unlink()
        except OSError as exc:
            raise SearchError(f"cannot write the search index's parts in {folder}: {exc.strerror or exc}") from None
        groups = layout.index_groups(count)
        published: dict[str, bytes | None] = {}
        for group in range(groups):
            members = [s for s in sorted(keys) if s // layout.INDEX_SHARDS == group]
            prefix = f"{SEARCH_DIR}/" if groups == 1 else f"{SEARCH_DIR}/{group}/"
            if not members:
                continue
            files = [p for p in previous or {} if p.startswith(prefix) and (groups > 1 or not _in_group_folder(p))]
            if files and all(previous[p] == part_key(keys, p) and present(p) for p in files):  # type: ignore[index]
                published.update((p, None) for p in files)
                continue
            published.update(_index(folder, language, members, keys, made, prefix, present))
        return dict(sorted(published.items()))

    return publish


def _in_group_folder(path: str) -> bool:
    return path.split("/")[1].isdigit()


def _index(
    folder: Path,
    language: str,
    shards: Sequence[int],
    keys: Mapping[int, str],
    made: Mapping[int, bytes],
    prefix: str,
    present: Callable[[str], bool],
) -> dict[str, bytes | None]:
    """One index's files (under `prefix`), joined from its shards' segments."""
    try:
        segments = []
        for shard in shards:
            data = made.get(shard)
            segments.append(
                Segment.loads(data if data is not None else segment_path(folder, shard, keys[shard]).read_bytes())
            )
    except (OSError, ValueError, EOFError, TypeError) as exc:
        raise SearchError(f"cannot read the search index's parts in {folder}: {exc}") from None
    assets, entry = runtime(folder, language)
    meta_hash, files = assemble(segments, language, str(entry["version"]), lambda path: present(prefix + path))
    wasm = entry.get("languages", {}).get(language, {}).get("wasm")  # type: ignore[union-attr]
    index_entry = {
        "version": entry["version"],
        "languages": {language: {"hash": meta_hash, "wasm": wasm, "page_count": sum(len(s.pages) for s in segments)}},
        "include_characters": entry.get("include_characters", []),
    }
    published: dict[str, bytes | None] = {prefix + name: data for name, data in assets.items()}
    published[prefix + "pagefind-entry.json"] = json.dumps(
        index_entry, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    published.update((prefix + name, data) for name, data in files.items())
    return published


def _keep_segment(folder: Path, shard: int, key: str, data: bytes) -> None:
    path = segment_path(folder, shard, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)
    for entry in os.scandir(path.parent):
        if entry.name.startswith(f"{shard}.") and entry.name != path.name:
            os.unlink(entry.path)
