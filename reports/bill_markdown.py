"""The bill as markdown for pull requests and wikis.

Span and revision, invoices with the total, reseller statements, one section per customer
(charges by SKU, then its billable seat lines; long lists fold into ``<details>``), the
seat lines that are not billable with their reasons, and warnings. Text from specs and git
is escaped (``|``, ``<``, ``>``, backticks and the characters markdown would format), so a
name cannot break a table or inject HTML or links.
"""

from __future__ import annotations

from reconciler.billing.report import BillReport, Customer, Line, Quantity, StatementLine

from .bill_common import (
    STATEMENT_NOTE,
    lines_by_tenant,
    percent,
    money,
    products,
    quantities_by_tenant,
    quantity_note,
    short,
    span_label,
    statement_verb,
    title,
)

FOLD_AFTER = 20  # seat lines per customer shown before they fold into <details>

_ESCAPES = str.maketrans({
    "\\": "\\\\", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_", "~": "\\~", "[": "\\[",
    "]": "\\]", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": " ", "\n": " ",
})


def esc(text: str) -> str:
    """Spec text as inert markdown, safe inside a table cell."""
    return text.translate(_ESCAPES)


def render(report: BillReport) -> str:
    p, cur = report.minor_units, report.currency
    out = [f"## tenantry bill: {title(report)}", "",
           (f"Span {span_label(report.span)} · revision `{short(report.revision)}` · "
            f"currency {cur} · proration {report.proration}"), ""]
    out += ["### Invoices", ""]
    if report.invoices:
        out += [f"| Bill to | Name | Kind | Amount ({cur}) |", "|---|---|---|---:|"]
        out += [f"| `{i.bill_to}` | {esc(i.name)} | {i.kind} | {money(i.amount, p)} |"
                for i in report.invoices]
        out.append(f"| **Total** | | | **{money(report.total, p)}** |")
    else:
        out.append(f"No charges in this span. **Total: {money(report.total, p)} {cur}**")
    out.append("")
    if report.statements:
        out += ["### Reseller statements", "",
                f"| Reseller | Name | Mode | Amount ({cur}) | |", "|---|---|---|---:|---|"]
        out += [f"| `{s.reseller}` | {esc(s.name)} | {s.mode} | {money(s.amount, p)} | "
                f"{statement_verb(s)} |" for s in report.statements]
        out.append("")
        out += _statement_lines(report)
    lines, quantities = lines_by_tenant(report), quantities_by_tenant(report)
    names = products(report)
    if report.customers:
        out += ["### Customers", "", esc(quantity_note(report)), ""]
    invoiced = {i.bill_to for i in report.invoices}
    for customer in report.customers:
        out += _customer(report, customer, lines.get(customer.tenant, []),
                         quantities.get(customer.tenant, []), names,
                         customer.bill_to in invoiced)
    skipped = [line for line in report.lines if not line.billable]
    if skipped:
        out += ["### Not billable", "", "| Tenant | User | UPN | SKU | Days | Reasons |",
                "|---|---|---|---|---:|---|"]
        out += [f"| `{x.tenant}` | `{x.user}` | {esc(x.upn)} | `{x.sku}` | {x.days} | "
                f"{esc('; '.join(x.reasons)) or '—'} |" for x in skipped]
        out.append("")
    if report.warnings:
        out += ["### Warnings", ""]
        out += [f"- :warning: {esc(w)}" for w in report.warnings]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _statement_lines(report: BillReport) -> list[str]:
    """What each statement sums, folded: a commission can be checked line by line."""
    p, cur = report.minor_units, report.currency
    grouped: dict[str, list[StatementLine]] = {}
    for x in report.statement_lines:
        grouped.setdefault(x.reseller, []).append(x)
    out: list[str] = []
    for s in report.statements:
        lines = grouped.get(s.reseller)
        if not lines:
            continue
        out += [f"<details><summary>Statement lines: {esc(s.name)} (`{s.reseller}`), "
                f"{statement_verb(s)} {money(s.amount, p)} {cur}</summary>", "",
                f"| Tenant | User | SKU | List ({cur}) | Rate | Amount ({cur}) |",
                "|---|---|---|---:|---:|---:|"]
        out += [f"| `{x.tenant}` | {f'`{x.user}`' if x.user else '—'} | `{x.sku}` | "
                f"{money(x.list_amount, p)} | {percent(x.rate)}% | {money(x.amount, p)} |"
                for x in lines]
        out += ["", "</details>", ""]
    if out:
        out += [esc(STATEMENT_NOTE), ""]
    return out


def _customer(report: BillReport, customer: Customer, lines: list[Line],
              quantities: list[Quantity], names: dict[str, str], invoiced: bool) -> list[str]:
    p, cur = report.minor_units, report.currency
    billed = [line for line in lines if line.billable]
    billing = f"Billed to `{customer.bill_to}`: **{money(customer.amount, p)} {cur}**" \
        if invoiced else "Not invoiced: nothing billable in this span."
    out = [f"#### {esc(customer.name)} (`{customer.tenant}`)", "", billing, ""]
    charged = [q for q in quantities if q.quantity or q.amount]
    if charged:
        out += [f"| SKU | Product | Quantity | Amount ({cur}) |", "|---|---|---:|---:|"]
        out += [f"| `{q.sku}` | {esc(names.get(q.sku, ''))} | {q.quantity} | "
                f"{money(q.amount, p)} |" for q in charged]
        out.append("")
    if not billed:
        return out
    table = [f"| User | UPN | Display name | SKU | Days | Billable days | Amount ({cur}) |",
             "|---|---|---|---|---:|---:|---:|"]
    table += [f"| `{x.user}` | {esc(x.upn)} | {esc(x.display_name)} | `{x.sku}` | {x.days} | "
              f"{x.billable_days} | {money(x.amount, p)} |" for x in billed]
    if len(billed) > FOLD_AFTER:
        return out + [f"<details><summary>{len(billed)} seat lines</summary>", "", *table,
                      "", "</details>", ""]
    return out + table + [""]
