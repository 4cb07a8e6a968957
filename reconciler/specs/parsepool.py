"""Parse many tenant file versions on every core, through the parse cache.

Parsing is CPU-bound Python (libyaml hands every event and node to Python), so a cold run
splits the uncached versions into interleaved chunks: this process parses one and forked
workers the others. Workers write their entries to the disk cache themselves and send back
only the JSON of each model. Results are keyed by blob id, so what a caller reports never
depends on which process parsed what, or in what order.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

from reconciler.specs.cache import Entry, ParseCache, parse_entry

# Hands out (blob id, content) for the blob ids asked, in any order. Must pickle: it runs in
# worker processes (a module-level function, or functools.partial of one).
Fetch = Callable[[Sequence[str]], Iterable[tuple[str, bytes]]]

MAX_WORKERS = 8
T = TypeVar("T")


@contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic GC while building large acyclic structures.

    Parsing allocates millions of short-lived node objects while the results stay alive;
    each full collection walks every live object again, for nothing (measured: parsing a
    1,000-tenant tree takes twice as long with the collector on). Reference counting still
    frees everything.

    The collector counts allocations while paused, so the first allocation after the pause
    collects everything allocated during it (~0.3 s after a large bill or plan). ``freeze``
    moves what is alive then out of the collector's sight instead (``gc.freeze``): for a
    command that is about to print and exit; a long-running process should not freeze.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def parse_all(blobs: Sequence[str], fetch: Fetch, cache: ParseCache,
              convert: Callable[[Entry], T], *, parallel: bool) -> dict[str, T]:
    """``convert`` of the entry of each of ``blobs`` (distinct ids not in the cache yet),
    parsed and written to the cache.

    ``convert`` runs where the file was parsed, so workers send back only what the caller
    keeps (a module-level function: it is pickled). ``parallel`` is the caller's judgement
    that the work outweighs starting processes.
    """
    workers = min(cores(), MAX_WORKERS, len(blobs))
    # Forking a process that runs other threads (the API server's pool) can copy a lock
    # another thread holds, and the child then waits on it for ever: parse here instead.
    if not parallel or workers < 2 or threading.active_count() > 1 \
            or "fork" not in mp.get_all_start_methods():
        return dict(_parse_chunk(fetch, blobs, cache, convert))
    chunks = _chunks(blobs, workers)
    out: dict[str, T] = {}
    # Forked, not spawned: the children start with every module already imported (a few
    # milliseconds instead of a second of imports each). No threads run at this point.
    with ProcessPoolExecutor(workers - 1, mp_context=mp.get_context("fork")) as pool:
        futures: list[Future[list[tuple[str, T]]]] = [
            pool.submit(_worker, fetch.only(chunk) if isinstance(fetch, FromMemory) else fetch,
                        chunk, cache.base, convert) for chunk in chunks[1:]]
        out.update(_parse_chunk(fetch, chunks[0], cache, convert))
        for future in futures:
            out.update(future.result())
    return out


# This process's share of the work, against a worker's: it also does what comes after
# (collecting the results, cross-checks, billing), so it finishes with the workers when it
# parses a little less.
OWN_SHARE = 0.85


def _chunks(blobs: Sequence[str], workers: int) -> list[list[str]]:
    """Interleaved chunks (early and late versions of a file differ in size), the first
    one, for this process, ``OWN_SHARE`` the size of the others."""
    weights = [OWN_SHARE] + [1.0] * (workers - 1)
    chunks: list[list[str]] = [[] for _ in range(workers)]
    for blob in blobs:
        lightest = min(range(workers), key=lambda i: len(chunks[i]) / weights[i])
        chunks[lightest].append(blob)
    return chunks


def _parse_chunk(fetch: Fetch, blobs: Sequence[str], cache: ParseCache,
                 convert: Callable[[Entry], T]) -> list[tuple[str, T]]:
    out = []
    with gc_paused():
        for blob, data in fetch(blobs):
            entry = parse_entry(data)
            cache.put(blob, entry)
            out.append((blob, convert(entry)))
    return out


def _worker(fetch: Fetch, blobs: Sequence[str], base: Path | None,
            convert: Callable[[Entry], T]) -> list[tuple[str, T]]:
    # Nothing kept in memory here: the parent gets what ``convert`` returns.
    return _parse_chunk(fetch, blobs, ParseCache(base, memory=False), convert)


def same(entry: Entry) -> Entry:
    """The entry itself, as ``convert`` (a ``Parsed`` crosses to the parent as its JSON)."""
    return entry


class FromMemory:
    """A ``Fetch`` over contents already read; each worker is sent only its own chunk."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = dict(files)

    def __call__(self, blobs: Sequence[str]) -> list[tuple[str, bytes]]:
        return [(blob, self.files[blob]) for blob in blobs]

    def only(self, blobs: Sequence[str]) -> FromMemory:
        return FromMemory({blob: self.files[blob] for blob in blobs})
