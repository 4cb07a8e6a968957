"""A bill cut down to what one token's scope may see (pure).

- ``lines``, ``customers``, ``quantities``: rows of the scope's tenants only.
- A tenant invoiced to a party outside the scope (a tenant under an ``aggregate`` reseller,
  seen with its own tenant token; or a sub-reseller's tenant that is invoiced to the
  reseller above it) shows its seats, days and reasons, but not what that party pays for
  them: those lines carry ``amount: null`` and an empty ``bill_to``, and its customer and
  quantity rows, which are amounts for that party, are left out. Otherwise the wholesale
  price (the reseller's discount) would reach the reseller's own customer.
- ``invoices``: those addressed to a party the scope covers; ``statements`` (and the seat
  lines they sum): the scope's reseller and the resellers beneath it. A tenant token sees
  no statement.
- ``total``: the sum of the invoices shown, so ``total`` = Σ ``invoices`` still holds.
- ``warnings`` name files and tenants across the repository: a scoped token gets none.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from reconciler.billing.report import BillReport
from reconciler.billing.terms import Terms
from server.scope import Visibility


def restrict(report: BillReport, terms: Terms, seen: Visibility) -> BillReport:
    if seen.everything:
        return report
    tenants = seen.tenants
    priced: dict[str, bool] = {}
    for tenant in tenants:
        if tenant in terms.tenants:
            party = terms.bill_to(tenant)
            priced[tenant] = (party.party, party.kind) in seen.parties
    lines = tuple(line if priced.get(line.tenant) else replace(line, amount=None, bill_to="")
                  for line in report.lines if line.tenant in tenants)
    invoices = tuple(i for i in report.invoices if (i.bill_to, i.kind) in seen.parties)
    places = Decimal(1).scaleb(-report.minor_units)
    return replace(
        report, lines=lines,
        customers=tuple(c for c in report.customers if priced.get(c.tenant)),
        quantities=tuple(q for q in report.quantities if priced.get(q.tenant)),
        invoices=invoices,
        statements=tuple(s for s in report.statements if s.reseller in seen.resellers),
        statement_detail=lambda: tuple(x for x in report.statement_lines
                                       if x.reseller in seen.resellers),
        warnings=(),
        total=sum((i.amount for i in invoices), Decimal(0)).quantize(places))
