"""Shared fixtures: the repository's sample site built once per session, and tool lookup."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from digest.build import build, open_config

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_BASE_URL = "https://example.org/"  # the address the sample site is built with by the tests


def need_tool(available: bool, what: str) -> None:
    """Skip when a test tool is missing on a developer machine; fail in CI, where .ci/run installs it."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing; .ci/run should have installed it")
    pytest.skip(f"{what} is not installed (bash .ci/run installs it)")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample content of this repository, built with its own digest.yaml under the address
    https://example.org/ (its digest.yaml has a local one: the Pages workflow gives the real one)."""
    out = tmp_path_factory.mktemp("sample") / "site"
    build(open_config(REPO, base_url=SAMPLE_BASE_URL), out)
    return out


@pytest.fixture(scope="session")
def subpath_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample content built under a sub-path base URL."""
    out = tmp_path_factory.mktemp("subpath") / "site"
    build(open_config(REPO, base_url="https://example.org/digest/"), out)
    return out


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """`folder` served over HTTP on a free loopback port, as a static host would; yields the origin."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def copy_site(source: Path, target: Path) -> Path:
    """A writable copy of a fixture site."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".digest-cache"))
    return target


def without_content_warnings(stderr: str) -> str:
    """What a command printed on stderr less the content warnings (`path:line: warning: ...`),
    for tests about something else than the content of the site they build."""
    return "".join(line for line in stderr.splitlines(keepends=True) if ": warning: " not in line)
