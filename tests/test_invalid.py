"""Every bad input gives its exact error lines and exit 1, and changes nothing.

tests/fixtures/invalid/ holds one file (or folder) per case and, beside it, a `.err` file with
the lines it must print on stderr (the `digest: ` summary line aside):

- `*.md`: a brief, copied into content/briefs/ of a copy of fixtures/valid-site;
- `taxonomy/*.yaml`: replaces content/tags.yaml;
- `config/*.yaml`: replaces digest.yaml;
- `templates/<case>/`: its files go into the site's templates/ folder, over the default theme's;
- `sources/*`: copied into content/sources/ and given to `digest import`, which writes no brief.

The site is built first; after the failing command it must be byte- and mtime-identical.
Inputs too large to commit (a 50 MB brief, 10,000 tags, a 5 MB source) are made by the tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import FIXTURES

INVALID = FIXTURES / "invalid"


@dataclass(frozen=True)
class Case:
    kind: str  # brief, taxonomy, config, template or source
    fixture: Path  # a file, or for a template case a folder of templates

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.fixture.name}"

    @property
    def expected(self) -> list[str]:
        return self.fixture.with_suffix(".err").read_text(encoding="utf-8").splitlines()

    def install(self, root: Path) -> None:
        """Put the bad input into the site folder `root`."""
        if self.kind == "brief":
            shutil.copy(self.fixture, root / "content" / "briefs" / self.fixture.name)
        elif self.kind == "taxonomy":
            shutil.copy(self.fixture, root / "content" / "tags.yaml")
        elif self.kind == "config":
            shutil.copy(self.fixture, root / "digest.yaml")
        elif self.kind == "template":
            shutil.copytree(self.fixture, root / "templates", dirs_exist_ok=True)
        else:
            (root / "content" / "sources").mkdir(exist_ok=True)
            shutil.copy(self.fixture, root / "content" / "sources" / self.fixture.name)


def _cases() -> list[Case]:
    found = [Case("brief", p) for p in sorted(INVALID.glob("*.md"))]
    found += [Case("taxonomy", p) for p in sorted((INVALID / "taxonomy").glob("*.yaml"))]
    found += [Case("config", p) for p in sorted((INVALID / "config").glob("*.yaml"))]
    found += [Case("template", p) for p in sorted((INVALID / "templates").iterdir()) if p.is_dir()]
    found += [Case("source", p) for p in sorted((INVALID / "sources").iterdir()) if p.suffix != ".err"]
    return found


CASES = _cases()


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Site:
    """A built copy of fixtures/valid-site, and what its output was."""

    root: Path
    out: Path
    before: dict[str, tuple[bytes, int]]

    @property
    def briefs(self) -> Path:
        return self.root / "content" / "briefs"

    def assert_unchanged(self) -> None:
        assert snapshot(self.out) == self.before, "the previous site/ is unchanged"
        assert not list(self.root.glob(".site.*")), "no staging folder is left behind"


@pytest.fixture
def site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Site:
    root = tmp_path / "site-root"
    shutil.copytree(FIXTURES / "valid-site", root)
    out = root / "site"
    assert main(["build", "--root", str(root), "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    return Site(root, out, snapshot(out))


def problems(stderr: str) -> list[str]:
    """The problems a command printed (errors and warnings), without its `digest: ` summary line."""
    return [line for line in stderr.splitlines() if not line.startswith("digest: ")]


def errors(stderr: str) -> list[str]:
    return [line for line in problems(stderr) if ": warning: " not in line]


def assert_build_fails(site: Site, expected: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """`digest build` prints exactly `expected` (and the warnings it found), exits 1 and writes
    nothing; `digest check` prints the very same lines."""
    code = main(["build", "--root", str(site.root), "--out", str(site.out)])
    err = capsys.readouterr().err
    assert errors(err) == expected
    assert code == 1
    assert err.splitlines()[-1].endswith("nothing was written")
    site.assert_unchanged()

    code = main(["check", "--root", str(site.root)])
    checked = capsys.readouterr().err
    assert problems(checked) == problems(err), "check reports what build does"
    assert code == 1


def assert_import_fails(
    site: Site, source: str, expected: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest import` reports exactly `expected`, exits 1 and writes no brief."""
    briefs = snapshot(site.briefs)
    monkeypatch.chdir(site.root)
    code = main(["import", "--root", ".", f"content/sources/{source}"])
    captured = capsys.readouterr()
    assert errors(captured.err) == expected
    assert code == 1
    assert captured.out.splitlines()[-1] == "1 source: 1 failed"
    assert snapshot(site.briefs) == briefs, "no brief was written"
    site.assert_unchanged()


