"""Key points for a source that has none: 3 to 5 sentences of its body, chosen by score.

The method, so a writer knows what to review:
1. Every sentence of the body's paragraphs and list items is a candidate if it has 6 to
   45 words and does not repeat the summary (half or more of its words in common).
2. Its score adds position (earlier paragraphs score higher, and a paragraph's first
   sentence most of all), the taxonomy tags it names (0.75 each, at most 3) and a
   small bonus for figures (a digit), which usually carry the news.
3. The best are taken, skipping any that repeat an already chosen one, and are listed in
   the order of the text: 3 for a short text, 4 from 8 candidates, 5 from 12.
4. With fewer candidates, shorter or longer sentences (cut to 300 characters) fill in, and
   at worst the summary itself is the one key point.
The brief records `review: [key_points]` so the writer knows to review them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from digest.prose import sentences, shorten

MIN_WORDS, MAX_WORDS = 6, 45
POINT_LIMIT = 300


@dataclass(frozen=True)
class _Candidate:
    order: int
    text: str
    score: float
    words: frozenset[str]


def generate_key_points(passages: Sequence[str], summary: str, tags_in: Callable[[str], int]) -> tuple[str, ...]:
    """3 to 5 key points from `passages` (plain-text paragraphs, in order); never empty when
    `summary` is not."""
    summary_words = _words(summary)
    good: list[_Candidate] = []
    spare: list[_Candidate] = []
    order = 0
    for para_index, passage in enumerate(passages):
        for sentence_index, sentence in enumerate(sentences(passage)):
            order += 1
            words = _words(sentence)
            if not words or _overlap(words, summary_words) >= 0.5:
                continue
            position = 2.0 / (1 + para_index) + (1.0 if sentence_index == 0 else 0.5 / (1 + sentence_index))
            score = position + 0.75 * min(3, tags_in(sentence)) + (0.3 if re.search(r"\d", sentence) else 0.0)
            count = len(sentence.split())
            candidate = _Candidate(order, shorten(sentence, POINT_LIMIT), score, words)
            (good if MIN_WORDS <= count <= MAX_WORDS else spare).append(candidate)
    wanted = 5 if len(good) >= 12 else 4 if len(good) >= 8 else 3
    chosen = _pick(good, wanted, [])
    if len(chosen) < wanted:
        chosen = _pick(spare, wanted, chosen)
    if not chosen:
        return (shorten(summary, POINT_LIMIT),) if summary.strip() else ()
    return tuple(c.text for c in sorted(chosen, key=lambda c: c.order))


def _pick(candidates: list[_Candidate], wanted: int, chosen: list[_Candidate]) -> list[_Candidate]:
    chosen = list(chosen)
    for candidate in sorted(candidates, key=lambda c: (-c.score, c.order)):
        if len(chosen) >= wanted:
            break
        if all(_overlap(candidate.words, c.words) < 0.5 for c in chosen):
            chosen.append(candidate)
    return chosen


def _words(text: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in re.findall(r"\w+", text) if len(w) > 2)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
