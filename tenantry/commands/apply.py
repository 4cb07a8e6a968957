"""``tenantry apply``: carry a plan out, safely, and record the outcome as a git note."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

from reconciler.changes import notes
from reconciler.errors import UserError
from reconciler.planning.apply import ApplyReport, apply_plan, check_delete_guard
from reconciler.planning.directory import Status, TenantTarget
from reconciler.planning.plan import Plan, TenantPlan
from reconciler.planning.planner import select_tenants, target_for
from reconciler.specs.tree import Specs
from tenantry import __version__, applylock
from tenantry.commands import plan as plan_cmd
from tenantry.options import parse_shard
from tenantry.output import check_output, err, out
from tenantry.workspace import Workspace

_MARK = {Status.APPLIED: "ok", Status.FAILED: "FAILED", Status.SKIPPED: "skipped"}


def run(ws: Workspace, *, plan_file: Path | None, auto_approve: bool, max_deletes: int,
        tenants: Sequence[str], shard: str | None, allow_dirty: bool,
        new_passwords: str | Path | None = None, lock_timeout: float = 0) -> int:
    if ws.repo is None:
        ws.require_specs_dir()
        raise UserError(f"{ws.label} is not in a git repository; apply records each outcome "
                        "on the applied commit, so the specs must be committed")
    passwords = None if new_passwords is None else \
        check_output(new_passwords, "--new-passwords", ws.cwd)
    dirty = ws.specs_dirty()
    if dirty and not allow_dirty:
        raise UserError(f"the spec files in {ws.label}/ have changes not committed to HEAD (apply "
                        "records its outcome on the commit it applies); commit them first (or pass "
                        "--allow-dirty to apply uncommitted specs)")
    specs = ws.load()
    saved = None
    if plan_file is not None:
        saved = _load_saved(ws.cwd / plan_file)
        if tenants or shard:
            # --tenant/--shard narrow a saved plan; they never add tenants to it.
            chosen = set(select_tenants(specs, tenants, parse_shard(shard)))
            saved = saved.model_copy(update={
                "tenants": tuple(t for t in saved.tenants if t.tenant in chosen)})
        directories = {t.directory for t in saved.tenants}
    else:
        directories = {specs.directory_id(t)
                       for t in select_tenants(specs, tenants, parse_shard(shard))}
    # Planning happens under the lock too: a plan made while another apply runs is stale.
    with applylock.locked(ws.root, directories, wait=lock_timeout):
        return _apply(ws, specs, saved, plan_file, auto_approve=auto_approve,
                      max_deletes=max_deletes, tenants=tenants, shard=shard, dirty=dirty,
                      passwords=passwords)


def _apply(ws: Workspace, specs: Specs, saved: Plan | None, plan_file: Path | None, *,
           auto_approve: bool, max_deletes: int, tenants: Sequence[str], shard: str | None,
           dirty: bool, passwords: Path | None) -> int:
    if saved is not None and plan_file is not None:
        plan = saved
        # Plan again from scratch what the saved plan covers, to prove it is still current.
        names = [t.tenant for t in plan.tenants if t.tenant in specs.tenants]
        fresh = plan_cmd.compute(ws, specs, names, None) if names \
            else plan.model_copy(update={"tenants": ()})
        _refuse_stale(plan, fresh, plan_file)
    else:
        plan = plan_cmd.compute(ws, specs, tenants, shard)
        out(plan_cmd.render(plan, "text").rstrip("\n"))
    for line in plan.errors():
        err(f"error: {line}")
    if not plan.has_changes():
        if plan_file is not None:
            out("No changes. The directories match the specs.")
        return 1 if plan.errors() else 0
    check_delete_guard(plan, max_deletes)
    if plan_file is None and not auto_approve:
        _confirm()
    with ws.directories(specs, passwords) as pool:
        report = apply_plan(plan, pool, _targets(specs))
    _print(plan, report)
    _record(ws, specs, plan, report, dirty)
    return 0 if report.ok else 1


def _load_saved(path: Path) -> Plan:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read plan file {str(path)!r}: {exc.strerror}") from None
    try:
        return Plan.from_json(text)
    except ValueError:
        raise UserError(f"{str(path)!r} is not a tenantry plan (tenantry.plan/1); write one "
                        "with 'tenantry plan --out FILE'") from None


def _refuse_stale(saved: Plan, fresh: Plan, name: Path) -> None:
    now = {t.tenant: t for t in fresh.tenants}
    for tenant in saved.tenants:
        current = now.get(tenant.tenant)
        what = None
        if current is None:
            what = "the tenant is no longer in the specs"
        elif (current.directory, current.provider) != (tenant.directory, tenant.provider):
            what = f"the tenant moved to directory {current.directory!r}"
        elif current.desired_digest != tenant.desired_digest:
            what = "the specs changed"
        elif current.actual_digest != tenant.actual_digest:
            what = f"directory {tenant.directory!r} changed"
        if what:
            raise UserError(f"plan {str(name)!r} is stale for tenant {tenant.tenant!r}: {what} "
                            "since it was made; run 'tenantry plan' again")


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise UserError("apply needs confirmation: pass --auto-approve (as in CI), or run it "
                        "in a terminal")
    try:
        answer = input("\nApply these changes? Only 'yes' is accepted: ")
    except EOFError:
        answer = ""
    if answer.strip() != "yes":
        raise UserError("apply cancelled; nothing was changed")


def _targets(specs: Specs) -> Callable[[TenantPlan, str], TenantTarget]:
    def target(tenant: TenantPlan, kind: str) -> TenantTarget:
        return target_for(specs, tenant.tenant, kind)
    return target


def _print(plan: Plan, report: ApplyReport) -> None:
    by_id = {c.id: c for c in plan.changes()}
    for result in report.results:
        change = by_id[result.change_id]
        detail = f": {result.message}" if result.message else ""
        line = f"{_MARK[result.status]:>7}  {change.id}{detail}"
        (out if result.status is Status.APPLIED else err)(line)
    out(f"Apply complete: {report.count(Status.APPLIED)} applied, "
        f"{report.count(Status.FAILED)} failed, {report.count(Status.SKIPPED)} skipped.")


def _record(ws: Workspace, specs: Specs, plan: Plan, report: ApplyReport, dirty: bool) -> None:
    """Leave the outcome on the applied commit: a ``tenantry.apply/1`` note (one JSON line
    per apply; ``tenantry log`` shows them)."""
    assert ws.repo is not None
    head = ws.repo.head()
    if head is None:
        return
    note = notes.build(
        applied_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        tool_version=__version__, revision=head,
        # Now, not when a saved plan was made: did the applied specs differ from HEAD?
        dirty=dirty, tenants=[c.tenant for c in plan.changes()],
        applied=report.count(Status.APPLIED),
        failures=[(r.change_id, r.message) for r in report.results
                  if r.status is Status.FAILED],
        skipped=[r.change_id for r in report.results if r.status is Status.SKIPPED],
        # Tenants whose directory could not be read: nothing was applied to them.
        not_planned=[t.tenant for t in plan.tenants if t.error],
        secrets=_secrets(specs))
    try:
        ws.repo.add_note(head, note.to_json())
    except UserError as exc:
        raise UserError(f"the changes above were made, but their record could not be "
                        f"written as a git note on {head[:12]}: {exc}") from None


def _secrets(specs: Specs) -> list[str]:
    """The values of every secret the directories name (``*_env``): never in a note."""
    values = []
    for config in specs.directories.directories.values():
        for field, name in config.model_dump().items():
            if field.endswith("_env") and isinstance(name, str) and os.environ.get(name):
                values.append(os.environ[name])
    return values
