"""core.memo.same_inputs: an answer is reused only for the very same input objects."""

from __future__ import annotations

import pytest

from digest.core.memo import same_inputs

CASES = [
    # (second call's briefs: "same" object, "equal" copy; second call's flag), answered again?
    pytest.param("same", False, False, id="same-objects-same-value-reuses"),
    pytest.param("equal", False, True, id="equal-copy-is-not-the-same-input"),
    pytest.param("same", True, True, id="same-objects-other-value"),
    pytest.param("equal", True, True, id="copy-and-other-value"),
]


@pytest.mark.parametrize(("second", "flag", "computed_again"), CASES)
def test_the_last_answer_holds_only_for_the_same_objects(second: str, flag: bool, computed_again: bool) -> None:
    calls: list[int] = []

    @same_inputs(lambda briefs, drafts: ((briefs,), drafts))
    def count(briefs: list[str], drafts: bool) -> int:
        calls.append(1)
        return len(briefs) + drafts

    briefs = ["a", "b"]
    assert count(briefs, False) == 2
    again = briefs if second == "same" else list(briefs)
    assert count(again, flag) == 2 + flag
    assert len(calls) == 1 + computed_again


def test_an_answer_for_changed_contents_of_a_new_object_is_new() -> None:
    @same_inputs(lambda briefs: ((briefs,), None))
    def first(briefs: tuple[str, ...]) -> str:
        return briefs[0]

    assert first(("a",)) == "a"
    assert first(("b",)) == "b"
