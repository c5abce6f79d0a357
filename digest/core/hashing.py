"""The one key function of the build's caches: a short hash of a value's repr."""

from __future__ import annotations

import hashlib


def key_of(*parts: object) -> str:
    """A 32-hex-digit key for `parts`, equal exactly when their reprs are: so only for values
    whose repr shows everything that matters (strings, numbers, tuples, frozen dataclasses).
    Lone surrogates (file names that are not UTF-8) are kept, not refused."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
