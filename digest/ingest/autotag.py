"""Tags found in a document's text: the taxonomy's labels and aliases as whole words.

All-capital names (`US`, `EU`, `PRC`, `U.S.`) match case-sensitively, so `us` and `eu` in
prose do not count; other names match in any case. Overlapping names count once, the
longest (`US Bureau of Industry and Security` is `bis`, not also `united-states`).
Tags are ranked by a weighted count: a mention in the title counts 4, in the summary 3,
in a key point 2, in the body 1; ties go to the earlier mention. A tag needs a weight of 2
(a passing mention in the body is not enough), and a brief gets at most 6. A one-word name
never matches the first part of a hyphenated word (`Meta` is not in `meta-analysis`), and the
one-word name of an organisation, country or person (`Meta`) only with its capital. Capitalised names that
recur but are not in the taxonomy are offered as suggestions, never added as tags.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from digest.core.model import Taxonomy
from digest.ingest.prose import for_matching

MAX_TAGS = 6
MAX_SUGGESTIONS = 5
WEIGHTS = {"title": 4.0, "summary": 3.0, "key_points": 2.0, "body": 1.0}
SALIENT = 2.0  # a tag needs this weight: a mention in the title, the lead or a key point, or two in the body

_WORD = r"(?:[A-Z][A-Za-z0-9'&-]*[A-Za-z0-9]|[A-Z]{2,}[0-9]*)"
_CANDIDATE = re.compile(rf"(?<![\w-]){_WORD}(?: (?:(?:of|and|for|de|von|van) )?{_WORD}){{0,4}}(?![\w-])")
_STOP_WORDS = """the a an in on at it its this these that those he she they we i you but and or as for with by from to of
    after before while meanwhile however also according amid despite there their his her our what when where who
    why how if so such some many most more other both all each new one two three key points summary highlights
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec mr ms mrs dr prof president minister prime chairman chair chief executive
    ceo secretary chancellor premier general director spokesperson officials official ai artificial intelligence
    read share subscribe click tl dr takeaways today yesterday last next first second third under over later earlier
    now then since until because although though yet still instead"""
_STOP = frozenset(_STOP_WORDS.split())
_HYPHENATED = re.compile(r"-[a-z]")
_NAMED = frozenset(
    ["org", "orgs", "organisation", "organization", "company", "companies", "country", "countries", "person", "people"]
)


@dataclass(frozen=True)
class TagMatcher:
    """The taxonomy's names compiled for finding them in text."""

    exact: re.Pattern[str] | None  # all-capital names, case-sensitive
    folded: re.Pattern[str] | None  # other names, any case
    slugs: Mapping[str, str]  # name (exact) or casefolded name -> slug
    # one-word names of organisations, countries and people (`Meta`, `Apple`), casefolded:
    # proper nouns, which match only with their capital (`meta` in prose is a word)
    proper: frozenset[str] = frozenset()

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, slug) of every mention, longest first where mentions overlap, in order."""
        text = for_matching(text)
        spans: list[tuple[int, int, str]] = []
        for pattern, exact in ((self.exact, True), (self.folded, False)):
            if pattern is None:
                continue
            for match in pattern.finditer(text):
                name = " ".join(match.group().split())
                name = name if exact else name.casefold()
                if not exact and " " not in name and _HYPHENATED.match(text, match.end()):
                    continue  # `meta-analysis`, `compute-heavy`: another word
                if not exact and name in self.proper and not match.group()[0].isupper():
                    continue
                slug = self.slugs.get(name)
                if slug:
                    spans.append((match.start(), match.end(), slug))
        spans.sort(key=lambda s: (s[0], s[0] - s[1]))
        chosen: list[tuple[int, int, str]] = []
        for span in spans:
            if not chosen or span[0] >= chosen[-1][1]:
                chosen.append(span)
        return chosen

    def distinct(self, text: str) -> int:
        """How many different tags `text` mentions."""
        return len({slug for _, _, slug in self.find(text)})


def tag_matcher(taxonomy: Taxonomy) -> TagMatcher:
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for slug, tag in taxonomy.tags.items():
        for name in (tag.label, *tag.aliases):
            name = for_matching(" ".join(name.split()))
            letters = [ch for ch in name if ch.isalpha()]
            if not letters:
                continue
            if any(ch.isupper() for ch in letters) and not any(ch.islower() for ch in letters):
                exact.setdefault(name, slug)
            else:
                folded.setdefault(name.casefold(), slug)
    proper = frozenset(
        for_matching(name).casefold()
        for tag in taxonomy.tags.values()
        if (tag.group or "").casefold() in _NAMED
        for name in (tag.label, *tag.aliases)
        if " " not in name.strip() and name.strip()[:1].isupper() and any(ch.islower() for ch in name)
    )
    return TagMatcher(
        _pattern(exact, 0), _pattern(folded, re.IGNORECASE), MappingProxyType({**folded, **exact}), proper
    )


def _pattern(names: Mapping[str, str], flags: int) -> re.Pattern[str] | None:
    if not names:
        return None
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", flags)


@dataclass(frozen=True)
class TagScan:
    tags: tuple[str, ...]  # slugs, best first
    suggestions: tuple[str, ...]  # names that look like tags but are not in the taxonomy


def scan_tags(matcher: TagMatcher, fields: Sequence[tuple[str, str]], limit: int = MAX_TAGS) -> TagScan:
    """Rank the taxonomy tags mentioned in `fields` ((field name, text) pairs, in document order)."""
    score: dict[str, float] = {}
    first: dict[str, int] = {}
    candidates: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    order = 0
    for field, text in fields:
        weight = WEIGHTS.get(field, 1.0)
        spans = matcher.find(text)
        for start, _, slug in spans:
            score[slug] = score.get(slug, 0.0) + weight
            first.setdefault(slug, order + start)
        if field != "title":  # titles are in Title Case: every word looks like a name
            for name in _candidates(_mask(for_matching(text), spans)):
                key = name.casefold()
                candidates[key] += 1
                forms.setdefault(key, Counter())[name] += 1
        order += len(text) + 1
    ranked = sorted(score, key=lambda s: (-score[s], first[s]))
    tags = [s for s in ranked if score[s] >= SALIENT][:limit]
    lower = {w for _, text in fields for w in re.findall(r"(?<![\w-])[a-z][a-z'-]*", for_matching(text))}
    suggested = [
        forms[k].most_common(1)[0][0]
        for k, n in candidates.most_common()
        if n >= 2 and (" " in k or k not in lower)  # a word also written in lower case is not a name
    ]
    return TagScan(tuple(tags), tuple(suggested[:MAX_SUGGESTIONS]))


def _mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    if not spans:
        return text
    parts, last = [], 0
    for start, end, _ in spans:
        parts.append(text[last:start])
        parts.append("|" * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _candidates(text: str) -> list[str]:
    found = []
    for match in _CANDIDATE.finditer(text):
        words = match.group().split(" ")
        while words and words[0].casefold() in _STOP:
            words.pop(0)
        while words and words[-1].casefold() in _STOP:
            words.pop()
        if not words:
            continue
        before = text[: match.start()].rstrip(" \"'(")
        sentence_start = not before or before.endswith((".", "!", "?", ":", "\n", "|"))
        if len(words) == 1 and (sentence_start or len(words[0]) < 3):
            continue
        found.append(" ".join(words))
    return found
