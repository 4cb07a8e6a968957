"""Reading a tenant at the API floor: one ``/users`` listing (``$select`` of what is
compared, ``$top=999``, following ``@odata.nextLink``: ceil(users/999) requests) and one
``GET /subscribedSkus``. Pages are read as raw JSON; a page that still fails after retries
raises ``DirectoryUnavailable``, so a partial listing never reaches the diff."""

from __future__ import annotations

from typing import Any

from reconciler.errors import DirectoryUnavailable
from reconciler.planning.directory import TenantTarget
from reconciler.planning.state import DirectoryObject, TenantSnapshot, UserState

from .licences import SkuMap
from .marker import Marker, owner
from .transport import Transport

PAGE = 999
FIELDS = ("id", "userPrincipalName", "displayName", "givenName", "surname", "usageLocation",
          "accountEnabled", "assignedLicenses")


async def list_users(transport: Transport, entra_tenant: str, marker: Marker) -> list[Any]:
    url: str | None = f"/users?$select={','.join((*FIELDS, marker.select))}&$top={PAGE}"
    users: list[Any] = []
    pages = 0
    while url is not None:
        pages += 1
        page = await transport.read(entra_tenant, url, f"listing users (page {pages})")
        value = page.get("value")
        if not isinstance(value, list):
            raise DirectoryUnavailable(f"Graph tenant {entra_tenant}: listing users: page "
                                       f"{pages} has no 'value'")
        users.extend(value)
        link = page.get("@odata.nextLink")
        url = link if isinstance(link, str) and link else None
    return users


async def subscribed_skus(transport: Transport, entra_tenant: str) -> list[Any]:
    document = await transport.read(entra_tenant, "/subscribedSkus", "reading subscribedSkus")
    value = document.get("value")
    return value if isinstance(value, list) else []


def snapshot(target: TenantTarget, users: list[Any], skus: SkuMap,
             marker: Marker) -> TenantSnapshot:
    """The tenant's users: those marked for this tenant (managed), and unmarked ones in its
    domain (left alone, shown to import). Users marked for another tenant file sharing this
    Entra tenant belong to that one."""
    codes = skus.codes_by_sku_id()
    domain = f"@{target.domain.lower()}" if target.domain else None
    objects: list[DirectoryObject] = []
    for user in users:
        if not isinstance(user, dict) or not user.get("id") or not user.get("userPrincipalName"):
            continue
        mark = owner(marker.read(user))
        upn = str(user["userPrincipalName"])
        if mark is None:
            if domain is not None and not upn.lower().endswith(domain):
                continue
        elif mark[0] != target.tenant:
            continue
        held = frozenset(codes.get(sku_id, sku_id) for sku_id in (
            str(lic.get("skuId", "")).lower() for lic in user.get("assignedLicenses") or ()
            if isinstance(lic, dict)) if sku_id)
        state = UserState(upn=upn, display_name=str(user.get("displayName") or ""),
                          given_name=user.get("givenName"), surname=user.get("surname"),
                          usage_location=user.get("usageLocation"),
                          enabled=user.get("accountEnabled") is not False, skus=held)
        objects.append(DirectoryObject(str(user["id"]), mark[1] if mark else None, state))
    objects.sort(key=lambda o: o.object_id)
    return TenantSnapshot(target.tenant, tuple(objects), skus.pools())
