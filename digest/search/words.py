"""A search document's words as Pagefind indexes them, ready for the index: each word folded,
stemmed and split as Pagefind splits compounds (splitting.rs), its positions and weights packed
as Pagefind packs them (index/mod.rs), and the page's fragment (what a result shows).

A `Page` is a plain record: the index (digest.search.bundle) is made from the records of every
document, and a document's record is kept until the document changes.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cbor2
import regex

from digest.search.fossick import Parsed, alphanumeric, normalize_content, parse

# Pagefind's defaults (options.rs `WORD_SYMBOLS`): characters kept inside words.
INCLUDE_CHARACTERS = frozenset("_\u203f\u2040\u2054\ufe33\ufe34\ufe4d\ufe4e\ufe4f\uff3f")
_ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
_EMOJI = regex.compile(r"\p{Emoji}")
_GRAPHEME = regex.compile(r"\X")
# The Snowball stemmer Pagefind uses for a language (fossick/mod.rs `get_stemmer`); none: words as they are.
STEMMERS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish", "nl": "dutch",
    "en": "english", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french", "de": "german",
    "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sr": "serbian", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}  # fmt: skip
_CACHED_WORDS = 1 << 18
# The markers parser.rs puts in the text, each a word of its own (fossick/mod.rs `parse_digest`).
_MARKERS = re.compile(r"(?<!\S)(___(?:PAGEFIND_ANCHOR|PAGEFIND_WEIGHT|PAGEFIND_AUTO_WEIGHT|END_PAGEFIND_WEIGHT)___\S*)")

# (stemmed word, whether it is a part of a compound, its form before diacritics were folded or None)
Indexable = tuple[str, bool, str | None]


@dataclass
class Page:
    """One search document as the index takes it."""

    fragment: bytes  # the JSON of Pagefind's fragment: url, content, word_count, filters, meta, anchors
    word_count: int
    filters: dict[str, list[str]]
    sort: dict[str, str]
    fields: tuple[str, ...]  # the metadata fields as its `meta_locs` number them
    # word -> (CBOR of its positions with their weights and of its metadata positions, how many)
    postings: dict[str, tuple[bytes, int]]
    # word -> form with diacritics -> the same, for that form
    variants: dict[str, dict[str, tuple[bytes, int]]]


@functools.lru_cache(maxsize=8)
def stemmer(language: str) -> Callable[[str], str] | None:
    algorithm = STEMMERS.get(language.split("-")[0])
    if algorithm is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(algorithm, 0).stemWord


def _fold_diacritics(word: str) -> str | None:
    if word.isascii():
        return None
    folded = "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.category(c).startswith("M"))
    return folded if folded != word else None


def _is_upper(g: str) -> bool:
    return g.upper() != g.lower() and g == g.upper()


def _is_lower(g: str) -> bool:
    return g.upper() != g.lower() and g == g.lower()


def _graphemes(text: str) -> list[str]:
    """Unicode's extended grapheme clusters, as unicode-segmentation cuts them for convert_case."""
    return _GRAPHEME.findall(text)


def _lower_words(text: str) -> str:
    """convert_case's `to_case(Case::Lower)` with its default boundaries: split at spaces,
    hyphens and underscores and at case and digit changes, each part lowercased."""
    gs = _graphemes(text)
    digit = [g.isascii() and g.isdigit() for g in gs]
    upper = [_is_upper(g) for g in gs]
    lower = [_is_lower(g) for g in gs]
    words, start, offset, offsets = [], 0, 0, []
    for g in gs:
        offsets.append(offset)
        offset += len(g)
    offsets.append(offset)
    n = len(gs)
    for i in range(n):
        if gs[i] in ("_", "-", " "):
            words.append(text[start : offsets[i]])
            start = offsets[i + 1]
        elif i + 1 < n and (
            (lower[i] and (upper[i + 1] or digit[i + 1]))
            or (upper[i] and digit[i + 1])
            or (digit[i] and (lower[i + 1] or upper[i + 1]))
            or (upper[i] and upper[i + 1] and i + 2 < n and lower[i + 2])
        ):
            words.append(text[start : offsets[i + 1]])
            start = offsets[i + 1]
    words.append(text[start:])
    return " ".join(w.lower() for w in words)


