"""What a caller that builds the same site again and again in one process (`digest serve`)
passes to each build: the hooks it wants called and the state it keeps between builds. The
build itself never asks who is calling; it does what these say."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digest.build.plan import Plan


@dataclass
class Resident:
    """Passing one says: this caller is the only writer of the output folder and keeps the
    build cache in memory between builds (so what it wrote last is what the folder holds,
    unless a build was cut short), and it shows pages as soon as they are in place.

    - `commit_lock` is held while files of the output folder change (the server answers no
      request meanwhile, so no reader sees half a site);
    - `on_commit(urls)` learns the changed URLs as soon as their files are in place, first for
      the pages, then (when `index_after_commit`) for the search index made after them;
    - `superseded()` is asked while the index is made: when it says newer changes wait, the
      index is left as it was, for the next build to bring up to date;
    - `plans` and `fingerprints` are the caller's own state: the last build's plan of each output
      folder (see Plan) and what each page's fingerprint was made of (see Fingerprinter)."""

    commit_lock: AbstractContextManager[object] = field(default_factory=nullcontext)
    on_commit: Callable[[tuple[str, ...]], None] | None = None
    superseded: Callable[[], bool] | None = None
    index_after_commit: bool = True
    plans: dict[str, Plan] = field(default_factory=dict)
    fingerprints: dict[str, dict[str, tuple[object, ...]]] = field(default_factory=dict)
