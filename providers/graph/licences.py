"""Licences: catalog SKUs to Entra skuIds, and what Graph would refuse, found at plan time.

The catalog's ``assign.graph`` is an Entra ``skuPartNumber`` (e.g. ``SPB``); the tenant's
``/subscribedSkus`` maps it to the ``skuId`` that ``assignLicense`` takes, and says how many
seats are bought (``prepaidUnits.enabled``) and used (``consumedUnits``). Graph refuses an
assignment beyond the seats bought, and any licence for a user without a usage location, so
the plan says so first and apply refuses those assignments instead of failing half-way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from reconciler.errors import DirectoryUnavailable
from reconciler.planning.directory import TenantTarget
from reconciler.planning.plan import Action, Blocked, Change
from reconciler.planning.state import LicencePool, TenantSnapshot


@dataclass(frozen=True)
class SkuMap:
    """One tenant's catalog SKUs against its Entra subscriptions."""

    part_of: Mapping[str, str]            # catalog SKU -> skuPartNumber (assign.graph)
    subscribed: Mapping[str, Any]         # skuPartNumber (upper case) -> subscribedSku JSON

    @classmethod
    def build(cls, target: TenantTarget, subscribed_skus: Iterable[Any]) -> SkuMap:
        codes: dict[str, str] = {}
        for code, part in sorted(target.assign.items()):
            other = codes.get(part.upper())
            if other is not None:
                # Both would read back from the one licence, and the diff would remove it.
                raise DirectoryUnavailable(f"catalog products {other} and {code} both assign "
                                           f"Entra SKU {part}; give each product its own")
            codes[part.upper()] = code
        subscribed = {str(s.get("skuPartNumber", "")).upper(): s for s in subscribed_skus
                      if isinstance(s, dict)}
        return cls(dict(target.assign), subscribed)

    def sku_id(self, code: str) -> str | None:
        entry = self.subscribed.get(self.part_of.get(code, "").upper())
        return str(entry["skuId"]) if entry and entry.get("skuId") else None

    def codes_by_sku_id(self) -> dict[str, str]:
        """skuId (lower case) -> what a user holding it holds, in tenantry's terms: the
        catalog SKU assigning it, else (no product does) its skuPartNumber, which the
        planner ignores and ``import`` reports as unmapped."""
        found = {str(entry.get("skuId", "")).lower(): str(entry.get("skuPartNumber"))
                 for entry in self.subscribed.values() if entry.get("skuId")}
        for code in self.part_of:
            sku_id = self.sku_id(code)
            if sku_id:
                found[sku_id.lower()] = code
        return found

    def pools(self) -> tuple[LicencePool, ...]:
        code_of = {part.upper(): code for code, part in self.part_of.items()}
        return tuple(
            LicencePool(native=str(entry.get("skuPartNumber")), sku=code_of.get(part),
                        purchased=int((entry.get("prepaidUnits") or {}).get("enabled") or 0),
                        in_use=int(entry.get("consumedUnits") or 0))
            for part, entry in sorted(self.subscribed.items()))


def refusals(pools: Sequence[LicencePool], assign: Mapping[str, str],
             changes: Sequence[Change]) -> list[Blocked]:
    """Assignments Graph would refuse for want of seats: per SKU, the seats free
    (bought - in use) plus those this plan frees (its removals run first) against the
    assignments planned. All of a short SKU's assignments are refused, not a first few:
    which users get the last seats is not a choice to make silently."""
    adds = Counter(c.sku for c in changes if c.action is Action.ASSIGN and c.sku)
    frees = Counter(c.sku for c in changes if c.action is Action.REMOVE and c.sku)
    by_sku = {p.sku: p for p in pools if p.sku is not None}
    blocked: list[Blocked] = []
    for sku, wanted in sorted(adds.items()):
        ids = tuple(c.id for c in changes if c.action is Action.ASSIGN and c.sku == sku)
        pool = by_sku.get(sku)
        if pool is None:
            blocked.append(Blocked(message=f"{sku}: the tenant has no subscription to Entra "
                                           f"SKU {assign.get(sku, '?')} (catalog assign.graph)",
                                   changes=ids))
            continue
        short = wanted - (pool.free + frees[sku])
        if short > 0:
            plural = "licences" if short != 1 else "licence"
            blocked.append(Blocked(message=f"{sku} needs {short} more {plural} than are free "
                                           f"({pool.purchased} purchased, {pool.in_use} in use)",
                                   changes=ids))
    return blocked


def unlocated(snapshot: TenantSnapshot, changes: Sequence[Change]) -> list[Blocked]:
    """Users to be licensed with no usage location, neither their own nor the tenant's."""
    located: dict[str, str | None] = {u: o.state.usage_location
                                      for u, o in snapshot.managed().items()}
    by_id = {o.object_id: o for o in snapshot.objects}
    for change in changes:
        if change.action is Action.ADOPT and change.object_id in by_id:
            located[change.user] = by_id[change.object_id].state.usage_location
        after = change.after or {}
        if change.action in (Action.CREATE, Action.UPDATE) and "usage_location" in after:
            value = after["usage_location"]
            located[change.user] = value if isinstance(value, str) else None
    blocked: list[Blocked] = []
    for user in sorted({c.user for c in changes if c.action is Action.ASSIGN}):
        if not located.get(user):
            blocked.append(Blocked(
                message=f"{user}: no usage location, so Graph cannot license the user; set "
                        "usage_location on the user or the tenant",
                changes=tuple(c.id for c in changes
                              if c.user == user and c.action is Action.ASSIGN)))
    return blocked
