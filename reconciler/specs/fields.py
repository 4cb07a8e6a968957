"""What the spec models are built from: patterns, the frozen base model, field types with
their validators (money, percentages, ids, names, time zones), and located errors.

The patterns are also what ``messages`` words a mismatch from, so they live in one place.
"""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

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
LDAP_ATTRIBUTE_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{0,127}$"
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
TaxNumber = Annotated[Name, BeforeValidator(_code)]
Currency = Annotated[str, AfterValidator(_currency)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
CloseDay = Annotated[Annotated[int, Field(ge=1, le=31)] | Literal["last"],
                     BeforeValidator(_close_day)]
UniqueSkus = Annotated[tuple[Sku, ...], AfterValidator(_unique)]
Glob = Annotated[str, Field(min_length=1, max_length=256)]
Globs = Annotated[tuple[Glob, ...], Field(min_length=1)]


# --- errors raised from model validators with a precise location -------------------------

class LocatedError(ValueError):
    """A validator error that knows which key inside the model it concerns."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def located(path: tuple[str | int, ...], message: str) -> LocatedError:
    return LocatedError(path, message)
