"""One line per change of a tenant delta, shared by ``diff`` and ``log`` renderers.

Symbols as in plans: ``+`` something added, ``-`` something removed, ``~`` changed in place.
Values are JSON-quoted, so a name holding quotes or spaces stays one unambiguous token.
"""

from __future__ import annotations

import json

from reconciler.changes.compare import FieldChange, TenantDelta, UserDelta, UserStatus
from reconciler.changes.terms_diff import TermChange
from reconciler.changes.views import Value


def value(v: Value) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False)


def field_changes(changes: tuple[FieldChange, ...]) -> str:
    return ", ".join(f"{c.field} {value(c.before)} -> {value(c.after)}" for c in changes)


def user_lines(delta: UserDelta) -> list[tuple[str, str]]:
    """(symbol, text) for each thing that happened to one user."""
    who = f"{delta.user} ({delta.upn})"
    if delta.status is UserStatus.CREATED:
        skus = f": {', '.join(delta.added)}" if delta.added else ": no SKUs"
        state = " (disabled)" if delta.enabled is False else ""
        return [("+", f"create {who}{state}{skus}")]
    if delta.status is UserStatus.DELETED:
        skus = f": had {', '.join(delta.removed)}" if delta.removed else ""
        return [("-", f"delete {who}{skus}")]
    out: list[tuple[str, str]] = []
    if delta.renamed:
        out.append(("~", f"rename {delta.user}: {field_changes(delta.renamed)}"))
    if delta.enabled is not None:
        out.append(("~", f"{'enable' if delta.enabled else 'disable'} {who}"))
    if delta.updated:
        out.append(("~", f"update {delta.user}: {field_changes(delta.updated)}"))
    out += [("+", f"seat {sku} for {who}") for sku in delta.added]
    out += [("-", f"seat {sku} from {who}") for sku in delta.removed]
    return out


def tenant_lines(delta: TenantDelta) -> list[tuple[str, str]]:
    """Tenant-level changes first (billing, then other settings), then each user's."""
    out: list[tuple[str, str]] = [("~", f"{c.field}: {value(c.before)} -> {value(c.after)}")
                                  for c in (*delta.billing, *delta.settings)]
    for user in delta.users:
        out += user_lines(user)
    return out


def seat_summary(delta: TenantDelta) -> str:
    """``M365-BP +2 -1, SUPPORT +1``; empty when no seat moved."""
    parts = []
    for sku, (plus, minus) in delta.seats().items():
        counts = " ".join(s for s in (f"+{plus}" if plus else "", f"-{minus}" if minus else "")
                          if s)
        parts.append(f"{sku} {counts}")
    return ", ".join(parts)


def user_summary(delta: TenantDelta) -> str:
    """``1 created, 2 renamed, 1 deleted``; empty when no user changed that way."""
    parts = [(delta.count(UserStatus.CREATED), "created"), (delta.renames(), "renamed"),
             (delta.count(UserStatus.DELETED), "deleted")]
    return ", ".join(f"{n} {label}" for n, label in parts if n)


def term_line(change: TermChange) -> str:
    """``M365-BP price "36.50" -> "38.00"``, or ``SUPPORT added {...}`` for a whole entry
    (its settings as compact JSON)."""
    subject = f"{change.subject} " if change.subject else ""
    if change.field in ("added", "removed"):
        entry = change.after if change.field == "added" else change.before
        return f"{subject}{change.field}: {entry}"
    return f"{subject}{change.field} {value(change.before)} -> {value(change.after)}"
