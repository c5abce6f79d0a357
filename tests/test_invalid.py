"""Each bad brief in fixtures/invalid gives its exact one-line error, exit 1, and leaves site/ alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import FIXTURES

CASES = sorted((FIXTURES / "invalid").glob("*.md"))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_brief(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "site-root"
    shutil.copytree(FIXTURES / "valid-site", root)
    out = root / "site"
    assert main(["build", "--root", str(root), "--out", str(out), "--quiet"]) == 0
    before = snapshot(out)
    shutil.copy(case, root / "content" / "briefs" / case.name)
    capsys.readouterr()

    code = main(["build", "--root", str(root), "--out", str(out)])

    err = capsys.readouterr().err.splitlines()
    expected = case.with_suffix(".err").read_text(encoding="utf-8").splitlines()
    assert code == 1
    assert [line for line in err if not line.startswith("digest: ")] == expected
    assert err[-1].endswith("nothing was written")
    assert snapshot(out) == before
    assert not list(root.glob(".site.*")), "no staging folder is left behind"
