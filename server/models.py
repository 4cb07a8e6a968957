"""The response documents, as pydantic models: they are the OpenAPI schema.

Bodies are built as plain JSON by the route handlers (validating 190,000 seat lines through
pydantic on every request would cost more than the bill); these models describe exactly what
those handlers write, and the schemathesis test checks every response against them.
"""

from __future__ import annotations

import datetime as dt
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

Sha = Field(pattern=r"^[0-9a-f]{40}$", description="The commit the response was computed at.")
Amount = Field(description="Decimal string with the currency's minor digits; null where the "
                           "token's scope does not show it, and for seat lines in peak mode.")

T = TypeVar("T")


class Error(BaseModel):
    error: str = Field(description="One line saying what is wrong and what to do.")


class Health(BaseModel):
    status: Literal["ok"]
    revision: str | None = Field(description="HEAD of the spec repository, if it has one.")


class Tenant(BaseModel):
    id: str
    name: str
    reseller: str | None
    billing_start: dt.date | None = Field(description="Go-live: first billable day.")
    billing_end: dt.date | None = Field(description="Departure: last billable day.")
    billing_exclude: bool = Field(description="Test or demo tenant: never billed.")


class Page(BaseModel, Generic[T]):
    revision: str = Sha
    count: int = Field(description="Items in the whole list (all pages).")
    offset: int
    limit: int
    next: str | None = Field(description="The next page (path and query, pinned to this "
                                         "revision), or null on the last page.")
    items: list[T]


class TenantDocument(BaseModel):
    revision: str = Sha
    tenant: Tenant


class Span(BaseModel):
    start: dt.date
    end: dt.date
    days: int
    period: str | None


class BillLine(BaseModel):
    tenant: str
    tenant_name: str
    user: str
    upn: str
    display_name: str
    sku: str
    days: int
    billable_days: int
    amount: str | None = Amount
    billable: bool
    reasons: list[str]
    bill_to: str = Field(description="Empty where the token's scope does not show it.")
    changed_by: str
    commit: str


class BillCustomer(BaseModel):
    tenant: str
    name: str
    bill_to: str
    amount: str


class BillInvoice(BaseModel):
    bill_to: str
    kind: Literal["customer", "reseller"]
    amount: str


class BillStatement(BaseModel):
    reseller: str
    mode: Literal["aggregate", "on-behalf"]
    amount: str


class BillQuantity(BaseModel):
    tenant: str
    sku: str
    quantity: str
    amount: str


class BillReport(BaseModel):
    """SPEC §6.5 (``tenantry.bill/1``), cut to the token's scope."""

    schema_: Literal["tenantry.bill/1"] = Field(alias="schema")
    revision: str = Sha
    span: Span
    currency: str
    proration: Literal["daily", "snapshot", "peak"]
    lines: list[BillLine]
    customers: list[BillCustomer]
    invoices: list[BillInvoice]
    statements: list[BillStatement]
    quantities: list[BillQuantity]
    warnings: list[str]
    total: str


class LineRow(BaseModel):
    tenant: str
    tenant_name: str
    user: str
    upn: str
    display_name: str
    sku: str
    product: str
    days: int
    billable_days: int
    amount: str | None = Amount
    currency: str
    billable: bool
    reasons: str = Field(description="Reasons a seat is not billable, joined with '; '.")
    bill_to: str | None
    changed_by: str
    commit: str


class CustomerRow(BaseModel):
    tenant: str
    name: str
    bill_to: str
    amount: str
    currency: str


class InvoiceRow(BaseModel):
    bill_to: str
    name: str
    kind: Literal["customer", "reseller"]
    amount: str
    currency: str


class StatementRow(BaseModel):
    reseller: str
    name: str
    mode: Literal["aggregate", "on-behalf"]
    amount: str
    currency: str


class QuantityRow(BaseModel):
    tenant: str
    sku: str
    product: str
    quantity: str
    amount: str
    currency: str


class BillPage(Page[T], Generic[T]):
    span: Span
    currency: str
