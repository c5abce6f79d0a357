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
from collections.abc import Callable, Mapping
from pathlib import Path

from digest.core.errors import SearchError
from digest.core.workers import dying_with_parent
from digest.search.bundle import assemble
from digest.search.segment import Segment
from digest.search.tool import pagefind_binary, pagefind_version
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


def publisher(
    site: Site, folder: Path, keys: Mapping[int, str], present: Callable[[str], bool] = lambda _: False
) -> Callable[[dict[int, bytes]], dict[str, bytes | None]]:
    """What makes the index's files (`pagefind/...`) from the segments just made (shard ->
    bytes), which it keeps for later builds, and the ones kept for the other shards. The files
    named by a hash of their content that `present` says are in place are None (kept as they are)."""
    language = index_language(site.config.language)

    def publish(made: dict[int, bytes]) -> dict[str, bytes | None]:
        try:
            for shard, data in made.items():
                _keep_segment(folder, shard, keys[shard], data)
            for shard, key in kept_segments(folder).items():
                if keys.get(shard) != key:  # (a shard no more, or not yet made again)
                    with contextlib.suppress(FileNotFoundError):
                        segment_path(folder, shard, key).unlink()
            segments = []
            for shard in sorted(keys):
                data = made.get(shard)
                segments.append(
                    Segment.loads(data if data is not None else segment_path(folder, shard, keys[shard]).read_bytes())
                )
        except (OSError, ValueError, EOFError, TypeError) as exc:
            raise SearchError(f"cannot read the search index's parts in {folder}: {exc}") from None
        if not segments:
            return {}
        assets, entry = runtime(folder, language)
        meta_hash, files = assemble(
            segments, language, str(entry["version"]), lambda path: present(f"{SEARCH_DIR}/{path}")
        )
        wasm = entry.get("languages", {}).get(language, {}).get("wasm")  # type: ignore[union-attr]
        index_entry = {
            "version": entry["version"],
            "languages": {
                language: {"hash": meta_hash, "wasm": wasm, "page_count": sum(len(s.pages) for s in segments)}
            },
            "include_characters": entry.get("include_characters", []),
        }
        published: dict[str, bytes | None] = {f"{SEARCH_DIR}/{name}": data for name, data in assets.items()}
        published[f"{SEARCH_DIR}/pagefind-entry.json"] = json.dumps(
            index_entry, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        published.update((f"{SEARCH_DIR}/{name}", data) for name, data in files.items())
        return dict(sorted(published.items()))

    return publish


def _keep_segment(folder: Path, shard: int, key: str, data: bytes) -> None:
    path = segment_path(folder, shard, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)
    for entry in os.scandir(path.parent):
        if entry.name.startswith(f"{shard}.") and entry.name != path.name:
            os.unlink(entry.path)