def _indexed_as(base: str, stem: Callable[[str], str] | None) -> str:
    return stem(base) if stem else base


def indexable_words(raw: str, stem: Callable[[str], str] | None) -> list[Indexable]:
    """splitting.rs `get_indexable_words`: the word itself, lowercased, folded and stemmed, and
    the parts of a compound (hyphenated, camelCase, letters and digits) and its emoji."""
    normalized = "".join((c.lower() if c.isupper() else c) for c in raw if alphanumeric(c) or c in INCLUDE_CHARACTERS)
    found: list[Indexable] = []
    if normalized:
        found.append(_folded(normalized, stem, False))
    if not (any(not alphanumeric(c) for c in raw) or any(c.isupper() for c in raw[1:])):
        return found
    parts = " ".join(_lower_words(_ASCII_PUNCTUATION.sub(" ", raw)).split())
    if normalized and (" " in parts or not normalized.startswith(parts)):
        found += [_folded(part, stem, True) for part in parts.split() if len(part.encode("utf-8")) > 1]
    if not raw.isascii() and _EMOJI.search(raw):
        found += [(_indexed_as(g, stem), False, None) for g in _emoji(raw)]
    return found


def _emoji(raw: str) -> list[str]:
    """splitting.rs `get_discrete_words`: each emoji of a word, also indexed on its own."""
    import emoji  # (its tables load only once a word has an emoji in it: most shards have none)

    return [g for g in _graphemes(raw) if emoji.is_emoji(g)]


def _folded(word: str, stem: Callable[[str], str] | None, part: bool) -> Indexable:
    """A word as indexed, with its form before diacritics were folded (a word of marks alone
    folds to the empty word, as Pagefind folds it)."""
    folded = _fold_diacritics(word)
    if folded is None:
        return (_indexed_as(word, stem), part, None)
    return (_indexed_as(folded, stem), part, word)


@functools.lru_cache(maxsize=8)
def _known(language: str) -> dict[str, tuple[tuple[Indexable, ...], int]]:
    return {}


def _indexables(raw: str, language: str) -> str | tuple[tuple[Indexable, ...], int]:
    """`indexable_words` of `raw` and how many are parts, remembered (most words recur); just
    the word as indexed when it is one word with nothing else to it (most are)."""
    known = _known(language)
    found = known.get(raw)
    if found is None:
        words = tuple(indexable_words(raw, stemmer(language)))
        found = words[0][0] if len(words) == 1 and words[0][2] is None else (words, sum(1 for w in words if w[1]))
        if len(known) >= _CACHED_WORDS:
            known.clear()
        known[raw] = found
    return found


def packed_meta_locs(positions: Iterable[tuple[int, int]]) -> list[int]:
    """index/mod.rs `meta_positions_to_packed`: (field, position) pairs, by field."""
    locs: list[int] = []
    current, last = -1, 0
    for field_id, position in sorted(positions):
        if field_id != current:
            locs.append(-field_id - 1)
            current, last = field_id, 0
        locs.append(position - last)
        last = position
    return locs


def renumbered_meta_locs(meta_locs: list[int], ids: list[int]) -> list[int]:
    """Metadata positions that number one list of fields (`meta_locs`, packed), numbering
    another: field n is field ids[n] there."""
    pairs, field, last = [], -1, 0
    for n in meta_locs:
        if n < 0:
            field, last = ids[-n - 1], 0
        else:
            last += n
            pairs.append((field, last))
    return packed_meta_locs(pairs)


def _weight(text: str, auto: bool) -> int:
    try:
        weight = float(text)
    except ValueError:
        weight = 1.0
    if auto:
        return int(max(min(weight, 10.0), 0.0) * 24.0)
    return 0 if weight <= 0 else max(int(min(weight, 10.0) * 24.0), 1)


@functools.lru_cache(maxsize=1)
def _encoded() -> dict[int, bytes]:
    """The CBOR of the integers a posting mostly holds: positions, distances and weight marks."""
    return {n: cbor2.dumps(n) for n in range(-512, 1 << 14)}


