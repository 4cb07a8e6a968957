"""``tenantry plan``: desired (specs in the working tree) against actual (the directories)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from reconciler.planning.plan import Plan
from reconciler.planning.planner import make_plan, select_tenants
from reconciler.specs import Specs, gc_paused
from reports import plan_markdown, plan_text
from tenantry import __version__
from tenantry.options import parse_shard
from tenantry.output import check_output, err, out, write_atomic
from tenantry.quick_exit import keep
from tenantry.workspace import Workspace

FORMATS = ("text", "json", "markdown")


def compute(ws: Workspace, specs: Specs, tenants: Sequence[str], shard: str | None) -> Plan:
    chosen = select_tenants(specs, tenants, parse_shard(shard))
    # A first plan builds ~300,000 changes that all stay alive: without the pause, the
    # collector walks them again and again (half the time of a 100,000-user plan).
    with gc_paused(freeze=True), ws.directories(specs) as pool:
        return make_plan(specs, chosen, pool, revision=ws.repo.head() if ws.repo else None,
                         dirty=ws.specs_dirty(), tool_version=__version__)


def render(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return plan.to_json()
    if fmt == "markdown":
        return plan_markdown.render(plan)
    return plan_text.render(plan)


def run(ws: Workspace, *, tenants: Sequence[str], shard: str | None, fmt: str,
        out_file: str | Path | None, detailed_exitcode: bool) -> int:
    if out_file is not None:
        check_output(out_file, "--out", ws.cwd)  # before reading any directory
    specs = ws.load()
    plan = compute(ws, specs, tenants, shard)
    keep(specs, plan)  # freed by the process's exit, not object by object (quick_exit)
    if out_file is not None:
        # The saved plan is always the JSON document; apply reads it back.
        write_atomic(ws.cwd / out_file, plan.json_chunks(), "--out")
    if fmt == "json":
        for chunk in plan.json_chunks():  # streamed: a first plan can be ~130 MB of JSON
            sys.stdout.write(chunk)
        sys.stdout.flush()
    else:
        out(render(plan, fmt).rstrip("\n"))
    if out_file is not None and fmt != "json":
        err(f"Saved the plan to {out_file}; apply it with: tenantry apply {out_file}")
    if plan.errors():
        for line in plan.errors():
            err(f"error: {line}")
        return 1
    return 2 if detailed_exitcode and plan.has_changes() else 0
