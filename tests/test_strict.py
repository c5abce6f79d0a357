"""Strict content: a writer's typo never reaches the published site, and `check` is the build.

Each test is a mistake a new writer makes (issue 19), through the `digest` command line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import FIXTURES, REPO

BRIEF = """---
title: {title}
date: 2025-01-0{day}
summary: A summary.
key_points: [One]
{more}---
{body}
"""


def brief(title: str = "Hello", day: int = 2, more: str = "", body: str = "Body.") -> str:
    return BRIEF.format(title=title, day=day, more=more, body=body)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the valid fixture site (taxonomy: china, united-states, export-controls)."""
    target = tmp_path / "site-root"
    shutil.copytree(FIXTURES / "valid-site", target)
    return target


def write(root: Path, name: str, text: str) -> None:
    (root / "content" / "briefs" / name).write_text(text, encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def problems(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("digest: ")]


# --- 1. unknown front-matter keys -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ("draft: true", "darft", "draft"),
        ("tags: [china]", "Tags", "tags"),
        ("updated: 2025-01-03", "udpated", "updated"),
    ],
)
def test_a_misspelt_key_is_an_error_with_the_closest_key(
    root: Path, capsys: pytest.CaptureFixture[str], line: str, key: str, expected: str
) -> None:
    write(root, "typo.md", brief(more=line.replace(expected, key, 1) + "\n"))
    message = (
        f"content/briefs/typo.md:6: unknown key '{key}'; expected a front-matter key or a field declared "
        f"in digest.yaml; did you mean '{expected}'?"
    )
    for command in ("build", "check"):
        code, _, err = run(capsys, command, "--root", str(root))
        assert code == 1
        assert problems(err) == [message]
    assert not (root / "site" / "briefs" / "typo").exists()


