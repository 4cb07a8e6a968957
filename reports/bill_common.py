"""Small presentation helpers shared by the bill renderers: no billing decisions here."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from reconciler.billing.money import fmt
from reconciler.billing.report import BillReport, Line, Quantity, SpanInfo, Statement

SHORT_SHA = 12
# "Seats" in reports: one per user and SKU (SPEC §1), so 6 users can hold 14 seats.
SEATS_NOTE = ("Users: people billed. Seats: user × SKU pairs billed; one user with two SKUs "
              "is two seats.")
NO_AMOUNT = "—"  # peak mode: seat lines carry no amount


def money(amount: Decimal | None, places: int, *, grouped: bool = True) -> str:
    """``1,234.50`` (grouped, for people) or ``1234.50``; ``—`` for no amount."""
    if amount is None:
        return NO_AMOUNT
    exact = Decimal(fmt(amount, places))
    return f"{exact:,.{places}f}" if grouped else fmt(exact, places)


def short(sha: str) -> str:
    return sha[:SHORT_SHA]


def span_label(span: SpanInfo) -> str:
    """``2026-10-26 .. 2026-11-25 (31 days, period 2026-11, days in Pacific/Auckland)``,
    plus ``; last commit 2026-11-19, later days use its state`` when the span runs past the
    billed commit (its days are then billed from that state: SPEC §6.2)."""
    days = f"{span.days} day" + ("" if span.days == 1 else "s")
    period = f", period {span.period}" if span.period else ""
    forecast = (f"; last commit {span.last_commit_day.isoformat()}, later days use its state"
                if span.last_commit_day else "")
    return (f"{span.start.isoformat()} .. {span.end.isoformat()} ({days}{period}, days in "
            f"{span.timezone}){forecast}")


def title(report: BillReport) -> str:
    span = report.span
    return f"period {span.period}" if span.period else \
        f"{span.start.isoformat()} .. {span.end.isoformat()}"


def lines_by_tenant(report: BillReport) -> dict[str, list[Line]]:
    grouped: dict[str, list[Line]] = defaultdict(list)
    for line in report.lines:
        grouped[line.tenant].append(line)
    return dict(grouped)


def quantities_by_tenant(report: BillReport) -> dict[str, list[Quantity]]:
    grouped: dict[str, list[Quantity]] = defaultdict(list)
    for quantity in report.quantities:
        grouped[quantity.tenant].append(quantity)
    return dict(grouped)


def products(report: BillReport) -> dict[str, str]:
    """SKU -> product name, as the lines carry it ("" when not in the catalog)."""
    return {line.sku: line.product for line in report.lines}


def quantity_note(report: BillReport) -> str:
    """What the Quantity column means for this report's proration."""
    if report.proration == "daily":
        days = report.span.days
        return (f"Quantity: billable seat-days ÷ {days} day{'' if days == 1 else 's'} in the "
                "span (daily proration), i.e. seats held for the whole span: 1.5000 is one "
                "seat all span and one for half of it.")
    if report.proration == "snapshot":
        return "Quantity: seats held at the end of the span's last day (snapshot proration)."
    return "Quantity: the most seats held at the same moment in the span (peak proration)."


STATEMENT_NOTE = (
    "Each statement amount is the rate times that seat's exact list amount, rounded once "
    "(half up); a statement is the sum of its lines. A line can therefore differ by a cent "
    "from the rate times its rounded list amount, and a statement from the rate times the "
    "sum of its list column.")


def percent(value: Decimal) -> str:
    """``15`` for 15, ``12.5`` for 12.50: a rate as people write it."""
    return format(value.normalize(), "f")


def statement_verb(statement: Statement) -> str:
    """An aggregate reseller owes the amount; an on-behalf reseller earns it."""
    return "owes" if statement.mode == "aggregate" else "earns"