def cbor_head(major: int, n: int) -> bytes:
    """A CBOR item's head: its major type (0 an unsigned integer, 3 a text, 4 an array) and
    its value or length, in the fewest bytes."""
    if n < 24:
        return bytes((major << 5 | n,))
    if n < 0x100:
        return bytes((major << 5 | 24, n))
    if n < 0x10000:
        return bytes((major << 5 | 25,)) + n.to_bytes(2, "big")
    return bytes((major << 5 | 26,)) + n.to_bytes(4, "big")


_HEADS = [cbor_head(4, n) for n in range(24)]
_UINTS = [cbor_head(0, n) for n in range(1024)]


def cbor_uint(n: int) -> bytes:
    """The CBOR of an unsigned integer (page numbers and their distances)."""
    return _UINTS[n] if n < 1024 else cbor_head(0, n)


def _array(count: int, body: bytes) -> bytes:
    """A CBOR array of `count` items encoded in `body`."""
    return (_HEADS[count] if count < 24 else cbor_head(4, count)) + body


def _ints(values: Iterable[int]) -> bytes:
    """The CBOR items of integers, one after another (as cbor2 writes them, without its type checks)."""
    encoded = _encoded()
    try:
        return b"".join(map(encoded.__getitem__, values))
    except KeyError:
        return b"".join(encoded.get(v) or cbor2.dumps(v) for v in values)


def _locs(groups: list[tuple[int, list[int]]]) -> tuple[bytes, int]:
    """index/mod.rs `positions_to_packed_page` for a word's positions by weight, encoded, and how
    many numbers: each weight's group starts with -(weight + 1) (but for weight 25 first, as
    Pagefind starts there) and its first position, then the distances between positions."""
    locs: list[int] = []
    for weight, positions in groups:
        if weight != 25 or locs:
            locs.append(-weight - 1)
        locs.append(positions[0])
        if len(positions) > 1:
            locs += [b - a for a, b in itertools.pairwise(positions)]
    return _ints(locs), len(locs)


