"""The bill as one standalone, printable HTML file (jinja2, autoescaped).

No scripts and no external assets: CSS is inline and the per-customer bar chart is inline
SVG, its coordinates computed here from Decimal ratios and passed as strings. Every value
the template shows is prepared here; the template only lays it out.

Branding: set ``TENANTRY_TEMPLATES`` to a folder (or several, separated by ``os.pathsep``)
holding a ``bill.html.j2``; it is found before the built-in one. A custom template can
start with ``{% extends "tenantry/bill.html.j2" %}`` and override blocks (``title``,
``style``, ``brand``, ``footer``, ``csp``) instead of copying the whole file.
"""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
)

from reconciler.billing.report import BillReport, Line
from reconciler.errors import UserError

from . import TEMPLATES_ENV
from .bill_common import (
    lines_by_tenant,
    money,
    STATEMENT_NOTE,
    percent,
    products,
    quantities_by_tenant,
    quantity_note,
    short,
    span_label,
    statement_verb,
    title,
)

TEMPLATE = "bill.html.j2"
ENV_VAR = TEMPLATES_ENV
BUILTIN = Path(__file__).parent / "templates"

# Chart geometry (SVG user units).
LABEL_WIDTH, BAR_WIDTH, AMOUNT_WIDTH = 200, 360, 120
ROW, BAR_HEIGHT, PAD = 24, 16, 8
LABEL_CHARS = 30
SMALL_ROWS = 15  # a table this short moves to the next page whole rather than split


def environment() -> Environment:
    """User template folders first (``TENANTRY_TEMPLATES``), then the built-in templates;
    the built-ins are also reachable as ``tenantry/<name>`` for ``{% extends %}``."""
    loaders: list[BaseLoader] = []
    setting = os.environ.get(ENV_VAR, "")
    for part in filter(None, setting.split(os.pathsep)):
        folder = Path(part).expanduser()
        if not folder.is_dir():
            raise UserError(f"{ENV_VAR}: {part!r} is not a folder of templates")
        loaders.append(FileSystemLoader(folder))
    builtin = FileSystemLoader(BUILTIN)
    loaders += [builtin, PrefixLoader({"tenantry": builtin})]
    return Environment(loader=ChoiceLoader(loaders), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(report: BillReport) -> str:
    env = environment()
    try:
        return env.get_template(TEMPLATE).render(context(report))
    except TemplateError as exc:
        where = getattr(exc, "filename", None) or TEMPLATE
        line = getattr(exc, "lineno", None)
        raise UserError(f"HTML template {where}{f':{line}' if line else ''}: "
                        f"{exc.message or type(exc).__name__}") from exc


def context(report: BillReport) -> dict[str, Any]:
    p = report.minor_units
    lines, quantities = lines_by_tenant(report), quantities_by_tenant(report)
    names = products(report)
    invoiced = {i.bill_to for i in report.invoices}
    customers = []
    for c in report.customers:
        mine = lines.get(c.tenant, [])
        customers.append({
            "tenant": c.tenant, "name": c.name, "bill_to": c.bill_to,
            "amount": money(c.amount, p), "invoiced": c.bill_to in invoiced,
            "charges": [{"sku": q.sku, "product": names.get(q.sku, ""),
                         "quantity": str(q.quantity), "amount": money(q.amount, p)}
                        for q in quantities.get(c.tenant, []) if q.quantity or q.amount],
            "lines": [_line(x, p) for x in mine if x.billable]})
    return {
        "report": report,
        "title": title(report), "span": span_label(report.span),
        "revision": report.revision, "short_revision": short(report.revision),
        "currency": report.currency, "proration": report.proration,
        "total": money(report.total, p),
        "invoices": [{"bill_to": i.bill_to, "name": i.name, "kind": i.kind,
                      "amount": money(i.amount, p)} for i in report.invoices],
        "statements": [{"reseller": s.reseller, "name": s.name, "mode": s.mode,
                        "amount": money(s.amount, p), "verb": statement_verb(s)}
                       for s in report.statements],
        "customers": customers,
        "not_billable": [_line(x, p) for x in report.lines if not x.billable],
        "warnings": list(report.warnings),
        "chart": chart(report),
        "small_rows": SMALL_ROWS,
        "quantity_note": quantity_note(report),
        "statement_note": STATEMENT_NOTE,
        "statement_details": _statement_details(report),
    }


def _statement_details(report: BillReport) -> list[dict[str, Any]]:
    """Per reseller statement, the lines it sums (a commission can be checked by hand)."""
    p = report.minor_units
    lines: dict[str, list[dict[str, str]]] = {}
    for x in report.statement_lines:
        lines.setdefault(x.reseller, []).append({
            "tenant": x.tenant, "user": x.user, "sku": x.sku,
            "list_amount": money(x.list_amount, p), "rate": percent(x.rate),
            "amount": money(x.amount, p)})
    return [{"reseller": s.reseller, "name": s.name, "verb": statement_verb(s),
             "amount": money(s.amount, p), "lines": lines[s.reseller]}
            for s in report.statements if s.reseller in lines]


def _line(line: Line, places: int) -> dict[str, Any]:
    return {"tenant": line.tenant, "user": line.user, "upn": line.upn,
            "display_name": line.display_name, "sku": line.sku, "product": line.product,
            "days": line.days, "billable_days": line.billable_days,
            "amount": money(line.amount, places), "reasons": "; ".join(line.reasons),
            "bill_to": line.bill_to, "changed_by": line.changed_by,
            # The column people read: who (name, without the address) and which commit;
            # the full author and sha are in the cell's title.
            "author": line.changed_by.split(" <", 1)[0], "commit_7": line.commit[:7],
            "commit": line.commit, "short_commit": short(line.commit)}


def chart(report: BillReport) -> dict[str, Any]:
    """One horizontal bar per customer, scaled to the largest customer amount."""
    top = max((c.amount for c in report.customers), default=Decimal(0))
    bars = []
    for index, c in enumerate(report.customers):
        ratio = c.amount / top if top > 0 and c.amount > 0 else Decimal(0)
        width = ratio * BAR_WIDTH
        y = PAD + index * ROW
        label = c.name if len(c.name) <= LABEL_CHARS else c.name[:LABEL_CHARS - 1] + "…"
        bars.append({"tenant": c.tenant, "name": c.name, "label": label,
                     "amount": money(c.amount, report.minor_units),
                     "y": _coord(y), "width": _coord(width),
                     "text_y": _coord(y + BAR_HEIGHT - 4),
                     "amount_x": _coord(LABEL_WIDTH + width + 6)})
    height = 2 * PAD + len(report.customers) * ROW
    return {"bars": bars, "width": _coord(LABEL_WIDTH + BAR_WIDTH + AMOUNT_WIDTH),
            "height": _coord(height), "bar_x": _coord(LABEL_WIDTH),
            "label_x": _coord(LABEL_WIDTH - 8), "bar_height": _coord(BAR_HEIGHT)}


def _coord(value: Decimal | int) -> str:
    """An SVG coordinate: one decimal place, no exponent, no trailing ``.0``."""
    text = f"{Decimal(value).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    return text.removesuffix(".0")
