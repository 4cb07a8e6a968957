"""The licence report: seats bought from the directory's vendor against seats the specs hold.

Per tenant and vendor SKU: purchased, in use, free (from the directory, e.g. Graph's
subscribedSkus), and specified (users in the tenant's spec holding the catalog SKU that
assigns it). ``not_specified`` (purchased - specified, when positive) is what finance looks
for in a vendor licence audit: seats paid to Microsoft that no spec bills to anyone. A
subscription no catalog product assigns counts wholly there.

Only directories that report seats take part (Graph); tenants in others are left out. A
tenant whose directory cannot be read is an error line, never a row of zeros.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from reconciler.errors import DirectoryUnavailable
from reconciler.planning.fanout import fan_out
from reconciler.planning.planner import OpenReader, desired_users, reader_concurrency, target_for
from reconciler.planning.state import LicencePool
from reconciler.specs import Specs

LICENCES_SCHEMA = "tenantry.licences/1"


class LicenceRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant: str
    directory: str
    sku: str | None          # the catalog SKU assigning it; None when no product does
    vendor_sku: str          # Graph: skuPartNumber
    purchased: int
    in_use: int
    free: int
    specified: int
    not_specified: int


class LicenceReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: str = Field(default=LICENCES_SCHEMA, alias="schema")
    rows: tuple[LicenceRow, ...]
    errors: tuple[str, ...]  # "<tenant>: <why its directory could not be read>"

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"


def licence_report(specs: Specs, tenants: Iterable[str], open_reader: OpenReader) -> LicenceReport:
    chosen = list(tenants)
    per_tenant = fan_out(chosen, lambda t: _tenant(specs, t, open_reader), specs.directory_id,
                         lambda d: reader_concurrency(open_reader, d))
    rows = tuple(row for result in per_tenant if not isinstance(result, str) for row in result)
    errors = tuple(f"{t}: {result}" for t, result in zip(chosen, per_tenant)
                   if isinstance(result, str))
    return LicenceReport(rows=rows, errors=errors)


def _tenant(specs: Specs, tenant_id: str, open_reader: OpenReader) -> list[LicenceRow] | str:
    directory = specs.directory_id(tenant_id)
    try:
        reader = open_reader(directory)
        if not getattr(reader, "reports_licences", False):
            return []  # a directory that holds SKUs but sells no seats
        snapshot = reader.read_tenant(target_for(specs, tenant_id, reader.kind))
    except DirectoryUnavailable as exc:
        return str(exc)
    held = Counter(sku for state in desired_users(specs, tenant_id).values()
                   for sku in state.skus)
    return rows(tenant_id, directory, snapshot.licences, held)


def rows(tenant: str, directory: str, pools: Sequence[LicencePool],
         held: Counter[str]) -> list[LicenceRow]:
    made = []
    for pool in sorted(pools, key=lambda p: (p.sku is None, p.sku or "", p.native)):
        specified = held[pool.sku] if pool.sku else 0
        made.append(LicenceRow(tenant=tenant, directory=directory, sku=pool.sku,
                               vendor_sku=pool.native, purchased=pool.purchased,
                               in_use=pool.in_use, free=pool.free, specified=specified,
                               not_specified=max(0, pool.purchased - specified)))
    return made
