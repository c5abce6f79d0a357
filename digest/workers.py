"""Running work in a pool of processes, for cold builds; small batches run in-process.

Workers are forked, so they start with the parent's state (site model, templates) without
pickling it; each batch's results come back in order, so parallel output equals serial output.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_STATE: dict[str, Any] = {}


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def shared(name: str) -> Any:
    """A value the parent published with `run_batches(..., state=...)`."""
    return _STATE[name]


def run_batches(
    function: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    *,
    jobs: int,
    min_parallel: int,
    state: dict[str, Any],
    batch_size: int = 200,
    on_batch: Callable[[int], None] | None = None,
) -> Iterator[R]:
    """Apply `function` to batches of `items`, in parallel if worth it; results in item order."""
    _STATE.clear()
    _STATE.update(state)
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    if jobs <= 1 or len(items) < min_parallel or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            results = function(batch)
            if on_batch:
                on_batch(len(batch))
            yield from results
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for batch, results in zip(batches, pool.map(function, batches), strict=True):
            if on_batch:
                on_batch(len(batch))
            yield from results
