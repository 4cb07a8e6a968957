"""``show`` for a terminal: per tenant its users, their UPNs, names and SKUs at the moment."""

from __future__ import annotations

from reconciler.changes.showrun import Snapshot

from .safe_text import terminal_text
from .show_view import moment


def render(snapshot: Snapshot) -> str:
    out = [f"tenantry show {moment(snapshot)}"]
    for t in snapshot.tenants:
        reseller = f", reseller {t.reseller}" if t.reseller else ""
        kept = f", kept from {t.kept_from[:12]}" if t.kept_from else ""
        out += ["", f"{t.tenant} — {t.name} ({_count(len(t.users), 'user')}, "
                    f"{_count(t.seats, 'seat')}{reseller}{kept})"]
        width_id = max((len(u.user) for u in t.users), default=0)
        width_upn = max((len(u.upn) for u in t.users), default=0)
        width_name = max((len(u.display_name) for u in t.users), default=0)
        for u in t.users:
            skus = ", ".join(u.skus) or "(no SKUs)"
            out.append(f"  {u.user:<{width_id}}  {u.upn:<{width_upn}}  "
                       f"{u.display_name:<{width_name}}  {skus}".rstrip())
    users = sum(len(t.users) for t in snapshot.tenants)
    seats = sum(t.seats for t in snapshot.tenants)
    out += ["", f"{_count(len(snapshot.tenants), 'tenant')}, {_count(users, 'user')}, "
                f"{_count(seats, 'seat')}."]
    out += [f"warning: {w}" for w in snapshot.warnings]
    return terminal_text("\n".join(out)) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
