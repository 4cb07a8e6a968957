"""Compact per-version tenant records: what billing needs from one tenant file.

A tenant file version is parsed once (``reconciler.specs``' parse cache keeps it by blob id)
and reduced here to a ``TenantRecord`` (or a ``Broken`` note), so history walks compare small
tuples instead of models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from sys import intern
from typing import Any, NamedTuple

from reconciler.specs import Invalid, ParseEntry, TenantSpec


class UserRecord(NamedTuple):
    # A NamedTuple, not a dataclass: hundreds of thousands are built per bill, and tuple
    # construction and comparison run in C.
    uid: str
    upn: str
    display_name: str
    skus: tuple[str, ...]


@dataclass(frozen=True)
class TenantRecord:
    name: str
    reseller: str | None
    start: dt.date | None
    end: dt.date | None
    exclude: bool
    users: tuple[UserRecord, ...]

    @classmethod
    def from_spec(cls, spec: TenantSpec) -> TenantRecord:
        return cls(name=spec.name, reseller=spec.reseller, start=spec.billing.start,
                   end=spec.billing.end, exclude=spec.billing.exclude,
                   users=tuple(UserRecord(intern(uid), u.upn, u.display_name,
                                          tuple(map(intern, u.skus)))
                               for uid, u in spec.users.items()))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TenantRecord:
        """From the JSON of a validated ``TenantSpec`` (the parse cache's entry)."""
        billing = data["billing"]
        # Ids and SKU codes interned: they recur in every version of a file, and in the
        # seat keys and snapshots built from them.
        return cls(name=data["name"], reseller=data["reseller"],
                   start=dt.date.fromisoformat(billing["start"]) if billing["start"] else None,
                   end=dt.date.fromisoformat(billing["end"]) if billing["end"] else None,
                   exclude=billing["exclude"],
                   users=tuple(UserRecord(intern(uid), u["upn"], u["display_name"],
                                          tuple(map(intern, u["skus"])))
                               for uid, u in data["users"].items()))


@dataclass(frozen=True)
class Broken:
    """A tenant file version that did not parse or validate; billing keeps the prior state."""

    message: str


def from_entry(entry: ParseEntry) -> TenantRecord | Broken:
    """What billing keeps of one parsed tenant file version."""
    if isinstance(entry, Invalid):
        return Broken(entry.describe())
    built = entry.built
    return TenantRecord.from_spec(built) if built is not None \
        else TenantRecord.from_json(entry.data())
