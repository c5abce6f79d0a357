"""Shared fixtures: the repository's sample site built once per session, and tool lookup."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from digest.build import build, open_config

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def need_tool(available: bool, what: str) -> None:
    """Skip when a test tool is missing on a developer machine; fail in CI, where .ci/run installs it."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing; .ci/run should have installed it")
    pytest.skip(f"{what} is not installed (bash .ci/run installs it)")


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample content of this repository, built with its own digest.yaml."""
    out = tmp_path_factory.mktemp("sample") / "site"
    build(open_config(REPO), out)
    return out


@pytest.fixture(scope="session")
def subpath_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample content built under a sub-path base URL."""
    out = tmp_path_factory.mktemp("subpath") / "site"
    build(open_config(REPO, base_url="https://example.org/digest/"), out)
    return out


def copy_site(source: Path, target: Path) -> Path:
    """A writable copy of a fixture site."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".digest-cache"))
    return target
