"""What plan renderers share: symbols, change descriptions and the summary sentence."""

from __future__ import annotations

from reconciler.plan import Action, Change, Plan, Value

SYMBOL = {Action.CREATE: "+", Action.ASSIGN: "+", Action.UPDATE: "~", Action.ENABLE: "~",
          Action.DISABLE: "~", Action.DELETE: "-", Action.REMOVE: "-"}


def headline(change: Change) -> str:
    """One line naming what happens, e.g. ``assign M365-BP to alice``."""
    who = f"{change.user} ({change.upn})"
    if change.action is Action.ASSIGN:
        return f"assign {change.sku} to {who}"
    if change.action is Action.REMOVE:
        return f"remove {change.sku} from {who}"
    if change.action is Action.UPDATE and change.before and "upn" in change.before:
        return f"update {change.user} (rename {change.before['upn']} -> {change.upn})"
    return f"{change.action.value} {who}"


def details(change: Change) -> list[str]:
    """Attribute lines under a change: values for create, before -> after for update."""
    if change.action is Action.CREATE and change.after:
        return [f"{k}: {fmt(v)}" for k, v in change.after.items() if v is not None]
    if change.action is Action.UPDATE and change.before is not None and change.after:
        return [f"{k}: {fmt(change.before.get(k))} -> {fmt(v)}" for k, v in change.after.items()]
    return []


def fmt(value: Value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"'


def summary(plan: Plan) -> str:
    counts = plan.counts()
    users = {"create": counts["create"], "update": counts["update"] + counts["enable"]
             + counts["disable"], "delete": counts["delete"]}
    return (f"Plan: {users['create']} to create, {users['update']} to update, "
            f"{users['delete']} to delete; {counts['assign']} SKUs to assign, "
            f"{counts['remove']} to remove.")
