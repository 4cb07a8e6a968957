"""The pure diff: desired users against a directory snapshot, giving typed changes.

No I/O and no knowledge of providers: both sides arrive already projected onto what the
directory manages (``UserState.project``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator, Mapping

from reconciler.planning.plan import Action, Change, Value
from reconciler.planning.state import ATTRIBUTES, DirectoryObject, TenantSnapshot, UserState


def diff_tenant(tenant: str, desired: Mapping[str, UserState], actual: TenantSnapshot,
                adopt: frozenset[str] = frozenset()) -> tuple[tuple[Change, ...], tuple[str, ...]]:
    """Changes that turn ``actual`` into ``desired``, and warnings worth a human's look.

    Users in ``adopt`` (the specs say ``adopt: true``) that have no managed object take
    over the unmarked object with their UPN: an ``adopt`` change stamps the marker, and
    whatever else differs is planned against that object, after the adoption.
    """
    managed = actual.managed()
    adoptable = _adoptable(actual, desired, managed, adopt)
    changes: list[Change] = []
    for user in sorted(set(desired) | set(managed)):
        want = desired.get(user)
        have = managed.get(user)
        if want is not None and have is None and user in adoptable:
            changes.extend(_adopt(tenant, user, want, adoptable[user]))
        elif want is not None and have is None:
            changes.extend(_create(tenant, user, want))
        elif want is None and have is not None:
            changes.append(_change(tenant, user, Action.DELETE, have.state.upn, have,
                                   before=_full(have.state)))
        elif want is not None and have is not None:
            changes.extend(_update(tenant, user, want, have))
    sequenced, swaps = _free_upns_first(changes)
    return tuple(sequenced), (*_conflicts(desired, managed, actual, set(adoptable)), *swaps)


def _adoptable(actual: TenantSnapshot, desired: Mapping[str, UserState],
               managed: Mapping[str, DirectoryObject],
               adopt: frozenset[str]) -> dict[str, DirectoryObject]:
    """User id -> the unmarked object it adopts (same UPN, case-insensitively)."""
    if not adopt:
        return {}
    by_upn = {o.state.upn.lower(): o for o in actual.unmanaged()}
    found = {}
    for user in sorted(adopt):
        if user in desired and user not in managed:
            other = by_upn.get(desired[user].upn.lower())
            if other is not None:
                found[user] = other
    return found


def _adopt(tenant: str, user: str, want: UserState, have: DirectoryObject) -> Iterator[Change]:
    adopt = _change(tenant, user, Action.ADOPT, have.state.upn, have)
    yield adopt
    for change in _update(tenant, user, want, have):
        yield replace(change, depends_on=adopt.id)


def _create(tenant: str, user: str, want: UserState) -> list[Change]:
    # The changes built directly, not through _change: a first plan of 100,000 users makes
    # ~300,000 of them here, and the extra call was a tenth of the diff. Same ids.
    prefix = f"{tenant}/{user}/"
    create = Change(id=prefix + "create", action=Action.CREATE, tenant=tenant, user=user,
                    upn=want.upn, after=_full(want))
    return [create, *(Change(id=f"{prefix}assign/{sku}", action=Action.ASSIGN, tenant=tenant,
                             user=user, upn=want.upn, sku=sku, depends_on=create.id)
                      for sku in sorted(want.skus))]


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


def _free_upns_first(changes: list[Change]) -> tuple[list[Change], list[str]]:
    """Make a change that takes a UPN depend on the change that gives it up.

    Directories keep UPNs unique, so when one user gives a UPN up (delete, or a rename away
    from it) and another takes it (create, or a rename to it), as when a user's id changes,
    the taker must wait for the giver: otherwise the create would fail on the first apply
    and only the second run would converge. Apply orders changes by ``depends_on``. UPNs
    that go round in a circle (a swap) cannot be sequenced: they get a warning instead.
    """
    givers: dict[str, Change] = {}
    for change in changes:
        if change.action is Action.DELETE or change.action is Action.UPDATE:
            given = _upn_given_up(change)
            if given is not None:
                givers[given] = change
    if not givers:
        return changes, []
    wait_for: dict[str, Change] = {}  # change id -> the change that frees its UPN
    for change in changes:
        taken = _upn_taken(change)
        giver = givers.get(taken) if taken is not None else None
        if giver is not None and giver.user != change.user:
            wait_for[change.id] = giver
    circular: set[str] = set()
    for start in wait_for:
        seen = [start]
        step = wait_for.get(start)
        while step is not None and step.id not in seen:
            seen.append(step.id)
            step = wait_for.get(step.id)
        if step is not None and step.id == start:
            circular.add(start)
    warnings = []
    if circular:
        users = sorted({c.user for c in changes if c.id in circular})
        warnings.append(f"{', '.join(users)}: their UPNs go round in a circle (a swap); a "
                        "directory keeps UPNs unique, so these renames will fail: rename one "
                        "user to a temporary UPN first, apply, then finish the swap")
    sequenced = [replace(c, depends_on=wait_for[c.id].id)
                 if c.id in wait_for and c.id not in circular else c for c in changes]
    return sequenced, warnings


def _upn_given_up(change: Change) -> str | None:
    if change.action is Action.DELETE:
        return change.upn.lower()
    if change.action is Action.UPDATE and change.before and "upn" in change.before:
        return str(change.before["upn"]).lower()
    return None


def _upn_taken(change: Change) -> str | None:
    if change.action is Action.CREATE:
        return change.upn.lower()
    if change.action is Action.UPDATE and change.after and "upn" in change.after:
        return str(change.after["upn"]).lower()
    return None


def _conflicts(desired: Mapping[str, UserState], managed: Mapping[str, DirectoryObject],
               actual: TenantSnapshot, adopted: set[str]) -> Iterator[str]:
    taken = {o.state.upn.lower(): o for o in actual.unmanaged()}
    for user in sorted(desired):
        if user in adopted:
            continue
        have = managed.get(user)
        if have is not None and have.state.upn.lower() == desired[user].upn.lower():
            continue  # keeps its UPN
        other = taken.get(desired[user].upn.lower())
        if other is not None:
            what = "create" if have is None else "rename"
            yield (f"{user}: UPN {desired[user].upn} belongs to a directory object tenantry "
                   f"does not manage ({other.object_id}); its {what} will fail until that "
                   "object is removed or adopted ('adopt: true' on the user, which "
                   "'tenantry import --adopt' writes)")


def _full(state: UserState) -> dict[str, Value]:
    return {**state.attributes(), "enabled": state.enabled}


def _change(tenant: str, user: str, action: Action, upn: str, have: DirectoryObject | None,
            *, sku: str | None = None, before: dict[str, Value] | None = None,
            after: dict[str, Value] | None = None, depends_on: str | None = None) -> Change:
    suffix = f"/{sku}" if sku else ""
    # {action}, not {action.value}: a StrEnum formats as its value, and the property lookup
    # is a visible cost over the ~300,000 changes of a first plan.
    return Change(id=f"{tenant}/{user}/{action}{suffix}", action=action, tenant=tenant,
                  user=user, upn=upn, object_id=have.object_id if have else None, sku=sku,
                  before=before, after=after, depends_on=depends_on)
