"""The billing report (SPEC §6.3-6.5): charged seats rolled up into lines, quantities,
customers, invoices and reseller statements.

Pure and exact: amounts are summed as fractions and rounded once per line, half up, to the
currency's minor unit; totals are sums of rounded lines.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Iterable

from reconciler.billing.calendar import Clock, Span
from reconciler.billing.history import History, Stamp
from reconciler.billing.money import round_money, round_quantity
from reconciler.billing.report import (
    BillReport,
    Customer,
    Invoice,
    Invoicing,
    Line,
    Quantity,
    SpanInfo,
    Statement,
    StatementLine,
)
from reconciler.billing.seat_charges import ZERO, ChargedSeat, SeatClass, SeatEngine
from reconciler.billing.terms import BillTo, Terms


def bill(history: History, terms: Terms, span: Span, clock: Clock, revision: str,
         warnings: Iterable[str] = ()) -> BillReport:
    engine = SeatEngine(history, terms, span, clock)
    places, mode = engine.places, engine.mode
    seats = list(engine.seats())
    bill_to = {t: terms.bill_to(t) for t in {s.key[0] for s in seats}}
    products = {sku: p.name for sku, p in terms.catalog.products.items()}

    # One pass over the seats (~190,000 on a large history) makes the lines and counts the
    # seats of each class; a class belongs to one tenant and SKU, so the quantities are sums
    # over classes (n equal lines sum to n times one).
    lines: list[Line] = []
    append = lines.append
    names, last_change = engine.names, engine.last_change
    per_class: dict[SeatClass, int] = {}
    tenant = ""
    for seat in seats:
        if seat.key[0] != tenant:  # seats come sorted by tenant
            tenant = seat.key[0]
            tenant_name, to = engine.tenant_name(tenant), bill_to[tenant]
        _, user, sku = seat.key
        facts = seat.facts
        upn, display = names(tenant, user)
        stamp = last_change(seat)
        append(Line(tenant, tenant_name, user, upn, display, sku, facts.days,
                    facts.billable_days, facts.amount(to.factor, places), facts.charged,
                    facts.reasons, to.party, stamp.author, stamp.sha, products.get(sku, "")))
        per_class[facts] = per_class.get(facts, 0) + 1
    rows: dict[tuple[str, str], _Row] = {}
    for facts, count in per_class.items():
        row = rows.get((facts.tenant, facts.sku))
        if row is None:
            row = rows[(facts.tenant, facts.sku)] = _Row()
        amount = facts.amount(bill_to[facts.tenant].factor, places)
        if amount is not None:
            row.amount += amount * count
        row.billable_days += facts.billable_days * count
        row.charged += facts.charged * count
    if mode == "peak":  # peak needs the seats themselves
        for index, seat in enumerate(seats):
            rows[(seat.key[0], seat.key[2])].members.append(index)

    warnings = [*warnings, *_before_history(history, clock, span),
                *_catalog_misses(engine, seats)]
    quantities, list_by_row = _quantities(engine, seats, rows, bill_to)
    customers = _customers(engine, lines, quantities, bill_to)
    invoices = _invoices(terms, customers, lines, quantities, bill_to)
    statements, statement_detail = _statements(terms, seats, list_by_row, places, mode)
    return BillReport(
        revision=revision,
        span=SpanInfo(span.start, span.end, span.days, span.period, terms.billing.timezone,
                      _last_commit_day(history, clock, span)),
        currency=terms.billing.currency, minor_units=places, proration=mode,
        lines=tuple(lines), customers=customers, invoices=invoices, statements=statements,
        quantities=quantities, warnings=tuple(warnings),
        total=sum((i.amount for i in invoices), Decimal(0)).quantize(
            Decimal(1).scaleb(-places)),
        statement_detail=statement_detail, invoicing=_invoicing(terms))


def _invoicing(terms: Terms) -> Invoicing:
    settings, issuer, tax = terms.billing, terms.billing.issuer, terms.billing.tax
    return Invoicing(
        issuer_name=issuer.name if issuer else None,
        issuer_address=issuer.address if issuer else (),
        issuer_tax_number=issuer.tax_number if issuer else None,
        issuer_email=issuer.email if issuer else None,
        due_days=issuer.due_days if issuer else 20,
        tax_name=tax.name if tax else None, tax_rate=tax.rate if tax else None,
        account_codes=tuple(sorted((sku, p.account_code) for sku, p
                                   in terms.catalog.products.items() if p.account_code)),
        default_account=settings.xero.account_code, xero_tax_type=settings.xero.tax_type,
        xero_date_format=settings.xero.date_format)


def _before_history(history: History, clock: Clock, span: Span) -> list[str]:
    """A span that ends before the first commit bills nothing: say why (a mistyped period)."""
    if not history.stamps or span.days == 0:
        return []
    first = clock.day_of(min(stamp.at for stamp in history.stamps.values()))
    if span.end >= first:
        return []
    return [f"the span ends on {span.end}, before the first commit of the specs' history "
            f"({first}): no seat existed yet, so there is nothing to bill"]


def _catalog_misses(engine: SeatEngine, seats: list[ChargedSeat]) -> list[str]:
    """One warning per tenant and SKU not in the catalog: a mistyped SKU is a revenue leak.

    It names the commit that first gave that tenant the SKU and the seat-days it cost in
    the span (the days those seats would have billed if the SKU were in the catalog).
    """
    products = engine.terms.catalog.products
    lost: dict[tuple[str, str], int] = defaultdict(int)
    for seat in seats:
        if seat.key[2] not in products:
            lost[(seat.key[0], seat.key[2])] += engine.days_lost_to_catalog(seat)
    if not lost:
        return []
    first: dict[tuple[str, str], Stamp] = {}
    for interval in engine.history.intervals:
        key = (interval.key[0], interval.key[2])
        if key in lost and (key not in first or interval.added.at < first[key].at):
            first[key] = interval.added
    out = []
    for (tenant, sku), days in sorted(lost.items()):
        stamp = first[(tenant, sku)]
        out.append(f"tenant {tenant}: SKU {sku!r} is not in the catalog, so its seats were not "
                   f"billed ({days} seat-day{'' if days == 1 else 's'} in this span); it "
                   f"came in with commit {stamp.sha[:12]} on {engine.clock.day_of(stamp.at)} "
                   f"by {stamp.author}; add it to catalog.yaml or correct the tenant file")
    return out


class _Row:
    """The seats of one tenant and SKU, and their sums."""

    __slots__ = ("members", "amount", "billable_days", "charged")

    def __init__(self) -> None:
        self.members: list[int] = []  # indexes into the seats
        self.amount = Decimal(0)
        self.billable_days = 0
        self.charged = 0


def _last_commit_day(history: History, clock: Clock, span: Span) -> dt.date | None:
    """The day of REV's last commit, when days of the span come after it (SPEC §6.2)."""
    if not history.stamps:
        return None
    day = clock.day_of(max(stamp.at for stamp in history.stamps.values()))
    return day if day < span.end else None


