"""The plan as terminal text: ``+`` create/assign, ``~`` update, ``-`` delete/remove.

A first run against an empty directory plans every user: 100,000 creates are 300,000
changes and ~35 MB of text that nobody reads on a screen. So at most ``MAX_CHANGES`` changes
are printed in full; the rest are counted in a note that says where to find them (the JSON
plan holds every change). Errors, warnings and the summary are always printed in full.
"""

from __future__ import annotations

from reconciler.planning.plan import Plan

from .plan_view import SYMBOL, details, headline, summary, where

MAX_CHANGES = 1000


def render(plan: Plan, *, limit: int | None = None) -> str:
    """The plan; at most ``limit`` changes (default ``MAX_CHANGES``) in full."""
    lines: list[str] = []
    room = MAX_CHANGES if limit is None else limit  # changes still to print in full
    left_out = tenants_cut = 0
    for tenant in plan.tenants:
        if not (tenant.changes or tenant.warnings or tenant.error):
            continue
        shown = tenant.changes[:room]
        hidden = len(tenant.changes) - len(shown)
        room -= len(shown)
        left_out += hidden
        tenants_cut += bool(hidden)
        if not (shown or tenant.warnings or tenant.error):
            continue
        lines.append(f"tenant {tenant.tenant} ({where(tenant.directory, tenant.provider)})")
        if tenant.error:
            lines.append(f"  ! not planned: {tenant.error}")
        for change in shown:
            lines.append(f"  {SYMBOL[change.action]} {headline(change)}")
            lines.extend(f"      {line}" for line in details(change))
        if hidden:
            lines.append(f"  … {hidden:,} more {_changes(hidden)} to this tenant not shown")
        lines.extend(f"  ! warning: {w}" for w in tenant.warnings)
        lines.extend(f"  ! refused: {b.message}" for b in tenant.blocked)
        lines.append("")
    if left_out:
        total = sum(len(t.changes) for t in plan.tenants)
        spread = f"{tenants_cut:,} {'tenant' if tenants_cut == 1 else 'tenants'}"
        lines.append(f"… {left_out:,} of {total:,} changes (in {spread}) were left out of the "
                     "screen; see every change with --format json, or save the plan with "
                     "--out FILE")
        lines.append("")
    if not plan.has_changes():
        lines.append("No changes. The directories match the specs.")
    else:
        lines.append(summary(plan))
    return "\n".join(lines) + "\n"


def _changes(count: int) -> str:
    return "change" if count == 1 else "changes"
