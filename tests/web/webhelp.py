"""A real ``tenantry serve`` with the self-service pages, over a spec repository with two
tenants, a forge emulator and a bare remote; and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import SpecRepo, tenantry_script, to_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests/requests"))
from reqhelp import NORTHWIND, Forge, forge_server, seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking"]
AXE = Path(os.environ.get("TENANTRY_AXE_JS",
                          REPO_ROOT / ".venv/axe/node_modules/axe-core/axe.min.js"))
FORGE_TOKEN_ENV = "WEB_TEST_FORGE_TOKEN"
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0"}


@dataclass
class Site:
    url: str  # http://127.0.0.1:PORT/web
    repo: SpecRepo
    tokens: dict[str, str]  # who -> token
    forge: Forge
    remote: Path

    def refs(self) -> str:
        return self.repo.git("for-each-ref")

    def objects(self) -> str:
        return self.repo.git("count-objects", "-v")


def need_browser() -> None:
    """Skip without Chromium or Playwright on a developer's machine; CI (scripts/test as
    root installs both) fails instead, so a broken install never hides the suite."""
    import importlib.util

    missing = [what for what, ok in (("chromium", Path(CHROMIUM).exists()),
                                     ("playwright", importlib.util.find_spec("playwright")
                                      is not None)) if not ok]
    if missing:
        import pytest
        message = f"the browser tests need {' and '.join(missing)} (run ./scripts/test as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message, allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _token(repo: SpecRepo, name: str, scope: str) -> str:
    out = subprocess.run([tenantry_script(), "-C", str(repo.root), "token", "create",
                          "--name", name, "--scope", scope], capture_output=True, text=True,
                         check=True, env={**os.environ, **GIT_ENV})
    return out.stdout.split()[0]


def start_site(root: Path) -> Iterator[Site]:
    """Repository, tokens, forge and server; everything stopped afterwards."""
    saved = {k: os.environ.get(k) for k in GIT_ENV}
    os.environ.update(GIT_ENV)
    try:
        repo = SpecRepo.init(root / "repo")
        seed(repo)
        # Northwind comes through a reseller that invoices it (aggregate, 10% off list): the
        # reseller's token sees it and nothing else, and Northwind's own token sees seats
        # but not the reseller's price.
        repo.commit_specs({"resellers.yaml": to_yaml({"resellers": {"kea": {
            "name": "Kea IT", "mode": "aggregate", "discount": 10}}}),
            "tenants/northwind.yaml": to_yaml({**NORTHWIND, "reseller": "kea"})},
            "northwind through kea", date="2026-03-02T09:00:00Z")
        remote = root / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
        tokens = {"jane": _token(repo, "Jane Customer", "tenant:contoso"),
                  "nora": _token(repo, "Nora Northwind", "tenant:northwind"),
                  "ops": _token(repo, "Olly Ops", "all"),
                  "kea": _token(repo, "Kea Partner", "reseller:kea")}
        for forge in forge_server():
            settings = repo.root / ".tenantry/requests.toml"
            settings.write_text(
                f'base = "main"\n[forge]\nurl = "https://github.com/acme/tenant-specs"\n'
                f'api_url = "{forge.url}"\ntoken_env = "{FORGE_TOKEN_ENV}"\n'
                f'remote = "{remote}"\n')
            port = _free_port()
            proc = subprocess.Popen(
                [tenantry_script(), "-C", str(repo.root), "serve", "--port", str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                env={**os.environ, FORGE_TOKEN_ENV: "ghp_web_test"})
            try:
                _wait(f"http://127.0.0.1:{port}/healthz", proc)
                yield Site(f"http://127.0.0.1:{port}/web", repo, tokens, forge, remote)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _wait(url: str, proc: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"tenantry serve exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("tenantry serve did not answer within 60 s")
