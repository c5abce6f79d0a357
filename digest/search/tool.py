"""The installed Pagefind, whose version is part of what the search index is made from.
(Apart from the runs: the build's quick check reads it without loading the search code.)"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

from digest.core.errors import SearchError


@functools.cache
def pagefind_version() -> str:
    """The installed Pagefind's version: its packages' metadata folders beside it, as pip
    installs them (listing one folder), else importlib.metadata (slow to import, so only as the fallback)."""
    import importlib.util

    spec = importlib.util.find_spec("pagefind")
    if spec is not None and spec.origin:
        folder = os.path.dirname(os.path.dirname(spec.origin))
        with contextlib.suppress(OSError):
            found = sorted(
                name
                for name in os.listdir(folder)
                if name.startswith(("pagefind-", "pagefind_bin")) and name.endswith(".dist-info")
            )
            if any(name.startswith("pagefind-") for name in found):
                return " ".join(found)
    from importlib import metadata

    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency of digest
        return "missing"


def _packaged_binary() -> Path | None:
    """The binary that the `pagefind_bin_extended` or `pagefind_bin` package holds, found as
    Pagefind's own `get_executable` finds it, without importing `pagefind.service` (which imports
    asyncio, a delay before a one-brief edit's head start can start Pagefind)."""
    import importlib.util

    names = ["pagefind_extended", "pagefind"]
    names += [f"{n}.exe" for n in names] if os.name == "nt" else []
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for name in names:
                candidate = Path(folder) / name
                if candidate.is_file():
                    return candidate
    return None


def pagefind_binary() -> Path:
    found = Path(os.environ["PAGEFIND_BINARY_PATH"]) if os.environ.get("PAGEFIND_BINARY_PATH") else None
    found = found or _packaged_binary()
    if found is None:
        try:
            from pagefind.service import get_executable
        except ImportError:  # pragma: no cover - a dependency of digest
            get_executable = None  # type: ignore[assignment]
        found = get_executable() if get_executable else None
    if found is None:
        raise SearchError(
            "search needs the Pagefind binary, which is missing; "
            "expected `pip install 'pagefind[extended]'`, or `search: false` in digest.yaml"
        )
    return found
