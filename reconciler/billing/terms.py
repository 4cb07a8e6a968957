"""Commercial terms at REV: who each tenant is billed to, at what price, and which rules apply."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Mapping, Sequence

from reconciler.billing import ranges as R
from reconciler.billing.ranges import NEG, POS, Range
from reconciler.billing.records import TenantRecord
from reconciler.specs import BillingSettings, Catalog, ResellerFile, Rule

CUSTOMER, RESELLER = "customer", "reseller"
NOT_IN_CATALOG = "not in catalog"


@dataclass(frozen=True)
class BillTo:
    party: str  # tenant id, or the reseller id that is invoiced
    kind: str  # "customer" or "reseller"
    factor: Fraction  # multiplier on list price: 1, or 1 - discount/100


@dataclass(frozen=True)
class Exclusion:
    """Days on which a seat is not billable, and the reason shown for them."""

    days: R.Ranges
    reason: str


# The UPNs a user had, each with the billing days on which it was the user's UPN at the end
# of the day (the day's last state), oldest first; together they cover every day.
# The days of each UPN a user had, with the indexes of the rules whose user globs match it.
# Seats are classed by this instead of by the UPN itself, so billing can memoise per class.
UpnDays = Sequence[tuple[Range, tuple[int, ...]]]


class Terms:
    def __init__(self, catalog: Catalog, billing: BillingSettings, resellers: ResellerFile,
                 tenants: Mapping[str, TenantRecord]) -> None:
        self.catalog = catalog
        self.billing = billing
        self.resellers = resellers.resellers
        self.tenants = tenants
        self._rules = [_CompiledRule(rule) for rule in billing.rules]

    def bill_to(self, tenant: str) -> BillTo:
        """Aggregate chains bill the top-most aggregate reseller at its price (SPEC §6.3)."""
        rid = self.tenants[tenant].reseller
        if rid is None or rid not in self.resellers or self.resellers[rid].mode != "aggregate":
            return BillTo(tenant, CUSTOMER, Fraction(1))
        top, seen = rid, {rid}
        parent = self.resellers[top].parent
        while parent is not None and parent in self.resellers and parent not in seen \
                and self.resellers[parent].mode == "aggregate":
            top, parent = parent, self.resellers[parent].parent
            seen.add(top)
        return BillTo(top, RESELLER, 1 - Fraction(self.resellers[top].discount) / 100)

    def ancestors(self, tenant: str) -> list[str]:
        """The tenant's reseller and that reseller's parents, nearest first."""
        chain: list[str] = []
        rid = self.tenants[tenant].reseller
        while rid is not None and rid in self.resellers and rid not in chain:
            chain.append(rid)
            rid = self.resellers[rid].parent
        return chain

    def statement_resellers(self, tenant: str) -> list[str]:
        """The resellers whose statements carry this tenant's seats, nearest first.

        An on-behalf reseller earns on every tenant beneath it. An aggregate reseller owes
        for a tenant only while the chain up to it is unbroken aggregate: a tenant under an
        on-behalf reseller is invoiced to itself, so the aggregate reseller above owes
        nothing for it. The top-most aggregate reseller's statement thus equals its invoice.
        """
        out: list[str] = []
        unbroken = True
        for rid in self.ancestors(tenant):
            if self.resellers[rid].mode == "aggregate":
                if unbroken:
                    out.append(rid)
            else:
                out.append(rid)
                unbroken = False
        return out

    def exclusions(self, tenant: str, upns: UpnDays, sku: str) -> list[Exclusion]:
        """Why days are not billable for this seat, in a fixed order.

        A rule matches a seat on day d when its globs match the UPN the user had on d
        (SPEC §6.3: "no rule matches it on d"), so a rename moves the seat in or out of a
        rule from that day on, and consecutive spans add up to the span that covers both.
        """
        record = self.tenants[tenant]
        out: list[Exclusion] = []
        if sku not in self.catalog.products:
            out.append(Exclusion(((NEG, POS),), NOT_IN_CATALOG))
        if record.exclude:
            out.append(Exclusion(((NEG, POS),), "tenant excluded"))
        if record.start is not None:
            out.append(Exclusion(((NEG, record.start.toordinal() - 1),),
                                 f"before go-live {record.start}"))
        if record.end is not None:
            out.append(Exclusion(((record.end.toordinal() + 1, POS),),
                                 f"after departure {record.end}"))
        for index, rule in enumerate(self._rules):
            if not (rule.tenants(tenant) and rule.skus(sku)):
                continue
            cuts = [R.intersect(held, rule.window) for held, rules in upns if index in rules]
            days = R.merge(cut for cut in cuts if cut is not None)
            if days:
                out.append(Exclusion(days, f"rule {rule.name!r}"))
        return out

    def user_rules(self, upn: str) -> tuple[int, ...]:
        """Indexes of the rules whose user globs match this UPN."""
        return tuple([i for i, rule in enumerate(self._rules) if rule.users(upn)])

    def price(self, sku: str, day: dt.date) -> Fraction:
        return Fraction(self.catalog.products[sku].price_on(day))


class _CompiledRule:
    """A rule's globs as one case-insensitive matcher each, memoised per tenant and SKU
    (hot path: every seat of every tenant asks every rule)."""

    def __init__(self, rule: Rule) -> None:
        self.name = rule.name
        self.window: Range = (rule.start.toordinal() if rule.start else NEG,
                              rule.end.toordinal() if rule.end else POS)
        # UPNs are asked once per user and never again: not memoised.
        self.users = _matcher(rule.users, memo=False)
        self.tenants = _matcher(rule.tenants)
        self.skus = _matcher(rule.skus)


def _matcher(globs: tuple[str, ...], *, memo: bool = True) -> Callable[[str], bool]:
    """Whether a value matches any of the globs, case-insensitively (SPEC §2: UPN globs)."""
    if "*" in globs:
        return lambda value: True
    pattern = re.compile("|".join(f"(?:{fnmatch.translate(g.lower())})" for g in globs))
    if not memo:
        return lambda value: pattern.match(value.lower()) is not None
    seen: dict[str, bool] = {}

    def matches(value: str) -> bool:
        found = seen.get(value)
        if found is None:
            found = seen[value] = pattern.match(value.lower()) is not None
        return found
    return matches
