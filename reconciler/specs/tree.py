"""The whole spec tree at one revision, as loaded and cross-checked models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping

from reconciler.specs.cache import Parsed
from reconciler.specs.directories import DEFAULT_DIRECTORIES, DirectoriesFile, DirectoryConfig
from reconciler.specs.model import BillingSettings, Catalog, ResellerFile, TenantSpec

CATALOG = "catalog.yaml"
BILLING = "billing.yaml"
RESELLERS = "resellers.yaml"
DIRECTORIES = "directories.yaml"
TENANTS_DIR = "tenants/"
TENANT_SUFFIX = ".yaml"


def tenant_path(tenant_id: str) -> str:
    return f"{TENANTS_DIR}{tenant_id}{TENANT_SUFFIX}"


class LazyTenants(Mapping[str, TenantSpec]):
    """Tenant models by id, each built from its cached JSON when first asked for.

    ``validate`` needs only the cross-check view of each file, never the models; building
    100,000 user models from JSON would be most of a warm run.
    """

    def __init__(self, tenants: Mapping[str, TenantSpec | Parsed], users: int) -> None:
        self._tenants = dict(tenants)
        self.users = users  # users in all tenants, without building a model

    def __getitem__(self, tenant_id: str) -> TenantSpec:
        value = self._tenants[tenant_id]
        if isinstance(value, Parsed):
            value = self._tenants[tenant_id] = value.spec()
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._tenants)

    def __len__(self) -> int:
        return len(self._tenants)


@dataclass(frozen=True)
class Specs:
    catalog: Catalog
    billing: BillingSettings = BillingSettings()
    resellers: ResellerFile = ResellerFile()
    directories: DirectoriesFile = DEFAULT_DIRECTORIES
    tenants: Mapping[str, TenantSpec] = field(default_factory=dict)

    def user_count(self) -> int:
        if isinstance(self.tenants, LazyTenants):
            return self.tenants.users
        return sum(len(t.users) for t in self.tenants.values())

    def directory_id(self, tenant_id: str) -> str:
        """The directory a tenant lives in (cross-checks guarantee it resolves)."""
        chosen = self.tenants[tenant_id].directory
        if chosen is not None:
            return chosen
        return next(iter(self.directories.directories))

    def directory(self, tenant_id: str) -> DirectoryConfig:
        return self.directories.directories[self.directory_id(tenant_id)]
