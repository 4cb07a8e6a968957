"""Carry a plan out: guard, order, hand each tenant's changes to its directory, collect results.

Failures are values: a change that fails (or a directory that cannot be opened) becomes a
``failed`` result and the loop goes on with the rest; the next run converges. Changes the
plan found ``blocked`` fail without reaching the directory (and what depends on them is
skipped). Tenants of a directory with ``concurrency`` are applied side by side (``fanout``);
results come back in plan order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from reconciler.errors import UserError
from reconciler.planning.directory import ChangeResult, Directory, Status, TenantTarget
from reconciler.planning.fanout import concurrency_of, fan_out
from reconciler.planning.plan import APPLY_ORDER, Change, Plan, TenantPlan

DEFAULT_MAX_DELETES = 10

OpenDirectory = Callable[[str], Directory]
TargetFor = Callable[[TenantPlan, str], TenantTarget]


@dataclass(frozen=True)
class ApplyReport:
    results: tuple[ChangeResult, ...]
    skipped_tenants: tuple[str, ...]  # tenants whose plan carried a read error

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def ok(self) -> bool:
        return not self.skipped_tenants and all(r.status is Status.APPLIED for r in self.results)


def check_delete_guard(plan: Plan, max_deletes: int) -> None:
    deletes = plan.deletes()
    if deletes > max_deletes:
        raise UserError(f"the plan deletes {deletes} users, more than --max-deletes "
                        f"{max_deletes}; check the plan, then run apply again with "
                        f"--max-deletes {deletes} if it is right")


def ordered(changes: Sequence[Change]) -> list[Change]:
    """``APPLY_ORDER`` by action (stable: keeps user order), but never a change before the
    change it ``depends_on`` (a create waits for the delete that frees its UPN)."""
    rank = {action: index for index, action in enumerate(APPLY_ORDER)}
    by_rank = sorted(changes, key=lambda c: rank[c.action])
    ids = {c.id for c in changes}
    done: set[str] = set()
    waiting: dict[str, list[Change]] = {}
    result: list[Change] = []

    def emit(change: Change) -> None:
        result.append(change)
        done.add(change.id)
        for follower in waiting.pop(change.id, []):
            emit(follower)

    for change in by_rank:
        if change.depends_on is None or change.depends_on not in ids \
                or change.depends_on in done:
            emit(change)
        else:
            waiting.setdefault(change.depends_on, []).append(change)
    # A dependency cycle (the diff never plans one): the rest in action order.
    result.extend(c for c in by_rank if c.id not in done)
    return result


def apply_plan(plan: Plan, open_directory: OpenDirectory, target_for: TargetFor) -> ApplyReport:
    skipped = [t.tenant for t in plan.tenants if t.error]
    work = [t for t in plan.tenants if t.changes and not t.error]
    per_tenant = fan_out(work, lambda t: _apply_tenant(t, open_directory, target_for),
                         lambda t: t.directory, lambda d: _concurrency(open_directory, d))
    return ApplyReport(tuple(r for results in per_tenant for r in results), tuple(skipped))


def _concurrency(open_directory: OpenDirectory, directory_id: str) -> int:
    try:
        return concurrency_of(open_directory(directory_id))
    except UserError:
        return 1  # each of its tenants reports the error itself


def _apply_tenant(tenant: TenantPlan, open_directory: OpenDirectory,
                  target_for: TargetFor) -> list[ChangeResult]:
    changes = ordered(tenant.changes)
    refused = _refused(tenant, changes)
    todo = [c for c in changes if c.id not in refused]
    try:
        directory = open_directory(tenant.directory)
        returned = directory.apply(target_for(tenant, directory.kind), todo) if todo else []
    except UserError as exc:
        returned = [ChangeResult(c.id, Status.FAILED, str(exc)) for c in todo]
    # A provider must answer for every change; anything it forgot counts as failed.
    by_id = {r.change_id: r for r in returned} | refused
    return [by_id.get(c.id, ChangeResult(c.id, Status.FAILED, "no result from the directory"))
            for c in changes]


def _refused(tenant: TenantPlan, changes: Sequence[Change]) -> dict[str, ChangeResult]:
    """Results for the plan's blocked changes, and skips for whatever depends on them."""
    refused = {change_id: ChangeResult(change_id, Status.FAILED, block.message)
               for block in tenant.blocked for change_id in block.changes}
    for change in changes:  # ordered: a dependency comes before what depends on it
        if change.id not in refused and change.depends_on in refused:
            refused[change.id] = ChangeResult(change.id, Status.SKIPPED,
                                              f"needs {change.depends_on}, which was refused")
    return refused
