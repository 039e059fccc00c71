"""Conversion in several processes, with output identical to one process.

The main process reads the export and writes the files; workers (forked, so they share the
writer's setup) turn items into file contents. At most a few items per worker are in flight
(a bounded window), so memory stays flat, and results are taken in input order, so the
output and the report do not depend on which worker finished first.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# The function workers run, set before the pool forks (a closure cannot be pickled).
_worker_fn: Callable[[Any], Any] | None = None


def _call(arg: Any) -> Any:
    assert _worker_fn is not None
    return _worker_fn(arg)


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def ordered_map(fn: Callable[[T], R], items: Iterable[T], jobs: int, window: int = 0) -> Iterator[R]:
    """``fn`` over ``items`` in ``jobs`` processes, results in input order.

    With ``jobs`` 1 (or where fork is unavailable) it runs in this process. ``window``
    bounds the items in flight (default: 4 per job).
    """
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for item in items:
            yield fn(item)
        return
    global _worker_fn
    _worker_fn = fn
    window = window or 4 * jobs
    pending: deque[Future[R]] = deque()
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        for item in items:
            pending.append(pool.submit(_call, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
