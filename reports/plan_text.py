"""The plan as terminal text: ``+`` create/assign, ``~`` update, ``-`` delete/remove."""

from __future__ import annotations

from reconciler.planning.plan import Plan

from .plan_view import SYMBOL, details, headline, summary, where


def render(plan: Plan) -> str:
    lines: list[str] = []
    for tenant in plan.tenants:
        if not (tenant.changes or tenant.warnings or tenant.error):
            continue
        lines.append(f"tenant {tenant.tenant} ({where(tenant.directory, tenant.provider)})")
        if tenant.error:
            lines.append(f"  ! not planned: {tenant.error}")
        for change in tenant.changes:
            lines.append(f"  {SYMBOL[change.action]} {headline(change)}")
            lines.extend(f"      {line}" for line in details(change))
        lines.extend(f"  ! warning: {w}" for w in tenant.warnings)
        lines.extend(f"  ! refused: {b.message}" for b in tenant.blocked)
        lines.append("")
    if not plan.has_changes():
        lines.append("No changes. The directories match the specs.")
    else:
        lines.append(summary(plan))
    return "\n".join(lines) + "\n"
