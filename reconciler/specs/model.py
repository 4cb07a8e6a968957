"""The spec files as typed, frozen models (SPEC §2).

Each model mirrors one YAML file. Validation here is per file; rules that span files
(unknown SKUs, reseller cycles, duplicate UPNs, ...) live in ``crosscheck``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from reconciler.specs.currencies import MINOR_UNITS

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
SKU_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{0,62}$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
# Deliberately loose: directories have their own rules, we only catch obvious typos.
UPN_PATTERN = r"^[^@\s\x00-\x1f\x7f]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$"
DOMAIN_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
GUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
LDAP_URL_PATTERN = r"^ldaps?://[^\s]+$"
# Names reach terminals, CSV, spreadsheets and directories: an escape sequence or a newline
# in one is a mistake at best and an injection at worst. A pattern, not a Python validator:
# it runs inside pydantic-core, which matters with 300,000 names per load (messages.py
# words the mismatch, naming the character).
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
GRAPH_URL_PATTERN = r"^https?://[^\s/?#]+/?$"  # the service root: tenantry adds /v1.0
# Where the graph provider keeps its ownership marker: an on-premises extension attribute
# (1-15) or a directory extension property (extension_<app id without dashes>_<name>).
GRAPH_MARKER_PATTERN = (r"^(onPremisesExtensionAttributes\.extensionAttribute([1-9]|1[0-5])"
                        r"|extension_[0-9a-fA-F]{32}_[A-Za-z0-9_]{1,100})$")
# A ledger account code (Xero allows up to 10 characters).
ACCOUNT_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,9}$"
EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$"

# Largest amount accepted anywhere: far above any seat price, far below where Decimal
# arithmetic or a spreadsheet would lose digits.
MAX_MONEY = Decimal("1000000000")
MONEY_PLACES = 4


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True,
                              populate_by_name=True)


def _money(value: Any) -> Decimal:
    if value is None:
        raise ValueError("is empty; write a number like 36.50")
    if isinstance(value, str):
        try:
            quoted = Decimal(value.strip())
        except ArithmeticError:
            raise ValueError("must be a number like 36.50, not text") from None
        if quoted.is_finite():
            raise ValueError(f"is text because of the quotes; write the number without "
                             f"quotes, e.g. {quoted}")
        raise ValueError("must be a finite number like 36.50, not text")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a number like 36.50")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError("must be a finite number like 36.50")
    if amount < 0:
        raise ValueError("must not be negative")
    if amount > MAX_MONEY:
        raise ValueError(f"must be at most {MAX_MONEY}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_PLACES:
        raise ValueError(f"has more than {MONEY_PLACES} decimal places")
    return amount


def _percent(value: Any) -> Decimal:
    amount = _money(value)
    if amount > 100:
        raise ValueError("must be a percentage from 0 to 100")
    return amount


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {value!r} (e.g. Pacific/Auckland)") from None
    return value


def _currency(value: str) -> str:
    if value not in MINOR_UNITS:
        raise ValueError(f"unknown ISO 4217 currency {value!r} (e.g. USD, NZD, EUR)")
    return value


def _close_day(value: Any) -> Any:
    # One message for the int-or-"last" union, instead of one per member.
    if value == "last" or (isinstance(value, int) and not isinstance(value, bool)
                           and 1 <= value <= 31):
        return value
    raise ValueError("must be a day of the month from 1 to 31, or last")


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value)
    return values


Money = Annotated[Decimal, BeforeValidator(_money)]
Percent = Annotated[Decimal, BeforeValidator(_percent)]
Id = Annotated[str, Field(pattern=ID_PATTERN)]
Sku = Annotated[str, Field(pattern=SKU_PATTERN)]
EnvName = Annotated[str, Field(pattern=ENV_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=256, pattern=NAME_PATTERN)]
Upn = Annotated[str, Field(pattern=UPN_PATTERN, max_length=256)]
Country = Annotated[str, Field(pattern=COUNTRY_PATTERN)]
def _code(value: Any) -> Any:
    # `account_code: 200` is how people write a ledger code: read the number as its text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


AccountCode = Annotated[str, Field(pattern=ACCOUNT_CODE_PATTERN), BeforeValidator(_code)]
Glob = Annotated[str, Field(min_length=1, max_length=256)]
Globs = Annotated[tuple[Glob, ...], Field(min_length=1)]


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
                raise _located(("price_changes", index, "from"),
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
            raise _located(("end",), f"end {self.end} is before start {self.start}; fix "
                                     "one of the dates")
        return self


class Issuer(Model):
    """Who sends the invoices: printed at the top of each per-party document."""

    name: Name
    address: Annotated[tuple[Name, ...], Field(max_length=8)] = ()  # lines, as printed
    tax_number: Annotated[Name, BeforeValidator(_code)] | None = None  # GST or VAT number
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
    currency: Annotated[str, AfterValidator(_currency)] = "USD"
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    close_day: Annotated[Annotated[int, Field(ge=1, le=31)] | Literal["last"],
                         BeforeValidator(_close_day)] = "last"
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


# --- directories.yaml --------------------------------------------------------------------

class LocalDirectory(Model):
    provider: Literal["local"]
    path: Annotated[str, Field(min_length=1)] | None = None


LDAP_ATTRIBUTE_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{0,127}$"


class LdapDirectory(Model):
    provider: Literal["ldap"]
    url: Annotated[str, Field(pattern=LDAP_URL_PATTERN)]
    flavor: Literal["active-directory", "openldap"]
    base_dn: Annotated[str, Field(min_length=1)]
    bind_dn: Annotated[str, Field(min_length=1)]
    password_env: EnvName
    ca_file: Annotated[str, Field(min_length=1)] | None = None
    # ldap:// URLs only: upgrade with StartTLS before binding (ldaps:// is TLS from the start).
    start_tls: bool = False
    tls_verify: bool = True  # false (labs only) prints a warning on every run
    page_size: Annotated[int, Field(ge=1, le=100_000)] = 500
    # The user attribute holding tenantry's ownership marker; default per flavor
    # (providers/ldap/flavors.py, docs/ldap.md).
    marker_attribute: Annotated[str, Field(pattern=LDAP_ATTRIBUTE_PATTERN)] | None = None
    timeout: Annotated[int, Field(ge=1, le=3600)] = 30  # seconds: connect, and each answer

    @model_validator(mode="after")
    def _tls_once(self) -> LdapDirectory:
        if self.start_tls and self.url.lower().startswith("ldaps://"):
            raise _located(("start_tls",), "start_tls applies to ldap:// URLs; an ldaps:// "
                                           "connection is encrypted from the start")
        return self


class GraphDirectory(Model):
    """Microsoft Entra ID through Microsoft Graph: one customer tenant (``tenant_id``), or a
    partner app over many (``multi_tenant``: each tenant file's ``container`` is the
    customer's Entra tenant id). Credentials: the app's client secret or certificate, or a
    ready bearer token (``token_env``: emulators, tests, tokens fetched by other means)."""

    provider: Literal["graph"]
    tenant_id: Annotated[str, Field(pattern=GUID_PATTERN)] | None = None
    multi_tenant: bool = False
    client_id: Annotated[str, Field(pattern=GUID_PATTERN)] | None = None
    client_secret_env: EnvName | None = None
    certificate_path: Annotated[str, Field(min_length=1)] | None = None
    certificate_password_env: EnvName | None = None
    token_env: EnvName | None = None
    graph_url: Annotated[str, Field(pattern=GRAPH_URL_PATTERN)] = "https://graph.microsoft.com"
    marker_attribute: Annotated[str, Field(pattern=GRAPH_MARKER_PATTERN)] = \
        "onPremisesExtensionAttributes.extensionAttribute15"
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8

    @model_validator(mode="after")
    def _tenancy_and_credentials(self) -> GraphDirectory:
        if self.multi_tenant and self.tenant_id is not None:
            raise _located(("tenant_id",), "a multi_tenant directory takes each customer's "
                                           "tenant id from its tenant file's 'container'; "
                                           "remove 'tenant_id'")
        if not self.multi_tenant and self.tenant_id is None:
            raise _located((), "missing key 'tenant_id': the Entra tenant id (a GUID), or set "
                               "'multi_tenant: true' for a partner app over many tenants")
        if self.token_env is None:
            if self.client_id is None:
                raise _located((), "missing key 'client_id': the app registration's "
                                   "application id (or 'token_env' for a ready token)")
            if (self.client_secret_env is None) == (self.certificate_path is None):
                raise _located((), "give one credential: 'client_secret_env' (a variable "
                                   "holding the client secret) or 'certificate_path'")
        return self


DirectoryConfig = Annotated[Union[LocalDirectory, LdapDirectory, GraphDirectory],
                            Field(discriminator="provider")]


class DirectoriesFile(Model):
    directories: dict[Id, DirectoryConfig]


DEFAULT_DIRECTORY_ID = "local"
DEFAULT_DIRECTORIES = DirectoriesFile(
    directories={DEFAULT_DIRECTORY_ID: LocalDirectory(provider="local")})


# --- tenants/<id>.yaml -------------------------------------------------------------------

class TenantBilling(Model):
    start: dt.date | None = None
    end: dt.date | None = None
    exclude: bool = False

    @model_validator(mode="after")
    def _window(self) -> TenantBilling:
        if self.start and self.end and self.end < self.start:
            raise _located(("end",), f"billing end {self.end} is before billing start "
                                     f"{self.start}; fix one of the dates")
        return self


class UserSpec(Model):
    upn: Upn
    display_name: Name
    given_name: Name | None = None
    surname: Name | None = None
    enabled: bool = True
    usage_location: Country | None = None
    skus: Annotated[tuple[Sku, ...], AfterValidator(_unique)] = ()
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


# --- errors raised from model validators with a precise location -------------------------

class LocatedError(ValueError):
    """A validator error that knows which key inside the model it concerns."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _located(path: tuple[str | int, ...], message: str) -> LocatedError:
    return LocatedError(path, message)


