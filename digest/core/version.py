"""The version of digest's own code that caches are keyed on: a cache written by any other
code is not trusted."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

FORMAT = 3


@functools.cache
def code_version() -> str:
    """A hash of digest's own source: a cache from any other code is not trusted (read once
    per process)."""
    digest = hashlib.blake2b(f"format {FORMAT}".encode(), digest_size=16)
    package = Path(__file__).parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
