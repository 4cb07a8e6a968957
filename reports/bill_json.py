"""The bill as ``tenantry.bill/1`` JSON (SPEC §6.5): fixed key order, amounts as strings."""

from __future__ import annotations

import json
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any, Iterator

from reconciler.billing.money import fmt
from reconciler.billing.report import BillReport


def document(report: BillReport, *, lines: bool = True) -> dict[str, Any]:
    """The report as JSON values (``lines=False``: an empty list in their place)."""
    places = report.minor_units

    def money(value: Decimal | None) -> str | None:
        return None if value is None else fmt(value, places)

    return {
        "schema": report.schema,
        "revision": report.revision,
        "span": {"start": report.span.start.isoformat(), "end": report.span.end.isoformat(),
                 "days": report.span.days, "period": report.span.period},
        "currency": report.currency,
        "proration": report.proration,
        "lines": [{
            "tenant": x.tenant, "tenant_name": x.tenant_name, "user": x.user, "upn": x.upn,
            "display_name": x.display_name, "sku": x.sku, "days": x.days,
            "billable_days": x.billable_days, "amount": money(x.amount), "billable": x.billable,
            "reasons": list(x.reasons), "bill_to": x.bill_to, "changed_by": x.changed_by,
            "commit": x.commit} for x in (report.lines if lines else ())],
        "customers": [{"tenant": c.tenant, "name": c.name, "bill_to": c.bill_to,
                       "amount": money(c.amount)} for c in report.customers],
        "invoices": [{"bill_to": i.bill_to, "kind": i.kind, "amount": money(i.amount)}
                     for i in report.invoices],
        "statements": [{"reseller": s.reseller, "mode": s.mode, "amount": money(s.amount)}
                       for s in report.statements],
        "quantities": [{"tenant": q.tenant, "sku": q.sku, "quantity": str(q.quantity),
                        "amount": money(q.amount)} for q in report.quantities],
        "warnings": list(report.warnings),
        "total": money(report.total),
    }


def render(report: BillReport) -> str:
    """Pretty at the top, one line per list item.

    ``json.dumps(indent=...)`` runs CPython's pure-Python encoder (8 s for 190,000 seat lines);
    encoding each item without indent uses the C encoder, and a seat per line still reads
    and diffs well. Seat lines, most of the bytes, are written from a template with the C
    string encoder (the bytes ``_compact`` would give, at a third of the cost).
    """
    doc = document(report, lines=False)
    parts = []
    for key, value in doc.items():
        if key == "lines" and report.lines:
            items = ",\n".join(_lines(report))
            parts.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
        elif isinstance(value, list) and value:
            items = ",\n".join("    " + _compact(item) for item in value)
            parts.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


_LINE = ('    {{"tenant": {}, "tenant_name": {}, "user": {}, "upn": {}, "display_name": {}, '
         '"sku": {}, "days": {}, "billable_days": {}, "amount": {}, "billable": {}, '
         '"reasons": {}, "bill_to": {}, "changed_by": {}, "commit": {}}}')


def _lines(report: BillReport) -> Iterator[str]:
    """Each seat line as ``"    " + _compact(item)`` would write it (tests compare both)."""
    quoted: dict[str, str] = {}  # tenants, SKUs, authors, commits recur on many lines
    amounts: dict[Decimal, str] = {}
    places = report.minor_units

    def q(text: str) -> str:
        found = quoted.get(text)
        if found is None:
            found = quoted[text] = encode_basestring(text)
        return found

    template = _LINE.format
    for x in report.lines:
        if x.amount is None:
            amount = "null"
        else:
            amount = amounts.get(x.amount)  # type: ignore[assignment]
            if amount is None:
                amount = amounts[x.amount] = encode_basestring(fmt(x.amount, places))
        reasons = "[" + ", ".join(map(q, x.reasons)) + "]" if x.reasons else "[]"
        yield template(q(x.tenant), q(x.tenant_name), q(x.user), encode_basestring(x.upn),
                       encode_basestring(x.display_name), q(x.sku), x.days, x.billable_days,
                       amount, "true" if x.billable else "false", reasons, q(x.bill_to),
                       q(x.changed_by), q(x.commit))