def _quantities(engine: SeatEngine, seats: list[ChargedSeat], rows: dict[tuple[str, str], _Row],
                bill_to: dict[str, BillTo]) -> tuple[tuple[Quantity, ...],
                                                     dict[tuple[str, str], Fraction]]:
    """Per tenant and SKU: quantity and charge; also the list-price charge for statements."""
    out: list[Quantity] = []
    list_amounts: dict[tuple[str, str], Fraction] = {}
    end = engine.span.end
    for (tenant, sku), row in sorted(rows.items()):
        factor = bill_to[tenant].factor
        if engine.mode == "peak":
            count = engine.peak([seats[i] for i in row.members])
            price = engine.terms.price(sku, end) if count else ZERO
            list_amounts[(tenant, sku)] = count * price
            out.append(Quantity(tenant, sku, Decimal(count),
                                round_money(count * price * factor, engine.places)))
            continue
        if engine.mode == "snapshot":
            quantity = Decimal(row.charged)
        else:
            quantity = round_quantity(Fraction(row.billable_days, engine.span.days))
        out.append(Quantity(tenant, sku, quantity,
                            row.amount.quantize(Decimal(1).scaleb(-engine.places))))
    return tuple(out), list_amounts


def _customers(engine: SeatEngine, lines: list[Line], quantities: tuple[Quantity, ...],
               bill_to: dict[str, BillTo]) -> tuple[Customer, ...]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for q in quantities:
        totals[q.tenant] += q.amount
    return tuple(Customer(t, engine.tenant_name(t), bill_to[t].party,
                          totals[t].quantize(Decimal(1).scaleb(-engine.places)),
                          bill_to[t].kind)
                 for t in sorted(totals))


