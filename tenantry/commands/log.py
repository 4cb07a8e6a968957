"""``tenantry log [TENANT[/USER]] [A..B]``: who changed what, when, in which pull request,
and which apply carried it out (SPEC §7)."""

from __future__ import annotations

from reconciler.changes.logrun import run_log
from tenantry.history_args import cache_dir, repo_and_specs
from tenantry.output import out
from tenantry.workspace import Workspace

FORMATS = ("text", "json")


def run(ws: Workspace, *, target: str | None, commit_range: str | None, fmt: str) -> int:
    repo, specs_rel = repo_and_specs(ws, "log")
    if target is not None and ".." in target and commit_range is None:
        target, commit_range = None, target  # `tenantry log A..B`: a range, every tenant
    log = run_log(repo, specs_rel, target=target, commit_range=commit_range,
                  cache_dir=cache_dir(repo))
    if fmt == "json":
        from reports import log_json
        out(log_json.render(log).rstrip("\n"))
    else:
        from reports import log_text
        out(log_text.render(log).rstrip("\n"))
    return 0
