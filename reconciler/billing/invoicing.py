"""Per-party documents: one invoice per bill-to party and one statement per reseller,
derived from a finished ``BillReport`` (pure; renderers lay them out).

An invoice line is one tenant and SKU (a ``quantities`` row), so an invoice's lines sum to
its amount in the report exactly. A tax (``billing.yaml`` ``tax:``) is added on top and
shown separately: it is worked out per line, rounded half up to the currency's minor unit,
and summed — the way Xero computes tax, so an imported invoice has the same tax to the cent.
Statements list the per-seat amounts they sum and carry no tax: they are not tax invoices.

Reference numbers are stable for a party and a span: ``INV-2026-11-contoso`` for a
customer, ``INV-2026-11-reseller-acme`` for a reseller's invoice (a tenant and a reseller
may share an id), ``STM-2026-11-tasman`` for a statement; a span that is not a period is
named by its days (``INV-20261001-20261015-contoso``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from reconciler.billing.money import round_money
from reconciler.billing.report import BillReport, Line, Quantity, StatementLine


@dataclass(frozen=True)
class DocumentLine:
    tenant: str
    tenant_name: str
    sku: str
    product: str
    quantity: Decimal  # as in the report's quantities
    seat_days: int  # billable seat-days behind the quantity
    amount: Decimal
    tax: Decimal
    account_code: str
    # A quantity and unit amount whose product is exactly ``amount`` (no rounding left to
    # an accounting system): the seats at the seat price when that is exact, else 1 × amount.
    unit_quantity: Decimal
    unit_amount: Decimal


@dataclass(frozen=True)
class PartyDocument:
    kind: str  # "invoice" or "statement"
    reference: str
    party: str
    party_kind: str  # invoices: "customer" or "reseller"; statements: "reseller"
    name: str
    issued: dt.date  # the span's last day
    due: dt.date | None  # invoices only
    mode: str | None  # statements: "aggregate" (owes) or "on-behalf" (earns)
    lines: tuple[DocumentLine, ...]  # invoices
    statement_lines: tuple[StatementLine, ...]  # statements
    seats: tuple[Line, ...]  # invoices: the billable seat lines behind the lines
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def span_label(report: BillReport) -> str:
    span = report.span
    return span.period or f"{span.start:%Y%m%d}-{span.end:%Y%m%d}"


def reference(report: BillReport, kind: str, party: str, party_kind: str) -> str:
    if kind == "statement":
        return f"STM-{span_label(report)}-{party}"
    middle = "reseller-" if party_kind == "reseller" else ""
    return f"INV-{span_label(report)}-{middle}{party}"


def documents(report: BillReport) -> list[PartyDocument]:
    """Every invoice, then every reseller statement with a charge, in report order."""
    return [*invoices(report), *statements(report)]


def invoices(report: BillReport) -> list[PartyDocument]:
    places, info = report.minor_units, report.invoicing
    zero = Decimal(0).scaleb(-places)
    names = {line.tenant: line.tenant_name for line in report.lines}
    products = {line.sku: line.product for line in report.lines}
    accounts = dict(info.account_codes)
    seat_days: dict[tuple[str, str], int] = defaultdict(int)
    seats: dict[str, list[Line]] = defaultdict(list)
    for line in report.lines:
        if line.billable:
            seat_days[(line.tenant, line.sku)] += line.billable_days
            seats[line.tenant].append(line)
    party_of = {c.tenant: (c.bill_to, c.kind) for c in report.customers}
    rows: dict[tuple[str, str], list[Quantity]] = defaultdict(list)
    for q in report.quantities:
        if q.quantity or q.amount:
            rows[party_of[q.tenant]].append(q)
    issued = report.span.end
    out = []
    for invoice in report.invoices:
        key = (invoice.bill_to, invoice.kind)
        lines = tuple(_line(q, names[q.tenant], products.get(q.sku, ""), seat_days[
            (q.tenant, q.sku)], accounts.get(q.sku, info.default_account), info.tax_rate,
            places) for q in rows[key])
        subtotal = sum((x.amount for x in lines), zero)
        # The invoice is the sum of its lines; a difference is a bug, not a rounding choice.
        assert subtotal == invoice.amount, (invoice, subtotal)
        tax = sum((x.tax for x in lines), zero)
        out.append(PartyDocument(
            kind="invoice", reference=reference(report, "invoice", *key), party=invoice.bill_to,
            party_kind=invoice.kind, name=invoice.name, issued=issued,
            due=issued + dt.timedelta(days=info.due_days), mode=None, lines=lines,
            statement_lines=(),
            seats=tuple(s for q in rows[key] for s in seats[q.tenant] if s.sku == q.sku),
            subtotal=subtotal, tax=tax, total=subtotal + tax))
    return out


def statements(report: BillReport) -> list[PartyDocument]:
    zero = Decimal(0).scaleb(-report.minor_units)
    detail: dict[str, list[StatementLine]] = defaultdict(list)
    for line in report.statement_lines:
        detail[line.reseller].append(line)
    out = []
    for statement in report.statements:
        lines = tuple(detail[statement.reseller])
        if not lines:
            continue  # nothing beneath it was charged: no document to send
        total = sum((x.amount for x in lines), zero)
        assert total == statement.amount, (statement, total)
        out.append(PartyDocument(
            kind="statement", reference=reference(report, "statement", statement.reseller,
                                                  "reseller"),
            party=statement.reseller, party_kind="reseller", name=statement.name,
            issued=report.span.end, due=None, mode=statement.mode, lines=(),
            statement_lines=lines, seats=(), subtotal=total, tax=zero, total=total))
    return out


def _line(q: Quantity, tenant_name: str, product: str, seat_days: int, account: str,
          tax_rate: Decimal | None, places: int) -> DocumentLine:
    tax = round_money(Fraction(q.amount) * Fraction(tax_rate) / 100, places) \
        if tax_rate is not None else Decimal(0).scaleb(-places)
    unit_quantity, unit_amount = exact_units(q.quantity, q.amount, places)
    return DocumentLine(tenant=q.tenant, tenant_name=tenant_name, sku=q.sku, product=product,
                        quantity=q.quantity, seat_days=seat_days, amount=q.amount, tax=tax,
                        account_code=account, unit_quantity=unit_quantity,
                        unit_amount=unit_amount)


def exact_units(quantity: Decimal, amount: Decimal, places: int) -> tuple[Decimal, Decimal]:
    """(quantity, unit amount) with ``quantity × unit == amount`` exactly, the unit amount
    at the currency's minor unit: whole seats at the seat price when that divides exactly,
    else one unit of the whole amount (a fraction of a seat-month times a price never
    rounds the way the per-seat lines did)."""
    if quantity > 0 and quantity == quantity.to_integral_value():
        whole = quantity.to_integral_value()
        unit = amount / whole
        if unit == unit.quantize(Decimal(1).scaleb(-places)) and unit * whole == amount:
            return whole, unit.quantize(Decimal(1).scaleb(-places))
    return Decimal(1), amount
