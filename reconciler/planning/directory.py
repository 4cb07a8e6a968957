"""The narrow port between the core and the directories (implemented in ``providers``).

The planner sees only ``DirectoryReader``; apply gets a ``Directory``. A provider:

* reads a tenant's users completely or raises ``DirectoryUnavailable`` (an empty or partial
  listing must never look like "everyone was deleted");
* reports SKUs in tenantry's terms (it maps group DNs / Graph licences back to SKU codes
  through ``TenantTarget.assign``), and only the attributes it manages; a licence or group
  that no ``assign`` entry names is reported as its native value (the DN, the
  skuPartNumber): the planner ignores values outside ``TenantTarget.skus``, and
  ``tenantry import`` lists them as unmapped instead of dropping them silently;
* lists unmarked objects of the tenant too (``marker`` None): the planner never changes
  them, ``import`` reads them, and an ``adopt`` change stamps the marker on one of them;
* stamps the tenantry user id (its *marker*) on objects it creates and reports it back;
* applies one tenant's changes in the order given, keeps going past a failure, skips a change
  whose ``depends_on`` failed, and returns exactly one ``ChangeResult`` per change. Batching
  (Graph ``$batch`` of 20 with dependsOn), paging and throttling stay inside the provider;
* may declare ``concurrency``, how many tenants it serves at once from different threads
  (``fanout``); without it, plan and apply use it for one tenant at a time;
* may declare ``reports_licences = True`` when its snapshots carry the seats bought from its
  vendor (``TenantSnapshot.licences``, Graph's subscribedSkus): the licence report reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Mapping, Protocol, Sequence, runtime_checkable

from reconciler.planning.plan import Blocked, Change
from reconciler.planning.state import TenantSnapshot


@dataclass(frozen=True)
class TenantTarget:
    """Everything a provider needs to know about one tenant's place in a directory."""

    tenant: str
    directory: str
    container: str | None  # ldap: the tenant's OU relative to base_dn
    domain: str | None
    # SKU code -> what the provider assigns for it (group DN, skuPartNumber, or the SKU).
    assign: Mapping[str, str]

    @property
    def skus(self) -> frozenset[str]:
        return frozenset(self.assign)


class Status(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ChangeResult:
    change_id: str
    status: Status
    message: str = ""


class DirectoryReader(Protocol):
    kind: str
    # Which of state.ATTRIBUTES this directory stores; others are never diffed.
    attributes: frozenset[str]

    def read_tenant(self, target: TenantTarget) -> TenantSnapshot: ...


@runtime_checkable
class ChangeChecker(Protocol):
    """Optional: a reader that knows, at plan time, which changes its directory would refuse
    (Graph: assignments beyond the licences free, licensing without a usage location).
    ``snapshot`` is the one ``read_tenant`` returned for ``target``."""

    def check_changes(self, target: TenantTarget, snapshot: TenantSnapshot,
                      changes: Sequence[Change]) -> Sequence[Blocked]: ...


class Directory(DirectoryReader, Protocol):
    def apply(self, target: TenantTarget, changes: Sequence[Change]) -> list[ChangeResult]: ...

    def close(self) -> None: ...
