"""The pure diff: desired users against a directory snapshot, giving typed changes.

No I/O and no knowledge of providers: both sides arrive already projected onto what the
directory manages (``UserState.project``).
"""

from __future__ import annotations

from typing import Iterator, Mapping

from .plan import Action, Change, Value
from .state import ATTRIBUTES, DirectoryObject, TenantSnapshot, UserState

_ORDER = {action: index for index, action in enumerate(Action)}


def diff_tenant(tenant: str, desired: Mapping[str, UserState],
                actual: TenantSnapshot) -> tuple[tuple[Change, ...], tuple[str, ...]]:
    """Changes that turn ``actual`` into ``desired``, and warnings worth a human's look."""
    managed = actual.managed()
    changes: list[Change] = []
    for user in sorted(set(desired) | set(managed)):
        want = desired.get(user)
        have = managed.get(user)
        if want is not None and have is None:
            changes.extend(_create(tenant, user, want))
        elif want is None and have is not None:
            changes.append(_change(tenant, user, Action.DELETE, have.state.upn, have,
                                   before=_full(have.state)))
        elif want is not None and have is not None:
            changes.extend(_update(tenant, user, want, have))
    return tuple(changes), tuple(_conflicts(desired, managed, actual))


def _create(tenant: str, user: str, want: UserState) -> Iterator[Change]:
    create = _change(tenant, user, Action.CREATE, want.upn, None, after=_full(want))
    yield create
    for sku in sorted(want.skus):
        yield _change(tenant, user, Action.ASSIGN, want.upn, None, sku=sku,
                      depends_on=create.id)


def _update(tenant: str, user: str, want: UserState, have: DirectoryObject) -> Iterator[Change]:
    before, after = {}, {}
    for name in ATTRIBUTES:
        old, new = getattr(have.state, name), getattr(want, name)
        if old != new:
            before[name], after[name] = old, new
    if after:
        yield _change(tenant, user, Action.UPDATE, want.upn, have, before=before, after=after)
    if want.enabled != have.state.enabled:
        action = Action.ENABLE if want.enabled else Action.DISABLE
        yield _change(tenant, user, action, want.upn, have,
                      before={"enabled": have.state.enabled}, after={"enabled": want.enabled})
    for sku in sorted(have.state.skus - want.skus):
        yield _change(tenant, user, Action.REMOVE, want.upn, have, sku=sku)
    for sku in sorted(want.skus - have.state.skus):
        yield _change(tenant, user, Action.ASSIGN, want.upn, have, sku=sku)


def _conflicts(desired: Mapping[str, UserState], managed: Mapping[str, DirectoryObject],
               actual: TenantSnapshot) -> Iterator[str]:
    taken = {o.state.upn.lower(): o for o in actual.unmanaged()}
    for user in sorted(set(desired) - set(managed)):
        other = taken.get(desired[user].upn.lower())
        if other is not None:
            yield (f"{user}: UPN {desired[user].upn} belongs to a directory object tenantry "
                   f"does not manage ({other.object_id}); its create will fail until that "
                   "object is removed or adopted with 'tenantry import'")


def _full(state: UserState) -> dict[str, Value]:
    return {**state.attributes(), "enabled": state.enabled}


def _change(tenant: str, user: str, action: Action, upn: str, have: DirectoryObject | None,
            *, sku: str | None = None, before: dict[str, Value] | None = None,
            after: dict[str, Value] | None = None, depends_on: str | None = None) -> Change:
    suffix = f"/{sku}" if sku else ""
    return Change(id=f"{tenant}/{user}/{action.value}{suffix}", action=action, tenant=tenant,
                  user=user, upn=upn, object_id=have.object_id if have else None, sku=sku,
                  before=before, after=after, depends_on=depends_on)
