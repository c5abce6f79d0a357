"""The command line: help, version, exit codes, init, new and check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest import __version__
from digest.cli import main
from tests.conftest import FIXTURES


@pytest.mark.parametrize("command", [[], ["build"], ["check"], ["init"], ["new"]])
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    assert "usage: digest" in capsys.readouterr().out


def test_version_via_python_m() -> None:
    result = subprocess.run([sys.executable, "-m", "digest", "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == f"digest {__version__}"


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["build", "--base-url", "not a url"],
        ["build", "--no-such-flag"],
        ["build", "--root", "/no/such/dir"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code  # type: ignore[assignment]
    assert code == 2
    assert "error" in capsys.readouterr().err


def test_init_makes_a_site_that_builds_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "newsite"
    assert main(["init", str(target)]) == 0
    assert main(["build", "--root", str(target)]) == 0
    assert (target / "site" / "index.html").is_file()
    assert "Built 1 brief" in capsys.readouterr().out
    assert main(["init", str(target)]) == 2


def test_new_writes_a_valid_draft_with_a_free_slug(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "golden-site", root)
    capsys.readouterr()
    assert main(["new", "Chip rules: round two", "--root", str(root), "--tags", "PRC,export controls"]) == 0
    first = Path(capsys.readouterr().out.strip())
    assert first == root / "content" / "briefs" / "chip-rules-round-two.md"
    assert "tags: [china, export-controls]" in first.read_text()
    assert main(["new", "Chip rules: round two", "--root", str(root)]) == 0
    assert capsys.readouterr().out.strip().endswith("chip-rules-round-two-2.md")
    assert main(["build", "--root", str(root), "--drafts", "--quiet"]) == 0
    assert (root / "site" / "briefs" / "chip-rules-round-two" / "index.html").is_file()
    assert main(["build", "--root", str(root), "--quiet"]) == 0
    assert not (root / "site" / "briefs" / "chip-rules-round-two").exists(), "new briefs are drafts"


def test_check_reports_open_tags_with_a_suggestion_and_broken_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "golden-site", root)
    brief = root / "content" / "briefs" / "older-brief.md"
    brief.write_text(
        brief.read_text()
        .replace("tags: [united-states]", "tags: [united-state, chinna]")
        .replace("Body text.", "See [gone](gone.md).")
    )
    capsys.readouterr()
    assert main(["check", "--root", str(root), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    messages = [f"{w['path']}:{w['line']}: {w['message']}" for w in report["warnings"]]
    # (the golden site has `open_tags: true`: tags outside the taxonomy are warnings, not errors)
    assert (
        "content/briefs/older-brief.md:8: tag 'united-state' is not in content/tags.yaml; did you mean 'united-states'?"
        in messages
    )
    assert (
        "content/briefs/older-brief.md:8: tag 'chinna' is not in content/tags.yaml; did you mean 'china'?" in messages
    )
    assert [f"{e['path']}:{e['line']}: {e['message']}" for e in report["errors"]] == [
        "content/briefs/older-brief.md:11: link to 'gone.md' points to no brief; expected a brief of content/briefs/"
    ]
    assert report["ok"] is False


def test_check_exits_1_on_errors_and_lists_them_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    shutil.copytree(FIXTURES / "golden-site", root)
    (root / "content" / "briefs" / "a.md").write_text("---\ntitle: A\n---\n")
    (root / "content" / "briefs" / "b.md").write_text("no front matter\n")
    capsys.readouterr()
    assert main(["check", "--root", str(root)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if ": warning: " not in line]
    assert err[0].startswith("content/briefs/a.md:")
    assert err[-1].startswith("content/briefs/b.md:1: no front matter")


_LOADED = (
    "import sys\n"
    "from digest.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "heavy = ('digest.build.pipeline', 'jinja2', 'markdown_it')\n"
    "print('loaded:', ','.join(m for m in heavy if m in sys.modules))\n"
    "raise SystemExit(code)\n"
)


def test_a_build_with_nothing_to_do_answers_before_loading_the_pipeline(tmp_path: Path) -> None:
    """`digest build` with nothing changed answers from its quick check (input signature and
    output listing) without loading the pipeline, Markdown or Jinja: that start-up cost was
    most of a no-op build. A change loads them and builds."""
    target = tmp_path / "newsite"
    assert main(["init", str(target)]) == 0

    def run() -> str:
        result = subprocess.run(
            [sys.executable, "-c", _LOADED, "build", "--root", str(target)], capture_output=True, text=True, check=True
        )
        return result.stdout

    assert "loaded: digest.build.pipeline,jinja2,markdown_it" in run()  # the first build
    again = run()
    assert "loaded: \n" in again and "(0 written, 0 removed)" in again
    brief = next((target / "content" / "briefs").glob("*.md"))
    brief.write_text(brief.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    changed = run()
    assert "loaded: digest.build.pipeline,jinja2,markdown_it" in changed and "(0 written" not in changed
    (target / "site" / "index.html").unlink()  # the output is checked too, not only the inputs
    assert "(1 written, 0 removed)" in run()


def test_the_program_ends_with_its_exit_code_and_everything_it_printed(tmp_path: Path) -> None:
    """`digest` (python -m digest) ends without tearing the interpreter down; what it printed
    still arrives whole through a pipe, and its exit code is the command's."""
    target = tmp_path / "newsite"
    assert main(["init", str(target)]) == 0

    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # (as a user's shell has it)

    def program(*argv: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "digest", *argv]
        return subprocess.run(command, capture_output=True, text=True, check=False, env=buffered)

    built = program("build", "--root", str(target))
    assert built.returncode == 0 and built.stdout.startswith("Built ") and built.stdout.endswith(" removed)\n")
    assert (target / "site" / "index.html").is_file()
    brief = next((target / "content" / "briefs").glob("*.md"))
    brief.write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    failed = program("build", "--root", str(target))
    assert failed.returncode == 1 and failed.stderr.endswith("1 error; nothing was written\n"), failed.stderr
    helped = program("build", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: digest build") and helped.stdout.endswith("\n")
    assert program("frobnicate").returncode == 2
