"""What the ``show`` renderers share: the header sentence and one row per seat."""

from __future__ import annotations

from reconciler.changes.showrun import Snapshot

from .bill_common import short

ROW_COLUMNS = ("tenant", "tenant_name", "user", "upn", "display_name", "sku")


def moment(snapshot: Snapshot) -> str:
    """``as of 2026-10-03 (Pacific/Auckland): commit 1a2b3c4d5e6f from 2026-10-02 14:05``."""
    effective = snapshot.local(snapshot.effective)
    asked = f"as of {snapshot.asked}" + (f" ({snapshot.timezone})" if snapshot.at else "")
    return (f"{asked}: commit {short(snapshot.commit)}, in effect from "
            f"{effective:%Y-%m-%d %H:%M %z}")


def rows(snapshot: Snapshot) -> list[tuple[str, str, str, str, str, str]]:
    """One row per seat; a user holding no SKU gets one row with an empty SKU."""
    out = []
    for t in snapshot.tenants:
        for u in t.users:
            for sku in u.skus or ("",):
                out.append((t.tenant, t.name, u.user, u.upn, u.display_name, sku))
    return out
