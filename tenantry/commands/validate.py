"""``tenantry validate``: every problem in every spec file, one line each (SPEC §3)."""

from __future__ import annotations

from tenantry.output import out
from tenantry.quick_exit import keep
from tenantry.workspace import Workspace


def run(ws: Workspace) -> int:
    specs = ws.load()  # raises SpecInvalid, which the error boundary prints line by line
    users = specs.user_count()
    keep(specs)  # freed by the process's exit, not object by object (quick_exit)
    out(f"{ws.label}: valid ({len(specs.tenants)} tenants, {users} users, "
        f"{len(specs.catalog.products)} products)")
    return 0
