"""The diff for a terminal or a CI log: per tenant its changes and monthly charge."""

from __future__ import annotations

from decimal import Decimal

from reconciler.changes.diffmodel import SpecDiff, TenantDiff

from .bill_common import money, short
from .change_lines import seat_summary, tenant_lines, term_line
from .safe_text import terminal_text


def render(diff: SpecDiff) -> str:
    p, cur = diff.minor_units, diff.currency
    out = [f"tenantry diff {diff.base.rev} ({short(diff.base.commit)}) -> {diff.head.rev} "
           f"({short(diff.head.commit)}), priced on {diff.pricing_day} in {cur}", ""]
    if not diff.has_changes:
        out.append("No changes to the specs.")
    for t in diff.tenants:
        out.append(f"tenant {t.tenant} ({t.delta.name}){_status(t)}: monthly "
                   f"{_amount(t, 'before', p)} -> {_amount(t, 'after', p)} "
                   f"({signed(t.change, p)}){_billed_to(t)}")
        out += [f"  {symbol} {text}" for symbol, text in tenant_lines(t.delta)]
        seats = seat_summary(t.delta)
        if seats:
            out.append(f"  seats: {seats}")
    if diff.terms:
        out.append("")
    out += [f"{c.file}: {term_line(c)}" for c in diff.terms]
    out.append("")
    if diff.form_only:
        out.append(f"Changed in form only (comments, layout): {', '.join(diff.form_only)}")
    unchanged = f"{diff.unchanged} tenant{'s' if diff.unchanged != 1 else ''} unchanged"
    if diff.unchanged_amount is not None:
        unchanged += f" ({money(diff.unchanged_amount, p)} {cur} per month)"
    out.append(unchanged + ".")
    totals = diff.totals
    scope = "all tenants" if totals.scope == "all" else "tenants with changes"
    percent = f", {totals.percent:+}%" if totals.percent is not None else ""
    out.append(f"Monthly recurring charge ({scope}): {money(totals.before, p)} -> "
               f"{money(totals.after, p)} {cur} ({signed(totals.change, p)}{percent}).")
    for warning in diff.warnings:
        out.append(f"warning: {warning}")
    return terminal_text("\n".join(out)) + "\n"


def _status(t: TenantDiff) -> str:
    return {"added": " [new file]", "removed": " [file deleted]"}.get(t.delta.status.value, "")


def _amount(t: TenantDiff, side: str, places: int) -> str:
    charge = t.before if side == "before" else t.after
    return money(charge.amount, places) if charge is not None else "—"


def signed(amount: Decimal, places: int) -> str:
    """``+36.50`` / ``-6.40``: a change always shows its direction."""
    return ("+" if amount >= 0 else "-") + money(abs(amount), places)


def _billed_to(t: TenantDiff) -> str:
    charge = t.after or t.before
    if charge is not None and charge.reseller_price:
        return f", billed to {charge.bill_to} at its reseller price"
    return ""
