"""What changed between two versions of a tenant file, as typed deltas (pure).

A user keeps its id for life (SPEC §2): the same id with a new UPN or name is a rename; a
new id is a create, a missing one a delete. ``before``/``after`` of a tenant are ``None``
when the file does not exist on that side.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from reconciler.changes.views import TenantView, UserView, Value

# User fields whose change is a rename, and the others; enabled and SKUs have their own.
NAME_FIELDS = ("upn", "display_name", "given_name", "surname")
OTHER_USER_FIELDS = ("usage_location", "adopt")
# Tenant fields that change what the tenant is billed, and the others.
BILLING_FIELDS = ("reseller", "start", "end", "exclude")
SETTING_FIELDS = ("name", "directory", "container", "domain", "usage_location")
# How billing fields are named in output: as they are written in the file.
FIELD_LABELS = {"start": "billing.start", "end": "billing.end", "exclude": "billing.exclude"}


class FieldChange(NamedTuple):
    field: str
    before: Value
    after: Value


class UserStatus(StrEnum):
    CREATED = "created"
    DELETED = "deleted"
    CHANGED = "changed"


@dataclass(frozen=True)
class UserDelta:
    user: str
    status: UserStatus
    upn: str  # after the change (before it, for a delete)
    renamed: tuple[FieldChange, ...] = ()  # UPN and name fields, before -> after
    updated: tuple[FieldChange, ...] = ()  # other fields
    enabled: bool | None = None  # the new state when it changed (or a user created disabled)
    added: tuple[str, ...] = ()  # SKUs; a created user's SKUs are all added
    removed: tuple[str, ...] = ()  # SKUs; a deleted user's SKUs are all removed


class TenantStatus(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class TenantDelta:
    tenant: str
    status: TenantStatus
    name: str  # after the change (before it, for a removed file)
    billing: tuple[FieldChange, ...] = ()
    settings: tuple[FieldChange, ...] = ()
    users: tuple[UserDelta, ...] = ()

    @property
    def empty(self) -> bool:
        return self.status is TenantStatus.CHANGED and not (
            self.billing or self.settings or self.users)

    def seats(self) -> dict[str, tuple[int, int]]:
        """SKU -> (seats added, seats removed)."""
        out: dict[str, tuple[int, int]] = {}
        for user in self.users:
            for sku in user.added:
                plus, minus = out.get(sku, (0, 0))
                out[sku] = (plus + 1, minus)
            for sku in user.removed:
                plus, minus = out.get(sku, (0, 0))
                out[sku] = (plus, minus + 1)
        return dict(sorted(out.items()))

    def only_user(self, user: str) -> TenantDelta:
        """This delta narrowed to one user (tenant-level fields dropped)."""
        return TenantDelta(self.tenant, TenantStatus.CHANGED, self.name,
                           users=tuple(u for u in self.users if u.user == user))

    def count(self, status: UserStatus) -> int:
        return sum(1 for u in self.users if u.status is status)

    def renames(self) -> int:
        return sum(1 for u in self.users if u.status is UserStatus.CHANGED and u.renamed)


def compare(tenant: str, before: TenantView | None, after: TenantView | None) -> TenantDelta:
    if before is None and after is None:
        raise ValueError("compare needs at least one side")
    old_users = before.users if before else {}
    new_users = after.users if after else {}
    users = [delta for uid in sorted(old_users.keys() | new_users.keys())
             if (delta := compare_user(uid, old_users.get(uid), new_users.get(uid)))]
    status = TenantStatus.ADDED if before is None else \
        TenantStatus.REMOVED if after is None else TenantStatus.CHANGED
    name = after.name if after else before.name if before else tenant
    return TenantDelta(tenant, status, name,
                       billing=_fields(before, after, BILLING_FIELDS),
                       settings=_fields(before, after, SETTING_FIELDS), users=tuple(users))


def compare_user(uid: str, before: UserView | None, after: UserView | None) -> UserDelta | None:
    if before == after:
        return None
    if before is None:
        assert after is not None
        return UserDelta(uid, UserStatus.CREATED, after.upn,
                         enabled=False if not after.enabled else None, added=after.skus)
    if after is None:
        return UserDelta(uid, UserStatus.DELETED, before.upn, removed=before.skus)
    had, has = set(before.skus), set(after.skus)
    delta = UserDelta(
        uid, UserStatus.CHANGED, after.upn,
        renamed=_fields(before, after, NAME_FIELDS),
        updated=_fields(before, after, OTHER_USER_FIELDS),
        enabled=after.enabled if after.enabled != before.enabled else None,
        added=tuple(s for s in after.skus if s not in had),
        removed=tuple(s for s in before.skus if s not in has))
    # SKUs listed in another order are the same seats.
    empty = not (delta.renamed or delta.updated or delta.added or delta.removed) \
        and delta.enabled is None
    return None if empty else delta


def _fields(before: object | None, after: object | None,
            names: tuple[str, ...]) -> tuple[FieldChange, ...]:
    if before is None or after is None:
        # A tenant file appearing or going away: its settings are not "changes" of it.
        return ()
    return tuple(FieldChange(FIELD_LABELS.get(n, n), getattr(before, n), getattr(after, n))
                 for n in names if getattr(before, n) != getattr(after, n))
