"""Fixtures and helpers for the graph provider's tests: the Graph emulator in a subprocess
(one per test module), emulated customer tenants, and spec files pointing at them."""

from __future__ import annotations

import csv
import subprocess
import sys
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import pytest
from conftest import SpecRepo

from emulators.graph import EmulatorControl

ROOT = Path(__file__).resolve().parents[2]
TOKEN_ENV = "TENANTRY_TEST_GRAPH_TOKEN"
# Part numbers the catalog assigns; SUPPORT is billed but never provisioned.
CATALOG: dict[str, Any] = {"products": {
    "M365-BP": {"name": "Microsoft 365 Business Premium", "price": Decimal("36.50"),
                "assign": {"graph": "SPB"}},
    "EXO-P1": {"name": "Exchange Online Plan 1", "price": Decimal("6.40"),
               "assign": {"graph": "EXCHANGESTANDARD"}},
    "SUPPORT": {"name": "Managed support seat", "price": Decimal("25.00")},
}}
MARKER = "onPremisesExtensionAttributes"


def guid(name: str) -> str:
    """A stable Entra tenant id for a test tenant name."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.tenantry.test"))


def token(tenant_id: str) -> str:
    return f"test-token-{tenant_id}"


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "emulators.graph", "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@dataclass
class Graph:
    """The emulator, reset for one test, and the token variable every directory uses."""

    url: str
    control: EmulatorControl

    def tenant(self, name: str, skus: Mapping[str, int] | None = None,
               domains: Sequence[str] = ()) -> str:
        tenant_id = guid(name)
        self.control.tenant(tenant_id, token(tenant_id),
                            skus=dict(skus if skus is not None else
                                      {"SPB": 25, "EXCHANGESTANDARD": 25}),
                            domains=domains or (f"{name}.example",))
        return tenant_id

    def users(self, name: str) -> dict[str, dict[str, Any]]:
        """A tenant's users by lower-case UPN, as stored (passwords included)."""
        return {u["userPrincipalName"].lower(): u for u in self.control.users(guid(name))}

    def held(self, name: str) -> dict[str, set[str]]:
        """Each user's licences as part numbers, by lower-case UPN."""
        parts = {s["skuId"]: part for part, s in self.control.skus(guid(name)).items()}
        return {upn: {parts[lic["skuId"]] for lic in u["assignedLicenses"]}
                for upn, u in self.users(name).items()}

    def consumed(self, name: str) -> dict[str, int]:
        return {part: s["consumedUnits"] for part, s in self.control.skus(guid(name)).items()}

    def directory(self, tenant_name: str, **extra: Any) -> dict[str, Any]:
        """A single-tenant graph directory for the emulated tenant ``tenant_name``."""
        return {"provider": "graph", "tenant_id": guid(tenant_name), "token_env": TOKEN_ENV,
                "graph_url": self.url, **extra}

    def partner(self, **extra: Any) -> dict[str, Any]:
        """A multi-tenant (GDAP partner) directory: tenants name their Entra id in container."""
        return {"provider": "graph", "multi_tenant": True, "token_env": TOKEN_ENV,
                "graph_url": self.url, **extra}


@pytest.fixture
def graph(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> Graph:
    control = EmulatorControl(emulator_url)
    control.reset()
    monkeypatch.setenv(TOKEN_ENV, token("{tenant_id}"))
    return Graph(emulator_url, control)


def marked(tenant: str, user: str) -> dict[str, Any]:
    return {MARKER: {"extensionAttribute15": f"tenantry:{tenant}/{user}"}}


def marker_of(user: Mapping[str, Any]) -> str | None:
    value = (user.get(MARKER) or {}).get("extensionAttribute15")
    return value if isinstance(value, str) else None


def commit(repo: SpecRepo, tenants: Mapping[str, Any], directories: Mapping[str, Any],
           message: str = "specs") -> str:
    files: dict[str, Any] = {f"tenants/{tid}.yaml": doc for tid, doc in tenants.items()}
    files["catalog.yaml"] = CATALOG
    files["directories.yaml"] = {"directories": dict(directories)}
    return repo.commit_specs(files, message)


def password_rows(repo: SpecRepo) -> list[dict[str, str]]:
    path = repo.root / ".tenantry" / "new-passwords.csv"
    return list(csv.DictReader(path.open())) if path.exists() else []
