"""The golden site: a small fixture builds to the committed tree in tests/golden, file by file.

Regenerate after an intended change with `DIGEST_UPDATE_GOLDEN=1 pytest tests/test_golden.py`
and review the diff (`git diff tests/golden`).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from digest.build.entry import build, open_config
from tests.conftest import FIXTURES, tree

GOLDEN = Path(__file__).parent / "golden"
THEME_ASSETS = "static/"  # the stylesheet changes with the theme; only its presence is compared
SEARCH_INDEX = "pagefind/"  # binary, and tested on its own in test_search.py
# Theme assets are named after their bytes (style.1a2b3c4d5e.css): compared without the hash.
FINGERPRINT = re.compile(r"(static/[\w./-]+?)\.[0-9a-f]{10}\.(css|js)\b")


def unhashed(text: str) -> str:
    return FINGERPRINT.sub(r"\1.HASH.\2", text)


def comparable(folder: Path) -> dict[str, bytes]:
    """The files of a built site as the golden tree holds them: asset hashes and the search index left out."""
    return {
        unhashed(name): b"" if name.startswith(THEME_ASSETS) else unhashed(data.decode()).encode()
        for name, data in tree(folder).items()
        if not name.startswith(SEARCH_INDEX)
    }


def test_golden_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    root = tmp_path / "root"  # (a copy: the build's cache must not land in the fixture, which other tests copy)
    shutil.copytree(FIXTURES / "golden-site", root)
    build(open_config(root), out)
    if os.environ.get("DIGEST_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in comparable(out).items():
            target = GOLDEN / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    assert (out / SEARCH_INDEX / "pagefind.js").is_file()
    actual, expected = comparable(out), comparable(GOLDEN)
    assert sorted(actual) == sorted(expected), "the set of output files changed"
    for name in expected:
        assert actual[name].decode() == expected[name].decode(), f"{name} differs from tests/golden/{name}"
