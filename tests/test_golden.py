"""The golden site: a small fixture builds to the committed tree in tests/golden, file by file.

Regenerate after an intended change with `DIGEST_UPDATE_GOLDEN=1 pytest tests/test_golden.py`
and review the diff (`git diff tests/golden`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from digest.build import build, open_config
from tests.conftest import FIXTURES

GOLDEN = Path(__file__).parent / "golden"
THEME_ASSETS = "static/"  # the stylesheet changes with the theme; only its presence is compared


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): b""
        if p.relative_to(folder).as_posix().startswith(THEME_ASSETS)
        else p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_golden_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(open_config(FIXTURES / "golden-site"), out)
    if os.environ.get("DIGEST_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN, ignore=shutil.ignore_patterns("*.css"))
        for asset in out.joinpath("static").rglob("*"):
            if asset.is_file():
                target = GOLDEN / asset.relative_to(out)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(b"")
    actual, expected = tree(out), tree(GOLDEN)
    assert sorted(actual) == sorted(expected), "the set of output files changed"
    for name in expected:
        assert actual[name].decode() == expected[name].decode(), f"{name} differs from tests/golden/{name}"
