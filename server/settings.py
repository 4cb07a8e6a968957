"""What one server instance serves, and how much it may keep in memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    repo_root: Path  # the spec repository's top folder (git work tree)
    specs_rel: str  # the specs folder inside it, e.g. "specs"
    tokens_path: Path  # the SQLite token store (default .tenantry/tokens.sqlite)
    cache_dir: Path | None  # the engine's parse cache (.tenantry/cache); None: no disk cache
    fingerprint: str = ""  # identifies the code; part of every ETag
    root_path: str = ""  # the public path prefix behind a reverse proxy, e.g. "/tenantry"
    page_default: int = 1000  # JSON list pages
    page_max: int = 10000
    ledgers: int = 2  # revisions whose history and terms stay in memory
    reports: int = 8  # bill reports (revision x span) kept in memory
    body_cache_bytes: int = 256 << 20  # rendered responses kept, by ETag
