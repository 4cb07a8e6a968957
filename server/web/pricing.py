"""The monthly charge before and after a request, for the confirm page and the commit
message: priced by ``tenantry diff``'s own code (``run_diff``), between the base commit and
the request's commit.

The request's commit is built (objects only: no ref points at it, so git's garbage
collection drops it unless the request is submitted) exactly as submitting builds it, and
the two commits are diffed: what the page shows is what a reviewer's ``tenantry diff`` will
show for the pull request.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from reconciler.billing.recurring import RecurringCharge
from reconciler.billing.terms import RESELLER
from reconciler.changes.diffrun import run_diff
from reconciler.errors import UserError
from reconciler.gitrepo import Ident, commit_blobs, write_blob
from reconciler.requests import Draft
from server.auth import sees
from server.scope import ALL
from server.web.site import Web, Who

PREVIEW = Ident("tenantry preview", "tenantry@localhost")
UNPRICED = "This change could not be priced: {reason}"


@dataclass(frozen=True)
class PriceRow:
    sku: str
    name: str
    seats_before: int
    seats_after: int
    before: str
    after: str


@dataclass(frozen=True)
class Price:
    day: str
    currency: str
    rows: tuple[PriceRow, ...]
    before: str
    after: str
    delta: str
    amounts: bool = True  # False: seats only (the price is a reseller's, not the viewer's)


def price_change(site: Web, draft: Draft, who: Who | None = None) -> tuple[Price | None, str]:
    """The tenant's monthly charge before and after ``draft`` (or None and why not).

    ``who`` sees amounts as the read API shows them: a tenant invoiced to a reseller (an
    aggregate chain) is priced at that reseller's price, which only the reseller (or one
    above it) and ``all`` may see; anyone else sees the seats.
    """
    try:
        blob = write_blob(site.repo, draft.after)
        head = commit_blobs(site.repo, draft.base, {draft.path: blob}, draft.subject + "\n",
                            author=PREVIEW, committer=PREVIEW)
        diff = run_diff(site.repo, site.specs_rel, draft.base, head,
                        cache_dir=site.settings.cache_dir)
    except UserError as exc:
        return None, UNPRICED.format(reason=exc)
    found = next((t for t in diff.tenants if t.tenant == draft.tenant), None)
    places = Decimal(1).scaleb(-diff.minor_units)

    def money(amount: Decimal) -> str:
        return f"{amount.quantize(places):,}"

    if found is None:  # the change moves no charge (a rename, say)
        return None, "This change does not change the monthly charge."
    before = {c.sku: c for c in (found.before.skus if found.before else ())}
    after = {c.sku: c for c in (found.after.skus if found.after else ())}
    names = {sku: p.name for sku, p in site.catalog_products(draft.base).items()}
    rows = []
    for sku in sorted(before.keys() | after.keys()):
        b, a = before.get(sku), after.get(sku)
        rows.append(PriceRow(sku, names.get(sku, sku), b.seats if b else 0,
                             a.seats if a else 0, money(b.amount if b else Decimal(0)),
                             money(a.amount if a else Decimal(0))))
    change = found.change
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    price = Price(diff.pricing_day.isoformat(), diff.currency, tuple(rows),
                  money(found.amount_before), money(found.amount_after),
                  f"{sign}{money(abs(change))}")
    charge = found.after or found.before
    if who is None or charge is None or _sees_amounts(site, who, charge, draft.base):
        return price, ""
    hidden = tuple(dataclasses.replace(r, before="", after="") for r in rows)
    return dataclasses.replace(price, rows=hidden, before="", after="", delta="",
                               amounts=False), ""


def _sees_amounts(site: Web, who: Who, charge: RecurringCharge, commit: str) -> bool:
    if who.principal.scope.kind == ALL or not charge.reseller_price:
        return True  # everything, or the tenant's own invoice at list price
    seen = sees(who.principal, site.engine.ledger(commit).terms)
    return seen.everything or (charge.bill_to, RESELLER) in seen.parties
