"""``bill --split DIR``: one printable HTML page per invoice and per reseller statement.

Each page shows the issuer (``issuer:`` in billing.yaml), a reference number stable for the
party and the span, the lines that party pays with the tax (``tax:``) on its own line, and
the seat lines behind them; a statement shows every amount it sums, so a commission can be
checked by hand. The documents come from ``reconciler.billing.invoicing``; this module only
lays them out (template ``party.html.j2``, overridable like ``bill.html.j2``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from jinja2 import TemplateError

from reconciler.billing.invoicing import PartyDocument, documents
from reconciler.billing.report import BillReport, Line
from reconciler.errors import UserError

from .bill_common import STATEMENT_NOTE, SEATS_NOTE, money, percent, quantity_note, span_label
from .bill_html import environment

TEMPLATE = "party.html.j2"
TAX_NOTE = "{name} is worked out per line, rounded to the cent and summed (as Xero does)."


def render(report: BillReport) -> dict[str, str]:
    """File name -> HTML, one per document."""
    out = {}
    try:
        template = environment().get_template(TEMPLATE)
        for doc in documents(report):
            out[f"{doc.reference}.html"] = template.render(context(report, doc))
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise UserError(f"HTML template {getattr(exc, 'filename', None) or TEMPLATE}"
                        f"{f':{line}' if line else ''}: {exc.message or type(exc).__name__}"
                        ) from exc
    return out


def context(report: BillReport, doc: PartyDocument) -> dict[str, Any]:
    p, info = report.minor_units, report.invoicing
    tax_line = f"{info.tax_name} {percent(info.tax_rate)}%" \
        if info.tax_name and info.tax_rate is not None else None
    rates = {x.reseller: x.rate for x in report.statement_lines}
    return {
        "doc": {
            "kind": doc.kind, "title": "Invoice" if doc.kind == "invoice" else "Statement",
            "reference": doc.reference, "party": doc.party, "name": doc.name,
            "party_label": "Bill to" if doc.kind == "invoice" else "Reseller",
            "explain": _explain(doc, rates.get(doc.party)),
            "issued": doc.issued.isoformat(), "due": doc.due.isoformat() if doc.due else None,
            "by_tenant": doc.party_kind == "reseller" and doc.kind == "invoice",
            "lines": [{"tenant": x.tenant, "tenant_name": x.tenant_name, "sku": x.sku,
                       "product": x.product, "quantity": str(x.quantity),
                       "amount": money(x.amount, p)} for x in doc.lines],
            "seat_groups": _seat_groups(doc.seats, p),
            "statement_lines": [{"tenant": x.tenant, "user": x.user, "sku": x.sku,
                                 "list_amount": money(x.list_amount, p),
                                 "rate": percent(x.rate), "amount": money(x.amount, p)}
                                for x in doc.statement_lines],
            "subtotal": money(doc.subtotal, p), "tax": money(doc.tax, p),
            "total": money(doc.total, p), "tax_line": tax_line,
            "tax_note": TAX_NOTE.format(name=info.tax_name),
            "total_label": "Owed" if doc.mode == "aggregate" else "Earned",
            "list_total": money(sum((x.list_amount for x in doc.statement_lines),
                                    Decimal(0)), p),
        },
        "issuer": {"name": info.issuer_name, "address": info.issuer_address,
                   "tax_number": info.issuer_tax_number, "email": info.issuer_email},
        "tax_label": info.tax_name or "Tax",
        "period": report.span.period or f"{report.span.start} .. {report.span.end}",
        "span": span_label(report.span), "currency": report.currency,
        "revision": report.revision, "quantity_note": quantity_note(report),
        "seats_note": SEATS_NOTE, "statement_note": STATEMENT_NOTE,
    }


def _explain(doc: PartyDocument, rate: Decimal | None) -> str:
    if doc.kind == "invoice":
        if doc.party_kind == "reseller" and rate is not None:
            return (f"For the tenants you resell, at your price: {percent(rate)}% of list "
                    f"(your discount is {percent(100 - rate)}%).")
        return ""
    if doc.mode == "aggregate":
        return (f"What {doc.name} owes for the tenants it resells: "
                f"{percent(rate or Decimal(0))}% of list on each seat.")
    return (f"What {doc.name} earns on the tenants beneath it (invoiced directly): "
            f"{percent(rate or Decimal(0))}% of list on each seat.")


def _seat_groups(seats: tuple[Line, ...], places: int) -> list[dict[str, Any]]:
    grouped: dict[str, list[Line]] = defaultdict(list)
    for seat in seats:
        grouped[seat.tenant].append(seat)
    return [{"tenant": tenant, "name": lines[0].tenant_name,
             "seats": [{"upn": s.upn, "display_name": s.display_name, "sku": s.sku,
                        "days": s.days, "billable_days": s.billable_days,
                        "amount": money(s.amount, places)}
                       for s in sorted(lines, key=lambda s: (s.upn, s.sku))]}
            for tenant, lines in sorted(grouped.items())]
