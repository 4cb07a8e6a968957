"""The bill as flat tables — lines, customers, invoices, statements, quantities — one record
per row, for Power Query, Power BI and PSA imports that load a table without reshaping.

Each view has a fixed column list (the CSV header, and the keys of each JSON record, in that
order). JSON values are typed: integers for day counts, ``true``/``false`` for
``billable``, amounts and quantities as decimal strings with exact digits (a spreadsheet
converts them to a currency type; a binary float would not round-trip), ``null`` for no
amount. CSV follows ``bill_csv``: RFC 4180, CRLF, UTF-8 without BOM, ``true``/``false``, an
empty field for no amount, and spreadsheet formulas neutralised (``safe_text``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from reconciler.billing.money import fmt
from reconciler.billing.report import BillReport

from .bill_csv import COLUMNS as LINE_COLUMNS
from .bill_csv import LINE_END, REASON_SEPARATOR
from .safe_text import neutralise

Row = dict[str, Any]

VIEWS: dict[str, tuple[str, ...]] = {
    "lines": LINE_COLUMNS,
    "customers": ("tenant", "name", "bill_to", "amount", "currency"),
    "invoices": ("bill_to", "name", "kind", "amount", "currency"),
    "statements": ("reseller", "name", "mode", "amount", "currency"),
    "quantities": ("tenant", "sku", "product", "quantity", "amount", "currency"),
}


def rows(report: BillReport, view: str, start: int = 0, stop: int | None = None) -> list[Row]:
    """The view's records ``start:stop``, with JSON-typed values, in the report's order.

    Only the rows asked for are built: a page of 1,000 lines out of 190,000 costs 1,000."""
    return _BUILDERS[view](report, slice(start, stop))


def count(report: BillReport, view: str) -> int:
    return len(getattr(report, view))


def _money(report: BillReport) -> Callable[[Decimal | None], str | None]:
    places = report.minor_units
    return lambda value: None if value is None else fmt(value, places)


def _lines(report: BillReport, part: slice) -> list[Row]:
    money, cur = _money(report), report.currency
    return [{"tenant": x.tenant, "tenant_name": x.tenant_name, "user": x.user, "upn": x.upn,
             "display_name": x.display_name, "sku": x.sku, "product": x.product,
             "days": x.days, "billable_days": x.billable_days, "amount": money(x.amount),
             "currency": cur, "billable": x.billable,
             "reasons": REASON_SEPARATOR.join(x.reasons), "bill_to": x.bill_to or None,
             "changed_by": x.changed_by, "commit": x.commit} for x in report.lines[part]]


def _customers(report: BillReport, part: slice) -> list[Row]:
    money, cur = _money(report), report.currency
    return [{"tenant": c.tenant, "name": c.name, "bill_to": c.bill_to,
             "amount": money(c.amount), "currency": cur} for c in report.customers[part]]


def _invoices(report: BillReport, part: slice) -> list[Row]:
    money, cur = _money(report), report.currency
    return [{"bill_to": i.bill_to, "name": i.name, "kind": i.kind, "amount": money(i.amount),
             "currency": cur} for i in report.invoices[part]]


def _statements(report: BillReport, part: slice) -> list[Row]:
    money, cur = _money(report), report.currency
    return [{"reseller": s.reseller, "name": s.name, "mode": s.mode,
             "amount": money(s.amount), "currency": cur} for s in report.statements[part]]


def _quantities(report: BillReport, part: slice) -> list[Row]:
    money, cur = _money(report), report.currency
    names = {line.sku: line.product for line in report.lines}
    return [{"tenant": q.tenant, "sku": q.sku, "product": names.get(q.sku, ""),
             "quantity": str(q.quantity), "amount": money(q.amount), "currency": cur}
            for q in report.quantities[part]]


_BUILDERS: dict[str, Callable[[BillReport, slice], list[Row]]] = {
    "lines": _lines, "customers": _customers, "invoices": _invoices,
    "statements": _statements, "quantities": _quantities,
}


def to_csv(columns: Sequence[str], records: Iterable[Row]) -> str:
    """Records as CSV with ``columns`` as the header (see the module docstring)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record[column]) for column in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return neutralise(value)
    return str(value)
