"""``tenantry diff BASE [HEAD]``: spec changes between two commits and their effect on the
monthly recurring charge, for pull requests (SPEC §7). Needs no directory credentials."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.changes.diffmodel import SpecDiff
from reconciler.changes.diffrun import run_diff
from tenantry.history_args import cache_dir, parse_day, repo_and_specs
from tenantry.output import check_output, err, out, write_atomic
from tenantry.workspace import Workspace

FORMATS = ("text", "json", "markdown")


def run(ws: Workspace, *, base: str, head: str | None, fmt: str, on: str | None,
        all_tenants: bool, output: str | Path | None) -> int:
    if output is not None:
        check_output(output, "--output", ws.cwd)  # before the work, not after it
    repo, specs_rel = repo_and_specs(ws, "diff")
    diff = run_diff(repo, specs_rel, base, head, on=parse_day("--on", on),
                    all_tenants=all_tenants, cache_dir=cache_dir(repo))
    text = _renderer(fmt)(diff)
    if output is not None:
        write_atomic(ws.cwd / output, text, "--output")
        err(f"wrote {output}")
    else:
        out(text.rstrip("\n"))
    if head is None and ".." not in base and ws.specs_dirty():
        err("note: the specs in the working tree have uncommitted changes; diff compares "
            "commits (HEAD), so they are not included")
    return 2 if diff.has_changes else 0


def _renderer(fmt: str) -> Callable[[SpecDiff], str]:
    if fmt == "json":
        from reports import diff_json
        return diff_json.render
    if fmt == "markdown":
        from reports import diff_markdown
        return diff_markdown.render
    from reports import diff_text
    return diff_text.render
