"""The typed result of ``tenantry diff`` (schema ``tenantry.diff/1``), read by renderers and
the read API. Amounts are exact decimals in the head revision's currency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from reconciler.billing.recurring import RecurringCharge
from reconciler.changes.compare import TenantDelta
from reconciler.changes.terms_diff import TermChange

DIFF_SCHEMA = "tenantry.diff/1"
ZERO = Decimal(0)


@dataclass(frozen=True)
class Revision:
    rev: str  # as the user wrote it
    commit: str  # 40-hex


@dataclass(frozen=True)
class TenantDiff:
    delta: TenantDelta
    before: RecurringCharge | None  # None: no tenant file at the base
    after: RecurringCharge | None  # None: no tenant file at the head

    @property
    def tenant(self) -> str:
        return self.delta.tenant

    @property
    def amount_before(self) -> Decimal:
        return self.before.amount if self.before else ZERO

    @property
    def amount_after(self) -> Decimal:
        return self.after.amount if self.after else ZERO

    @property
    def change(self) -> Decimal:
        return self.amount_after - self.amount_before


@dataclass(frozen=True)
class Totals:
    # "changed": the tenants listed; "all": every tenant (unchanged ones were priced too).
    scope: str
    before: Decimal
    after: Decimal

    @property
    def change(self) -> Decimal:
        return self.after - self.before

    @property
    def percent(self) -> Decimal | None:
        """Change as a percentage of before, to one decimal; None when before is zero."""
        if not self.before:
            return None
        return (self.change * 100 / self.before).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class SpecDiff:
    base: Revision
    head: Revision
    pricing_day: dt.date
    currency: str
    minor_units: int
    tenants: tuple[TenantDiff, ...]  # tenants whose file or charge changed, by id
    unchanged: int  # tenants at the head whose file and charge did not change
    unchanged_amount: Decimal | None  # their monthly charge; None when not priced
    terms: tuple[TermChange, ...]  # catalog, billing, resellers, directories
    form_only: tuple[str, ...]  # files whose text changed but not their meaning
    totals: Totals
    warnings: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.tenants or self.terms)
