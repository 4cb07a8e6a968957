"""``tenantry serve``: the read API (SPEC §8) over the spec repository."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import reconciler
import reports
import server
from reconciler.errors import UserError
from server.settings import Settings
from server.tokens import DEFAULT_PATH
from tenantry import reportcache
from tenantry.workspace import Workspace

CACHE = ".tenantry/cache"


def settings(ws: Workspace, tokens: Path | None, root_path: str = "") -> Settings:
    """The server's settings for this workspace."""
    if ws.repo is None:
        raise UserError(f"{ws.label} is not in a git repository; the API serves the history "
                        "of the specs from git")
    if not ws.specs_dir.is_relative_to(ws.repo.root):
        raise UserError(f"{ws.label} is outside the git repository at {ws.repo.root}")
    if root_path and (not root_path.startswith("/") or root_path.endswith("/")):
        raise UserError(f"--root-path {root_path!r}: a path like /tenantry (leading slash, "
                        "no trailing slash)")
    root = ws.repo.root
    return Settings(
        repo_root=root, specs_rel=ws.specs_dir.relative_to(root).as_posix(),
        tokens_path=(ws.cwd / tokens) if tokens else root / DEFAULT_PATH,
        cache_dir=root / CACHE if reportcache.enabled() else None,
        fingerprint=reportcache.source_fingerprint(reconciler, reports, server),
        root_path=root_path)


def run(ws: Workspace, *, host: str, port: int, tokens: Path | None, root_path: str) -> int:
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        raise UserError("tenantry serve needs the api extra: pip install 'tenantry[api]'")
    from server.run import serve

    serve(settings(ws, tokens, root_path), host, port)
    return 0
