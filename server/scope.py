"""What a token may see: its scope, and the tenants, resellers and parties that follow from it.

A scope is ``all``, ``tenant:ID`` or ``reseller:ID``. A reseller's scope covers every tenant
beneath it in the reseller tree at the served revision (its own tenants, and those of the
resellers whose parent chain reaches it). Visibility is computed per revision from the
commercial terms there, exactly as billing reads them, so what a token sees of a bill always
matches who that bill says the tenants belong to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.billing.terms import CUSTOMER, RESELLER, Terms
from reconciler.errors import UserError
from reconciler.specs.fields import ID_PATTERN

ALL, TENANT, RESELLER_SCOPE = "all", "tenant", "reseller"
_ID = re.compile(ID_PATTERN)

Party = tuple[str, str]  # (tenant or reseller id, "customer" or "reseller")


@dataclass(frozen=True)
class Scope:
    kind: str  # "all", "tenant" or "reseller"
    id: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scope:
        if text == ALL:
            return cls(ALL)
        kind, sep, ident = text.partition(":")
        if sep and kind in (TENANT, RESELLER_SCOPE) and _ID.match(ident):
            return cls(kind, ident)
        raise UserError(f"--scope {text!r}: use all, tenant:ID or reseller:ID (ids are lower "
                        "case letters, digits, '.', '_' or '-')")

    def __str__(self) -> str:
        return self.kind if self.id is None else f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Visibility:
    """What one scope sees at one revision.

    ``tenants``: whose users, seats and lines it sees. ``parties``: the invoiced parties whose
    amounts it sees (a tenant invoiced to a reseller outside the scope shows its seats, not
    the reseller's price for them). ``resellers``: whose statements it sees.
    """

    everything: bool
    tenants: frozenset[str] = frozenset()
    parties: frozenset[Party] = frozenset()
    resellers: frozenset[str] = frozenset()

    def sees_tenant(self, tenant: str) -> bool:
        return self.everything or tenant in self.tenants


def visibility(scope: Scope, terms: Terms) -> Visibility:
    if scope.kind == ALL:
        return Visibility(everything=True)
    assert scope.id is not None
    if scope.kind == TENANT:
        return Visibility(False, frozenset({scope.id}), frozenset({(scope.id, CUSTOMER)}))
    if scope.id not in terms.resellers:
        return Visibility(False)  # a reseller unknown at this revision sees nothing
    resellers = frozenset(r for r in terms.resellers if scope.id in _chain(terms, r))
    tenants = frozenset(t for t in terms.tenants if scope.id in terms.ancestors(t))
    parties = {(t, CUSTOMER) for t in tenants} | {(r, RESELLER) for r in resellers}
    return Visibility(False, tenants, frozenset(parties), resellers)


def _chain(terms: Terms, reseller: str) -> Iterable[str]:
    """The reseller and its parents, nearest first (a cycle, refused by validate, ends it)."""
    seen: list[str] = []
    rid: str | None = reseller
    while rid is not None and rid in terms.resellers and rid not in seen:
        seen.append(rid)
        rid = terms.resellers[rid].parent
    return seen
