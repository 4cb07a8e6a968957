"""Build a plan: desired state from specs, actual state from directory readers, diffed."""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import replace
from typing import Callable, Iterable, Sequence

from reconciler.errors import DirectoryUnavailable, UserError
from reconciler.planning import digest
from reconciler.planning.diff import diff_tenant
from reconciler.planning.directory import ChangeChecker, DirectoryReader, TenantTarget
from reconciler.planning.fanout import concurrency_of, fan_out
from reconciler.planning.plan import Plan, TenantPlan
from reconciler.planning.state import DirectoryObject, TenantSnapshot, UserState
from reconciler.specs import Catalog, Specs

OpenReader = Callable[[str], DirectoryReader]


def target_for(specs: Specs, tenant_id: str, kind: str) -> TenantTarget:
    """The tenant's place in its directory, and which SKUs that directory provisions.

    The local directory holds SKU codes as they are, so it provisions every product; a real
    directory provisions only products with an ``assign`` entry for its kind.
    """
    tenant = specs.tenants[tenant_id]
    return TenantTarget(tenant=tenant_id, directory=specs.directory_id(tenant_id),
                        container=tenant.container, domain=tenant.domain,
                        assign=assign_for(specs.catalog, kind))


def assign_for(catalog: Catalog, kind: str) -> dict[str, str]:
    """SKU code -> what a directory of this kind assigns for it (the products it provisions)."""
    assign: dict[str, str] = {}
    for sku, product in catalog.products.items():
        if kind == "local":
            assign[sku] = sku
        else:
            native = getattr(product.assign, kind, None) if product.assign else None
            if native:
                assign[sku] = native
    return assign


def desired_users(specs: Specs, tenant_id: str) -> dict[str, UserState]:
    tenant = specs.tenants[tenant_id]
    return {
        uid: UserState(upn=u.upn, display_name=u.display_name, given_name=u.given_name,
                       surname=u.surname, usage_location=u.usage_location or tenant.usage_location,
                       enabled=u.enabled, skus=frozenset(u.skus))
        for uid, u in tenant.users.items()
    }


def select_tenants(specs: Specs, only: Sequence[str], shard: tuple[int, int] | None) -> list[str]:
    """Tenants to work on: ``--tenant`` filters, then ``--shard I/N``.

    Shards are by a stable hash of the tenant id, so adding a tenant never moves others
    to a different CI job.
    """
    unknown = sorted(set(only) - set(specs.tenants))
    if unknown:
        raise UserError(f"unknown tenant {unknown[0]!r}; tenants are the file names in "
                        "specs/tenants/")
    # A tenant named twice is planned (and applied) once.
    chosen = sorted(set(only)) if only else sorted(specs.tenants)
    if shard is not None:
        index, count = shard
        chosen = [t for t in chosen if zlib.crc32(t.encode()) % count == index - 1]
    return chosen


def make_plan(specs: Specs, tenants: Iterable[str], open_reader: OpenReader, *,
              revision: str | None, dirty: bool, tool_version: str) -> Plan:
    """Plan every tenant; tenants of a directory with ``concurrency`` run side by side."""
    planned = fan_out(list(tenants), lambda t: plan_tenant(specs, t, open_reader),
                      specs.directory_id, lambda d: reader_concurrency(open_reader, d))
    return Plan(tool_version=tool_version, revision=revision, dirty=dirty,
                tenants=tuple(planned))


def reader_concurrency(open_reader: OpenReader, directory_id: str) -> int:
    try:
        return concurrency_of(open_reader(directory_id))
    except DirectoryUnavailable:
        return 1  # each of its tenants reports the error itself


def plan_tenant(specs: Specs, tenant_id: str, open_reader: OpenReader) -> TenantPlan:
    directory_id = specs.directory_id(tenant_id)
    try:
        reader = open_reader(directory_id)
    except DirectoryUnavailable as exc:
        # A directory that cannot be opened (unreachable, or a provider this version lacks)
        # leaves its tenants unplanned; tenants in other directories are still planned.
        users = desired_users(specs, tenant_id)
        return TenantPlan(tenant=tenant_id, directory=directory_id,
                          provider=specs.directory(tenant_id).provider,
                          desired_digest=desired_digest(users, adoptions(specs, tenant_id)),
                          actual_digest=None, error=str(exc))
    target = target_for(specs, tenant_id, reader.kind)
    desired = {uid: s.project(reader.attributes, target.skus)
               for uid, s in desired_users(specs, tenant_id).items()}
    adopt = adoptions(specs, tenant_id)
    base = dict(tenant=tenant_id, directory=directory_id, provider=reader.kind,
                desired_digest=desired_digest(desired, adopt))
    try:
        snapshot = reader.read_tenant(target)
    except DirectoryUnavailable as exc:
        # Never diff against a failed or partial read: that would plan deletes.
        return TenantPlan(**base, actual_digest=None, error=str(exc))
    snapshot = replace(snapshot, objects=tuple(
        DirectoryObject(o.object_id, o.marker, o.state.project(reader.attributes, target.skus))
        for o in snapshot.objects))
    changes, warnings = diff_tenant(tenant_id, desired, snapshot, adopt)
    blocked = tuple(reader.check_changes(target, snapshot, changes)) \
        if isinstance(reader, ChangeChecker) else ()
    return TenantPlan(**base, actual_digest=snapshot_digest(snapshot), changes=changes,
                      warnings=warnings, blocked=blocked)


def adoptions(specs: Specs, tenant_id: str) -> frozenset[str]:
    """Users whose spec asks to take over an unmarked directory object (``adopt: true``)."""
    return frozenset(uid for uid, u in specs.tenants[tenant_id].users.items() if u.adopt)


def desired_digest(users: dict[str, UserState], adopt: frozenset[str] = frozenset()) -> str:
    """What a saved plan records of the specs it was made from (apply re-checks it)."""
    if not adopt:
        return digest.desired_digest(users)
    # Adoptions only when set, so the digests of specs without them stay as they were.
    state = sorted((uid, digest.fields_of(s)) for uid, s in users.items())
    return _digest([state, sorted(adopt)])


def snapshot_digest(snapshot: TenantSnapshot) -> str:
    return _digest(sorted((o.object_id, o.marker, digest.fields_of(o.state))
                          for o in snapshot.objects))


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, default=sorted, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
