"""The plan as markdown for pull requests; long tenants fold into <details>."""

from __future__ import annotations

from reconciler.planning.plan import Plan

from .plan_view import SYMBOL, details, headline, summary

# Pull-request comments are capped at 65,536 characters; stay well below.
MAX_CHARS = 60_000
FOLD_AFTER = 20


def render(plan: Plan) -> str:
    out = ["## tenantry plan", ""]
    if not plan.has_changes():
        out.append("No changes. The directories match the specs.")
    for tenant in plan.tenants:
        if not (tenant.changes or tenant.warnings or tenant.error):
            continue
        out.append(f"### {_esc(tenant.tenant)} — directory `{tenant.directory}` "
                   f"({tenant.provider})")
        if tenant.error:
            out.append(f"> **Not planned:** {_esc(tenant.error)}")
        body = ["```diff"]
        for change in tenant.changes:
            body.append(f"{SYMBOL[change.action]} {headline(change)}")
            body.extend(f"{' ' if SYMBOL[change.action] != '~' else '!'}     {d}"
                        for d in details(change))
        body.append("```")
        if len(tenant.changes) > FOLD_AFTER:
            out += [f"<details><summary>{len(tenant.changes)} changes</summary>", "", *body,
                    "", "</details>"]
        elif tenant.changes:
            out += body
        out += [f"- :warning: {_esc(w)}" for w in tenant.warnings]
        out += [f"- :no_entry: **Refused:** {_esc(b.message)}" for b in tenant.blocked]
        out.append("")
    out.append(f"**{summary(plan)}**")
    text = "\n".join(out) + "\n"
    if len(text) > MAX_CHARS:
        cut = text[:MAX_CHARS].rsplit("\n", 1)[0]
        # Count fence lines, not backticks: names may contain ``` (content lines start with
        # a symbol or six spaces, so they never open or close a fence themselves).
        fences = sum(1 for line in cut.splitlines() if line in ("```diff", "```"))
        if fences % 2:
            cut += "\n```"
        if cut.count("<details>") > cut.count("</details>"):
            cut += "\n\n</details>"
        text = cut + f"\n\n… plan truncated; run `tenantry plan` for all of it.\n\n**{summary(plan)}**\n"
    return text


def _esc(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;")
