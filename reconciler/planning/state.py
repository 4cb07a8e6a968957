"""The normalised "essence" of a directory user, shared by desired and actual state.

Providers translate their objects into ``UserState`` (SKU codes, not group DNs or Graph
sku ids; no server-managed fields), so the diff compares like with like.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from reconciler.planning.record import record

# Attribute names as they appear in plans, in display order. ``enabled`` and ``skus`` have
# change kinds of their own (enable/disable, assign/remove).
ATTRIBUTES = ("upn", "display_name", "given_name", "surname", "usage_location")


@record()
class UserState:
    upn: str
    display_name: str
    given_name: str | None = None
    surname: str | None = None
    usage_location: str | None = None
    enabled: bool = True
    skus: frozenset[str] = frozenset()

    def attributes(self) -> dict[str, str | None]:
        # Spelled out (in ATTRIBUTES' order, which a test checks): every create in a plan
        # copies them, and the generic comprehension cost twice as much.
        return {"upn": self.upn, "display_name": self.display_name,
                "given_name": self.given_name, "surname": self.surname,
                "usage_location": self.usage_location}

    def project(self, managed: frozenset[str], skus: frozenset[str]) -> UserState:
        """Keep only what a directory manages; the rest is blanked on both sides."""
        blank: dict[str, None] = {
            name: None for name in ATTRIBUTES
            if name not in managed and name != "upn" and getattr(self, name) is not None}
        if not blank and self.skus <= skus:
            return self  # nothing to drop (the local directory keeps everything)
        return replace(self, skus=self.skus & skus, **blank)  # type: ignore[arg-type]


@record()
class DirectoryObject:
    """One user object as a directory holds it.

    ``marker`` is the tenantry user id stamped on objects tenantry created; objects without
    it are not tenantry's and are never changed or deleted.
    """

    object_id: str
    marker: str | None
    state: UserState


@dataclass(frozen=True)
class LicencePool:
    """Seats of one vendor product bought for a tenant (Graph: one ``subscribedSku``).

    ``sku`` is the catalog SKU that assigns it, None when no product does: seats paid to
    the vendor that no spec bills, which the licence report is for.
    """

    native: str       # what the directory calls it (Graph: skuPartNumber)
    sku: str | None
    purchased: int    # Graph: prepaidUnits.enabled
    in_use: int       # Graph: consumedUnits

    @property
    def free(self) -> int:
        return self.purchased - self.in_use


@dataclass(frozen=True)
class TenantSnapshot:
    """A complete listing of a tenant's part of a directory (never a partial one).

    ``licences`` are the seats bought from the directory's vendor, for directories that
    sell them (Graph); empty elsewhere. They are not part of the plan's digest: others
    consuming seats does not make a saved plan stale.
    """

    tenant: str
    objects: tuple[DirectoryObject, ...]
    licences: tuple[LicencePool, ...] = ()

    def managed(self) -> Mapping[str, DirectoryObject]:
        return {o.marker: o for o in self.objects if o.marker is not None}

    def unmanaged(self) -> tuple[DirectoryObject, ...]:
        return tuple(o for o in self.objects if o.marker is None)
