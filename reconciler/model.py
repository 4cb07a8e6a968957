"""The spec files as typed, frozen models (SPEC §2).

Each model mirrors one YAML file. Validation here is per file; rules that span files
(unknown SKUs, reseller cycles, duplicate UPNs, ...) live in ``crosscheck``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, \
    model_validator

from .currencies import MINOR_UNITS

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,62}$"
SKU_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{0,62}$"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
# Deliberately loose: directories have their own rules, we only catch obvious typos.
UPN_PATTERN = r"^[^@\s]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$"
DOMAIN_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$"

# Largest amount accepted anywhere: far above any seat price, far below where Decimal
# arithmetic or a spreadsheet would lose digits.
MAX_MONEY = Decimal("1000000000")
MONEY_PLACES = 4


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True,
                              populate_by_name=True)


def _money(value: Any) -> Decimal:
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
Name = Annotated[str, Field(min_length=1, max_length=256)]
Upn = Annotated[str, Field(pattern=UPN_PATTERN, max_length=256)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
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

    @model_validator(mode="after")
    def _oldest_first(self) -> Product:
        dates = [change.from_ for change in self.price_changes]
        for index, (earlier, later) in enumerate(zip(dates, dates[1:]), start=1):
            if later <= earlier:
                raise _located(("price_changes", index, "from"),
                               f"price change dates must increase: {later} is not after "
                               f"{earlier}")
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
            raise _located(("end",), f"end {self.end} is before start {self.start}")
        return self


class BillingSettings(Model):
    currency: Annotated[str, AfterValidator(_currency)] = "USD"
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    close_day: Annotated[int, Field(ge=1, le=31)] | Literal["last"] = "last"
    proration: Literal["daily", "snapshot", "peak"] = "daily"
    rules: tuple[Rule, ...] = ()

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


class LdapDirectory(Model):
    provider: Literal["ldap"]
    url: Annotated[str, Field(pattern=r"^ldaps?://[^\s]+$")]
    flavor: Literal["active-directory", "openldap"]
    base_dn: Annotated[str, Field(min_length=1)]
    bind_dn: Annotated[str, Field(min_length=1)]
    password_env: EnvName
    ca_file: str | None = None


_GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class GraphDirectory(Model):
    provider: Literal["graph"]
    tenant_id: Annotated[str, Field(pattern=_GUID)]
    client_id: Annotated[str, Field(pattern=_GUID)]
    client_secret_env: EnvName


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
                                     f"{self.start}")
        return self


class UserSpec(Model):
    upn: Upn
    display_name: Name
    given_name: Name | None = None
    surname: Name | None = None
    enabled: bool = True
    usage_location: Country | None = None
    skus: Annotated[tuple[Sku, ...], AfterValidator(_unique)] = ()


class TenantSpec(Model):
    name: Name
    reseller: Id | None = None
    directory: Id | None = None
    container: Annotated[str, Field(min_length=1)] | None = None
    domain: Annotated[str, Field(pattern=DOMAIN_PATTERN)] | None = None
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


