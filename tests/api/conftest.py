"""A real ``tenantry serve`` on 127.0.0.1 over a spec repository with resellers in tiers,
plus one token per scope, for the whole test session (one server per xdist worker).

The repository (period 2026-03: 1..31 March, 31 days, USD, UTC, close_day last):

    reseller   mode       discount parent     tenants beneath it
    racme      aggregate  20       -          bravoco, charlieco, golfco (via rkea), echoco
    rkea       aggregate  10       racme      charlieco, golfco
    rtasman    on-behalf  15       -          deltaco
    rharbour   on-behalf   5       racme      echoco

    alphaco    no reseller    ann M365-BP (36.50), bob SUPPORT (25.00)
    bravoco    racme          cat M365-BP
    charlieco  rkea           dan M365-BP
    deltaco    rtasman        eve EXO-P1 (6.40)
    echoco     rharbour       fay SUPPORT
    foxco      excluded       gus M365-BP
    golfco     rkea           hal M365-BP; the file is deleted on 16 March (noon UTC)

The first commit's subject names every tenant, and an apply note on it lists them all: a
scoped token must see neither. Every string that belongs to a tenant contains its id (``alphaco-ann``,
``ann@alphaco.example``, ``Ann Alphaco``, ``Alphaco Ltd``), so "nothing of tenant X" in a
body is "no ``x`` in the body". Commits are by one neutral author. Amounts are worked out in
``test_api_scopes``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CATALOG, SpecRepo, tenant, user

from tenantry.cli import main

EARLY = "2026-01-01T12:00:00+00:00"
GOLF_GONE = "2026-03-16T12:00:00+00:00"
PERIOD = "2026-03"

RESELLERS: dict[str, Any] = {
    "racme": {"name": "Racme Partners", "mode": "aggregate", "discount": 20},
    "rkea": {"name": "Rkea Sub", "mode": "aggregate", "discount": 10, "parent": "racme"},
    "rtasman": {"name": "Rtasman Agency", "mode": "on-behalf", "discount": 15},
    "rharbour": {"name": "Rharbour Agency", "mode": "on-behalf", "discount": 5,
                 "parent": "racme"},
}
# tenant -> (reseller, {user: sku})
TENANTS: dict[str, tuple[str | None, dict[str, str]]] = {
    "alphaco": (None, {"ann": "M365-BP", "bob": "SUPPORT"}),
    "bravoco": ("racme", {"cat": "M365-BP"}),
    "charlieco": ("rkea", {"dan": "M365-BP"}),
    "deltaco": ("rtasman", {"eve": "EXO-P1"}),
    "echoco": ("rharbour", {"fay": "SUPPORT"}),
    "foxco": (None, {"gus": "M365-BP"}),
    "golfco": ("rkea", {"hal": "M365-BP"}),
}
ALL_TENANTS = frozenset(TENANTS)
PRESENT = ALL_TENANTS - {"golfco"}  # files at HEAD

# What each scope may see (worked out from the table above, not from the code).
VISIBLE: dict[str, frozenset[str]] = {
    "all": ALL_TENANTS,
    **{f"tenant:{t}": frozenset({t}) for t in TENANTS},
    "reseller:racme": frozenset({"bravoco", "charlieco", "golfco", "echoco"}),
    "reseller:rkea": frozenset({"charlieco", "golfco"}),
    "reseller:rtasman": frozenset({"deltaco"}),
    "reseller:rharbour": frozenset({"echoco"}),
}
SCOPES = tuple(VISIBLE)


def tenant_doc(tid: str) -> dict[str, Any]:
    reseller, users = TENANTS[tid]
    extra: dict[str, Any] = {"domain": f"{tid}.example"}
    if reseller:
        extra["reseller"] = reseller
    if tid == "foxco":
        extra["billing"] = {"exclude": True}
    return tenant(f"{tid.title()} Ltd", {
        f"{tid}-{name}": user(f"{name}@{tid}.example", f"{name.title()} {tid.title()}",
                              skus=[sku]) for name, sku in users.items()}, **extra)


def build_repo(root: Path) -> SpecRepo:
    repo = SpecRepo.init(root)
    repo.write({".gitignore": ".tenantry/\n"})
    files: dict[str, Any] = {"catalog.yaml": CATALOG, "resellers.yaml": {"resellers": RESELLERS}}
    files.update({f"tenants/{t}.yaml": tenant_doc(t) for t in TENANTS})
    first = repo.commit_specs(files, "Onboard " + ", ".join(sorted(TENANTS)), date=EARLY)
    repo.git("tag", "v1")
    # An apply note naming every tenant (as `tenantry apply` leaves one): history shows it
    # to unscoped tokens only.
    repo.git("notes", "--ref", "refs/notes/tenantry", "add", "-m", json.dumps({
        "schema": "tenantry.apply/1", "applied_at": "2026-01-01T12:05:00+00:00",
        "tool_version": "0.1.0", "revision": first, "dirty": False,
        "tenants": sorted(TENANTS), "counts": {"applied": 9, "failed": 1, "skipped": 0},
        "failures": [{"change": "golfco/golfco-hal/create", "message": "quota"}],
        "skipped": [], "not_planned": []}), first)
    repo.commit_specs({"tenants/golfco.yaml": None}, "golfco leaves", date=GOLF_GONE)
    return repo


def tenantry(*args: str) -> tuple[int, str, str]:
    """The CLI in-process (usable from session fixtures, which have no capsys)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def create_token(repo: Path, scope: str, name: str = "test", *extra: str) -> str:
    code, out, err = tenantry("-C", str(repo), "token", "create", "--name", name,
                              "--scope", scope, *extra)
    assert code == 0, err
    return out.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")
    return env


@dataclass
class Server:
    url: str
    repo: SpecRepo
    tokens: dict[str, str]  # scope -> token
    log: Path

    def client(self, scope: str | None = "all", token: str | None = None) -> httpx.Client:
        """A client sending the token of ``scope`` (or ``token``; neither with None)."""
        token = token or (self.tokens[scope] if scope else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def get(self, path: str, scope: str | None = "all", **kwargs: Any) -> httpx.Response:
        with self.client(scope) as client:
            return client.get(path, **kwargs)


@contextlib.contextmanager
def running_server(repo: SpecRepo, log: Path, *extra: str) -> Iterator[str]:
    """``tenantry serve`` in a subprocess on a free port; yields its base URL."""
    port = free_port()
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tenantry", "-C", str(repo.root), "serve", "--port",
             str(port), *extra], stdout=sink, stderr=subprocess.STDOUT, env=git_env())
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"tenantry serve exited {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"tenantry serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("api")
    os.environ.update({k: v for k, v in git_env().items() if k.startswith("GIT_")})
    repo = build_repo(base / "repo")
    tokens = {scope: create_token(repo.root, scope, f"token for {scope}") for scope in SCOPES}
    log = base / "serve.log"
    with running_server(repo, log) as url:
        yield Server(url, repo, tokens, log)
