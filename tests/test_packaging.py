"""The wheel carries the default theme, so `pip install` users get it; the code stays ruff-clean."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_wheel_ships_the_default_theme(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("digest-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = {
        f"digest/templates/{p.relative_to(REPO / 'templates').as_posix()}"
        for p in (REPO / "templates").rglob("*")
        if p.is_file()
    }
    assert "digest/templates/base.html" in theme and "digest/templates/static/style.css" in theme
    assert theme <= names
    # every module of every package, and the live-reload script `digest serve` injects
    code = {f"digest/{p.relative_to(REPO / 'digest').as_posix()}" for p in (REPO / "digest").rglob("*.py")}
    assert "digest/build/entry.py" in code and "digest/serve/livereload.js" in names
    assert code <= names, sorted(code - names)


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "digest", "tests"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
