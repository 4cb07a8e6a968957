"""What plan renderers share: symbols, change descriptions and the summary sentence."""

from __future__ import annotations

import json

from reconciler.planning.plan import Action, Change, Plan, Value

SYMBOL = {Action.CREATE: "+", Action.ASSIGN: "+", Action.UPDATE: "~", Action.ENABLE: "~",
          Action.DISABLE: "~", Action.DELETE: "-", Action.REMOVE: "-", Action.ADOPT: "&"}


def headline(change: Change) -> str:
    """One line naming what happens, e.g. ``assign M365-BP to alice``."""
    who = f"{change.user} ({change.upn})"
    if change.action is Action.ASSIGN:
        return f"assign {change.sku} to {who}"
    if change.action is Action.REMOVE:
        return f"remove {change.sku} from {who}"
    if change.action is Action.ADOPT:
        return f"adopt {change.upn} as {change.user} (set the ownership marker only)"
    if change.action is Action.UPDATE and change.before and "upn" in change.before:
        return f"update {change.user} (rename {change.before['upn']} -> {change.upn})"
    return f"{change.action.value} {who}"


def details(change: Change) -> list[str]:
    """Attribute lines under a change: values for create, before -> after for update, and
    what it waits for when that is another user's change (one that frees its UPN)."""
    lines: list[str] = []
    if change.action is Action.CREATE and change.after:
        lines = [f"{k}: {fmt(v)}" for k, v in change.after.items() if v is not None]
    elif change.action is Action.UPDATE and change.before is not None and change.after:
        lines = [f"{k}: {fmt(change.before.get(k))} -> {fmt(v)}"
                 for k, v in change.after.items()]
    if change.depends_on and not change.depends_on.startswith(
            f"{change.tenant}/{change.user}/"):
        lines.append(f"after {change.depends_on} (it frees the UPN)")
    return lines


def fmt(value: Value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    # JSON quoting: a name holding a quote, newline or control character stays on one line.
    return json.dumps(value, ensure_ascii=False)


def where(directory: str, provider: str) -> str:
    """``local directory`` when the directory is named after its kind, else
    ``directory hosted-ad (ldap)``."""
    return f"{provider} directory" if directory == provider \
        else f"directory {directory} ({provider})"


def summary(plan: Plan) -> str:
    counts = plan.counts()
    # Users, not changes: a user renamed and disabled is one user to update.
    updated = {(c.tenant, c.user) for c in plan.changes()
               if c.action in (Action.UPDATE, Action.ENABLE, Action.DISABLE)} \
        if counts["update"] or counts["enable"] or counts["disable"] else set()
    adopt = f"{counts['adopt']} to adopt, " if counts["adopt"] else ""
    return (f"Plan: {adopt}{counts['create']} to create, {len(updated)} to update, "
            f"{counts['delete']} to delete; {counts['assign']} "
            f"SKU{'' if counts['assign'] == 1 else 's'} to assign, "
            f"{counts['remove']} to remove.")
