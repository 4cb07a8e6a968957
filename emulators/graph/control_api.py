"""The test controls (no token needed), under ``/_emulator``:

| request | does |
|---|---|
| ``POST /_emulator/reset`` ``{switch: value}`` | forget every tenant and count; set switches |
| ``POST /_emulator/switches`` ``{switch: value}`` | change switches (see ``Switches``) |
| ``PUT /_emulator/tenants/{id}`` ``{token, domains, skus: [{skuPartNumber, enabled}]}`` | add or replace a tenant |
| ``POST /_emulator/tenants/{id}/users`` ``{users: [{...user, licences: [partNumber]}]}`` | add users as they are (no lag, no checks but UPN uniqueness) |
| ``GET /_emulator/tenants/{id}/users`` | every user as stored (passwords included), and how many Graph created |
| ``PATCH /_emulator/tenants/{id}/skus`` ``{partNumber: seats bought}`` | change prepaidUnits |
| ``GET /_emulator/tenants/{id}/skus`` | the SKUs with live consumedUnits |
| ``GET /_emulator/stats``, ``POST /_emulator/stats/reset`` | the request counters |
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from .directory import Sku, Tenant
from .errors import GraphError, bad_request
from .users import EXTENSION_ATTRIBUTES, PROPERTIES, Response

if TYPE_CHECKING:
    from .server import Emulator


def handle(emulator: Emulator, method: str, path: str, body: Any) -> Response:
    parts = [p for p in path.split("/") if p][1:]
    body = body if isinstance(body, dict) else {}
    with emulator.lock:
        if parts == ["reset"] and method == "POST":
            emulator.tenants.clear()
            emulator.counters.reset()
            defaults = type(emulator.switches)()
            emulator.switches.__dict__.update(defaults.__dict__)
            return _switches(emulator, body)
        if parts == ["switches"] and method == "POST":
            return _switches(emulator, body)
        if parts == ["stats"] and method == "GET":
            return Response(200, {"requests": emulator.counters.snapshot()})
        if parts == ["stats", "reset"] and method == "POST":
            emulator.counters.reset()
            return Response(204)
        if len(parts) >= 2 and parts[0] == "tenants":
            return _tenant(emulator, method, parts[1], parts[2:], body)
    raise GraphError(404, "NotFound", f"no emulator control {method} {path}")


def _switches(emulator: Emulator, body: dict[str, Any]) -> Response:
    try:
        emulator.switches.update(body)
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    emulator.faults.reseed()
    return Response(200, dict(emulator.switches.__dict__))


def _tenant(emulator: Emulator, method: str, tenant_id: str, rest: list[str],
            body: dict[str, Any]) -> Response:
    if not rest and method == "PUT":
        made = Tenant(tenant_id, str(body["token"]),
                      tuple(d.lower() for d in body.get("domains", ())))
        for sku in body.get("skus", ()):
            sku_id = str(sku.get("skuId") or uuid.uuid5(uuid.NAMESPACE_URL, sku["skuPartNumber"]))
            made.skus[sku_id] = Sku(sku_id, sku["skuPartNumber"], int(sku.get("enabled", 0)))
        emulator.tenants[tenant_id] = made
        return Response(204)
    tenant = emulator.tenants.get(tenant_id)
    if tenant is None:
        raise GraphError(404, "NotFound", f"no emulated tenant {tenant_id}")
    if rest == ["users"] and method == "POST":
        return Response(200, {"ids": [_seed(tenant, u) for u in body.get("users", ())]})
    if rest == ["users"] and method == "GET":
        return Response(200, {"value": list(tenant.users.values()), "created": tenant.created})
    if rest == ["skus"] and method == "GET":
        return Response(200, {"value": [s.document(tenant_id) for s in tenant.skus.values()]})
    if rest == ["skus"] and method == "PATCH":
        by_name = {s.part_number: s for s in tenant.skus.values()}
        for name, seats in body.items():
            by_name[name].enabled = int(seats)
        return Response(204)
    raise GraphError(404, "NotFound", f"no emulator control {method} tenants/{tenant_id}/"
                                      f"{'/'.join(rest)}")


def _seed(tenant: Tenant, fields: dict[str, Any]) -> str:
    user: dict[str, Any] = {name: None for name in PROPERTIES}
    user.update(businessPhones=[], assignedLicenses=[], accountEnabled=True,
                onPremisesExtensionAttributes={n: None for n in EXTENSION_ATTRIBUTES})
    user["id"] = str(uuid.uuid4())
    licences = fields.get("licences", ())
    for name, value in fields.items():
        if name == "onPremisesExtensionAttributes":
            user[name].update(value)
        elif name != "licences":
            user[name] = value
    by_name = {s.part_number: s for s in tenant.skus.values()}
    for part in licences:
        by_name[part].consumed += 1
        user["assignedLicenses"].append({"skuId": by_name[part].sku_id, "disabledPlans": []})
    if user["userPrincipalName"].lower() in tenant.by_upn:
        raise bad_request(f"UPN {user['userPrincipalName']} is taken")
    user.setdefault("mailNickname", user["userPrincipalName"].split("@")[0])
    tenant.put(user, 0)
    return str(user["id"])
