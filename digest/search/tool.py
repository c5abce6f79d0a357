"""The installed Pagefind, whose version is part of what the search index is made from.
(Apart from the runs: the build's quick check reads it without loading the search code.)"""

from __future__ import annotations

import contextlib
import functools
import os


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