def read_page(url: str, markup: str, language: str, fields: tuple[str, ...] = ()) -> Page:
    """A search document's words and fragment, as Pagefind's indexer makes them (fossick/mod.rs
    `parse_digest` and `parse_meta_words`). Its metadata fields are numbered in the order of
    `fields`, then any others in alphabetical order (Pagefind numbers them alphabetically; the
    reader only names them by their number), so that every page of a site numbers them alike."""
    parsed = parse(markup)
    by_weight, content, anchors, word_count = _body_positions(parsed, language)
    fields, meta = _meta_positions(parsed, language, fields)
    postings, variants = _postings(by_weight, meta)
    fragment = {
        "url": url,
        "content": " ".join(content),
        "word_count": word_count,
        "filters": parsed.filters,
        "meta": parsed.meta,
        "anchors": anchors,
    }
    encoded = json.dumps(fragment, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Page(encoded, word_count, parsed.filters, parsed.sort, fields, postings, variants)


def _body_positions(
    parsed: Parsed, language: str
) -> tuple[dict[int, dict[str, list[int]]], list[str], list[dict[str, object]], int]:
    """The positions of the text's words (weight -> word -> positions; a form with diacritics is
    "word\x00form"), the words as excerpts quote them, the anchors and the word count."""
    by_weight: dict[int, dict[str, list[int]]] = {24: {}}
    anchors: list[dict[str, object]] = []
    content: list[str] = []
    weights = [24]
    weight, here = 24, by_weight[24]
    index = 0
    digest = parsed.digest
    if "\u200b" in digest:  # (zero-width spaces are not part of any word)
        digest = " ".join(w for w in (w.replace("\u200b", "") for w in digest.split()) if w)
    known = _known(language).get
    for n, piece in enumerate(_MARKERS.split(digest)):
        if n % 2:  # a marker
            if piece.startswith("___PAGEFIND_ANCHOR___"):
                element, _, anchor_id = piece[21:].partition(":")
                _, colon, element_id = anchor_id.partition(":")
                if colon:
                    text = normalize_content(normalize_content(parsed.anchor_content.get(anchor_id, "")))
                    anchors.append({"element": element, "id": element_id, "text": text, "location": index})
                continue
            if piece.startswith("___PAGEFIND_WEIGHT___"):
                weights.append(_weight(piece[21:], auto=False))
            elif piece.startswith("___PAGEFIND_AUTO_WEIGHT___"):
                weights.append(_weight(piece[26:], auto=True) if len(weights) == 1 else weights[-1])
            elif weights:
                weights.pop()
            weight = weights[-1] if weights else 1
            here = by_weight.setdefault(weight, {})
            continue
        words = piece.split()
        content += words
        for at, word in enumerate(words, index):
            found = known(word) or _indexables(word, language)
            if found.__class__ is str:  # (most words: one indexed form, at the text's weight)
                positions = here.get(found)  # type: ignore[call-overload]
                if positions is None:
                    here[found] = [at]  # type: ignore[index]
                else:
                    positions.append(at)
                continue
            indexables, parts = found  # type: ignore[misc]
            partial = max(weight // parts, 1) if parts and weight > 0 else 0
            for stemmed, part, original in indexables:
                key = stemmed if original is None else f"{stemmed}\x00{original}"
                into = by_weight.setdefault(partial, {}) if part else here
                into.setdefault(key, []).append(at)
        index += len(words)
    return by_weight, content, anchors, max(index - 1, 0) + 1


def _meta_positions(
    parsed: Parsed, language: str, fields: tuple[str, ...]
) -> tuple[tuple[str, ...], dict[str, list[tuple[int, int]]]]:
    """The metadata fields as the page numbers them, and each word's (field, position) pairs."""
    given = set(fields)
    fields = (*fields, *(name for name in parsed.meta if name not in given))
    numbers = {name: i for i, name in enumerate(fields)}
    meta: dict[str, list[tuple[int, int]]] = {}
    for name, value in parsed.meta.items():
        field_id = numbers[name]
        for position, token in enumerate(value.split()):
            found = _indexables(token, language)
            words = ((found, False, None),) if found.__class__ is str else found[0]  # type: ignore[assignment]
            for stemmed, _, original in words:
                key = stemmed if original is None else f"{stemmed}\x00{original}"
                meta.setdefault(key, []).append((field_id, position))
    return fields, meta


def _postings(
    by_weight: dict[int, dict[str, list[int]]], meta: dict[str, list[tuple[int, int]]]
) -> tuple[dict[str, tuple[bytes, int]], dict[str, dict[str, tuple[bytes, int]]]]:
    """Each word's posting on the page, encoded (its positions by weight, its metadata
    positions), with how many numbers it holds; forms with diacritics apart."""
    grouped: dict[str, list[tuple[int, list[int]]]] = {}  # (in Pagefind's order of weights)
    for weight in sorted(by_weight, key=lambda w: 0 if w == 25 else w):
        for key, positions in by_weight[weight].items():
            grouped.setdefault(key, []).append((weight, positions))
    encoded = _encoded()
    postings: dict[str, tuple[bytes, int]] = {}
    variants: dict[str, dict[str, tuple[bytes, int]]] = {}
    # (in a fixed order, so that the forms of a word keep theirs: the index's bytes follow it)
    for key in [*grouped, *(k for k in meta if k not in grouped)]:
        groups = grouped.get(key)
        body, count = _locs_fast(groups, encoded) if groups else (b"", 0)
        metas = meta.get(key)
        meta_locs = packed_meta_locs(metas) if metas else []
        posting = (_array(count, body) + _array(len(meta_locs), _ints(meta_locs)), count + len(meta_locs) + 1)
        word, _, form = key.partition("\x00")
        if form:
            variants.setdefault(word, {})[form] = posting
        else:
            postings[word] = posting
    return postings, variants


def _locs_fast(groups: list[tuple[int, list[int]]], encoded: dict[int, bytes]) -> tuple[bytes, int]:
    """`_locs`, for the common case of one weight without building the list (`_locs` when not)."""
    if len(groups) == 1:
        weight, positions = groups[0]
        try:
            mark = encoded[-weight - 1] if weight != 25 else b""
            deltas = b"".join(map(encoded.__getitem__, [b - a for a, b in itertools.pairwise(positions)]))
            return mark + encoded[positions[0]] + deltas, len(positions) + (weight != 25)
        except KeyError:  # (a position past the table)
            pass
    return _locs(groups)
