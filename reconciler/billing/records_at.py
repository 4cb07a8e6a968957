"""Tenant records for given blobs, from the shared parse cache, parsing only what it lacks.

``bill`` needs the records of every tenant file version its new commits hold; ``show`` and
``diff`` need those of the tenant files at one commit, not a walk of the whole history.
They share the parse cache (and the parallel parse of cold blobs) with ``validate`` and
``plan``, so a repository billed once answers them without reading YAML.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path

from reconciler.billing.records import Broken, TenantRecord, from_entry
from reconciler.gitrepo import Repo, read_blobs
from reconciler.specs import ParseCache, parse_all

Record = TenantRecord | Broken

# Below this many unparsed tenant files a worker process costs more than it saves.
PARALLEL_MIN = 200


def records_for(repo: Repo, blobs: Iterable[str], cache: ParseCache, *,
                parallel: bool = True) -> dict[str, Record]:
    """The record of each tenant file version (blob id): cached, or parsed (on every core
    for many cold versions, when ``parallel``; a process running threads passes False,
    since it must not fork)."""
    out: dict[str, Record] = {}
    wanted: list[str] = []
    for blob in blobs:
        if blob in out:
            continue
        entry = cache.get(blob)
        if entry is None:
            out[blob] = _MISSING
            wanted.append(blob)
        else:
            out[blob] = from_entry(entry)
    if wanted:
        out.update(parse_all(wanted, partial(read_blobs, repo.root), cache, from_entry,
                             parallel=parallel and len(wanted) >= PARALLEL_MIN))
    return out


_MISSING = Broken("not parsed")  # placeholder while a version is being parsed


def tenant_records(repo: Repo, blobs: Iterable[tuple[str, str]],
                   cache_dir: Path | None, *, parallel: bool = True) -> dict[str, Record]:
    """Records (or ``Broken`` notes) for ``(tenant id, blob id)`` pairs, keyed by blob id."""
    return records_for(repo, (blob for _, blob in blobs if blob),
                       ParseCache(cache_dir, memory=False), parallel=parallel)
