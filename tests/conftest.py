"""Shared fixtures and helpers: the repository's sample site built once per session, tool lookup,
a folder read as a tree of files, and a headless Chromium."""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from digest.build.entry import build, open_config

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_BASE_URL = "https://example.org/"  # the address the sample site is built with by the tests
CHROMIUM = Path("/usr/bin/chromium")  # Debian's
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need_tool(available: bool, what: str) -> None:
    """Skip when a test tool is missing on a developer machine; fail in CI, where .ci/run installs it."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing; .ci/run should have installed it")
    pytest.skip(f"{what} is not installed (bash .ci/run installs it)")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by its path relative to it, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium (Debian's) driven by Playwright, one per test module."""
    need_tool(CHROMIUM.is_file(), str(CHROMIUM))
    need_tool(importlib.util.find_spec("playwright") is not None, "playwright (pip install -e '.[test]')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


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
