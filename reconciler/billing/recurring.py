"""Monthly recurring charge: what a tenant's seats cost per billing period at one revision.

Pull requests (``tenantry diff``) show it before and after a change. It is priced with
the same terms as billing (``Terms``: list price on a day, the reseller chain's price
factor, rules, ``exclude`` and ``billing.end``), for one day, with no proration: a seat
that is billable on the pricing day costs its full period price. ``billing.start`` is left
out on purpose: a tenant that goes live next month shows what it will pay once live, not
nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from reconciler.billing import ranges as R
from reconciler.billing.money import round_money
from reconciler.billing.records import TenantRecord, UserRecord
from reconciler.billing.terms import RESELLER, Terms
from reconciler.specs import BillingSettings, Catalog, ResellerFile


@dataclass(frozen=True)
class SkuCharge:
    sku: str
    seats: int  # billable seats on the pricing day
    not_billable: int  # seats held but not billable (rule, excluded tenant, not in catalog)
    unit_price: Decimal | None  # per seat per period after the reseller factor; None: no price
    amount: Decimal  # seats x unit price, rounded once


@dataclass(frozen=True)
class RecurringCharge:
    tenant: str
    bill_to: str
    reseller_price: bool  # billed at a reseller's price (an aggregate chain), not list
    skus: tuple[SkuCharge, ...]
    amount: Decimal  # the tenant's monthly recurring charge: the sum of its SKU lines
    not_billable_reason: str | None = None  # set when the whole tenant is not billed

    @property
    def seats(self) -> int:
        return sum(s.seats for s in self.skus)


def recurring_terms(catalog: Catalog, billing: BillingSettings, resellers: ResellerFile,
                    tenants: Mapping[str, TenantRecord]) -> Terms:
    """Terms for recurring charges: billing's own, with go-live dates set aside."""
    live = {tid: dataclasses.replace(record, start=None) for tid, record in tenants.items()}
    return Terms(catalog, billing, resellers, live)


def recurring_charge(terms: Terms, tenant: str, users: Iterable[UserRecord],
                     day: dt.date) -> RecurringCharge:
    """The tenant's charge per period for the seats its record lists, priced on ``day``."""
    places = terms.billing.minor_units
    ordinal = day.toordinal()
    bill_to = terms.bill_to(tenant)
    held: dict[str, list[UserRecord]] = {}
    for user in users:
        for sku in user.skus:
            held.setdefault(sku, []).append(user)
    charges: list[SkuCharge] = []
    for sku in sorted(held):
        billable = 0
        for user in held[sku]:
            upns = (((ordinal, ordinal), terms.user_rules(user.upn)),)
            if not any(R.contains(e.days, ordinal)
                       for e in terms.exclusions(tenant, upns, sku)):
                billable += 1
        unit = terms.price(sku, day) * bill_to.factor if sku in terms.catalog.products \
            else None
        exact = unit * billable if unit is not None else Fraction(0)
        charges.append(SkuCharge(sku, billable, len(held[sku]) - billable,
                                 round_money(unit, places) if unit is not None else None,
                                 round_money(exact, places)))
    record = terms.tenants[tenant]
    reason = "tenant excluded" if record.exclude else \
        f"after departure {record.end}" if record.end is not None and record.end < day else None
    # Rounded once per SKU line, the total a sum of lines: as on an invoice.
    return RecurringCharge(tenant, bill_to.party, bill_to.kind == RESELLER, tuple(charges),
                           sum((c.amount for c in charges), Decimal(0)), reason)
