"""The diff as a pull-request comment.

A summary table first (one row per tenant whose specs or charge changed, the unchanged
tenants summed in one row, the total with its percentage), then changes to prices,
resellers and other settings, then each tenant's details folded into ``<details>``.
GitHub refuses comments over 65,536 characters: the comment is built against a budget,
keeps the table and the totals whole, and says what it left out.
"""

from __future__ import annotations

import html
from decimal import Decimal

from reconciler.billing.recurring import RecurringCharge, SkuCharge
from reconciler.changes.diffmodel import SpecDiff, TenantDiff

from .bill_common import money, short
from .bill_markdown import esc
from .change_lines import seat_summary, tenant_lines, term_line, user_summary
from .diff_text import signed

LIMIT = 65_000  # the promise: every comment is shorter than this
BUDGET = 60_000  # what the body aims for, leaving room for the closing notes
MAX_ROWS = 50  # tenants in the summary table; the rest are summed in one row
MAX_TERMS = 40  # lines of catalog/reseller/settings changes
MAX_DETAIL_LINES = 150  # change lines per tenant before the rest is counted
MAX_CELL = 120  # characters of a summary-table cell
MAX_LISTED = 20  # files changed in form only, and warnings
_DIFF_SYMBOL = {"+": "+", "-": "-", "~": "!"}  # "!" is highlighted as a change


def render(diff: SpecDiff) -> str:
    p, cur = diff.minor_units, diff.currency
    totals = diff.totals
    percent = f" ({totals.percent:+}%)" if totals.percent is not None else ""
    headline = f"{signed(totals.change, p)} {cur} per month{percent}" if totals.change \
        else "no change to the monthly charge"
    out = [f"## tenantry diff: {headline}", "",
           f"`{esc(diff.base.rev)}` ({short(diff.base.commit)}) → `{esc(diff.head.rev)}` "
           f"({short(diff.head.commit)}) · monthly recurring charges priced on "
           f"{diff.pricing_day} in {cur}", ""]
    if not diff.has_changes:
        out.append("No changes to the specs.")
    else:
        out += _table(diff)
    out += _terms(diff)
    if diff.form_only:
        named = ", ".join(f"`{esc(f)}`" for f in diff.form_only[:MAX_LISTED])
        more = f" and {len(diff.form_only) - MAX_LISTED} more" \
            if len(diff.form_only) > MAX_LISTED else ""
        out += [f"Changed in form only (comments, layout): {named}{more}", ""]
    out += [f"- :warning: {esc(_cut(w, 400))}" for w in diff.warnings[:MAX_LISTED]]
    if len(diff.warnings) > MAX_LISTED:
        out.append(f"- :warning: … and {len(diff.warnings) - MAX_LISTED} more warnings")
    body = "\n".join(out).rstrip("\n") + "\n"
    left_out: list[str] = []
    for t in diff.tenants:
        block = _details(t, p, cur)
        if len(body) + len(block) + 1 <= BUDGET:
            body += "\n" + block
        else:
            left_out.append(t.tenant)
    if left_out:
        body += (f"\n_Details of {len(left_out)} tenant{'s' if len(left_out) != 1 else ''} "
                 f"left out to keep this comment under {LIMIT:,} characters (first: "
                 f"`{esc(left_out[0])}`). Run `tenantry diff {esc(diff.base.commit[:12])} "
                 f"{esc(diff.head.commit[:12])}` for all of it._\n")
    assert len(body) < LIMIT, len(body)
    return body


