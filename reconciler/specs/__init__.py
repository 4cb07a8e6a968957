"""Reading specs: strict YAML, the pydantic models, per-file documents and cross-checks.

This package turns the files under ``specs/`` into validated models (``load_specs``), or
one located problem per mistake. Planning and billing read specs only through the names
exported here; the modules behind them (YAML positions, message wording, model-path
navigation) are this package's own business.
"""

from reconciler.specs.cache import Entry as ParseEntry
from reconciler.specs.cache import Invalid, ParseCache, Parsed, blob_id
from reconciler.specs.directories import (
    DirectoriesFile,
    DirectoryConfig,
    GraphDirectory,
    LdapDirectory,
    LocalDirectory,
)
from reconciler.specs.documents import DocumentInvalid, parse
from reconciler.specs.loading import load_specs, read_tree
from reconciler.specs.model import BillingSettings, Catalog, ResellerFile, Rule, TenantSpec
from reconciler.specs.parsepool import Fetch, FromMemory, gc_paused, parse_all
from reconciler.specs.tree import (
    BILLING,
    CATALOG,
    DIRECTORIES,
    RESELLERS,
    TENANT_SUFFIX,
    TENANTS_DIR,
    Specs,
    tenant_path,
)
from reconciler.specs.yamlpos import position

__all__ = [
    "BILLING",
    "CATALOG",
    "DIRECTORIES",
    "RESELLERS",
    "TENANTS_DIR",
    "TENANT_SUFFIX",
    "BillingSettings",
    "Catalog",
    "DirectoriesFile",
    "DirectoryConfig",
    "DocumentInvalid",
    "Fetch",
    "FromMemory",
    "GraphDirectory",
    "Invalid",
    "LdapDirectory",
    "LocalDirectory",
    "ParseCache",
    "ParseEntry",
    "Parsed",
    "ResellerFile",
    "Rule",
    "Specs",
    "TenantSpec",
    "blob_id",
    "gc_paused",
    "load_specs",
    "parse",
    "parse_all",
    "position",
    "read_tree",
    "tenant_path",
]
