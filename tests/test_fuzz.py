"""Fuzzing (hypothesis): whatever a brief, the taxonomy, digest.yaml or a source document
says, the build either succeeds or reports clear errors, one line each, `path:line: message`
(or `path: message`); it never fails with anything else, and valid inputs always build.

The suite runs a few hundred examples per target; bench/fuzz.py runs the same tests with
DIGEST_FUZZ_EXAMPLES=10000 (the only difference is the count)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.build.entry import build, open_config
from digest.content.brief import parse_brief
from digest.content.sourcefile import decode
from digest.content.taxonomy import load_taxonomy
from digest.core.errors import ContentError
from digest.core.model import Taxonomy
from tests.conftest import REPO
from tests.test_import import _HTML, _TEXT, _check_any_input

SCALE = int(os.environ.get("DIGEST_FUZZ_EXAMPLES", "0"))


def fuzz(examples: int) -> settings:
    """`examples` in the suite; DIGEST_FUZZ_EXAMPLES (bench/fuzz.py) replaces the count."""
    return settings(
        max_examples=SCALE or examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --- what a clear error is ----------------------------------------------------------------


def assert_clear(error: ContentError, paths: set[str]) -> None:
    assert error.problems, "an error lists at least one problem"
    for problem in error.problems:
        line = str(problem)
        assert "\n" not in line and "\r" not in line, f"one line: {line!r}"
        match = re.match(r"^(?P<path>[^\n]+?)(?::(?P<line>\d+))?: (?P<message>\S.*)$", line)
        assert match, f"`path:line: message`: {line!r}"
        assert problem.path in paths or problem.path.startswith("templates/"), line
        assert problem.line >= 0 and problem.message.strip(), line
        assert "Traceback" not in line and "internal error" not in line, line


# --- strategies -----------------------------------------------------------------------------

_YAML_TOKENS = st.sampled_from(
    ["title: ", "date: ", "summary: ", "key_points:", "tags: ", "source:", "  name: ", "  url: ", "slug: ",
     "draft: ", "updated: ", "\n", "\n  - ", "- ", "[", "]", "{", "}", ", ", ": ", "? ", "&a ", "*a", "*b",
     "!!python/object:os.system ", "!!binary ", "!!str ", "<<: *a", "|", ">-", "'", '"', "\\", "\t", "#", "%",
     "---", "...", "~", "null", "yes", "no", "true", "1e400", "-0", "0x1F", "0o17", ".nan", "2025-04-26",
     "2025-13-45", "9999-12-31", "0001-01-01", "2025-04-26T25:61:00Z", "2025-04-26T08:00:00+14:00",
     "https://example.org/a", "javascript:alert(1)", "{{ config }}", "{% for %}", "<script>", "china",
     "PRC", "..", "/etc/passwd", "\u00a0", "\u2028", "\ufeff", "\x85", "é", "中国", "\U0001f600"]
)  # fmt: skip
_YAMLISH = st.lists(st.one_of(_YAML_TOKENS, st.text(max_size=12)), max_size=40).map("".join)

_MD_TOKENS = st.sampled_from(
    ["# ", "## ", "\n", "\n\n", "- ", "1. ", "> ", "```", "    ", "*", "**", "_", "`", "[a](", ")", "](b.md)",
     "](brief-1.md#x)", "](/tags/china/)", "](javascript:alert(1))", "](data:text/html,x)", "![i](", "<",
     ">", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&amp;", "&#0;", "&#x110000;", "|",
     "| a | b |\n|---|---|\n", "[^1]", "[^1]: note\n", "{{ site }}", "{% include 'x' %}", "---", "***", "\\",
     "<!--", "-->", "http://e.org", "\u200b", "\ufeff", "𝔘"]
)  # fmt: skip
_MARKDOWN = st.lists(st.one_of(_MD_TOKENS, st.text(max_size=20)), max_size=50).map("".join)

_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(),
    st.datetimes(timezones=st.none() | st.timezones()),
    st.sampled_from(["", " ", "china", "PRC", "United States", "2025-04-26", "https://example.org/x", "UTC"]),
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)
_BRIEF_KEYS = ["title", "date", "summary", "key_points", "tags", "source", "updated", "draft", "slug", "other"]
_CONFIG_KEYS = ["title", "description", "base_url", "language", "author", "per_page", "timezone", "taxonomy",
                "search", "extra"]  # fmt: skip


# (valid briefs have tags outside the taxonomy, and a key of the site's own)
SITE = "open_tags: true\nfields: {jurisdiction: string}\n"


def dump(data: object) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, OverflowError):
        return repr(data)  # not representable: random text is fuzz too


def mapping(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), _VALUE, max_size=len(keys))


_PRINTABLE = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029\x85"), min_size=1, max_size=40
).filter(lambda s: s.strip() != "")
_TAG = st.sampled_from(
    ["china", "PRC", "United States", "us", "export controls", "Brand New Topic", "ai-2"]
) | st.from_regex(r"[A-Za-z][A-Za-z0-9 ]{0,15}", fullmatch=True)


_CLEAN_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.dates() | _PRINTABLE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_PRINTABLE, inner, max_size=3),
    max_leaves=10,
)  # any value without control characters (which are errors in any front matter value)


@st.composite
def valid_brief(draw: st.DrawFn) -> str:
    data: dict[str, Any] = {
        "title": draw(_PRINTABLE),
        "date": draw(st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31))),
        "summary": draw(_PRINTABLE),
        "key_points": draw(st.lists(_PRINTABLE, min_size=1, max_size=10)),
        "tags": draw(st.lists(_TAG, max_size=6)),
    }
    if draw(st.booleans()):
        data["source"] = {
            "name": draw(_PRINTABLE),
            "url": "https://example.org/" + draw(st.from_regex(r"[a-z0-9/]{0,20}", fullmatch=True)),
        }
    if draw(st.booleans()):
        data["jurisdiction"] = draw(_PRINTABLE)  # (a field of the site: see scratch_site)
    body = draw(_MARKDOWN.map(lambda text: "".join(c for c in text if c.isprintable() or c in "\n\t")))
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n" + body


# --- the build, on a scratch site ----------------------------------------------------------

BRIEF_REL = "content/briefs/fuzzed.md"


@contextmanager
def scratch_site(files: dict[str, bytes | str]) -> Iterator[Path]:
    """A site folder with the sample taxonomy, one valid brief, a digest.yaml (SITE), and `files`
    written over them."""
    folder = Path(tempfile.mkdtemp(prefix="digest-fuzz-"))
    try:
        root = folder / "root"
        (root / "content" / "briefs").mkdir(parents=True)
        (root / "digest.yaml").write_text(SITE)
        shutil.copy(REPO / "content" / "tags.yaml", root / "content" / "tags.yaml")
        (root / "content" / "briefs" / "steady.md").write_text(
            "---\ntitle: A steady brief\ndate: 2025-01-02\nsummary: Always valid.\nkey_points: [One.]\n"
            "tags: [china]\n---\nBody.\n"
        )
        for rel, data in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, str):
                path.write_text(data, encoding="utf-8", errors="surrogatepass")
            else:
                path.write_bytes(data)
        yield root
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def build_or_clear_error(files: dict[str, bytes | str], *, search: bool = False) -> bool:
    """Build a scratch site; True if it built, False if it failed with clear errors. Without
    `search` the Pagefind index is left out (it takes most of the time of a tiny build, and
    reads only what the build validated); the valid-site target keeps it half of the time."""
    return not build_errors(files, search=search)


def build_errors(files: dict[str, bytes | str], *, search: bool = False) -> list[str]:
    """Build a scratch site; the messages of its errors, all clear ([] if it built)."""
    with scratch_site(files) as root:
        try:
            config = open_config(root)
            build(config if search else config.with_overrides(search=False), root / "site", jobs=1)
        except ContentError as exc:
            assert_clear(exc, {*files, "content/briefs/steady.md", "content/tags.yaml", "digest.yaml"})
            assert not (root / "site").exists(), "a failed first build writes no site"
            return [p.message for p in exc.problems]
        assert (root / "site" / "index.html").is_file()
        assert not search or (root / "site" / "pagefind" / "pagefind.js").is_file(), "the search index is built"
        return []


def dead_links(messages: list[str]) -> bool:
    """Whether every error is a link inside the site to nothing (a valid brief's random Markdown
    body links to `b.md` or `/tags/china/`, which may not be there)."""
    return all(m.startswith("link to '") for m in messages)


# --- briefs: parsed as the build parses them ---------------------------------------------------

_TAXONOMY: list[Taxonomy] = []


def parse_as_the_build_does(data: bytes) -> None:
    config = open_config(REPO)
    if not _TAXONOMY:
        _TAXONOMY.append(load_taxonomy(REPO, config.taxonomy))
    try:
        parse_brief(decode(data, BRIEF_REL), BRIEF_REL, "fuzzed", config, _TAXONOMY[0])
    except ContentError as exc:
        assert_clear(exc, {BRIEF_REL})


@fuzz(400)
@given(front=_YAMLISH, body=_MARKDOWN, closed=st.booleans(), crlf=st.booleans())
@example(front="title: A\nsummary: x\x7f", body="", closed=True, crlf=False)
def test_yamlish_front_matter_parses_or_fails_clearly(front: str, body: str, closed: bool, crlf: bool) -> None:
    text = "---\n" + front + ("\n---\n" if closed else "\n") + body
    if crlf:
        text = text.replace("\n", "\r\n")
    parse_as_the_build_does(text.encode("utf-8", "surrogatepass"))


@fuzz(400)
@given(data=mapping(_BRIEF_KEYS) | _VALUE, body=_MARKDOWN)
@example(data={"date": dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=23, minutes=59)))}, body="")
def test_front_matter_of_any_types_parses_or_fails_clearly(data: object, body: str) -> None:
    parse_as_the_build_does(("---\n" + dump(data) + "---\n" + body).encode("utf-8", "surrogatepass"))


@fuzz(200)
@given(data=st.binary(max_size=200), prefix=st.sampled_from([b"", b"---\n", b"\xef\xbb\xbf---\n", b"\xff\xfe"]))
def test_any_bytes_parse_or_fail_clearly(data: bytes, prefix: bytes) -> None:
    parse_as_the_build_does(prefix + data)


@fuzz(250)
@given(brief=valid_brief())
def test_valid_briefs_with_any_markdown_body_build(brief: str) -> None:
    assert dead_links(build_errors({BRIEF_REL: brief})), "a valid brief builds (but for links to nothing)"


@fuzz(200)
@given(front=_YAMLISH | mapping(_BRIEF_KEYS).map(dump), body=_MARKDOWN)
def test_fuzzed_briefs_build_or_fail_clearly(front: str, body: str) -> None:
    build_or_clear_error({BRIEF_REL: "---\n" + front + "\n---\n" + body})


# --- the taxonomy and digest.yaml, through the whole build --------------------------------------


@st.composite
def taxonomy_data(draw: st.DrawFn) -> object:
    tags = draw(
        st.dictionaries(
            _TAG | st.text(max_size=10) | st.integers(),
            st.fixed_dictionaries(
                {},
                optional={
                    "label": _VALUE,
                    "group": st.sampled_from(["country", "topic", "nowhere"]) | _VALUE,
                    "aliases": st.lists(_TAG | _SCALAR, max_size=4) | _VALUE,
                    "description": _VALUE,
                },
            )
            | _VALUE,
            max_size=6,
        )
    )
    data: dict[object, object] = {"groups": draw(st.dictionaries(st.text(max_size=8), _VALUE, max_size=3) | _VALUE)}
    data["tags"] = tags
    return draw(st.just(data) | mapping(["groups", "tags"]) | _VALUE)


@fuzz(250)
@given(text=_YAMLISH | taxonomy_data().map(dump))
@example(text=dump({"groups": {"\n": None}, "tags": {}}))
def test_any_taxonomy_builds_or_fails_clearly(text: str) -> None:
    build_or_clear_error({"content/tags.yaml": text})


@fuzz(250)
@given(
    text=_YAMLISH
    | mapping(_CONFIG_KEYS).map(dump)
    | st.fixed_dictionaries(
        {},
        optional={
            "base_url": st.sampled_from(
                ["https://e.org/sub/", "/x", "ftp://e.org", "https://e.org/a b/", "http://[::1]:80/"]
            )
            | st.text(max_size=20),
            "timezone": st.sampled_from(["UTC", "Europe/Brussels", "Europe", "Etc", "../etc", "right/UTC", ""])
            | st.text(max_size=12),
            "taxonomy": st.sampled_from(["content/tags.yaml", "../tags.yaml", "/etc/passwd", "content", "tags.yml"])
            | st.text(max_size=12),
            "per_page": _SCALAR,
            "search": _SCALAR,
            "language": _SCALAR,
        },
    ).map(dump)
)
@example(text="timezone: Europe\n")
@example(text="base_url: '0\n\n  '\n")
def test_any_config_builds_or_fails_clearly(text: str) -> None:
    build_or_clear_error({"digest.yaml": text})


@fuzz(100)
@given(
    config=st.sampled_from(["", "title: T\nper_page: 2\n", "base_url: https://e.org/sub/\n"]).map(lambda c: c + SITE),
    briefs=st.lists(valid_brief(), min_size=1, max_size=4),
    search=st.booleans(),
)
def test_valid_sites_build(config: str, briefs: list[str], search: bool) -> None:
    files: dict[str, bytes | str] = {"digest.yaml": config}
    for n, text in enumerate(briefs):
        files[f"content/briefs/fuzzed-{n}.md"] = text
    if not dead_links(build_errors(files, search=search)):
        raise AssertionError("a site of valid briefs builds (but for links to nothing)")


# --- source documents for `digest import` (the strategies of tests/test_import.py) -------------


@fuzz(300)
@given(text=_TEXT, kind=st.sampled_from(["a.txt", "a.md", "a"]))
def test_any_source_text_imports_or_fails_clearly(text: str, kind: str) -> None:
    _check_any_input(text.encode("utf-8", "surrogatepass"), kind)


@fuzz(150)
@given(html=_HTML)
def test_any_source_html_imports_or_fails_clearly(html: str) -> None:
    _check_any_input(html.encode("utf-8", "surrogatepass"), "page.html")


# --- regressions found by the fuzzer ------------------------------------------------------------


def test_a_character_yaml_refuses_is_one_clear_line_at_its_line() -> None:
    """Found by the fuzzer: DEL (U+007F) or a C1 control in front matter was reported as a
    two-line PyYAML message at the front matter's first line."""
    config = open_config(REPO)
    text = "---\ntitle: A\nsummary: x\x7f\n---\nBody.\n"
    try:
        parse_brief(text, BRIEF_REL, "fuzzed", config, load_taxonomy(REPO, config.taxonomy))
    except ContentError as exc:
        assert [str(p) for p in exc.problems] == [
            f"{BRIEF_REL}:3: character U+007F is not allowed in YAML; expected printable text"
        ]
    else:
        raise AssertionError("DEL in front matter is an error")


