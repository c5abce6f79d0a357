"""Pagefind's index files, written by digest from the pages of digest.search.words.

One index over every brief: its metadata (`pagefind.<hash>.pf_meta`: the pages, the word
ranges of the index chunks, the filters and sorts), the index chunks (`index/*.pf_index`: each
word's pages, positions and weights, split by word), the filters (`filter/*.pf_filter`) and one
fragment per page (`fragment/*.pf_fragment`: what a result shows). A search loads the metadata
and one chunk per word of the query, whatever the number of briefs. The format is Pagefind's
(pagefind/src/index and output of the version `pagefind_version` names); each file is named by
a hash of its bytes, as Pagefind names them.

The index is joined from the shards' segments (digest.search.segment), whose entries are
already encoded: a word's entries are its segments' one after another, only the first of each
written again (its page as the distance from the word's last page in the segments before).
"""

from __future__ import annotations

import collections
import concurrent.futures
import gzip
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Sequence

import cbor2

from digest.search.segment import COMPRESSION, SIGNATURE, Entries, Segment
from digest.search.words import cbor_head, cbor_uint, renumbered_meta_locs

CHUNK_SIZE = 20000  # Pagefind's `index_chunk_size`: positions per index chunk, about
# The index chunks hold most of the index's bytes, and an edit changes the chunks of all its
# words (the most common words' chunks among them): they are compressed faster, a tenth larger.
CHUNK_COMPRESSION = 1
_WAITING = 4  # chunks encoded and not yet compressed, at most
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _text(text: str) -> bytes:
    data = text.encode("utf-8")
    return cbor_head(3, len(data)) + data


def _name(language: str, digest: str, taken: set[str]) -> str:
    """A file's name: the language and the shortest prefix (of 7 hex digits or more) of the
    SHA-1 of its bytes (`digest`) that no other file of its kind has, as Pagefind names files."""
    length = 7
    while digest[:length] in taken and length < len(digest):
        length += 1
    taken.add(digest[:length])
    return f"{language}_{digest[:length]}"


def _number(value: str) -> float | None:
    """The number a sort value is, as Pagefind reads one (a sort is by number when every value
    is one), or None."""
    return float(value) if _NUMBER.fullmatch(value) else None


def _renumbered(data: bytes, count: int, ids: list[int]) -> bytes:
    """Entries whose metadata positions number another list of fields, numbering the index's."""
    decoder = cbor2.CBORDecoder(io.BytesIO(data))
    out = []
    for _ in range(count):
        delta, locs, meta_locs = decoder.decode()
        out.append(cbor2.dumps([delta, locs, renumbered_meta_locs(meta_locs, ids)]))
    return b"".join(out)


class _Word:
    """A word's entries from every segment, joined in page order."""

    __slots__ = ("count", "last", "pieces", "size")

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.count = 0
        self.last = 0
        self.size = 0

    def add(self, offset: int, entries: Entries, ids: list[int] | None) -> None:
        count, first, last, head, rest, size = entries
        entry = b"\x83" + cbor_uint(offset + first - self.last) + head
        if ids is not None:
            entry, rest = _renumbered(entry, 1, ids), _renumbered(rest, count - 1, ids)
        self.pieces += (entry, rest)
        self.count += count
        self.last = offset + last
        self.size += size

    def encoded(self) -> bytes:
        return cbor_head(4, self.count) + b"".join(self.pieces)


def assemble(
    segments: Iterable[Segment], language: str, version: str, present: Callable[[str], bool] = lambda _: False
) -> tuple[str, dict[str, bytes | None]]:
    """The index of the segments' pages, numbered segment after segment: the hash that names
    its metadata file, and its files (path within the index folder -> gzipped bytes). A file
    `present` says is in place already (each is named by a hash of its content) is None: it is
    neither compressed nor written again. The segments are taken one at a time (each can be
    let go once its words are joined)."""
    files: dict[str, bytes | None] = {}
    fields: list[str] = []  # (a field's number is its place when it first comes: the same in one pass)
    pages: list[list[object]] = []
    taken: set[str] = set()
    words: dict[str, _Word] = {}
    variants: dict[str, dict[str, _Word]] = {}
    filters: dict[str, dict[str, list[int]]] = {}
    sorts: dict[str, list[tuple[str, int]]] = {}
    offset = 0
    for seg in segments:
        fields += [f for f in seg.fields if f not in fields]
        ids = [fields.index(f) for f in seg.fields]
        renumber = None if ids == list(range(len(ids))) else ids
        for digest, word_count, data in seg.pages:
            name = _name(language, digest.hex(), taken)
            path = f"fragment/{name}.pf_fragment"
            files[path] = None if present(path) else data
            pages.append([name, word_count])
        if renumber is not None:
            for word, entries in seg.words.items():
                known = words.get(word)
                if known is None:
                    known = words[word] = _Word()
                known.add(offset, entries, renumber)
        else:  # (what `_Word.add` does, inline: most of the join's time is here)
            get, uint = words.get, cbor_uint
            for word, (count, first, last, head, rest, size) in seg.words.items():
                known = get(word)
                if known is None:
                    known = words[word] = _Word()
                known.pieces += (b"\x83" + uint(offset + first - known.last) + head, rest)
                known.count += count
                known.last = offset + last
                known.size += size
        for word, forms in seg.variants.items():
            if word not in words:
                words[word] = _Word()
            by_form = variants.setdefault(word, {})
            for form, entries in forms.items():
                known = by_form.get(form)
                if known is None:
                    known = by_form[form] = _Word()
                known.add(offset, entries, renumber)
        for filter_name, values in seg.filters.items():
            by_value = filters.setdefault(filter_name, {})
            for value, numbers in values.items():
                by_value.setdefault(value, []).extend(offset + n for n in numbers)
        for key, values in seg.sorts.items():
            sorts.setdefault(key, []).extend((v, offset + n) for v, n in values)
        offset += len(seg.pages)

    meta_chunks = _chunk_files(words, variants, language, present, files)
    meta_filters = []
    taken = set()
    for filter_name in sorted(filters):
        values = filters[filter_name]
        data = cbor2.dumps([filter_name, [[v, values[v]] for v in sorted(values)]])
        name = _name(language, hashlib.sha1(data).hexdigest(), taken)
        path = f"filter/{name}.pf_filter"
        files[path] = None if present(path) else _gzip(SIGNATURE + data)
        meta_filters.append([filter_name, name])
    meta_sorts = [[key, _sorted(sorts[key])] for key in sorted(sorts)]
    meta = cbor2.dumps([version, pages, meta_chunks, meta_filters, meta_sorts, fields])
    meta_hash = f"{language}_{hashlib.sha1(meta).hexdigest()[: len(language) + 8]}"
    files[f"pagefind.{meta_hash}.pf_meta"] = _gzip(SIGNATURE + meta)
    return meta_hash, dict(sorted(files.items()))


