"""A thread-safe LRU that computes each missing value once, however many ask at the same time.

Fifty Power BI refreshes of the same period arriving together must cost one bill, not fifty:
the first caller computes, the others wait for its result (or its exception). Entries are
bounded by count and, optionally, by a total weight (bytes of rendered bodies).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    def __init__(self, max_entries: int, max_weight: int | None = None,
                 weight: Callable[[V], int] = lambda _: 0) -> None:
        self._max_entries = max_entries
        self._max_weight = max_weight
        self._weight = weight
        self._done: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._pending: dict[K, Future[V]] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                self.hits += 1
                return self._done[key][0]
            future = self._pending.get(key)
            owner = future is None
            if future is None:
                future = self._pending[key] = Future()
                self.misses += 1
        if not owner:
            return future.result()
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            future.set_exception(exc)
            raise
        with self._lock:
            del self._pending[key]
            self._store(key, value)
        future.set_result(value)
        return value

    def peek(self, key: K) -> V | None:
        with self._lock:
            entry = self._done.get(key)
            if entry is not None:
                self._done.move_to_end(key)
                self.hits += 1
            return None if entry is None else entry[0]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._store(key, value)

    def _store(self, key: K, value: V) -> None:
        weight = self._weight(value)
        if self._max_weight is not None and weight > self._max_weight:
            return  # larger than the whole cache: serve it, keep nothing
        if key in self._done:
            self._total -= self._done.pop(key)[1]
        self._done[key] = (value, weight)
        self._total += weight
        while len(self._done) > self._max_entries or (
                self._max_weight is not None and self._total > self._max_weight):
            _, (_, dropped) = self._done.popitem(last=False)
            self._total -= dropped
