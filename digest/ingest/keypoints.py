"""Key points for a source that has none: 3 to 5 sentences of its body, chosen by centrality.

The method, so a writer knows what to review:
1. Every sentence of the body's paragraphs and list items is a candidate if it has 6 to
   45 words, does not repeat the summary (half or more of its words in common), and is not
   a quotation with its speaker (`"...," the minister said`), a contact line (an e-mail
   address, a telephone number, a web address), a question or a lead-in ending with `:`.
2. The candidates are ranked as TextRank ranks sentences: a graph whose edges are the words
   two sentences share (stems of three letters or more, common words left out, divided by
   the logarithms of their lengths), scored by PageRank, so a sentence that says what many
   others also say ranks high and an aside ranks low. Position (earlier paragraphs), the
   taxonomy tags a sentence names and figures add a little.
3. The best are taken, skipping any that repeat an already chosen one, and are listed in
   the order of the text, verbatim: 3 for a short text, 4 from 8 candidates, 5 from 12.
4. With fewer candidates, longer sentences (cut to 300 characters) or short sentences of 4
   words or more fill in (never a label, a heading or a glossary's `Term: definition`), and at
   worst the summary itself is the one key point.
The brief records `review: [key_points]` so the writer knows to review them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from digest.ingest.prose import ends_sentence, sentences, shorten

MIN_WORDS, MAX_WORDS = 6, 45
POINT_LIMIT = 300
_DAMPING, _ROUNDS = 0.85, 40
_MAX_CANDIDATES = 120
_COMMON_WORDS = """the and for that with this from have has had was were are been will would could should their there
    they them than then which who whom what when where while into onto over under about after before also
    its his her our your not but can may might must more most other such some any each all one two three
    said says told according"""
_COMMON = frozenset(_COMMON_WORDS.split())
_QUOTE = re.compile(r"[\"“”«»]|(?:^|\s)['‘’]\w")
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|added|stated|noted|explained|commented|according\s+to|spokes(?:wo)?(?:man|person))\b",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"\S@\S|\bhttps?://|\bwww\.|(?:\+|\b)\d[\d ().-]{7,}\d\b|\b(?:tel|phone|fax|e-?mail)\s*[:.]", re.IGNORECASE
)


@dataclass(frozen=True)
class _Candidate:
    order: int
    para: int
    text: str
    words: frozenset[str]  # stems, for redundancy
    bonus: float


def generate_key_points(passages: Sequence[str], summary: str, tags_in: Callable[[str], int]) -> tuple[str, ...]:
    """3 to 5 key points from `passages` (plain-text paragraphs, in order); never empty when
    `summary` is not."""
    summary_words = _stems(summary)
    good: list[_Candidate] = []
    spare: list[_Candidate] = []
    order = 0
    for para_index, passage in enumerate(passages):
        for sentence in sentences(passage):
            order += 1
            words = _stems(sentence)
            if not words or _overlap(words, summary_words) >= 0.5 or not _fit(sentence):
                continue
            bonus = (
                0.3 / (1 + para_index) + 0.2 * min(3, tags_in(sentence)) + (0.1 if re.search(r"\d", sentence) else 0)
            )
            candidate = _Candidate(order, para_index, shorten(sentence, POINT_LIMIT), words, bonus)
            count = len(sentence.split())
            if MIN_WORDS <= count <= MAX_WORDS:
                good.append(candidate)
            elif count > MAX_WORDS or (count >= 4 and ends_sentence(sentence) and ":" not in sentence[:30]):
                spare.append(candidate)  # a short one only if it is a sentence: no label, heading or definition
    good, spare = good[:_MAX_CANDIDATES], spare[:_MAX_CANDIDATES]  # the graph grows as their square
    wanted = 5 if len(good) >= 12 else 4 if len(good) >= 8 else 3
    chosen = _pick(good, _ranks(good), wanted, [])
    if len(chosen) < wanted:
        chosen = _pick(spare, _ranks(spare), wanted, chosen)
    if not chosen:
        return (shorten(summary, POINT_LIMIT),) if summary.strip() else ()
    return tuple(c.text for c in sorted(chosen, key=lambda c: c.order))


def _fit(sentence: str) -> bool:
    """Not a quotation with its speaker, a contact line, a question or a lead-in."""
    text = sentence.strip()
    if _CONTACT.search(text) or text.endswith((":", "?")):
        return False
    return not (_QUOTE.search(text) and _ATTRIBUTION.search(text))


def _ranks(candidates: list[_Candidate]) -> list[float]:
    """TextRank: PageRank over the sentences' shared-word graph, plus each one's bonus."""
    n = len(candidates)
    if n == 0:
        return []
    edges: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i in range(n):
        a = candidates[i].words
        for j in range(i + 1, n):
            b = candidates[j].words
            shared = len(a & b)
            if shared and len(a) > 1 and len(b) > 1:
                weight = shared / (math.log(len(a)) + math.log(len(b)))
                edges[i].append((j, weight))
                edges[j].append((i, weight))
    totals = [sum(w for _, w in row) for row in edges]
    rank = [1.0 / n] * n
    for _ in range(_ROUNDS):
        share = [rank[j] / totals[j] if totals[j] else 0.0 for j in range(n)]
        rank = [(1 - _DAMPING) / n + _DAMPING * sum(share[j] * w for j, w in edges[i]) for i in range(n)]
    top = max(rank)
    return [r / top + c.bonus for r, c in zip(rank, candidates, strict=True)]


def _pick(candidates: list[_Candidate], ranks: list[float], wanted: int, chosen: list[_Candidate]) -> list[_Candidate]:
    chosen = list(chosen)
    for _, candidate in sorted(zip(ranks, candidates, strict=True), key=lambda pair: (-pair[0], pair[1].order)):
        if len(chosen) >= wanted:
            break
        if all(_overlap(candidate.words, c.words) < 0.5 for c in chosen):
            chosen.append(candidate)
    return chosen


def _stems(text: str) -> frozenset[str]:
    """The words of `text` that carry meaning, crudely stemmed (`registered` -> `register`)."""
    stems = set()
    for word in re.findall(r"\w{3,}", text.casefold()):
        if word in _COMMON:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        stems.add(word)
    return frozenset(stems)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
