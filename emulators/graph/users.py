"""The user and licence endpoints tenantry uses, as Graph v1.0 documents them.

``/users`` (list, with ``$select``, ``$top`` 1-999 and ``$skiptoken`` paging; default page
100), ``/users/{id | userPrincipalName}`` (get, PATCH, DELETE), ``POST /users``,
``POST /users/{id}/assignLicense`` and ``/subscribedSkus`` with live ``consumedUnits``.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

from .directory import Tenant, User
from .errors import bad_request, not_found

DEFAULT_PAGE = 100
MAX_PAGE = 999
EXTENSION_ATTRIBUTES = tuple(f"extensionAttribute{i}" for i in range(1, 16))
# Returned when no $select is given (Graph's default set for users).
DEFAULT_PROPERTIES = ("businessPhones", "displayName", "givenName", "jobTitle", "mail",
                      "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                      "userPrincipalName", "id")
PROPERTIES = frozenset(DEFAULT_PROPERTIES) | {
    "accountEnabled", "assignedLicenses", "createdDateTime", "mailNickname",
    "onPremisesExtensionAttributes", "usageLocation"}
WRITABLE = frozenset({"accountEnabled", "displayName", "givenName", "surname", "jobTitle",
                      "mailNickname", "mobilePhone", "officeLocation", "preferredLanguage",
                      "usageLocation", "userPrincipalName", "onPremisesExtensionAttributes",
                      "passwordProfile", "businessPhones"})
REQUIRED_ON_CREATE = ("accountEnabled", "displayName", "mailNickname", "userPrincipalName",
                      "passwordProfile")
EXTENSION_PROPERTY = re.compile(r"^extension_[0-9a-fA-F]{32}_[A-Za-z0-9_]+$")
COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass
class Request:
    method: str
    path: str                 # after /v1.0, e.g. /users/abc/assignLicense
    query: dict[str, str]
    body: Any
    base_url: str             # http://127.0.0.1:port/v1.0, for @odata.nextLink


@dataclass
class Response:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None


def list_users(tenant: Tenant, request: Request, lag: float,
               expired_tokens: bool = False) -> Response:
    for option in request.query:
        if option.startswith("$") and option not in ("$select", "$top", "$skiptoken"):
            raise bad_request(f"Query option '{option}' is not supported by this emulator.",
                              "Request_UnsupportedQuery")
    top = DEFAULT_PAGE
    if "$top" in request.query:
        raw = request.query["$top"]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
            raise bad_request(f"Invalid page size specified: '{raw}'. Must be between 1 and "
                              f"{MAX_PAGE} inclusive.", "Request_UnsupportedQuery")
        top = int(raw)
    select = _select(request.query)
    after = _read_skiptoken(request.query["$skiptoken"], expired_tokens) \
        if "$skiptoken" in request.query else None
    tenant.settle(lag)
    users, last = tenant.page(after, top, lag)
    body: dict[str, Any] = {
        "@odata.context": f"{request.base_url}/$metadata#users",
        "value": [_shape(u, select) for u in users]}
    if last is not None:
        params = {k: v for k, v in request.query.items() if k != "$skiptoken"}
        params["$skiptoken"] = _skiptoken(last)
        body["@odata.nextLink"] = (f"{request.base_url}/users?"
                                   + urllib.parse.urlencode(params, safe="$,"))
    return Response(200, body)


def get_user(tenant: Tenant, key: str, request: Request, lag: float) -> Response:
    tenant.settle(lag)
    user = tenant.seen_by_key(key, lag)
    if user is None:
        raise not_found(key)
    return Response(200, {"@odata.context": f"{request.base_url}/$metadata#users/$entity",
                          **_shape(user, _select(request.query))})


def create_user(tenant: Tenant, body: Any, lag: float) -> Response:
    if not isinstance(body, dict):
        raise bad_request("Write requests (excluding DELETE) must contain the Content-Type "
                          "header declaration.")
    missing = [p for p in REQUIRED_ON_CREATE if body.get(p) in (None, "")]
    if missing:
        raise bad_request(f"Invalid value specified for property '{missing[0]}' of resource "
                          "'User'.")
    profile = body["passwordProfile"]
    if not isinstance(profile, dict) or not _complex_enough(profile.get("password")):
        raise bad_request("The specified password does not comply with password complexity "
                          "requirements. Please provide a different password.")
    user: User = {name: None for name in PROPERTIES}
    user.update(businessPhones=[], assignedLicenses=[],
                onPremisesExtensionAttributes={name: None for name in EXTENSION_ATTRIBUTES})
    user["id"] = str(uuid.uuid4())
    user["createdDateTime"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    _write(tenant, user, body, creating=True)
    tenant.put(user, lag)
    tenant.created += 1
    return Response(201, {"@odata.context": "$metadata#users/$entity",
                          **_shape(user, DEFAULT_PROPERTIES)})


def update_user(tenant: Tenant, key: str, body: Any, lag: float) -> Response:
    current = tenant.find(key)
    if current is None:
        raise not_found(key)
    if not isinstance(body, dict):
        raise bad_request("Write requests (excluding DELETE) must contain the Content-Type "
                          "header declaration.")
    user = _copied(current)
    _write(tenant, user, body, creating=False)
    tenant.put(user, lag)
    return Response(204)


def delete_user(tenant: Tenant, key: str, lag: float) -> Response:
    user = tenant.find(key)
    if user is None:
        raise not_found(key)
    for licence in user["assignedLicenses"]:
        sku = tenant.skus.get(licence["skuId"])
        if sku is not None:
            sku.consumed -= 1
    tenant.remove(user["id"], lag)
    return Response(204)


def assign_license(tenant: Tenant, key: str, body: Any, lag: float) -> Response:
    current = tenant.find(key)
    if current is None:
        raise not_found(key)
    missing = [name for name in ("addLicenses", "removeLicenses")
               if not isinstance(body, dict) or not isinstance(body.get(name), list)]
    if missing:
        raise bad_request("One or more parameters of the operation 'assignLicense' are "
                          "missing from the request payload. The missing parameters are: "
                          f"{', '.join(missing)}.")
    held = {lic["skuId"].lower(): lic for lic in current["assignedLicenses"]}
    remove = [str(sku_id).lower() for sku_id in body["removeLicenses"]]
    add = {str(a.get("skuId", "")).lower(): a for a in body["addLicenses"] if isinstance(a, dict)}
    if len(add) != len(body["addLicenses"]):
        raise bad_request("Invalid value specified for property 'addLicenses' of resource "
                          "'User'.")
    skus = {sku_id.lower(): sku for sku_id, sku in tenant.skus.items()}
    for sku_id in [*remove, *add]:
        if sku_id not in skus:
            raise bad_request(f"License {sku_id} does not correspond to a valid company License.")
    for sku_id in remove:
        if sku_id not in held:
            raise bad_request("User does not have a corresponding license.")
    if add and not current.get("usageLocation"):
        raise bad_request("License assignment cannot be done for user with invalid usage "
                          "location.")
    for sku_id in add:
        sku = skus[sku_id]
        if sku_id not in held and sku_id not in remove and sku.consumed >= sku.enabled:
            raise bad_request(f"Subscription with SKU {sku.sku_id} does not have any available "
                              "licenses.")
    user = _copied(current)
    kept = [lic for key_, lic in held.items() if key_ not in remove and key_ not in add]
    for sku_id in remove:
        skus[sku_id].consumed -= 1
    for sku_id, entry in add.items():
        if sku_id not in held or sku_id in remove:
            skus[sku_id].consumed += 1
        kept.append({"skuId": skus[sku_id].sku_id,
                     "disabledPlans": list(entry.get("disabledPlans") or [])})
    user["assignedLicenses"] = kept
    tenant.put(user, lag)
    return Response(200, {"@odata.context": "$metadata#users/$entity",
                          **_shape(user, DEFAULT_PROPERTIES)})


def subscribed_skus(tenant: Tenant, request: Request) -> Response:
    return Response(200, {"@odata.context": f"{request.base_url}/$metadata#subscribedSkus",
                          "value": [s.document(tenant.tenant_id) for s in tenant.skus.values()]})


# --- helpers -------------------------------------------------------------------------------

def _write(tenant: Tenant, user: User, body: dict[str, Any], *, creating: bool) -> None:
    for name, value in body.items():
        if name.startswith("@odata."):
            continue
        if name not in WRITABLE and not EXTENSION_PROPERTY.match(name):
            raise bad_request(f"Property '{name}' does not exist as a declared property or "
                              "extension property.")
    if "userPrincipalName" in body:
        upn = body["userPrincipalName"]
        if not isinstance(upn, str) or upn.count("@") != 1 or upn.startswith("@"):
            raise bad_request("Invalid value specified for property 'userPrincipalName' of "
                              "resource 'User'.")
        domain = upn.split("@")[1].lower()
        if tenant.domains and domain not in tenant.domains:
            raise bad_request("The domain portion of the userPrincipalName property is "
                              "invalid. You must use one of the verified domain names in your "
                              "organization.")
        holder = tenant.by_upn.get(upn.lower())
        if holder is not None and holder != user["id"]:
            raise bad_request("Another object with the same value for property "
                              "userPrincipalName already exists.")
    location = body.get("usageLocation")
    if location is not None and not (isinstance(location, str) and COUNTRY.match(location)):
        raise bad_request("Invalid value specified for property 'usageLocation' of resource "
                          "'User'.")
    if "accountEnabled" in body and not isinstance(body["accountEnabled"], bool):
        raise bad_request("Invalid value specified for property 'accountEnabled' of resource "
                          "'User'.")
    if not creating and "passwordProfile" in body:
        profile = body["passwordProfile"]
        if not isinstance(profile, dict) or not _complex_enough(profile.get("password")):
            raise bad_request("The specified password does not comply with password "
                              "complexity requirements. Please provide a different password.")
    for name, value in body.items():
        if name == "onPremisesExtensionAttributes":
            if not isinstance(value, dict) or set(value) - set(EXTENSION_ATTRIBUTES):
                raise bad_request("Invalid value specified for property "
                                  "'onPremisesExtensionAttributes' of resource 'User'.")
            user[name] = {**user[name], **value}
        elif not name.startswith("@odata."):
            user[name] = dict(value) if isinstance(value, dict) else value


def _shape(user: User, select: tuple[str, ...]) -> dict[str, Any]:
    return {name: user.get(name) for name in select}


def _select(query: dict[str, str]) -> tuple[str, ...]:
    if "$select" not in query:
        return DEFAULT_PROPERTIES
    names = tuple(n.strip() for n in query["$select"].split(",") if n.strip())
    for name in names:
        if name not in PROPERTIES and not EXTENSION_PROPERTY.match(name):
            raise bad_request(f"Could not find a property named '{name}' on type "
                              "'microsoft.graph.user'.")
    return names


def _copied(user: User) -> User:
    copied = dict(user)
    copied["onPremisesExtensionAttributes"] = dict(user["onPremisesExtensionAttributes"])
    copied["assignedLicenses"] = [dict(lic) for lic in user["assignedLicenses"]]
    return copied


def _complex_enough(password: Any) -> bool:
    # Entra's rule: 8-256 characters, three of lower case, upper case, digits, symbols.
    if not isinstance(password, str) or not 8 <= len(password) <= 256:
        return False
    classes = [any(c.islower() for c in password), any(c.isupper() for c in password),
               any(c.isdigit() for c in password), any(not c.isalnum() for c in password)]
    return sum(classes) >= 3


def _skiptoken(after: str) -> str:
    return base64.urlsafe_b64encode(f"emulator:{after}".encode()).decode().rstrip("=")


def _read_skiptoken(token: str, expired: bool = False) -> str:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except ValueError:
        text = ""
    if expired or not text.startswith("emulator:"):
        raise bad_request("The specified page token value has expired and can no longer be "
                          "included in your request.", "Directory_ExpiredPageToken")
    return text.removeprefix("emulator:")