def _table(diff: SpecDiff) -> list[str]:
    p, cur = diff.minor_units, diff.currency
    rows = list(diff.tenants)
    folded: list[TenantDiff] = []
    if len(rows) > MAX_ROWS:
        # The largest changes stay visible, in tenant order; the rest are summed.
        keep = {t.tenant for t in sorted(rows, key=lambda t: (-abs(t.change), t.tenant))
                [:MAX_ROWS]}
        folded = [t for t in rows if t.tenant not in keep]
        rows = [t for t in rows if t.tenant in keep]
    out = [f"| Tenant | Users | Seats | Before ({cur}) | After ({cur}) | Change |",
           "|---|---|---|---:|---:|---:|"]
    for t in rows:
        name = f"`{esc(t.tenant)}` {esc(_cut(t.delta.name))}{_status(t)}"
        out.append(f"| {name} | {esc(_cut(user_summary(t.delta))) or '—'} | "
                   f"{esc(_cut(seat_summary(t.delta))) or '—'} | {_amount(t.before, p)} | "
                   f"{_amount(t.after, p)} | {signed(t.change, p)} |")
    if folded:
        before = sum((t.amount_before for t in folded), Decimal(0))
        after = sum((t.amount_after for t in folded), Decimal(0))
        out.append(f"| {len(folded)} more tenants with changes | | | "
                   f"{money(before, p)} | {money(after, p)} | {signed(after - before, p)} |")
    plural = "s" if diff.unchanged != 1 else ""
    if diff.unchanged_amount is not None:
        amount = money(diff.unchanged_amount, p)
        out.append(f"| {diff.unchanged} unchanged tenant{plural} | | | {amount} | {amount} | "
                   f"{signed(Decimal(0), p)} |")
    else:
        out.append(f"| {diff.unchanged} unchanged tenant{plural} (not priced) | | | | | |")
    totals = diff.totals
    scope = "all tenants" if totals.scope == "all" else "tenants with changes"
    percent = f" ({totals.percent:+}%)" if totals.percent is not None else ""
    out.append(f"| **Total, {scope}** | | | **{money(totals.before, p)}** | "
               f"**{money(totals.after, p)}** | **{signed(totals.change, p)}{percent}** |")
    return out + [""]


def _terms(diff: SpecDiff) -> list[str]:
    if not diff.terms:
        return []
    out = ["### Catalog, billing, resellers and directories", ""]
    out += [f"- `{esc(c.file)}` {esc(_cut(term_line(c), 300))}" for c in diff.terms[:MAX_TERMS]]
    if len(diff.terms) > MAX_TERMS:
        out.append(f"- … and {len(diff.terms) - MAX_TERMS} more")
    return out + [""]


def _details(t: TenantDiff, p: int, cur: str) -> str:
    parts = (user_summary(t.delta), seat_summary(t.delta),
             "billing settings" if t.delta.billing else "",
             "other settings" if t.delta.settings else "")
    summary = "; ".join(s for s in parts if s) or "charge only"
    lines = tenant_lines(t.delta)
    shown = [f"{_DIFF_SYMBOL[symbol]} {text}" for symbol, text in lines[:MAX_DETAIL_LINES]]
    if len(lines) > MAX_DETAIL_LINES:
        shown.append(f"  … and {len(lines) - MAX_DETAIL_LINES} more changes")
    out = [f"<details><summary><code>{html.escape(t.tenant)}</code> "
           f"{html.escape(t.delta.name)}: {html.escape(summary)}</summary>", ""]
    if shown:
        # Fenced: spec text needs no escaping here, and no line starts with a backtick.
        out += ["```diff", *shown, "```", ""]
    out += _charges(t, p, cur)
    return "\n".join([*out, "</details>", ""])


def _charges(t: TenantDiff, p: int, cur: str) -> list[str]:
    skus = sorted({s.sku for c in (t.before, t.after) if c for s in c.skus})
    if not skus:
        return []
    before = {s.sku: s for s in t.before.skus} if t.before else {}
    after = {s.sku: s for s in t.after.skus} if t.after else {}
    out = [f"| SKU | Seats | Unit price ({cur}) | Monthly ({cur}) |", "|---|---:|---:|---:|"]
    for sku in skus:
        b, a = before.get(sku), after.get(sku)
        seats = f"{b.seats if b else 0} → {a.seats if a else 0}"
        units = f"{_unit(b, p)} → {_unit(a, p)}"
        amounts = f"{money(b.amount, p) if b else '—'} → {money(a.amount, p) if a else '—'}"
        out.append(f"| `{esc(sku)}` | {seats} | {units} | {amounts} |")
    charge = t.after or t.before
    if charge is not None and charge.reseller_price:
        out.append(f"\nBilled to `{esc(charge.bill_to)}` at its reseller price.")
    if charge is not None and charge.not_billable_reason:
        out.append(f"\nNot billed: {esc(charge.not_billable_reason)}.")
    return out + [""]


def _unit(charge: SkuCharge | None, places: int) -> str:
    if charge is None or charge.unit_price is None:
        return "—"
    return money(charge.unit_price, places)


def _amount(charge: RecurringCharge | None, places: int) -> str:
    return money(charge.amount, places) if charge is not None else "—"


def _status(t: TenantDiff) -> str:
    return {"added": " (new)", "removed": " (file deleted)"}.get(t.delta.status.value, "")


def _cut(text: str, limit: int = MAX_CELL) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