def _chunk_files(
    words: dict[str, _Word],
    variants: dict[str, dict[str, _Word]],
    language: str,
    present: Callable[[str], bool],
    files: dict[str, bytes | None],
) -> list[list[str]]:
    """The index chunks, added to `files` (None where `present`): each chunk's first and last
    word and its name, as the metadata lists them."""
    chunks = _chunks(words)
    meta_chunks = []
    taken: set[str] = set()
    # (zlib lets go of the interpreter while it compresses: the chunks are compressed two at a
    # time while the next ones are encoded, and only a few wait uncompressed at any time)
    waiting: collections.deque[tuple[str, concurrent.futures.Future[bytes]]] = collections.deque()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for (first, last), chunk_words in zip(_ranges(chunks), chunks, strict=True):
            data = b"\x81" + cbor_head(4, len(chunk_words)) + b"".join(_word(w, words, variants) for w in chunk_words)
            name = _name(language, hashlib.sha1(data).hexdigest(), taken)
            path = f"index/{name}.pf_index"
            files[path] = None
            if not present(path):
                if len(waiting) >= _WAITING:
                    done, future = waiting.popleft()
                    files[done] = future.result()
                waiting.append((path, pool.submit(_gzip, SIGNATURE + data, CHUNK_COMPRESSION)))
            meta_chunks.append([first, last, name])
        files.update((path, future.result()) for path, future in waiting)
    return meta_chunks


def _chunks(words: dict[str, _Word]) -> list[list[str]]:
    """index/mod.rs `chunk_index`: the words in order, a chunk closed once it holds CHUNK_SIZE positions."""
    chunks: list[list[str]] = []
    chunk: list[str] = []
    size = 0
    for word in sorted(words):
        size += words[word].size
        chunk.append(word)
        if size >= CHUNK_SIZE:
            chunks.append(chunk)
            chunk, size = [], 0
    if chunk:
        chunks.append(chunk)
    return chunks


def _sorted(values: list[tuple[str, int]]) -> list[int]:
    """The pages of a sort in its order: by number when every value is one, else as text
    (index/mod.rs; ties keep the pages' order)."""
    numbers = [_number(v) for v, _ in values]
    if all(x is not None for x in numbers):
        return [n for _, n in sorted(zip(numbers, (n for _, n in values), strict=True), key=_first)]
    return [n for _, n in sorted(values, key=_first)]


def _word(word: str, words: dict[str, _Word], variants: dict[str, dict[str, _Word]]) -> bytes:
    forms = variants.get(word, {})
    tail = b"".join(b"\x82" + _text(form) + e.encoded() for form, e in forms.items())
    return b"\x83" + _text(word) + words[word].encoded() + cbor_head(4, len(forms)) + tail


def _first(pair: tuple[object, int]) -> object:
    return pair[0]


def _gzip(data: bytes, level: int = COMPRESSION) -> bytes:
    return gzip.compress(data, level, mtime=0)


def _prefixes(a: str, b: str) -> tuple[str, str]:
    common = 0
    for x, y in zip(b, a, strict=False):
        if x != y:
            break
        common += 1
    return a[: common + 1], b[: common + 1]


def _ranges(chunks: Sequence[Sequence[str]]) -> list[list[str]]:
    """index/mod.rs `chunk_meta`: each chunk's first and last word, cut to the shortest
    prefixes that still tell neighbouring chunks apart."""
    ranges = [[c[0], c[-1]] for c in chunks]
    for i in range(len(ranges) - 1):
        first, second = ranges[i], ranges[i + 1]
        a, b = _prefixes(first[1], second[0])
        if a >= first[0]:
            first[1] = a
        second[0] = b
    return ranges
