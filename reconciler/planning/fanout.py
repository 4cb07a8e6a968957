"""Work on many tenants at once: each directory's tenants at most ``concurrency`` at a time.

An MSP's Graph partner app reaches hundreds of customer tenants, and reading them one after
another takes minutes spent waiting on the network. A directory that can serve several
tenants at once says so with a ``concurrency`` attribute (its ``directories.yaml``
setting: graph, default 8; ldap, default 4). A directory without one (the local SQLite file)
gets one tenant at a time in the calling thread, exactly as before. Directories run side by
side. Results come back in input order, whatever order they finish in, so plans and apply
reports are the same on every run.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def concurrency_of(directory: object) -> int:
    """How many tenants of ``directory`` may be worked on at once (1 unless it says more)."""
    value = getattr(directory, "concurrency", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 1 else 1


def fan_out(items: Sequence[Item], work: Callable[[Item], Result],
            group_of: Callable[[Item], str], limit_of: Callable[[str], int]) -> list[Result]:
    """``[work(item) for item in items]``, with the items of one group (directory) running at
    most ``limit_of(group)`` at a time and different groups side by side."""
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(group_of(item), []).append(index)
    inline: list[int] = []
    pools: list[ThreadPoolExecutor] = []
    futures: list[tuple[int, Future[Result]]] = []
    results: dict[int, Result] = {}
    try:
        for group, indexes in groups.items():
            limit = min(limit_of(group), len(indexes)) if len(indexes) > 1 else 1
            if limit <= 1:
                inline.extend(indexes)
                continue
            pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix=f"tenantry-{group}")
            pools.append(pool)
            futures.extend((i, pool.submit(work, items[i])) for i in indexes)
        for index in sorted(inline):
            results[index] = work(items[index])
        for index, future in futures:
            results[index] = future.result()
    finally:
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
    return [results[index] for index in range(len(items))]