def test_the_corpus_covers_every_kind() -> None:
    kinds = {case.kind for case in CASES}
    assert kinds == {"brief", "taxonomy", "config", "template", "source"}
    assert len(CASES) >= 50
    assert all(case.fixture.with_suffix(".err").is_file() for case in CASES), "every case has its .err file"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_input(
    case: Case, site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case.install(site.root)
    if case.kind == "source":
        assert_import_fails(site, case.fixture.name, case.expected, capsys, monkeypatch)
    else:
        assert_build_fails(site, case.expected, capsys)


def test_check_and_build_report_the_same_over_the_whole_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One list of every line `digest build` prints for every case of the suite, and one of
    `digest check`'s: the same (check is the build without writing)."""
    built: list[str] = []
    checked: list[str] = []
    cases = [c for c in CASES if c.kind != "source"]
    for n, case in enumerate(cases):
        root = tmp_path / f"case-{n}"
        shutil.copytree(FIXTURES / "valid-site", root)
        case.install(root)
        for command, lines in (("build", built), ("check", checked)):
            code = main(
                [command, "--root", str(root), "--quiet"] if command == "build" else [command, "--root", str(root)]
            )
            lines.extend(f"{case.id}: {line}" for line in [f"exit {code}", *problems(capsys.readouterr().err)])
    assert checked == built
    assert len(built) >= 2 * len(cases), "an exit code and at least one error for each case"


# --- inputs made by the tests -------------------------------------------------------------

HEADER = "---\ntitle: Hello\ndate: 2025-01-01\nsummary: A summary.\nkey_points: [One]\n"


def _fifty_megabyte_brief(root: Path) -> list[str]:
    path = root / "content" / "briefs" / "huge.md"
    line = b"A very long body line that goes on and on about export controls and chips.\n"
    with path.open("wb") as handle:
        handle.write((HEADER + "---\n").encode())
        handle.write(line * (50 * 1024 * 1024 // len(line) + 1))
    size = path.stat().st_size
    return [f"content/briefs/huge.md:1: file is {size:,} bytes; expected at most 4,194,304 bytes of text"]


def _ten_thousand_tags(root: Path) -> list[str]:
    tags = "".join(f"  - tag-{n}\n" for n in range(10_000))
    (root / "content" / "briefs" / "tagged.md").write_text(HEADER + "tags:\n" + tags + "---\nBody.\n")
    return ["content/briefs/tagged.md:6: 'tags' has 10000 items; expected at most 50"]


def _three_briefs_claiming_one_url(root: Path) -> list[str]:
    for n in range(1, 4):
        (root / "content" / "briefs" / f"copy-{n}.md").write_text(HEADER + "slug: valid-brief\n---\n")
    return [
        f"content/briefs/{name}:{line}: URL /briefs/valid-brief/ is also the URL of {first}; "
        "expected one brief per slug (set `slug:` in one of them)"
        for name, line, first in [
            ("copy-2.md", 6, "content/briefs/copy-1.md"),
            ("copy-3.md", 6, "content/briefs/copy-1.md"),
            ("valid-brief.md", 1, "content/briefs/copy-1.md"),
        ]
    ]


def _table(columns: int, rows: int) -> str:
    """A Markdown table: a header of `columns` cells and `rows` short rows (each one cell, padded by the parser)."""
    return "| " + " | ".join(f"c{i}" for i in range(columns)) + " |\n" + "|---" * columns + "|\n" + "| x |\n" * rows


def _too_wide_table(root: Path) -> list[str]:
    (root / "content" / "briefs" / "wide.md").write_text(HEADER + "---\nIntro.\n\n" + _table(65, 3))
    return ["content/briefs/wide.md:9: the table has 65 columns; expected at most 64"]


def _too_long_table(root: Path) -> list[str]:
    (root / "content" / "briefs" / "long.md").write_text(HEADER + "---\nIntro.\n\n" + _table(3, 2500))
    return [
        "content/briefs/long.md:2011: the table has more than 2,000 rows; expected at most 2,000 "
        "(split it into several tables)"
    ]


def _too_many_table_cells(root: Path) -> list[str]:
    body = "\n".join(_table(64, 999) for _ in range(3))  # 64 x 1,000 cells each
    (root / "content" / "briefs" / "cells.md").write_text(HEADER + "---\n" + body)
    third = 7 + 2 * 1002
    return [
        f"content/briefs/cells.md:{third}: the tables have more than 128,000 cells in all; "
        "expected at most 128,000 in one brief"
    ]


GENERATED: dict[str, Callable[[Path], list[str]]] = {
    "table-65-columns": _too_wide_table,
    "table-2500-rows": _too_long_table,
    "tables-over-128000-cells": _too_many_table_cells,
    "brief-50-megabytes": _fifty_megabyte_brief,
    "brief-10000-tags": _ten_thousand_tags,
    "three-briefs-one-url": _three_briefs_claiming_one_url,
}


@pytest.mark.parametrize("make", GENERATED.values(), ids=GENERATED.keys())
def test_generated_invalid_brief(
    make: Callable[[Path], list[str]], site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_build_fails(site, make(site.root), capsys)


def test_a_table_at_the_caps_builds(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    row = "| " + " | ".join("x" for _ in range(64)) + " |\n"
    (site.root / "content" / "briefs" / "table.md").write_text(HEADER + "---\n" + _table(64, 0) + row * 1999)
    assert main(["build", "--root", str(site.root), "--out", str(site.out), "--quiet"]) == 0, capsys.readouterr().err
    page = (site.out / "briefs" / "table" / "index.html").read_text()
    assert page.count("<tr>") == 2000


def test_an_html_page_of_too_much_paragraph_text_is_refused(
    site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = site.root / "content" / "sources"
    sources.mkdir()
    paragraphs = "".join(f"<p>Paragraph {n} on export rules.</p>\n" for n in range(20_001))
    (sources / "huge.html").write_text(
        f"<html><head><title>Huge</title></head><body><article>\n{paragraphs}</article></body></html>"
    )
    expected = [
        "skipped content/sources/huge.html:20002: the page has more than 20,000 pieces of text in paragraphs; "
        "expected at most 20,000 (save the article alone, or as text)"
    ]
    assert_import_fails(site, "huge.html", expected, capsys, monkeypatch)


def test_five_megabyte_source(site: Site, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    sources = site.root / "content" / "sources"
    sources.mkdir()
    text = "Huge Article | Home | Harbor Tech Review\n" + "The ministry said nothing new today.\n" * 150_000
    (sources / "huge.txt").write_text(text)
    size = (sources / "huge.txt").stat().st_size
    expected = [f"skipped content/sources/huge.txt:1: file is {size:,} bytes; expected at most 4,194,304 bytes of text"]
    assert_import_fails(site, "huge.txt", expected, capsys, monkeypatch)


# --- BOM and Windows line endings are valid --------------------------------------------------

RICH_BRIEF = """---
title: "Chips, Rules and Tables"
date: 2025-03-04T09:30:00+01:00
summary: >-
  A folded summary
  over two lines.
key_points:
  - First point with **bold** text.
  - Second point.
tags: [china, Export controls]
source:
  name: Harbor Tech Review
  url: https://example.org/article
---
A paragraph with a [link](https://example.org/) and a footnote.[^1]

| country | rule |
| --- | --- |
| Japan | licence |

- a list item
- another

[^1]: The note.
"""


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: b"\xef\xbb\xbf" + text.encode(),
        lambda text: text.replace("\n", "\r\n").encode(),
        lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        lambda text: text.replace("\n", "\r").encode(),
    ],
    ids=["bom", "crlf", "bom-crlf", "cr"],
)
def test_bom_and_crlf_briefs_build_like_the_plain_file(encode: Callable[[str], bytes], tmp_path: Path) -> None:
    outputs = []
    for name, data in [("plain", RICH_BRIEF.encode()), ("variant", encode(RICH_BRIEF))]:
        root = tmp_path / name
        shutil.copytree(FIXTURES / "valid-site", root)
        (root / "content" / "briefs" / "rich.md").write_bytes(data)
        assert main(["build", "--root", str(root), "--quiet"]) == 0
        outputs.append({path: value[0] for path, value in snapshot(root / "site").items()})
    plain, variant = outputs
    assert variant == plain
    page = plain["briefs/rich/index.html"].decode()
    assert "A folded summary over two lines." in page
    assert "<table>" in page and "\r" not in page
