"""Tenant views for blob ids: from memory, then ``.tenantry/cache/views-v<N>/``, then git.

Like billing's record cache (a blob id names its content, so an entry never goes stale;
entries are written by temp file + rename), for the fuller views ``log`` compares. A log of
one tenant reads a handful of versions; a log of everything reads each version once, ever.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from reconciler.atomicfile import write_atomic
from reconciler.changes.views import VIEW_VERSION, TenantView, Unreadable, read_view
from reconciler.gitrepo import BlobReader, Repo

View = TenantView | Unreadable


class ViewCache:
    def __init__(self, repo: Repo, folder: Path | None) -> None:
        self._repo = repo
        self._folder = folder / f"views-v{VIEW_VERSION}" if folder else None
        self._memory: dict[str, View] = {}
        self.parsed = 0

    def load(self, blobs: Iterable[str]) -> None:
        """Make every blob's view available, reading all missing ones in one pass."""
        missing = [b for b in dict.fromkeys(blobs) if b and self._cached(b) is None]
        if not missing:
            return
        with BlobReader(self._repo) as reader:
            for blob, data in reader.read(missing):
                view = read_view(data)
                self._memory[blob] = view
                self.parsed += 1
                self._store(blob, view)

    def get(self, blob: str) -> View | None:
        """The view of a blob; None for "" (no file)."""
        if not blob:
            return None
        view = self._cached(blob)
        if view is None:
            self.load([blob])
            view = self._memory[blob]
        return view

    def _path(self, blob: str) -> Path:
        assert self._folder is not None
        return self._folder / blob[:2] / f"{blob[2:]}.json"

    def _cached(self, blob: str) -> View | None:
        view = self._memory.get(blob)
        if view is not None or self._folder is None:
            return view
        try:
            data = json.loads(self._path(blob).read_bytes())
            view = Unreadable(data["unreadable"]) if "unreadable" in data \
                else TenantView.from_json(data)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        self._memory[blob] = view
        return view

    def _store(self, blob: str, view: View) -> None:
        if self._folder is None:
            return
        data = {"unreadable": view.message} if isinstance(view, Unreadable) else view.to_json()
        try:
            path = self._path(blob)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(data, separators=(",", ":")).encode(), durable=False)
        except OSError:
            pass  # a cache that cannot be written only costs time next run
