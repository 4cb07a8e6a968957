"""``tenantry show [TENANT[/USER]] [--at DATE | --rev REV]``: what was provisioned at a
moment, from git history, with the names of then (SPEC §4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.changes.logrun import parse_target
from reconciler.changes.showrun import Snapshot, run_show
from reconciler.errors import UserError
from tenantry.history_args import cache_dir, repo_and_specs
from tenantry.output import check_output, err, out, out_bytes, write_atomic
from tenantry.workspace import Workspace

FORMATS = ("table", "json", "csv", "xlsx")


def run(ws: Workspace, *, target: str | None, at: str | None, rev: str | None, fmt: str,
        output: str | Path | None) -> int:
    if fmt == "xlsx" and output is None:
        raise UserError("--format xlsx writes a workbook: give --output FILE.xlsx")
    if output is not None:
        check_output(output, "--output", ws.cwd)  # before the work, not after it
    repo, specs_rel = repo_and_specs(ws, "show")
    tenant, user = parse_target(target)
    snapshot = run_show(repo, specs_rel, tenant=tenant, user=user, at=at, rev=rev,
                        cache_dir=cache_dir(repo))
    data = _renderer(fmt)(snapshot)
    if output is not None:
        write_atomic(ws.cwd / output, data, "--output")
        err(f"wrote {output}")
    elif isinstance(data, bytes):  # pragma: no cover - xlsx is refused above
        out_bytes(data)
    else:
        out(data.rstrip("\n"))
    if fmt != "table" or output is not None:  # the table already shows its warnings
        for warning in snapshot.warnings:
            err(f"warning: {warning}")
    return 0


def _renderer(fmt: str) -> Callable[[Snapshot], str | bytes]:
    if fmt == "json":
        from reports import show_json
        return show_json.render
    if fmt == "csv":
        from reports import show_csv
        return show_csv.render
    if fmt == "xlsx":
        from reports import show_xlsx
        return show_xlsx.render
    from reports import show_table
    return show_table.render
