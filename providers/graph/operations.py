"""A tenant's changes as Graph requests ("operations"): per user, in stages.

Per user, at most: ``adopt`` (PATCH the marker, nothing else), ``create`` (POST /users with
every attribute, the marker and a generated password), one ``patch`` for its attribute
changes and enable/disable, one ``licences`` (assignLicense with all its SKU changes; both
``addLicenses`` and ``removeLicenses`` are always sent) and ``delete``. Each operation
answers for the plan changes it carries out.

Stages run one after another; inside one, operations go out in concurrent ``$batch``
requests, and an operation that needs another of the same user in the same stage is chained
to it with ``dependsOn`` (a create and its assignLicense):

0. adopt, create, patch, licences;
1. licences-late: assignments that need the seats stage 0's removals free;
2. deletes, last, as in the core's apply order;

and an operation that waits for another user's change (a create taking the UPN a delete
frees) goes to a later stage than that change.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Sequence

from providers.passwords import generate_password

from reconciler.planning.directory import TenantTarget
from reconciler.planning.plan import Action, Change

from .licences import SkuMap
from .marker import Marker, stamp

# Plan attribute names -> Graph user properties.
PROPERTY = {"upn": "userPrincipalName", "display_name": "displayName",
            "given_name": "givenName", "surname": "surname", "usage_location": "usageLocation"}
BASE_STAGE = {"adopt": 0, "create": 0, "patch": 0, "licences": 0, "licences-late": 1,
              "delete": 2}


@dataclass(eq=False)
class Op:
    key: str                   # "<user>:<kind>"
    user: str
    kind: str                  # adopt | create | patch | licences | delete
    method: str
    object_id: str | None      # None: a user this apply creates (addressed once created)
    suffix: str                # path after /users/{id}: "" or "/assignLicense"
    body: dict[str, Any] | None
    changes: list[str]         # plan change ids it carries out
    upn: str                   # the user's UPN once its changes are made
    needs: list[Op] = field(default_factory=list)
    stage: int = 0
    password: str | None = None

    def path(self, created_id: str | None) -> str:
        if self.kind == "create":
            return "/users"
        ref = self.object_id or created_id or self.upn
        return f"/users/{urllib.parse.quote(ref, safe='@')}{self.suffix}"


def build(target: TenantTarget, changes: Sequence[Change], skus: SkuMap,
          marker: Marker) -> list[Op]:
    by_user: dict[str, list[Change]] = {}
    for change in changes:
        by_user.setdefault(change.user, []).append(change)
    ops: list[Op] = []
    op_of: dict[str, Op] = {}  # change id -> its operation
    short = _short_skus(changes, skus)
    for user, mine in by_user.items():
        made = _user_ops(target, user, mine, skus, marker, short)
        for op in made:
            op_of.update((change_id, op) for change_id in op.changes)
        ops.extend(made)
    for change in changes:
        giver = op_of.get(change.depends_on or "")
        taker = op_of.get(change.id)
        if giver is not None and taker is not None and giver is not taker \
                and giver not in taker.needs:
            taker.needs.append(giver)
    _stage(ops)
    return ops


def _user_ops(target: TenantTarget, user: str, changes: list[Change], skus: SkuMap,
              marker: Marker, short: set[str]) -> list[Op]:
    oid = next((c.object_id for c in changes if c.object_id), None)
    upn = changes[-1].upn
    acts = {c.action for c in changes}

    def op(kind: str, method: str, body: dict[str, Any] | None, which: list[Change],
           suffix: str = "") -> Op:
        return Op(f"{user}:{kind}", user, kind, method, oid, suffix, body,
                  [c.id for c in which], upn)

    ops: list[Op] = []
    if Action.ADOPT in acts:
        ops.append(op("adopt", "PATCH", marker.body(stamp(target.tenant, user)),
                      [c for c in changes if c.action is Action.ADOPT]))
    if Action.CREATE in acts:
        create = next(c for c in changes if c.action is Action.CREATE)
        password = generate_password()
        ops.append(op("create", "POST", _create_body(target, user, create, marker, password),
                      [create]))
        ops[-1].password = password
    patch = [c for c in changes if c.action in (Action.UPDATE, Action.ENABLE, Action.DISABLE)]
    if patch:
        body: dict[str, Any] = {}
        for change in patch:
            if change.action is Action.UPDATE:
                body.update({PROPERTY[k]: v for k, v in (change.after or {}).items()
                             if k in PROPERTY})
            else:
                body["accountEnabled"] = change.action is Action.ENABLE
        ops.append(op("patch", "PATCH", body, patch))
    licences = [c for c in changes if c.action in (Action.ASSIGN, Action.REMOVE) and c.sku]
    # Assignments that need seats other users' removals free wait for stage 1; the rest
    # (removals included, which may be the seats others wait for) go now.
    late = [c for c in licences if c.action is Action.ASSIGN and c.sku in short]
    for kind, which, stage in (("licences", [c for c in licences if c not in late], 0),
                               ("licences-late", late, 1)):
        if which:
            ops.append(op(kind, "POST", _licence_body(which, skus), which, "/assignLicense"))
            ops[-1].stage = stage
    if Action.DELETE in acts:
        ops.append(op("delete", "DELETE", None,
                      [c for c in changes if c.action is Action.DELETE]))
    for index, current in enumerate(ops):
        for earlier in ops[:index]:
            if _needs(current, earlier):
                current.needs.append(earlier)
    return ops


def _licence_body(changes: list[Change], skus: SkuMap) -> dict[str, Any]:
    def ids(action: Action) -> list[str]:
        return sorted({skus.sku_id(c.sku or "") or "" for c in changes
                       if c.action is action} - {""})
    return {"addLicenses": [{"skuId": sku_id, "disabledPlans": []}
                            for sku_id in ids(Action.ASSIGN)],
            "removeLicenses": ids(Action.REMOVE)}


def _needs(later: Op, earlier: Op) -> bool:
    if earlier.kind in ("adopt", "create"):
        return True  # the marker (or the user itself) comes first
    # A licence needs a usage location: the patch that sets one goes first.
    return later.kind.startswith("licences") and earlier.kind == "patch" \
        and "usageLocation" in (earlier.body or {})


def _create_body(target: TenantTarget, user: str, change: Change, marker: Marker,
                 password: str) -> dict[str, Any]:
    after = change.after or {}
    body: dict[str, Any] = {
        "accountEnabled": after.get("enabled") is not False,
        "displayName": after.get("display_name"),
        "mailNickname": mail_nickname(change.upn),
        "userPrincipalName": change.upn,
        "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": password},
    }
    for name in ("given_name", "surname", "usage_location"):
        if after.get(name) is not None:
            body[PROPERTY[name]] = after[name]
    body.update(marker.body(stamp(target.tenant, user)))
    return body


def mail_nickname(upn: str) -> str:
    """Graph requires a mailNickname: the UPN's local part without the characters Exchange
    refuses in an alias."""
    local = re.sub(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]", "", upn.split("@")[0]).strip(".")
    return local[:64] or "user"


def _short_skus(changes: Sequence[Change], skus: SkuMap) -> set[str]:
    """SKUs assigned more often than seats are free before this apply's removals run."""
    pools = {p.sku: p for p in skus.pools() if p.sku}
    adds: dict[str, int] = {}
    for change in changes:
        if change.action is Action.ASSIGN and change.sku:
            adds[change.sku] = adds.get(change.sku, 0) + 1
    return {sku for sku, n in adds.items() if sku in pools and n > pools[sku].free}


def _stage(ops: list[Op]) -> None:
    for op in ops:
        op.stage = max(op.stage, BASE_STAGE[op.kind])
    changed, rounds = True, 0
    while changed and rounds <= len(ops):  # bounded: a dependency cycle cannot spin
        changed, rounds = False, rounds + 1
        for op in ops:
            for need in op.needs:
                floor = need.stage + (1 if need.user != op.user else 0)
                if op.stage < floor:
                    op.stage, changed = floor, True
