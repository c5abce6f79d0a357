"""The one search index a reader loads (`pagefind/`; a very large digest's parts
`pagefind/<n>/`): what each of its files was made from, and its files made from the shards'
segments just made and the ones kept (joined by digest.search.join, or taken from a shard's
run that joined its part already).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from digest.core.errors import SearchError
from digest.search.join import Joined, join, keep_segment, kept_segments, segment_path
from digest.site import shards as layout

SEARCH_DIR = "pagefind"


def index_language(site_language: str) -> str:
    """The language the index is made for: the site's, without its region (as Pagefind's
    `--force-language` takes it)."""
    return site_language.split("-")[0].lower()


def part_prefix(part: int, parts: int) -> str:
    """Where a part's files are: `pagefind/` for a digest of one part, else `pagefind/<part>/`."""
    return f"{SEARCH_DIR}/" if parts == 1 else f"{SEARCH_DIR}/{part}/"


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
    language: str,
    folder: Path,
    keys: Mapping[int, str],
    count: int,
    present: Callable[[str], bool] = lambda _: False,
    previous: Mapping[str, str] | None = None,
) -> Callable[[dict[int, bytes], Iterable[Joined]], dict[str, bytes | None]]:
    """What makes the index's files (`pagefind/...`) from the segments just made (shard ->
    bytes), which it keeps for later builds, and the ones kept for the other shards (of `count`),
    or takes a part's files from what a shard's run joined, when that run joined it from the
    very segments the build would use. A very large digest is published as several indexes
    (`pagefind/<n>/`, see site.shards.INDEX_SHARDS), each made again only when one of its shards
    changed. Files that `present` says are in place as the last build left them (of `previous`,
    the index's files then and what each was made from, see `part_key`), named by a hash of
    their content or of a part made from the same shards, are None: kept as they are. The
    index is for `language` (see index_language)."""

    def publish(made: dict[int, bytes], joined: Iterable[Joined] = ()) -> dict[str, bytes | None]:
        try:
            old = kept_segments(folder)
            for shard, data in made.items():
                keep_segment(folder, shard, keys[shard], data)
            for shard, key in old.items():
                if keys.get(shard) != key and shard not in made:  # (a shard no more)
                    with contextlib.suppress(FileNotFoundError):
                        segment_path(folder, shard, key).unlink()
        except OSError as exc:
            raise SearchError(f"cannot write the search index's parts in {folder}: {exc.strerror or exc}") from None
        groups = layout.index_groups(count)
        by_part = {j.part: j for j in joined}
        last = _files_by_part(previous or {}, groups)
        published: dict[str, bytes | None] = {}
        for group in range(groups):
            members = [s for s in sorted(keys) if s // layout.INDEX_SHARDS == group]
            prefix = part_prefix(group, groups)
            if not members:
                continue
            files = last.get(group, [])
            if files and all(previous[p] == part_key(keys, p) and present(p) for p in files):  # type: ignore[index]
                published.update((p, None) for p in files)
                continue
            ready = by_part.get(group)
            if ready is not None and _joined_as_here(ready, members, keys, made, present):
                published.update(ready.files)
                continue
            published.update(join(folder, language, members, keys, made, prefix, present))
        return dict(sorted(published.items()))

    return publish


def _joined_as_here(
    ready: Joined,
    members: list[int],
    keys: Mapping[int, str],
    made: Mapping[int, bytes],
    present: Callable[[str], bool],
) -> bool:
    """Whether a part a run joined is the one the build would join: from the segments made in
    this build for its shards that changed, the ones kept for the others, and without the files
    that are not in place as the last build left them."""
    own = {s for s in members if s in made}
    return (
        ready.made == own
        and ready.kept == {s: keys[s] for s in members if s not in own}
        and all(data is not None or present(path) for path, data in ready.files.items())
    )


def _files_by_part(paths: Iterable[str], parts: int) -> dict[int, list[str]]:
    """The index's files (`pagefind/...`) of each part, in one pass: with one part, those not
    in a part's folder; with several, those in `pagefind/<n>/` (others are left from another
    layout, in no part)."""
    found: dict[int, list[str]] = {}
    for path in paths:
        folder, slash, _ = path[len(SEARCH_DIR) + 1 :].partition("/")
        in_folder = bool(slash) and folder.isdigit()
        if parts == 1 and not in_folder:
            found.setdefault(0, []).append(path)
        elif parts > 1 and in_folder:
            found.setdefault(int(folder), []).append(path)
    return found
