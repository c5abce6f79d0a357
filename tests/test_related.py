"""Related briefs: the briefs sharing most tags with a brief, nearest in time first; and the
table kept from the last build, updated after a few tag edits, equals one worked out afresh."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from digest.site.arrange import RELATED_COUNT, _related_memo


@dataclass(frozen=True)
class Tagged:  # (what the related table reads of a brief)
    slug: str
    tags: tuple[str, ...]


def related(briefs: tuple[Tagged, ...], memo: dict[str, object] | None = None) -> dict[str, list[str]]:
    table = _related_memo(briefs, {} if memo is None else memo)  # type: ignore[arg-type]
    return {slug: [b.slug for b in others] for slug, others in table.items()}


def test_most_shared_tags_first_then_nearest_in_time() -> None:
    briefs = (
        Tagged("a", ("chips", "china", "export-controls")),
        Tagged("b", ("chips",)),
        Tagged("c", ("chips", "china")),
        Tagged("d", ("ai-act",)),
        Tagged("e", ("chips", "china", "export-controls")),
    )
    table = related(briefs)
    assert table["a"] == ["e", "c", "b"]  # three tags shared, then two, then one
    assert table["d"] == []  # no tag in common with any other
    assert table["b"] == ["a", "c", "e"]  # one tag each: the nearest first
    many = tuple(Tagged(f"x{i}", ("chips",)) for i in range(20))
    assert len(related(many)["x10"]) == RELATED_COUNT


@pytest.mark.parametrize("seed", range(6))
def test_the_table_after_tag_edits_equals_one_worked_out_afresh(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = [f"tag-{n}" for n in range(10)]
    briefs = tuple(
        Tagged(f"b{n}", tuple(rng.sample(vocabulary, rng.randint(0, 4)))) for n in range(rng.randint(30, 150))
    )
    memo: dict[str, object] = {}
    related(briefs, memo)
    for step in range(40):
        edited = list(briefs)
        for _ in range(rng.choice([1, 1, 2, 5])):
            n = rng.randrange(len(edited))
            edited[n] = Tagged(edited[n].slug, tuple(rng.sample(vocabulary, rng.randint(0, 4))))
        briefs = tuple(edited)
        assert related(briefs, memo) == related(briefs), f"step {step}"