def test_declared_fields_are_typed_and_reach_templates(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = root / "digest.yaml"
    config.write_text(
        config.read_text()
        + "fields: {jurisdiction: string, effective: date, refs: list, url: url, fine: number, binding: boolean}\n"
    )
    (root / "templates").mkdir()
    theme = (REPO / "templates" / "brief.html").read_text()
    (root / "templates" / "brief.html").write_text(
        theme.replace(
            "{% block main %}",
            '{% block main %}<p id="j">{{ brief.fields.jurisdiction }} {{ brief.fields.effective }}</p>',
        )
    )
    write(root, "fields.md", brief(more="jurisdiction: EU\neffective: 2026-08-02\nfine: 35000000\nbinding: true\n"))
    code, _, err = run(capsys, "build", "--root", str(root), "--quiet")
    assert code == 0, err
    assert '<p id="j">EU 2026-08-02</p>' in (root / "site" / "briefs" / "fields" / "index.html").read_text()

    write(root, "fields.md", brief(more="effective: soon\nbinding: maybe\nrefs: text\nurl: ftp://x\n"))
    code, _, err = run(capsys, "check", "--root", str(root))
    assert code == 1
    assert problems(err) == [
        "content/briefs/fields.md:6: 'effective' must be a date (YYYY-MM-DD), got 'soon'",
        "content/briefs/fields.md:7: 'binding' must be true or false, got 'maybe'",
        "content/briefs/fields.md:8: 'refs' must be a list of strings, got text; expected e.g. `refs: [a, b]`",
        "content/briefs/fields.md:9: 'url' must be an http(s) URL, got 'ftp://x'; expected e.g. https://example.org/page",
    ]


def test_a_field_of_an_unknown_type_is_a_config_error(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = root / "digest.yaml"
    config.write_text(config.read_text() + "fields: {jurisdiction: strng}\n")
    code, _, err = run(capsys, "check", "--root", str(root))
    assert code == 1
    assert problems(err) == [
        "digest.yaml:5: field 'jurisdiction' has the unknown type 'strng'; expected one of string, date, list, url, "
        "number, boolean; did you mean 'string'?"
    ]


# --- 2. tags outside the taxonomy ----------------------------------------------------------------


def test_a_misspelt_tag_is_an_error_in_build_and_check(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(root, "typo.md", brief(more="tags: [export-contrls]\n"))
    message = (
        "content/briefs/typo.md:6: tag 'export-contrls' is not in content/tags.yaml; did you mean 'export-controls'?"
    )
    for command in ("build", "check"):
        code, _, err = run(capsys, command, "--root", str(root))
        assert (code, problems(err)) == (1, [message])
    assert not (root / "site" / "tags" / "export-contrls").exists()


def test_open_tags_allow_new_tags_with_a_warning(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "digest.yaml").write_text((root / "digest.yaml").read_text() + "open_tags: true\n")
    write(root, "new-tag.md", brief(more="tags: [Quantum Computing]\n"))
    code, _, err = run(capsys, "build", "--root", str(root), "--quiet")
    assert code == 0, err
    assert (root / "site" / "tags" / "quantum-computing" / "index.html").is_file()
    code, _out, err = run(capsys, "check", "--root", str(root))
    assert code == 0
    assert problems(err) == [
        "content/briefs/new-tag.md:6: warning: tag 'Quantum Computing' is not in content/tags.yaml; "
        "expected a slug, label or alias from content/tags.yaml (or add 'quantum-computing' there)"
    ]
    assert run(capsys, "check", "--root", str(root), "--strict")[0] == 1


def test_new_and_import_refuse_a_misspelt_tag(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "new", "Hello", "--root", str(root), "--tags", "china,export-contrls")
    assert code == 2 and out == ""
    assert err.strip() == (
        "digest: error: --tags: tag 'export-contrls' is not in content/tags.yaml; did you mean 'export-controls'?"
    )
    assert not (root / "content" / "briefs" / "hello.md").exists()

    (root / "notes.md").write_text("# Chip rules\n\nThe rules changed.\n")
    code, out, err = run(capsys, "import", "--root", str(root), "--tags", "chna", str(root / "notes.md"))
    assert code == 2 and out == ""
    assert err.strip() == "digest: error: --tags: tag 'chna' is not in content/tags.yaml; did you mean 'china'?"
    assert sorted(p.name for p in (root / "content" / "briefs").iterdir()) == ["valid-brief.md"]


# --- 3. check is the build without writing -------------------------------------------------------


def test_check_finds_a_static_file_that_collides_with_a_page(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "static" / "archive").mkdir(parents=True)
    (root / "static" / "archive" / "index.html").write_text("<p>old archive</p>")
    message = (
        "static/archive/index.html: a static file collides with the generated page /archive/; expected another name"
    )
    for command in ("check", "build"):
        code, _, err = run(capsys, command, "--root", str(root))
        assert (code, problems(err)) == (1, [message]), command
    assert not (root / "site").exists()


def test_check_counts_every_brief_and_one_error_hides_no_warning(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(root, "bad.md", brief(more="draft: maybe\n"))
    write(root, "b.md", brief(title="B", body="![](/missing.png)"))
    write(root, "c.md", brief(title="C"))
    code, out, err = run(capsys, "check", "--root", str(root))
    assert code == 1
    assert out.strip() == "Checked 4 briefs: 1 error, 1 warning"
    assert problems(err) == [
        "content/briefs/b.md:7: warning: image '/missing.png' has no alt text; expected a short description of "
        "what it shows, as in ![Chart of chip exports](/missing.png)",
        "content/briefs/bad.md:6: 'draft' must be true or false, got 'maybe'",
    ]
    code, out, _ = run(capsys, "check", "--root", str(root), "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["briefs"] == 4
    assert report["counts"] == {"briefs": 4, "drafts": 0, "errors": 1, "warnings": 1}
    assert [p["severity"] for p in report["problems"]] == ["warning", "error"]


def test_check_strict_makes_warnings_errors(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(root, "b.md", brief(title="B", body="![](/missing.png)"))
    assert run(capsys, "check", "--root", str(root))[0] == 0
    code, out, _ = run(capsys, "check", "--root", str(root), "--strict")
    assert code == 1
    assert out.strip() == "Checked 2 briefs: 0 errors, 1 warning (--strict: warnings are errors)"


# --- 4. links inside the site ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "message"),
    [
        (
            "valid-brif.md",
            "link to 'valid-brif.md' points to no brief; expected a brief of content/briefs/; did you mean 'valid-brief.md'?",
        ),
        (
            "valid-brif",
            "link to 'valid-brif' points to no brief; expected a brief of content/briefs/; did you mean 'valid-brief'?",
        ),
        (
            "/briefs/valid-brif/",
            "link to '/briefs/valid-brif/' points to no page of the site; did you mean '/briefs/valid-brief/'?",
        ),
        ("/tags/chinaa/", "link to '/tags/chinaa/' points to no page of the site; did you mean '/tags/china/'?"),
        (
            "/weeks/2025-W02/",
            "link to '/weeks/2025-W02/' points to no page of the site; did you mean '/weeks/2025-W01/'?",
        ),
        (
            "valid-brief.md#nowhere",
            "link to 'valid-brief.md#nowhere' points to no heading of content/briefs/valid-brief.md; expected one of "
            "#details",
        ),
    ],
)
def test_a_link_inside_the_site_that_points_nowhere_is_an_error(
    root: Path, capsys: pytest.CaptureFixture[str], link: str, message: str
) -> None:
    write(
        root, "valid-brief.md", brief(title="A valid brief", day=1, more="tags: [china]\n", body="## Details\n\nText.")
    )
    write(root, "linker.md", brief(title="Linker", body=f"Intro.\n\nSee [the other]({link})."))
    for command in ("check", "build"):
        code, _, err = run(capsys, command, "--root", str(root))
        assert (code, problems(err)) == (1, [f"content/briefs/linker.md:9: {message}"]), command


def test_links_that_resolve_build_under_a_sub_path(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        root, "valid-brief.md", brief(title="A valid brief", day=1, more="tags: [china]\n", body="## Details\n\nText.")
    )
    links = "[a](valid-brief) [b](valid-brief.md#details) [d](/tags/china/) [e](/weeks/)"
    write(root, "linker.md", brief(title="Linker", body=links + " [f](https://example.com/x) [g](#top)"))
    code, _, err = run(capsys, "build", "--root", str(root), "--quiet")
    assert code == 0, err
    page = (root / "site" / "briefs" / "linker" / "index.html").read_text()
    assert '<a href="/golden/briefs/valid-brief/">a</a>' in page, "a brief's slug links to its page"
    assert '<a href="/golden/briefs/valid-brief/#details">b</a>' in page


# --- 5. running outside a site ---------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["build"], ["check"], ["new", "Hello"], ["import", "notes.md"], ["serve"]])
def test_outside_a_site_every_command_exits_2_and_writes_nothing(tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n\nText.\n")
    result = subprocess.run(
        [sys.executable, "-m", "digest", *argv], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"digest: error: no digest.yaml in {tmp_path} or any folder above it; "
        "expected to run inside a site (digest init makes one)"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.md"]


def test_a_command_finds_its_site_from_a_folder_inside_it(root: Path) -> None:
    inside = root / "content" / "briefs"
    result = subprocess.run(
        [sys.executable, "-m", "digest", "build", "--quiet"], cwd=inside, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert (root / "site" / "index.html").is_file()
    assert not (inside / "site").exists()


def test_root_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nonexistent"
    for argv in (["new", "Hello"], ["build"], ["check"]):
        code, _, err = run(capsys, *argv, "--root", str(missing))
        assert code == 2
        assert err.strip() == f"digest: error: {missing} is not a folder; expected the site folder (--root)"
    assert not missing.exists()


# --- 6. a key point that YAML reads as a mapping --------------------------------------------------


def test_a_key_point_with_a_colon_gets_the_quoting_hint(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = brief().replace("key_points: [One]", "key_points:\n  - One\n  - Two\n  - Timing: takes effect in 30 days.")
    write(root, "colon.md", text)
    code, _, err = run(capsys, "check", "--root", str(root))
    assert code == 1
    assert problems(err) == [
        "content/briefs/colon.md:8: key point 3 is read as a mapping because of its ': '; "
        "quote values that contain ': ', as in `  - \"Timing: takes effect in 30 days.\"`"
    ]


# --- 7. placeholders and warnings that matter -------------------------------------------------------


def test_the_skeleton_placeholders_are_warnings_once_published(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "new", "Hello there", "--root", str(root))
    assert code == 0
    path = Path(out.strip())
    path.write_text(path.read_text().replace("draft: true\n", ""))
    code, out, err = run(capsys, "check", "--root", str(root))
    assert code == 0
    assert problems(err) == [
        "content/briefs/hello-there.md:4: warning: 'summary' is the placeholder of `digest new`; expected the brief's own summary",
        "content/briefs/hello-there.md:7: warning: key point 1 is the placeholder of `digest new`; expected the brief's own key point",
        "content/briefs/hello-there.md:10: warning: 'source.name' is the placeholder of `digest new`; expected the source's name",
        "content/briefs/hello-there.md:11: warning: 'source.url' is the placeholder of `digest new`; expected the source's address",
        "content/briefs/hello-there.md:14: warning: the body is the placeholder of `digest new`; expected the brief's text",
    ]
    assert run(capsys, "check", "--root", str(root), "--strict")[0] == 1


def test_an_example_base_url_is_a_warning(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "digest.yaml").write_text("base_url: https://example.org/\n")
    code, _, err = run(capsys, "check", "--root", str(root))
    assert code == 0
    assert problems(err) == [
        "digest.yaml:1: warning: 'base_url' is the example address https://example.org/; "
        "expected the address the site will have (or --base-url)"
    ]
    assert problems(run(capsys, "check", "--root", str(root), "--base-url", "https://digest.news/")[2]) == []


def test_build_and_check_count_the_drafts_they_leave_out(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(root, "draft.md", brief(more="draft: true\n"))
    code, out, _ = run(capsys, "build", "--root", str(root))
    assert code == 0
    assert out.startswith("Built 1 brief (1 draft left out), ")
    code, out, _ = run(capsys, "check", "--root", str(root))
    assert out.strip() == "Checked 2 briefs (1 draft, left out of a build without --drafts): 0 errors, 0 warnings"


def test_duplicate_titles_are_a_warning(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(root, "again.md", brief(title="A valid brief"))
    code, _, err = run(capsys, "check", "--root", str(root))
    assert code == 0
    assert problems(err) == [
        "content/briefs/again.md:2: warning: title 'A valid brief' is also the title of "
        "content/briefs/valid-brief.md; expected a title of its own"
    ]


def test_the_sample_site_passes_check_strict(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "check", "--root", str(REPO), "--strict")
    assert (code, problems(err)) == (0, [])
    workflow = (REPO / ".github" / "workflows" / "pages.yml").read_text()
    assert "digest check --strict" in workflow