def _invoices(terms: Terms, customers: tuple[Customer, ...], lines: list[Line],
              quantities: tuple[Quantity, ...], bill_to: dict[str, BillTo]) -> tuple[Invoice, ...]:
    # An invoice goes to a party with at least one charge; test tenants and tenants not yet
    # live show under customers (0.00) but get no empty invoice.
    charged = {line.tenant for line in lines if line.billable} if terms.billing.proration \
        != "peak" else {q.tenant for q in quantities if q.quantity > 0}
    # Keyed by (party, kind): a tenant id may equal a reseller id; they are two parties.
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for customer in customers:
        if customer.tenant in charged:
            totals[(customer.bill_to, bill_to[customer.tenant].kind)] += customer.amount
    out = []
    for party, kind in sorted(totals):
        if kind == "reseller":
            name = terms.resellers[party].name
        else:
            name = next(c.name for c in customers if c.tenant == party)
        out.append(Invoice(party, kind, totals[(party, kind)], name))
    return tuple(out)


def _statements(terms: Terms, seats: list[ChargedSeat],
                list_by_row: dict[tuple[str, str], Fraction], places: int,
                mode: str) -> tuple[tuple[Statement, ...], Callable[[], tuple[StatementLine, ...]]]:
    """Each reseller's view over every tenant beneath it, rounded per line like invoices;
    and a function that lists the lines each one sums (so a statement can be checked by
    hand). Only the printed documents show those lines, so they are worked out on demand."""
    # Per reseller, its lines' list amounts counted: n equal lines round to n times one
    # rounded line, so each distinct amount is rounded once. Seats are counted per class
    # first (a class hashes by identity), then per amount.
    counts: dict[str, Counter[Fraction]] = defaultdict(Counter)
    if mode == "peak":
        for (tenant, _), amount in list_by_row.items():
            for rid in terms.statement_resellers(tenant):
                counts[rid][amount] += 1
    else:
        per_class: Counter[tuple[str, SeatClass]] = Counter(
            (seat.key[0], seat.facts) for seat in seats
            if seat.facts.charged and seat.facts.list_amount is not None)
        for (tenant, facts), count in per_class.items():
            for rid in terms.statement_resellers(tenant):
                counts[rid][facts.list_amount] += count  # type: ignore[index]
    out = []
    # Every reseller gets a statement (SPEC §6.3), 0.00 when nothing beneath it was charged.
    for rid in sorted(terms.resellers):
        factor, _ = _share(terms, rid)
        owed = sum((round_money(a * factor, places) * n for a, n in counts[rid].items()),
                   Decimal(0))
        out.append(Statement(rid, terms.resellers[rid].mode,
                             owed.quantize(Decimal(1).scaleb(-places)),
                             terms.resellers[rid].name))

    def lines() -> tuple[StatementLine, ...]:
        # reseller -> [(tenant, user, SKU, list amount)]; user is "" for peak's per-SKU rows
        rows: dict[str, list[tuple[str, str, str, Fraction]]] = defaultdict(list)
        if mode == "peak":
            for (tenant, sku), amount in sorted(list_by_row.items()):
                for rid in terms.statement_resellers(tenant):
                    rows[rid].append((tenant, "", sku, amount))
        else:
            for seat in seats:
                facts = seat.facts
                if facts.charged and facts.list_amount is not None:
                    for rid in terms.statement_resellers(seat.key[0]):
                        rows[rid].append((*seat.key, facts.list_amount))
        detail = []
        for rid in sorted(terms.resellers):
            factor, rate = _share(terms, rid)
            rounded: dict[Fraction, tuple[Decimal, Decimal]] = {}
            for tenant, user, sku, amount in rows[rid]:
                if amount not in rounded:
                    rounded[amount] = (round_money(amount, places),
                                       round_money(amount * factor, places))
                listed, line_amount = rounded[amount]
                detail.append(StatementLine(rid, tenant, user, sku, listed, rate, line_amount))
        return tuple(detail)

    return tuple(out), lines


def _share(terms: Terms, rid: str) -> tuple[Fraction, Decimal]:
    """The factor of list price a reseller's statement counts, exact and as a percent:
    ``1 − discount`` for an aggregate reseller (what it owes), the discount for one billing
    on behalf (its commission)."""
    reseller = terms.resellers[rid]
    share = Fraction(reseller.discount) / 100
    if reseller.mode == "aggregate":
        return 1 - share, Decimal(100) - reseller.discount
    return share, reseller.discount
