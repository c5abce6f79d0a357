"""Near-duplicate stories: a source whose text repeats a brief already there (the same wire
story on two sites) is reported, not imported.

Texts are compared by their word shingles (every run of 4 words, lower case): the similarity
of two texts is the share of the shorter one's shingles that the other has, so a story cut
short or given another opening paragraph still counts. Only the lead of a story is compared
(its summary and the first 400 words of its body): that is what repeats, and it keeps an
import of a large site cheap. An inverted index of a sample of the shingles finds the
candidates, so a source is compared only with the briefs that share some of its text.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field

SHINGLE = 4  # words
LEAD_WORDS = 400
THRESHOLD = 0.7  # similarity from which a source is a duplicate
MIN_SHINGLES = 20  # shorter texts say too little to be called duplicates
_SAMPLE = 4  # one shingle in this many goes into the index
_SUMMARY = re.compile(r"^summary:[ \t]*(?P<value>.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Duplicate:
    brief: str  # the brief it repeats
    similarity: float


@dataclass
class DuplicateIndex:
    _shingles: dict[str, frozenset[int]] = field(default_factory=dict)
    _index: dict[int, list[str]] = field(default_factory=dict)

    def add(self, name: str, text: str) -> None:
        found = shingles(text)
        if len(found) < MIN_SHINGLES:
            return
        self._shingles[name] = found
        for shingle in found:
            if shingle % _SAMPLE == 0:
                self._index.setdefault(shingle, []).append(name)

    def find(self, text: str, exclude: str | None = None) -> Duplicate | None:
        """The brief that `text` repeats most, if any repeats it enough."""
        mine = shingles(text)
        if len(mine) < MIN_SHINGLES:
            return None
        candidates = Counter(name for s in mine if s % _SAMPLE == 0 for name in self._index.get(s, ()))
        best: Duplicate | None = None
        for name, _ in candidates.most_common(20):
            if name == exclude:
                continue
            theirs = self._shingles[name]
            similarity = len(mine & theirs) / min(len(mine), len(theirs))
            if similarity >= THRESHOLD and (best is None or similarity > best.similarity):
                best = Duplicate(name, round(similarity, 2))
        return best


def shingles(text: str) -> frozenset[int]:
    words = re.findall(r"\w+", text.casefold())
    return frozenset(
        zlib.crc32(" ".join(words[i : i + SHINGLE]).encode("utf-8")) for i in range(max(0, len(words) - SHINGLE + 1))
    )


def story_text(summary: str, body: str) -> str:
    """What is compared of a brief: its summary and the lead of its body."""
    return summary + "\n" + " ".join(body.split()[:LEAD_WORDS])


def brief_story(text: str) -> str:
    """`story_text` of a brief file's text, without parsing its YAML: the one-line summary
    (as `digest import` writes it) and the body after the front matter."""
    parts = text.split("\n---\n", 1) if text.startswith("---\n") else ["", text]
    head, body = parts if len(parts) == 2 else (parts[0], "")
    match = _SUMMARY.search(head)
    summary = match.group("value").strip().strip("\"'") if match else ""
    if summary in (">", ">-", "|", "|-") and match:
        folded = []
        for line in head[match.end() :].split("\n")[1:]:
            if not line.startswith(" "):
                break
            folded.append(line.strip())
        summary = " ".join(folded)
    return story_text(summary, body)
