"""Shared fixtures and helpers: the repository's sample site built once per session, tool lookup,
a folder read as a tree of files, a headless Chromium, and small sites made from brief dicts
(`write_site`, `small_site`) as the build loads and arranges them."""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from digest.build.entry import build, open_config
from digest.content.bodies import Body, BriefCache, body_reader
from digest.content.config import Config
from digest.content.editorial import load_editions
from digest.content.load import LoadResult, load_content
from digest.core.model import Brief
from digest.site.arrange import Site, build_site
from digest.site.editions import edition_settings, with_editions
from digest.theme.assets import publish_assets
from digest.theme.environment import make_environment, theme_assets
from digest.theme.render import Renderer

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


# The taxonomy of the small sites: two groups, so tag pages, the tag index and editions' sections have something to show.
SMALL_TAGS = """groups: {country: Countries, topic: Topics}
tags:
  china: {label: China, group: country}
  eu: {label: European Union, group: country}
  chips: {label: Chips, group: topic}
  safety: {label: AI Safety, group: topic}
"""


def brief_text(brief: Mapping[str, object]) -> str:
    """A brief file from a dict: `title`, `date` (YYYY-MM-DD), and optionally `summary`, `tags`
    (a list), `draft`, `key_points` (a list) and `body`; any other key goes into the front matter as is."""
    meta: dict[str, object] = {
        "title": brief["title"],
        "date": brief["date"],
        "summary": brief.get("summary", f"What {brief['title']} says."),
        "key_points": "[" + ", ".join(brief.get("key_points", ["One point"])) + "]",  # type: ignore[arg-type]
    }
    if brief.get("tags"):
        meta["tags"] = "[" + ", ".join(brief["tags"]) + "]"  # type: ignore[arg-type]
    if brief.get("draft"):
        meta["draft"] = "true"
    meta.update({k: v for k, v in brief.items() if k not in {"slug", "body", "tags", "draft", "key_points", *meta}})
    front = "".join(f"{key}: {value}\n" for key, value in meta.items())
    return f"---\n{front}---\n{brief.get('body', 'The body of ' + str(brief['title']) + '.')}\n"


def write_site(root: Path, briefs: Sequence[Mapping[str, object]], tags: str = SMALL_TAGS) -> Path:
    """A site's content in `root`: the taxonomy and one file per brief dict (named after its
    `slug`); files of briefs no longer listed are removed, so a test can write a site again edited."""
    folder = root / "content" / "briefs"
    folder.mkdir(parents=True, exist_ok=True)
    (root / "content" / "tags.yaml").write_text(tags)
    wanted = {f"{b['slug']}.md": brief_text(b) for b in briefs}
    for old in folder.glob("*.md"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return root


@dataclass(frozen=True)
class SmallSite:
    """A site as the build arranges it (see digest.build.pipeline: _load, _arrange), and what
    its load kept (the bodies)."""

    config: Config
    site: Site
    loaded: LoadResult

    @property
    def body(self) -> Callable[[Brief], Body]:
        """What rendering reads a brief's body through."""
        return body_reader(self.loaded.bodies, self.site.body_keys)

    def renderer(self, body: Callable[[Brief], Body] | None = None) -> Renderer:
        """A renderer of this site's pages with a fresh Jinja environment (the site's templates,
        then the default theme), the theme's assets under their plain names, and the bodies
        `body` gives (else those the load rendered)."""
        root = self.config.root
        assets = publish_assets(theme_assets(root), fingerprint=False).names
        return Renderer(self.site, make_environment(root), body or self.body, assets)


def small_site(
    root: Path,
    briefs: Sequence[Mapping[str, object]] | None = None,
    *,
    cache: BriefCache | None = None,
    tags: str = SMALL_TAGS,
    **config: object,
) -> SmallSite:
    """The site of the briefs (written into `root` first when given) under a Config with
    `config`'s values, loaded (through `cache` when given, as a rebuild does), arranged and
    with its weekly editions, as the build makes it."""
    if briefs is not None:
        write_site(root, briefs, tags)
    settings = Config(**{"root": root, "title": "Test Digest", "base_url": "https://example.org/", **config})  # type: ignore[arg-type]
    taxonomy, loaded = load_content(settings, cache)
    site = build_site(settings, taxonomy, loaded.briefs, None, None, loaded.body_keys)
    files, problems = load_editions(root)
    options, more = edition_settings(settings, taxonomy)
    assert not problems and not more, problems + more
    site, errors = with_editions(site, files, options)
    assert not errors, errors
    return SmallSite(settings, site, loaded)
