"""``tenantry requests new|list|show|merge|update``: change requests where the branch is the
request (no forge), and a way to make one from a script or a service desk tool."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from reconciler import requests as rq
from reconciler.errors import UserError
from reconciler.gitrepo import Repo, diff_text, push_ref
from tenantry.output import err, out
from tenantry.workspace import Workspace


class Context:
    """The repository, its specs folder, the request settings and the base branch."""

    def __init__(self, ws: Workspace, settings_file: Path | None, base: str | None) -> None:
        if ws.repo is None:
            raise UserError(f"{ws.label} is not in a git repository; requests are branches")
        if not ws.specs_dir.is_relative_to(ws.repo.root):
            raise UserError(f"{ws.label} is outside the git repository at {ws.repo.root}")
        self.repo: Repo = ws.repo
        self.specs_rel = ws.specs_dir.relative_to(ws.repo.root).as_posix()
        path = (ws.cwd / settings_file) if settings_file else ws.repo.root / rq.DEFAULT_PATH
        self.settings = rq.load(path, required=settings_file is not None)
        self.base = rq.base_branch(self.repo, base or self.settings.base)


def new(ws: Workspace, *, tenant: str, op: str, user: str, values: dict[str, Any],
        requester: str, check_only: bool, settings_file: Path | None,
        base: str | None) -> int:
    ctx = Context(ws, settings_file, base)
    edit = rq.build(op, user, values)
    draft = rq.prepare(ctx.repo, ctx.specs_rel, rq.base_commit(ctx.repo, ctx.base), tenant,
                       edit)
    if not draft.ok:
        for finding in draft.findings:
            err(f"error: {finding.render()}")
            if finding.detail:
                err(f"  ({finding.detail})")
        err(f"error: {len(draft.findings)} problem(s); nothing was submitted")
        return 1
    if check_only:
        out(f"ok: {draft.subject} (not submitted: --check)")
        return 0
    outcome = rq.publish(ctx.repo, draft, rq.Requester(requester), ctx.settings, ctx.base)
    done = outcome.submitted
    out(f"request #{done.number}: {draft.subject}")
    out(f"  branch {done.branch} at {done.commit[:12]} (on {ctx.base} {done.base[:12]})")
    if outcome.pull_request:
        out(f"  pull request {outcome.pull_request.number}: {outcome.pull_request.url}")
    if outcome.forge_error:
        err(f"warning: no pull request was opened: {outcome.forge_error}")
    return 0


def list_requests(ws: Workspace, *, show_all: bool, settings_file: Path | None,
                  base: str | None) -> int:
    ctx = Context(ws, settings_file, base)
    found = [r for r in rq.list_requests(ctx.repo, ctx.base) if show_all or not r.merged]
    if not found:
        out("no open requests" if not show_all else "no requests")
        return 0
    for r in found:
        state = "merged" if r.merged else "open"
        out(f"#{r.number:<5} {state:<7} {_day(r.created)}  {r.author.name:<20.20}  {r.subject}")
    return 0


def show(ws: Workspace, *, number: int, settings_file: Path | None, base: str | None) -> int:
    ctx = Context(ws, settings_file, base)
    r = rq.find_request(ctx.repo, number, ctx.base)
    out(f"request #{r.number} ({'merged' if r.merged else 'open'}): {r.subject}")
    out(f"branch:    {r.branch}")
    out(f"commit:    {r.commit}")
    out(f"requested: {_day(r.created)} by {r.author}")
    if r.base:
        out(f"based on:  {r.base}")
        out("")
        out(diff_text(ctx.repo, r.base, r.commit).rstrip("\n"))
    return 0


def merge(ws: Workspace, *, number: int, settings_file: Path | None, base: str | None) -> int:
    ctx = Context(ws, settings_file, base)
    done = rq.merge(ctx.repo, ctx.specs_rel, number, ctx.base)
    out(f"merged request #{number} into {done.into}: {done.commit[:12]} "
        f"{done.request.subject}")
    if done.replayed:
        out(f"  (the branch conflicted with {done.into}, so its edit was carried out again on "
            f"{done.into}'s current file)")
    return 0


def update(ws: Workspace, *, number: int, settings_file: Path | None, base: str | None) -> int:
    ctx = Context(ws, settings_file, base)
    done = rq.update(ctx.repo, ctx.specs_rel, number, ctx.base)
    out(f"request #{number} brought up to date with {ctx.base}: {done.request.branch} at "
        f"{done.commit[:12]}")
    forge = ctx.settings.forge
    if forge is not None:
        # Its pull request follows the branch: pushing is all the forge needs.
        try:
            push_ref(ctx.repo, forge.remote, f"refs/heads/{done.request.branch}")
        except UserError as exc:
            err(f"warning: the branch was updated here but not pushed to {forge.remote}: {exc}")
            return 1
        out(f"  pushed to {forge.remote}")
    return 0


def _day(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
