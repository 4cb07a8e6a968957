"""Tenant records for given blobs, from the blob cache, parsing only what it lacks.

``show`` and ``diff`` need the records of the tenant files at one commit, not a walk of
the whole history; they share the cache (and the parallel parse of cold blobs) with
``tenantry bill``, so a repository billed once answers them without reading YAML.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from reconciler.billing.cache import BlobCache, Entry
from reconciler.billing.run import _parse_missing
from reconciler.gitrepo import LogCommit, Repo
from reconciler.specs import tenant_path


def tenant_records(repo: Repo, blobs: Iterable[tuple[str, str]],
                   cache_dir: Path | None) -> dict[str, Entry]:
    """Records (or ``Broken`` notes) for ``(tenant id, blob id)`` pairs, keyed by blob id."""
    pairs = list(blobs)
    cache = BlobCache(cache_dir)
    # The parser walks log commits; one synthetic commit holding every blob asks it for
    # exactly these files.
    commit = LogCommit("", (), 0, "", "",
                       tuple((tenant_path(tenant), blob) for tenant, blob in pairs if blob))
    _parse_missing(repo, [commit], cache, cache_dir)
    found: dict[str, Entry] = {}
    for _, blob in pairs:
        entry = cache.get(blob) if blob else None
        if entry is not None:
            found[blob] = entry
    return found