def config_errors(text: str) -> list[str]:
    """The error lines of a site whose digest.yaml is `text` (which must not load)."""
    with scratch_site({"digest.yaml": text}) as root:
        try:
            open_config(root)
        except ContentError as exc:
            return [str(p) for p in exc.problems]
    raise AssertionError(f"digest.yaml {text!r} loaded without an error")


def test_a_timezone_that_names_a_folder_is_a_clear_error() -> None:
    """Found by the fuzzer: `timezone: Europe` (a folder of the time-zone database) stopped
    the build with an internal IsADirectoryError."""
    assert config_errors("title: T\ntimezone: Europe\n") == [
        "digest.yaml:2: unknown timezone 'Europe'; expected an IANA name such as UTC or Europe/Brussels"
    ]


def test_errors_that_quote_a_value_with_line_breaks_stay_on_one_line() -> None:
    """Found by the fuzzer at 10,000 examples: an error quoting a value that holds a line break
    (`base_url: "0\\n"`, a taxonomy group named "\\n") printed as two lines."""
    assert config_errors('title: T\nbase_url: "0\\n\\u2028"\n') == [
        "digest.yaml:2: 'base_url' must be an absolute http(s) URL, got '0\\n\\u2028'; "
        "expected e.g. https://example.org/digest/"
    ]
    with scratch_site({"content/tags.yaml": 'groups: {"a\\nb": A}\ntags: {}\n'}) as root:
        try:
            load_taxonomy(root, "content/tags.yaml")
        except ContentError as exc:
            assert [str(p) for p in exc.problems] == [
                "content/tags.yaml:1: group 'a\\nb' is not a slug; expected lowercase letters, digits and '-'"
            ]
        else:
            raise AssertionError("the group name is an error")
