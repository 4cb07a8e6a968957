"""``show`` as an Excel workbook: a Summary sheet (the moment, the commit) and a Seats sheet
(one row per seat), built like the bill's workbook (text never a formula, same bytes for
the same snapshot: document dates come from the commit, not the clock)."""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook

from reconciler.changes.showrun import SHOW_SCHEMA, Snapshot

from .bill_xlsx import Value, _save, _sheet
from .show_view import rows


def render(snapshot: Snapshot) -> bytes:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    effective = snapshot.local(snapshot.effective)
    summary: list[list[Value]] = [
        ["Schema", SHOW_SCHEMA], ["Asked", snapshot.asked], ["Commit", snapshot.commit],
        ["In effect from", effective.strftime("%Y-%m-%d %H:%M %z")],
        ["Time zone", snapshot.timezone], ["Tenants", len(snapshot.tenants)],
        ["Users", sum(len(t.users) for t in snapshot.tenants)],
        ["Seats", sum(t.seats for t in snapshot.tenants)],
    ]
    summary += [["Warning", w] for w in snapshot.warnings]
    _sheet(wb, "Summary", ("Field", "Value"), summary, {}, autofilter=False)
    _sheet(wb, "Seats", ("Tenant", "Tenant name", "User", "UPN", "Display name", "SKU"),
           [list(row) for row in rows(snapshot)], {})
    stamp = dt.datetime.combine(max(effective.date(), dt.date(1980, 1, 1)), dt.time())
    wb.properties.creator = wb.properties.lastModifiedBy = "tenantry"
    wb.properties.title = f"tenantry show {snapshot.asked}"
    wb.properties.created = wb.properties.modified = stamp
    return _save(wb, stamp)
