"""YAML with positions: values, lines, and clear errors for hostile or broken input."""

from __future__ import annotations

import pytest

from digest.content.frontmatter import FrontMatterError, split
from digest.content.yamldoc import YamlError, parse_yaml


def test_values_and_lines() -> None:
    doc = parse_yaml("title: Hi\ndate: 2025-04-26\ntags:\n  - a\n  - b\n", first_line=2)
    assert doc.data == {"title": "Hi", "date": "2025-04-26", "tags": ["a", "b"]}
    assert doc.line("date") == 3
    assert doc.line("tags", 1) == 6
    assert doc.line("missing") == 2


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: 1\na: 2\n", 2, "duplicate key 'a' (first on line 1)"),
        ('a: "open\nb: 1\n', 1, "expected a closing quote"),
        ("a:\n\t- b\n", 2, "indent with spaces, not tabs"),
        ("a: b: c\n", 1, "mapping values are not allowed"),
        ("<<: {a: 1}\n", 1, "merge keys"),
    ],
)
def test_errors_have_lines(text: str, line: int, fragment: str) -> None:
    with pytest.raises(YamlError) as info:
        parse_yaml(text)
    assert info.value.line == line
    assert fragment in info.value.message


def test_exponential_aliases_are_refused() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcde", "bcdef", strict=True)
    )
    with pytest.raises(YamlError, match="too large"):
        parse_yaml(text)


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(YamlError, match="nested more than"):
        parse_yaml("a: " + "[" * 200 + "]" * 200 + "\n")


def test_front_matter_split_keeps_file_lines() -> None:
    doc = split("---\ntitle: Hi\nsummary: S\n---\nBody\n")
    assert doc.line("summary") == 3
    assert doc.body == "Body\n"
    assert doc.body_line == 5


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("title: x\n", "did you forget the leading '---'?"),
        ("---\ntitle: x\n", "not closed"),
        ("", "empty"),
        ("--- \ntitle: x\n---\n", None),
    ],
)
def test_front_matter_problems(text: str, fragment: str | None) -> None:
    if fragment is None:
        assert split(text).meta.data == {"title": "x"}
        return
    with pytest.raises(FrontMatterError, match=fragment.replace("?", r"\?")):
        split(text)


@pytest.mark.parametrize(
    ("text", "may_be_empty", "expected"),
    [
        pytest.param(
            "---\n- a\n---\n",
            False,
            "x.md:2: front matter is a list; expected `key: value` lines such as `t: ...`",
            id="list",
        ),
        pytest.param(
            "---\nplain\n---\n",
            False,
            "x.md:2: front matter is text; expected `key: value` lines such as `t: ...`",
            id="text",
        ),
        pytest.param(
            "---\n---\n",
            False,
            "x.md:2: front matter is empty; expected `key: value` lines such as `t: ...`",
            id="empty",
        ),
        pytest.param("---\n---\nbody\n", True, None, id="empty-allowed"),
        pytest.param(
            "title: x\n",
            False,
            "x.md:1: no front matter; expected the file to start with a '---' line (did you forget the leading '---'?)",
            id="none",
        ),
    ],
)
def test_front_matter_of_a_site_file_is_key_value_lines(text: str, may_be_empty: bool, expected: str | None) -> None:
    """Briefs, instruments and edition files all open their front matter through one function."""
    from digest.content.frontmatter import read_front_matter
    from digest.core.errors import ContentError

    if expected is None:
        doc = read_front_matter(text, "x.md", "`t: ...`", may_be_empty=may_be_empty)
        assert doc.meta.data == {} and doc.body == "body\n"
        return
    with pytest.raises(ContentError) as info:
        read_front_matter(text, "x.md", "`t: ...`", may_be_empty=may_be_empty)
    assert [str(p) for p in info.value.problems] == [expected]
