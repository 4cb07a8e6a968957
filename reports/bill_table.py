"""The bill for a terminal (the default format): header, customers, invoices, statements,
total, warnings. Seat lines are not listed here: see ``--format markdown|html|csv|xlsx``.

Rendered to a string at a fixed width with no colour (the same output on every run and in
every environment); ``color=True`` adds ANSI styles for a caller that writes to a terminal.
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from reconciler.billing.report import BillReport

from .bill_common import SEATS_NOTE, lines_by_tenant, money, short, span_label, statement_verb
from .safe_text import terminal_text

WIDTH = 100


def render(report: BillReport, *, color: bool = False, show_unbillable: bool = False) -> str:
    buffer = io.StringIO()
    # _environ={}: COLUMNS, NO_COLOR, FORCE_COLOR, TERM... must not change the output.
    console = Console(file=buffer, width=WIDTH, force_terminal=color,
                      color_system="standard" if color else None, markup=False,
                      highlight=False, emoji=False, soft_wrap=False, legacy_windows=False,
                      _environ={})
    places, currency = report.minor_units, report.currency
    console.print(Text(f"tenantry bill · revision {short(report.revision)}", style="bold"))
    console.print(Text(f"{span_label(report.span)} · {currency} · "
                       f"proration {report.proration}"))
    if not report.lines:
        console.print(Text("\nNo seats were held in this span."))

    grouped = lines_by_tenant(report)
    if report.customers:
        table = _table("Customers", ("Tenant", "Name", "Bill to", "Users", "Seats", "Amount"))
        for c in report.customers:
            billed = [line for line in grouped.get(c.tenant, []) if line.billable]
            table.add_row(_text(c.tenant), _text(c.name), _text(c.bill_to),
                          Text(str(len({line.user for line in billed}))),
                          Text(str(len(billed))), Text(money(c.amount, places)))
        console.print()
        console.print(table)
        console.print(Text(SEATS_NOTE, style="dim"))
    if report.invoices:
        table = _table("Invoices", ("Bill to", "Name", "Kind", "Amount"))
        for i in report.invoices:
            table.add_row(_text(i.bill_to), _text(i.name), Text(i.kind),
                          Text(money(i.amount, places)))
        console.print()
        console.print(table)
    if report.statements:
        table = _table("Reseller statements", ("Reseller", "Name", "Mode", "Amount", ""))
        for s in report.statements:
            table.add_row(_text(s.reseller), _text(s.name), Text(s.mode),
                          Text(money(s.amount, places)), Text(statement_verb(s)))
        console.print()
        console.print(table)

    invoices = len(report.invoices)
    console.print(Text(f"\nTotal {money(report.total, places)} {currency} "
                       f"({invoices} invoice{'' if invoices == 1 else 's'})", style="bold"))
    skipped = [line for line in report.lines if not line.billable]
    if skipped and show_unbillable:
        table = _table("Not billable", ("Tenant", "User", "SKU", "Days", "Reasons"))
        for x in skipped:
            table.add_row(_text(x.tenant), _text(x.user), _text(x.sku), Text(str(x.days)),
                          _text("; ".join(x.reasons) or "—"))
        console.print()
        console.print(table)
    elif skipped:
        count = len(skipped)
        console.print(Text(f"{count} seat line{'' if count == 1 else 's'} not billable; "
                           "list them with their reasons: --show-unbillable"))
    for warning in report.warnings:
        console.print(_text(f"warning: {warning}", style="yellow"))
    text = buffer.getvalue()
    # Tables pad every row to their width: trailing spaces only make diffs noisy.
    return text if color else "\n".join(row.rstrip() for row in text.split("\n"))


def _text(text: str, style: str = "") -> Text:
    """Spec text as literal text: no rich markup, no terminal control sequences."""
    return Text(terminal_text(text), style=style)


def _table(title: str, headers: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  header_style="bold", pad_edge=False, show_edge=False)
    for header in headers:
        numeric = header in ("Users", "Seats", "Days", "Amount")
        table.add_column(header, justify="right" if numeric else "left",
                         no_wrap=numeric, overflow="fold")
    return table
