"""``tenantry import``: a directory's listing of a tenant as the users of a tenant file (pure).

Works for every provider, through the port: the snapshot lists managed objects (their
marker is the user id) and unmarked ones (given an id derived from the UPN). SKUs the
directory reports in tenantry's terms are kept; anything else it reports (a licence or
group no catalog product assigns) is returned as unmapped, never silently dropped.
Attributes the directory does not store stay ``None``: the writer then keeps what the file
says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.planning.state import ATTRIBUTES, DirectoryObject, TenantSnapshot

_NOT_ID = re.compile(r"[^a-z0-9._-]+")
ID_MAX_LENGTH = 63  # ids match ^[a-z0-9][a-z0-9._-]{0,62}$ (SPEC §2)


@dataclass(frozen=True)
class ImportedUser:
    uid: str
    object_id: str
    marked: bool  # the object carries tenantry's marker (uid is that marker)
    adopt: bool  # unmarked, and the import was asked to adopt it
    upn: str
    display_name: str | None  # None: the directory does not store it; keep the file's
    given_name: str | None
    surname: str | None
    usage_location: str | None
    enabled: bool
    skus: tuple[str, ...]
    managed: frozenset[str]  # which attributes the directory stores


@dataclass(frozen=True)
class Unmapped:
    user: str
    upn: str
    value: str  # what the directory holds: a group DN, a licence's skuPartNumber, ...


@dataclass(frozen=True)
class TenantImport:
    tenant: str
    users: tuple[ImportedUser, ...]  # in id order
    unmapped: tuple[Unmapped, ...]
    dropped: tuple[str, ...]  # ids in the file that the directory does not hold

    @property
    def unmarked(self) -> tuple[ImportedUser, ...]:
        return tuple(u for u in self.users if not u.marked)


def import_tenant(snapshot: TenantSnapshot, skus: frozenset[str], attributes: frozenset[str],
                  existing: Mapping[str, str], *, adopt: bool) -> TenantImport:
    """``skus``: the catalog SKUs this directory provisions (``TenantTarget.skus``);
    ``existing``: the tenant file's users, id -> UPN (an unmarked object whose UPN a file
    user already has takes that user's id)."""
    by_upn = {upn.lower(): uid for uid, upn in existing.items()}
    taken = {o.marker for o in snapshot.objects if o.marker is not None}
    users: list[ImportedUser] = []
    unmapped: list[Unmapped] = []
    # Marked objects first, so their ids are taken before unmarked ones are named.
    for obj in sorted(snapshot.objects, key=lambda o: (o.marker is None, o.marker or "",
                                                       o.state.upn.lower())):
        if obj.marker is not None:
            uid = obj.marker
        else:
            uid = by_upn.get(obj.state.upn.lower()) or user_id(obj.state.upn, taken)
            if uid in taken:
                uid = user_id(obj.state.upn, taken)
            taken.add(uid)
        users.append(_user(uid, obj, attributes, skus, adopt))
        unmapped += [Unmapped(uid, obj.state.upn, value)
                     for value in sorted(obj.state.skus - skus)]
    ids = {u.uid for u in users}
    return TenantImport(snapshot.tenant, tuple(sorted(users, key=lambda u: u.uid)),
                        tuple(unmapped), tuple(sorted(set(existing) - ids)))


def _user(uid: str, obj: DirectoryObject, attributes: frozenset[str], skus: frozenset[str],
          adopt: bool) -> ImportedUser:
    state = obj.state

    def kept(name: str) -> str | None:
        return getattr(state, name) if name in attributes else None

    return ImportedUser(
        uid=uid, object_id=obj.object_id, marked=obj.marker is not None,
        adopt=adopt and obj.marker is None, upn=state.upn,
        display_name=kept("display_name"), given_name=kept("given_name"),
        surname=kept("surname"), usage_location=kept("usage_location"),
        enabled=state.enabled, skus=tuple(sorted(state.skus & skus)),
        managed=frozenset(a for a in ATTRIBUTES if a in attributes) | {"upn"})


def user_id(upn: str, taken: set[str]) -> str:
    """A stable user id from a UPN's local part: ``Jo.Bloggs+x@...`` -> ``jo.bloggs-x``;
    ``-2``, ``-3``... when taken."""
    local = upn.split("@", 1)[0].lower()
    base = _NOT_ID.sub("-", local).strip("._-") or "user"
    base = base[:ID_MAX_LENGTH - 4].rstrip("._-") or "user"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate
