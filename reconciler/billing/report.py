"""The typed billing report: what the engine produces and every renderer reads (SPEC §6.5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Callable

BILL_SCHEMA = "tenantry.bill/1"


@dataclass(slots=True)
class Line:
    # Not frozen, unlike the rest of the report: one is built per seat (~190,000 on a large
    # history), and a frozen dataclass's __init__ costs 8x a plain one's. Treat as read-only.
    tenant: str
    tenant_name: str
    user: str
    upn: str
    display_name: str
    sku: str
    days: int
    billable_days: int
    amount: Decimal | None  # None in peak mode: charges are per tenant and SKU
    billable: bool
    reasons: tuple[str, ...]
    bill_to: str
    changed_by: str
    commit: str
    product: str  # product name at REV ("" when not in the catalog); not in the JSON


@dataclass(frozen=True)
class Customer:
    tenant: str
    name: str
    bill_to: str
    amount: Decimal
    kind: str = "customer"  # of the bill_to party: "customer" or "reseller"; not in the JSON


@dataclass(frozen=True)
class Invoice:
    bill_to: str
    kind: str  # "customer" or "reseller"
    amount: Decimal
    name: str  # the customer's or reseller's name; not in the JSON


@dataclass(frozen=True)
class Statement:
    reseller: str
    mode: str  # "aggregate" (what it owes) or "on-behalf" (what it earns)
    amount: Decimal
    name: str  # not in the JSON


@dataclass(slots=True)
class StatementLine:
    """One amount a reseller statement sums (not in the JSON): per seat line, or per tenant
    and SKU in peak mode (``user`` is then ""). ``amount`` is rounded from the exact
    ``list × rate``, so it can differ by a cent from ``rate`` of the rounded list amount.

    Not frozen, like ``Line``: one is built per seat a reseller is billed for. Read-only."""

    reseller: str
    tenant: str
    user: str
    sku: str
    list_amount: Decimal  # at list price, rounded to the currency's minor unit
    rate: Decimal  # percent of list the statement counts: 100 − discount, or the discount
    amount: Decimal


@dataclass(frozen=True)
class Invoicing:
    """What the per-party documents and accounting exports need from billing.yaml and the
    catalog at REV (not in the JSON)."""

    issuer_name: str | None = None
    issuer_address: tuple[str, ...] = ()
    issuer_tax_number: str | None = None
    issuer_email: str | None = None
    due_days: int = 20
    tax_name: str | None = None
    tax_rate: Decimal | None = None  # percent
    account_codes: tuple[tuple[str, str], ...] = ()  # (SKU, ledger account), sorted
    default_account: str = "200"
    xero_tax_type: str | None = None
    xero_date_format: str = "DD/MM/YYYY"


@dataclass(frozen=True)
class Quantity:
    tenant: str
    sku: str
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class SpanInfo:
    start: dt.date
    end: dt.date
    days: int
    period: str | None
    # Not in the JSON (SPEC §6.5 fixes its fields), but shown to people:
    timezone: str = "UTC"  # the zone whose calendar days are billed
    # The day of REV's last commit when the span runs past it: later days are billed from
    # REV's state (SPEC §6.2; a forecast where they are still to come).
    last_commit_day: dt.date | None = None


@dataclass(frozen=True)
class BillReport:
    revision: str
    span: SpanInfo
    currency: str
    minor_units: int
    proration: str
    lines: tuple[Line, ...]
    customers: tuple[Customer, ...]
    invoices: tuple[Invoice, ...]
    statements: tuple[Statement, ...]
    quantities: tuple[Quantity, ...]
    warnings: tuple[str, ...]
    total: Decimal
    schema: str = BILL_SCHEMA
    # Lists the lines each statement sums (one per seat a reseller is billed for): only the
    # printed documents show them, not the JSON, so they are worked out when first read.
    statement_detail: Callable[[], tuple[StatementLine, ...]] = field(
        default=tuple, repr=False, compare=False)
    invoicing: Invoicing = Invoicing()

    @cached_property
    def statement_lines(self) -> tuple[StatementLine, ...]:
        return self.statement_detail()
