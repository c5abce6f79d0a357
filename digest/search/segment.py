"""One shard's part of the search index: its documents read as Pagefind reads them
(digest.search.words) and their words' entries encoded as in Pagefind's index chunks, pages
numbered from the shard's first. digest.search.bundle joins the shards' segments into the one
index a reader loads; a shard's segment is made again only when its documents change.

A shard's segment is made in a process of its own while the pages render (digest.search.worker).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import marshal
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from digest.core.files import replace_file
from digest.search.words import Page, cbor_uint, read_page, renumbered_meta_locs

FORMAT = 1  # bump when a segment's shape changes
NAME = "segment"
SIGNATURE = b"pagefind_dcd"
COMPRESSION = 6

# A word's entries in a segment: how many pages, the first and last page's number (within
# the segment), the first page's posting (its positions and metadata positions, encoded), the
# other pages' entries as Pagefind's chunks hold them (the page as the distance from the one
# before), and the positions they count (for the index's chunk sizes).
Entries = tuple[int, int, int, bytes, bytes, int]


@dataclass
class Segment:
    fields: tuple[str, ...]  # the metadata fields, as the postings number them
    pages: list[tuple[bytes, int, bytes]]  # each page's fragment: SHA-1 of its JSON, word count, gzipped file
    words: dict[str, Entries]
    variants: dict[str, dict[str, Entries]]
    filters: dict[str, dict[str, list[int]]]
    sorts: dict[str, list[tuple[str, int]]]

    def dumps(self) -> bytes:
        values = (FORMAT, self.fields, self.pages, self.words, self.variants, self.filters, self.sorts)
        return marshal.dumps(values)

    @classmethod
    def loads(cls, data: bytes) -> Segment:
        version, *values = marshal.loads(data)
        if version != FORMAT:
            raise ValueError(f"a segment of format {version}, not {FORMAT}")
        return cls(*values)


class _Builder:
    __slots__ = ("count", "first", "head", "last", "rest", "size")

    def __init__(self, number: int, posting: bytes, size: int) -> None:
        self.count, self.first, self.last, self.head, self.size = 1, number, number, posting, size
        self.rest = bytearray()

    def add(self, number: int, posting: bytes, size: int) -> None:
        self.rest += b"\x83" + cbor_uint(number - self.last) + posting
        self.count += 1
        self.last = number
        self.size += size

    def entries(self) -> Entries:
        return (self.count, self.first, self.last, self.head, bytes(self.rest), self.size)


def _renumbered(posting: bytes, ids: list[int]) -> bytes:
    """A posting whose metadata positions number the page's own fields, numbering the segment's."""
    import io

    import cbor2

    decoder = cbor2.CBORDecoder(io.BytesIO(posting))
    locs, meta_locs = decoder.decode(), decoder.decode()
    return cbor2.dumps(locs) + cbor2.dumps(renumbered_meta_locs(meta_locs, ids))


def _add(
    builders: dict[str, _Builder], postings: dict[str, tuple[bytes, int]], number: int, ids: list[int] | None
) -> None:
    """Page `number`'s postings (word or form -> posting, size) added to their entries."""
    for key, (posting, size) in postings.items():
        if ids is not None:
            posting = _renumbered(posting, ids)
        known = builders.get(key)
        if known is None:
            builders[key] = _Builder(number, posting, size)
        else:
            known.add(number, posting, size)


def segment(pages: Iterable[Page]) -> Segment:
    """The segment of these pages, numbered in this order."""
    fields: list[str] = []
    fragments: list[tuple[bytes, int, bytes]] = []
    words: dict[str, _Builder] = {}
    variants: dict[str, dict[str, _Builder]] = {}
    filters: dict[str, dict[str, list[int]]] = {}
    sorts: dict[str, list[tuple[str, int]]] = {}
    for number, page in enumerate(pages):
        digest = hashlib.sha1(page.fragment).digest()
        fragments.append((digest, page.word_count, gzip.compress(SIGNATURE + page.fragment, COMPRESSION, mtime=0)))
        for key, value in page.sort.items():
            sorts.setdefault(key, []).append((value, number))
        for name, values in page.filters.items():
            by_value = filters.setdefault(name, {})
            for value in values:
                by_value.setdefault(value, []).append(number)
        fields += [f for f in page.fields if f not in fields]
        ids = [fields.index(f) for f in page.fields]
        renumber = ids != list(range(len(ids)))
        _add(words, page.postings, number, ids if renumber else None)
        for word, forms in page.variants.items():
            _add(variants.setdefault(word, {}), forms, number, ids if renumber else None)
    return Segment(
        tuple(fields),
        fragments,
        {w: b.entries() for w, b in words.items()},
        {w: {f: b.entries() for f, b in forms.items()} for w, forms in variants.items()},
        filters,
        sorts,
    )


# A folder's pages as its last run read them, kept in the folder beside its documents: an edit
# changes one document of a shard, and reading a document is most of a run's work.
PAGES = "pages"
_PAGES_FORMAT = 1
_PAGE_FIELDS = tuple(f.name for f in dataclasses.fields(Page))


def read_folder(folder: Path, language: str, fields: tuple[str, ...] = (), reuse: str | None = None) -> Segment:
    """The segment of the documents under `folder`, in the order of their URLs. With `reuse`
    (the version of the code reading them), the pages read are kept in the folder (PAGES), and
    a document whose bytes are the same as when a run of that version read it is not read again."""
    documents = sorted(
        (f"/{path.parent.relative_to(folder).as_posix()}/".replace("/./", "/"), path)
        for path in folder.rglob("index.html")
    )
    stamp = (_PAGES_FORMAT, language, fields, reuse)
    known = _kept_pages(folder / PAGES, stamp) if reuse is not None else {}
    read: dict[str, tuple[bytes, tuple[object, ...]]] = {}
    pages = []
    for url, path in documents:
        data = path.read_bytes()
        key = hashlib.blake2b(data, digest_size=16).digest()
        page = known.get(url)
        if page is None or page[0] != key:
            fresh = read_page(url, data.decode("utf-8"), language, fields)
            page = (key, tuple(getattr(fresh, name) for name in _PAGE_FIELDS))
        read[url] = page
        pages.append(Page(*page[1]))
    if reuse is not None and (read.keys() != known.keys() or any(known[u][0] != p[0] for u, p in read.items())):
        kept = marshal.dumps((stamp, read))
        replace_file(folder / PAGES, lambda stream: stream.write(kept))
    return segment(pages)


def _kept_pages(path: Path, stamp: tuple[object, ...]) -> dict[str, tuple[bytes, tuple[object, ...]]]:
    """The pages kept in `path` by a run of the same `stamp` (format, language, fields, code)."""
    try:
        kept_stamp, pages = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return pages if kept_stamp == stamp and isinstance(pages, dict) else {}
