"""The graph directory: Entra ID users and licences, for one customer tenant or many."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Sequence

from reconciler.errors import DirectoryUnavailable, UserError
from reconciler.planning.directory import ChangeResult, Status, TenantTarget
from reconciler.planning.plan import Action, Blocked, Change
from reconciler.planning.state import ATTRIBUTES, TenantSnapshot
from reconciler.specs import GraphDirectory

from ..registry import Context
from . import licences, operations, reading
from .auth import Credentials
from .batches import PARALLEL_BATCHES, Engine
from .licences import SkuMap
from .marker import Marker
from .operations import Op
from .transport import Transport

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class EntraDirectory:
    kind = "graph"
    attributes = frozenset(ATTRIBUTES)
    reports_licences = True  # snapshots carry subscribedSkus (the licence report)

    def __init__(self, name: str, config: GraphDirectory, context: Context) -> None:
        self.name = name
        self.config = config
        self.context = context
        self.concurrency = config.concurrency  # tenants planned and applied at once
        self.marker = Marker(config.marker_attribute)
        self.transport = Transport(name, config.graph_url, Credentials(name, config, context.root),
                                   connections=config.concurrency * PARALLEL_BATCHES + 4)
        # Listings by Entra tenant: tenant files sharing one Entra tenant read it once.
        self._reads: dict[str, asyncio.Task[tuple[list[Any], list[Any]]]] = {}

    def entra_tenant(self, target: TenantTarget) -> str:
        if not self.config.multi_tenant:
            assert self.config.tenant_id is not None
            return self.config.tenant_id
        if not target.container or not _GUID.match(target.container):
            raise DirectoryUnavailable(f"tenant {target.tenant!r} in multi_tenant directory "
                                       f"{self.name!r} needs 'container': its customer's Entra "
                                       "tenant id")
        return target.container

    # --- read -------------------------------------------------------------------------

    def read_tenant(self, target: TenantTarget) -> TenantSnapshot:
        users, skus = self.transport.run(self._read(self.entra_tenant(target)))
        return reading.snapshot(target, users, SkuMap.build(target, skus), self.marker)

    async def _read(self, entra_tenant: str) -> tuple[list[Any], list[Any]]:
        task = self._reads.get(entra_tenant)
        if task is None:
            task = asyncio.ensure_future(self._fetch(entra_tenant))
            self._reads[entra_tenant] = task
        return await asyncio.shield(task)

    async def _fetch(self, entra_tenant: str) -> tuple[list[Any], list[Any]]:
        users, skus = await asyncio.gather(
            reading.list_users(self.transport, entra_tenant, self.marker),
            reading.subscribed_skus(self.transport, entra_tenant))
        return users, skus

    def check_changes(self, target: TenantTarget, snapshot: TenantSnapshot,
                      changes: Sequence[Change]) -> list[Blocked]:
        unlocated = licences.unlocated(snapshot, changes)
        held_back = {change_id for block in unlocated for change_id in block.changes}
        rest = [c for c in changes if c.id not in held_back]
        return [*unlocated, *licences.refusals(snapshot.licences, target.assign, rest)]

    # --- write ------------------------------------------------------------------------

    def apply(self, target: TenantTarget, changes: Sequence[Change]) -> list[ChangeResult]:
        return self.transport.run(self._apply(target, list(changes)))

    async def _apply(self, target: TenantTarget, changes: list[Change]) -> list[ChangeResult]:
        try:
            return await self._write(target, changes)
        finally:
            self._reads.clear()  # what was read before no longer holds

    async def _write(self, target: TenantTarget, changes: list[Change]) -> list[ChangeResult]:
        entra_tenant = self.entra_tenant(target)
        licensing = any(c.action in (Action.ASSIGN, Action.REMOVE) for c in changes)
        skus = SkuMap.build(target, await reading.subscribed_skus(self.transport, entra_tenant)
                            if licensing else [])
        # Seats may have gone since the plan was made: refuse now what no longer fits.
        refused = _refused(licences.refusals(skus.pools(), target.assign, changes), changes)
        ops = operations.build(target, [c for c in changes if c.id not in refused], skus,
                               self.marker)

        async def record(created: list[Op]) -> str:
            return await asyncio.to_thread(self._record, target, created)

        outcomes = await Engine(self.transport, entra_tenant, target.tenant, self.marker,
                                record).run(ops)
        results = dict(refused)
        for op in ops:
            outcome = outcomes.get(op)
            for change_id in op.changes:
                results[change_id] = ChangeResult(
                    change_id, outcome.status if outcome else Status.FAILED,
                    outcome.message if outcome else "not carried out")
        return [results[c.id] for c in changes]

    def _record(self, target: TenantTarget, created: list[Op]) -> str:
        try:
            self.context.passwords().record_many(
                directory=self.name, tenant=target.tenant,
                accounts=[(op.user, op.upn, op.password or "") for op in created])
        except UserError as exc:
            return f"created, but its initial password could not be recorded ({exc}); " \
                   "reset it in the Entra admin center"
        return ""

    def close(self) -> None:
        self.transport.close()


def _refused(blocked: list[Blocked], changes: Sequence[Change]) -> dict[str, ChangeResult]:
    refused = {change_id: ChangeResult(change_id, Status.FAILED, block.message)
               for block in blocked for change_id in block.changes}
    for change in changes:
        if change.id not in refused and change.depends_on in refused:
            refused[change.id] = ChangeResult(change.id, Status.SKIPPED,
                                              f"needs {change.depends_on}, which was refused")
    return refused
