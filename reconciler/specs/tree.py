"""The whole spec tree at one revision, as loaded and cross-checked models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from reconciler.specs.model import (
    DEFAULT_DIRECTORIES,
    BillingSettings,
    Catalog,
    DirectoriesFile,
    DirectoryConfig,
    ResellerFile,
    TenantSpec,
)

CATALOG = "catalog.yaml"
BILLING = "billing.yaml"
RESELLERS = "resellers.yaml"
DIRECTORIES = "directories.yaml"
TENANTS_DIR = "tenants/"
TENANT_SUFFIX = ".yaml"


def tenant_path(tenant_id: str) -> str:
    return f"{TENANTS_DIR}{tenant_id}{TENANT_SUFFIX}"


@dataclass(frozen=True)
class Specs:
    catalog: Catalog
    billing: BillingSettings = BillingSettings()
    resellers: ResellerFile = ResellerFile()
    directories: DirectoriesFile = DEFAULT_DIRECTORIES
    tenants: Mapping[str, TenantSpec] = field(default_factory=dict)

    def directory_id(self, tenant_id: str) -> str:
        """The directory a tenant lives in (cross-checks guarantee it resolves)."""
        chosen = self.tenants[tenant_id].directory
        if chosen is not None:
            return chosen
        return next(iter(self.directories.directories))

    def directory(self, tenant_id: str) -> DirectoryConfig:
        return self.directories.directories[self.directory_id(tenant_id)]
