"""What the commands that read history (bill, diff, show, log) share: the repository, the
specs folder inside it, the parse cache, and dates given on the command line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reconciler.errors import UserError
from reconciler.gitrepo import Repo
from tenantry import reportcache
from tenantry.workspace import Workspace

CACHE = ".tenantry/cache"


def repo_and_specs(ws: Workspace, command: str) -> tuple[Repo, str]:
    """The repository and the specs folder's path inside it, or a clear error."""
    if ws.repo is None:
        ws.require_specs_dir()
        raise UserError(f"{ws.label} is not in a git repository; {command} reads the history "
                        "of the specs from git")
    if not ws.specs_dir.is_relative_to(ws.repo.root):
        raise UserError(f"{ws.label} is outside the git repository at {ws.repo.root}")
    return ws.repo, ws.specs_dir.relative_to(ws.repo.root).as_posix()


def cache_dir(repo: Repo) -> Path | None:
    """The caches under ``.tenantry/cache`` (``TENANTRY_NO_CACHE=1`` turns them off)."""
    return repo.root / CACHE if reportcache.enabled() else None


def parse_day(option: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} {text!r}: use a date like 2026-10-25") from None
