"""Carry a plan out: guard, order, hand each tenant's changes to its directory, collect results.

Failures are values: a change that fails (or a directory that cannot be opened) becomes a
``failed`` result and the loop goes on with the rest; the next run converges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from reconciler.errors import UserError
from reconciler.planning.directory import ChangeResult, Directory, Status, TenantTarget
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
    results: list[ChangeResult] = []
    skipped: list[str] = []
    for tenant in plan.tenants:
        if tenant.error:
            skipped.append(tenant.tenant)
            continue
        if tenant.changes:
            results.extend(_apply_tenant(tenant, open_directory, target_for))
    return ApplyReport(tuple(results), tuple(skipped))


def _apply_tenant(tenant: TenantPlan, open_directory: OpenDirectory,
                  target_for: TargetFor) -> list[ChangeResult]:
    changes = ordered(tenant.changes)
    try:
        directory = open_directory(tenant.directory)
        returned = directory.apply(target_for(tenant, directory.kind), changes)
    except UserError as exc:
        return [ChangeResult(c.id, Status.FAILED, str(exc)) for c in changes]
    # A provider must answer for every change; anything it forgot counts as failed.
    by_id = {r.change_id: r for r in returned}
    return [by_id.get(c.id, ChangeResult(c.id, Status.FAILED, "no result from the directory"))
            for c in changes]
