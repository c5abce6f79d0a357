"""Imported briefs wait for an editor: drafts with `review:` naming what digest generated or
guessed; a source without a title or a date is imported for review, not refused; `digest
check` lists the briefs waiting for review."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from digest.build.entry import build, open_config
from digest.cli import main
from digest.content.frontmatter import split
from tests.conftest import FIXTURES, REPO, SHARED

SAMPLE = SHARED / "sources" / "000_3785b1df5a421838.txt"


def new_site(tmp_path: Path) -> Path:
    root = tmp_path / "site-root"
    (root / "content" / "briefs").mkdir(parents=True)
    shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
    shutil.copy(REPO / "content" / "tags.yaml", root / "content" / "tags.yaml")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def only_brief(root: Path) -> dict[str, object]:
    (path,) = (root / "content" / "briefs").glob("*.md")
    return split(path.read_text(encoding="utf-8")).meta.data


@pytest.mark.skipif(not SAMPLE.is_file(), reason="the shared sample document is not beside the repository")
def test_an_imported_brief_is_a_draft_naming_what_to_review(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    code, out, _ = run(capsys, "import", str(SAMPLE), "--root", str(root))
    assert code == 0, out
    meta = only_brief(root)
    assert meta["draft"] is True
    # the sample states no date (the file's time is a guess) and its tags were found by digest;
    # its title, summary and key points are the document's own
    assert meta["review"] == ["date", "tags"]
    assert "review: date, tags" in out
    build(open_config(root), root / "site")
    assert not (root / "site" / "briefs" / "xi-jinping-pushes-for-ai-self-sufficiency").exists()
    build(open_config(root, drafts=True), root / "drafts")
    assert (root / "drafts" / "briefs" / "xi-jinping-pushes-for-ai-self-sufficiency" / "index.html").is_file()


def test_a_source_without_a_title_is_imported_for_review(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    source = tmp_path / "ministry-note.txt"
    source.write_text(
        "Key points:\n- The ministry published binding rules for public chatbots.\n"
        "- Providers have six months to label generated text.\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "import", str(source), "--root", str(root))
    assert code == 0, err
    assert out.startswith("created ")
    meta = only_brief(root)
    assert meta["title"] == "Ministry note"
    assert meta["draft"] is True
    assert {"title", "date"} <= set(meta["review"])
    assert meta["imported_from"]["title_from"] == "file name"


def test_check_lists_the_briefs_waiting_for_review(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = new_site(tmp_path)
    code, _, _ = run(capsys, "import", str(FIXTURES / "sources" / "text" / "tldr.txt"), "--root", str(root))
    assert code == 0
    code, out, _ = run(capsys, "check", "--root", str(root))
    assert code == 0
    brief = os.path.join("content", "briefs", "northfield-fund-backs-regional-data-centres.md")
    assert "1 brief waits for review" in out
    assert f"{brief}: review date, tags" in out
