"""``tenantry licences``: seats bought per tenant and vendor SKU against seats specified."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from reconciler.planning.licences import licence_report
from reconciler.planning.planner import select_tenants
from reports import licence_report as render
from tenantry.options import parse_shard
from tenantry.output import check_output, err, out, write_atomic
from tenantry.workspace import Workspace

FORMATS = ("table", "json", "csv")


def run(ws: Workspace, *, tenants: Sequence[str], shard: str | None, fmt: str,
        output: str | Path | None) -> int:
    if output is not None:
        check_output(output, "--output", ws.cwd)  # before the work, not after it
    specs = ws.load()
    chosen = select_tenants(specs, tenants, parse_shard(shard))
    with ws.directories(specs) as pool:
        report = licence_report(specs, chosen, pool)
    text = report.to_json() if fmt == "json" else render.to_csv(report) if fmt == "csv" \
        else render.table(report)
    if output is not None:
        write_atomic(ws.cwd / output, text, "--output")
        err(f"wrote {output}")
    else:
        out(text.rstrip("\n"))
    for line in report.errors:
        err(f"error: {line}")
    return 1 if report.errors else 0
