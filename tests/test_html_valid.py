"""Every built HTML page is valid HTML according to the Nu HTML Checker (vnu.jar)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO, need_tool

VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_every_page_is_valid_html(sample_site: Path, subpath_site: Path) -> None:
    java = shutil.which("java")
    need_tool(java is not None, "java")
    need_tool(VNU_JAR.is_file(), f"{VNU_JAR.relative_to(REPO)} (npm ci --ignore-scripts)")
    assert java is not None
    files = sorted([*sample_site.rglob("*.html"), *subpath_site.rglob("*.html")])
    assert len(files) > 20, "the sample sites have too few pages"
    # One JVM for every file; the JSON report goes to stderr, the exit code is 1 when there are errors.
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        messages = json.loads(run.stderr)["messages"]
    except (json.JSONDecodeError, KeyError):
        raise AssertionError(
            f"vnu.jar exited {run.returncode} without a JSON report:\n{run.stderr}{run.stdout}"
        ) from None
    roots = {str(sample_site): "sample", str(subpath_site): "subpath"}
    errors = []
    for m in messages:
        url = m.get("url", "").removeprefix("file:")
        for root, name in roots.items():
            url = url.replace(root, name)
        errors.append(f"{url}:{m.get('lastLine', '?')}: {m.get('message')} [{m.get('extract', '').strip()}]")
    assert not errors, f"{len(errors)} HTML validation errors:\n" + "\n".join(errors)
    assert run.returncode == 0, run.stderr
