"""The spec files as typed, frozen models (SPEC §2).

Each model mirrors one YAML file: the catalog, billing settings, resellers and tenants here;
``directories.yaml`` in ``directories``; the field types and patterns they share in
``fields``. Validation here is per file; rules that span files (unknown SKUs, reseller
cycles, duplicate UPNs, ...) live in ``crosscheck``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from reconciler.specs.currencies import MINOR_UNITS
from reconciler.specs.fields import (
    DOMAIN_PATTERN,
    EMAIL_PATTERN,
    NAME_PATTERN,
    AccountCode,
    CloseDay,
    Country,
    Currency,
    Globs,
    Id,
    Model,
    Money,
    Name,
    Percent,
    Sku,
    TaxNumber,
    TimeZone,
    UniqueSkus,
    Upn,
    located,
)

# --- catalog.yaml ------------------------------------------------------------------------

class PriceChange(Model):
    from_: dt.date = Field(alias="from")
    price: Money


class Assign(Model):
    """What each provider kind assigns for a product; the local directory holds SKUs as is."""

    graph: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    ldap: Annotated[str, Field(min_length=1, max_length=1024)] | None = None


class Product(Model):
    name: Name
    price: Money
    price_changes: tuple[PriceChange, ...] = ()
    assign: Assign | None = None
    account_code: AccountCode | None = None  # ledger account for accounting exports

    @model_validator(mode="after")
    def _oldest_first(self) -> Product:
        dates = [change.from_ for change in self.price_changes]
        for index, (earlier, later) in enumerate(zip(dates, dates[1:]), start=1):
            if later <= earlier:
                raise located(("price_changes", index, "from"),
                               f"price change dates must increase: {later} is not after "
                               f"{earlier}; list the changes oldest first")
        return self

    def price_on(self, day: dt.date) -> Decimal:
        price = self.price
        for change in self.price_changes:
            if change.from_ <= day:
                price = change.price
        return price


class Catalog(Model):
    products: dict[Sku, Product]


# --- billing.yaml ------------------------------------------------------------------------

class Rule(Model):
    name: Name
    users: Globs = ("*",)
    tenants: Globs = ("*",)
    skus: Globs = ("*",)
    start: dt.date | None = None
    end: dt.date | None = None

    @model_validator(mode="after")
    def _window(self) -> Rule:
        if self.start and self.end and self.end < self.start:
            raise located(("end",), f"end {self.end} is before start {self.start}; fix "
                                     "one of the dates")
        return self


class Issuer(Model):
    """Who sends the invoices: printed at the top of each per-party document."""

    name: Name
    address: Annotated[tuple[Name, ...], Field(max_length=8)] = ()  # lines, as printed
    tax_number: TaxNumber | None = None  # GST or VAT number
    email: Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=256)] | None = None
    due_days: Annotated[int, Field(ge=0, le=366)] = 20  # due date = invoice date + days


class Tax(Model):
    """A tax added on top of what tenantry bills (GST, VAT), shown on its own line."""

    name: Annotated[str, Field(min_length=1, max_length=32, pattern=NAME_PATTERN)]
    rate: Percent  # percent of the amount, e.g. 15


class Xero(Model):
    """The Xero sales-invoice import (``bill --format xero``)."""

    account_code: AccountCode = "200"  # for products without their own account_code
    tax_type: Name | None = None  # the tax rate as Xero names it, e.g. "15% GST on Income"
    date_format: Literal["DD/MM/YYYY", "MM/DD/YYYY"] = "DD/MM/YYYY"  # as the org's region


class BillingSettings(Model):
    currency: Currency = "USD"
    timezone: TimeZone = "UTC"
    close_day: CloseDay = "last"
    proration: Literal["daily", "snapshot", "peak"] = "daily"
    rules: tuple[Rule, ...] = ()
    issuer: Issuer | None = None
    tax: Tax | None = None
    xero: Xero = Xero()

    @property
    def minor_units(self) -> int:
        return MINOR_UNITS[self.currency]


# --- resellers.yaml ----------------------------------------------------------------------

class Reseller(Model):
    name: Name
    mode: Literal["aggregate", "on-behalf"]
    discount: Percent = Decimal(0)
    parent: Id | None = None


class ResellerFile(Model):
    resellers: dict[Id, Reseller] = {}


# --- tenants/<id>.yaml -------------------------------------------------------------------

class TenantBilling(Model):
    start: dt.date | None = None
    end: dt.date | None = None
    exclude: bool = False

    @model_validator(mode="after")
    def _window(self) -> TenantBilling:
        if self.start and self.end and self.end < self.start:
            raise located(("end",), f"billing end {self.end} is before billing start "
                                     f"{self.start}; fix one of the dates")
        return self


class UserSpec(Model):
    upn: Upn
    display_name: Name
    given_name: Name | None = None
    surname: Name | None = None
    enabled: bool = True
    usage_location: Country | None = None
    skus: UniqueSkus = ()
    # Take over the directory's unmarked object with this UPN (set by 'tenantry import
    # --adopt'): the next apply stamps the ownership marker on it and changes nothing else.
    adopt: bool = False


class TenantSpec(Model):
    name: Name
    reseller: Id | None = None
    directory: Id | None = None
    container: Annotated[str, Field(min_length=1)] | None = None
    domain: Annotated[str, Field(pattern=DOMAIN_PATTERN, max_length=253)] | None = None
    usage_location: Country | None = None
    billing: TenantBilling = TenantBilling()
    users: dict[Id, UserSpec] = {}
