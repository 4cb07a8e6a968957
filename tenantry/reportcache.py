"""Rendered bill reports cached by what determines them.

A report is a pure function of the billed commit, the specs folder, the span as requested,
the format and the code that computes and renders it (SPEC §6.5: byte-identical on every
run), so a request seen before is answered from ``.tenantry/cache/reports-v1/``. The key
includes a fingerprint of the engine's and renderers' source files, so a different tenantry
never serves another's report. Requests whose answer depends on more than the key (the
default span moves with today; custom templates live outside the package) are not cached.
Entries are written by temp file + rename; the oldest are pruned beyond ``KEEP``.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import reconciler
import reports
from reconciler.atomicfile import write_atomic
from tenantry import __version__

KEEP = 32  # reports kept; a large history's JSON report is ~70 MB
DISABLE_ENV = "TENANTRY_NO_CACHE"


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """Hash of the billing engine's and renderers' sources (and templates)."""
    return source_fingerprint(reconciler, reports)


def source_fingerprint(*packages: ModuleType) -> str:
    """Hash of the version and the sources (and templates) of ``packages``."""
    digest = hashlib.sha256(__version__.encode())
    for package in packages:
        root = Path(package.__file__ or "").parent
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".j2") and path.is_file():
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


class ReportCache:
    def __init__(self, folder: Path, key: dict[str, Any]) -> None:
        self._folder = folder / "reports-v1"
        name = hashlib.sha256(json.dumps({**key, "engine": engine_fingerprint()},
                                         sort_keys=True).encode()).hexdigest()
        self._data = self._folder / f"{name}.out"
        self._meta = self._folder / f"{name}.meta.json"

    def get(self) -> tuple[bytes, list[str]] | None:
        try:
            warnings = json.loads(self._meta.read_bytes())["warnings"]
            data = self._data.read_bytes()
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return data, [str(w) for w in warnings]

    def put(self, data: bytes, warnings: list[str]) -> None:
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            # Data first, then the meta file that makes the entry visible to get().
            write_atomic(self._data, data, durable=False)
            write_atomic(self._meta, json.dumps({"warnings": warnings}).encode(), durable=False)
            self._prune()
        except OSError:
            pass  # a cache that cannot be written only costs time next run

    def _prune(self) -> None:
        metas = sorted(self._folder.glob("*.meta.json"), key=lambda p: p.stat().st_mtime)
        for meta in metas[:-KEEP]:
            meta.unlink(missing_ok=True)
            meta.with_name(meta.name.removesuffix(".meta.json") + ".out").unlink(missing_ok=True)


def enabled() -> bool:
    return not os.environ.get(DISABLE_ENV)
