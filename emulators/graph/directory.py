"""One emulated customer tenant: users, subscribed SKUs, and the read lag of replication.

Entra ID is eventually consistent: a read shortly after a write may be answered by a replica
that has not seen it. Writes here always see the latest state (as Graph's uniqueness checks
do); reads see each user as it was ``lag`` seconds ago. Only users written within the lag
window keep old versions, so a 100,000-user tenant costs nothing extra when idle.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import Any

User = dict[str, Any]
_NEVER = float("-inf")


@dataclass
class Sku:
    sku_id: str
    part_number: str
    enabled: int          # prepaidUnits.enabled: seats bought
    consumed: int = 0     # consumedUnits: kept live as licences are assigned and removed

    def document(self, tenant_id: str) -> dict[str, Any]:
        return {"id": f"{tenant_id}_{self.sku_id}", "skuId": self.sku_id,
                "skuPartNumber": self.part_number, "appliesTo": "User",
                "capabilityStatus": "Enabled", "consumedUnits": self.consumed,
                "prepaidUnits": {"enabled": self.enabled, "suspended": 0, "warning": 0,
                                 "lockedOut": 0},
                "servicePlans": []}


@dataclass
class Tenant:
    tenant_id: str
    token: str
    domains: tuple[str, ...] = ()        # verified domains; empty: any domain is accepted
    created: int = 0                     # users ever created through Graph (not seeded)
    skus: dict[str, Sku] = field(default_factory=dict)         # skuId -> Sku
    users: dict[str, User] = field(default_factory=dict)       # writers' view, by object id
    by_upn: dict[str, str] = field(default_factory=dict)       # lower-case UPN -> object id
    # Object ids in listing order, including deleted ones readers may still see.
    _order: list[str] = field(default_factory=list)
    # Users written within the lag window: (time, state or None for absent), oldest first.
    _versions: dict[str, list[tuple[float, User | None]]] = field(default_factory=dict)

    # --- writes (always the latest state) --------------------------------------------------

    def put(self, user: User, lag: float) -> None:
        oid = user["id"]
        before = self.users.get(oid)
        if before is not None:
            self.by_upn.pop(before["userPrincipalName"].lower(), None)
        else:
            bisect.insort(self._order, oid)
        self.users[oid] = user
        self.by_upn[user["userPrincipalName"].lower()] = oid
        self._remember(oid, before, user, lag)

    def remove(self, oid: str, lag: float) -> None:
        before = self.users.pop(oid)
        self.by_upn.pop(before["userPrincipalName"].lower(), None)
        self._remember(oid, before, None, lag)
        if lag <= 0:
            self._drop(oid)

    def find(self, key: str) -> User | None:
        """A user by object id or UPN, as writers see it."""
        user = self.users.get(key)
        if user is None:
            oid = self.by_upn.get(key.lower())
            user = self.users.get(oid) if oid else None
        return user

    def _remember(self, oid: str, before: User | None, after: User | None, lag: float) -> None:
        if lag <= 0:
            self._versions.pop(oid, None)
            return
        history = self._versions.setdefault(oid, [(_NEVER, _copy(before))])
        history.append((time.monotonic(), _copy(after)))

    def _drop(self, oid: str) -> None:
        index = bisect.bisect_left(self._order, oid)
        if index < len(self._order) and self._order[index] == oid:
            del self._order[index]

    # --- reads (as of ``lag`` seconds ago) --------------------------------------------------

    def settle(self, lag: float) -> None:
        """Forget versions every reader has moved past."""
        cutoff = time.monotonic() - lag
        for oid, history in list(self._versions.items()):
            if history[-1][0] <= cutoff:
                del self._versions[oid]
                if history[-1][1] is None and oid not in self.users:
                    self._drop(oid)

    def seen(self, oid: str, lag: float) -> User | None:
        history = self._versions.get(oid)
        if history is None:
            return self.users.get(oid)
        cutoff = time.monotonic() - lag
        state: User | None = None
        for when, version in history:
            if when > cutoff:
                break
            state = version
        return state

    def seen_by_key(self, key: str, lag: float) -> User | None:
        """A user by object id or UPN, as a lagging reader sees it."""
        user = self.seen(key, lag)
        if user is not None:
            return user
        oid = self.by_upn.get(key.lower())
        candidates = ([oid] if oid else []) + list(self._versions)
        for candidate in candidates:
            found = self.seen(candidate, lag)
            if found is not None and found["userPrincipalName"].lower() == key.lower():
                return found
        return None

    def page(self, after: str | None, top: int, lag: float) -> tuple[list[User], str | None]:
        """Up to ``top`` users after object id ``after``, and the id to continue from (None
        on the last page)."""
        index = bisect.bisect_right(self._order, after) if after else 0
        found: list[User] = []
        while index < len(self._order) and len(found) < top:
            user = self.seen(self._order[index], lag)
            if user is not None:
                found.append(user)
            index += 1
        while index < len(self._order) and self.seen(self._order[index], lag) is None:
            index += 1
        more = index < len(self._order)
        return found, (found[-1]["id"] if more and found else None)


def _copy(user: User | None) -> User | None:
    if user is None:
        return None
    copied = dict(user)
    for key, value in user.items():
        if isinstance(value, dict):
            copied[key] = dict(value)
        elif isinstance(value, list):
            copied[key] = [dict(v) if isinstance(v, dict) else v for v in value]
    return copied
