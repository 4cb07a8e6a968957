"""Reading one tenant completely: its license groups first, then its users, page by page.

Products are read from the groups (``member``), not from the users' ``memberOf``: groups
are authoritative on every server (``memberOf`` needs an overlay on OpenLDAP), and each
group is read once per command however many tenants share it. On AD a large ``member`` is
followed through all its ranges.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Mapping

from reconciler.errors import DirectoryUnavailable
from reconciler.planning.directory import TenantTarget
from reconciler.planning.state import DirectoryObject, TenantSnapshot, UserState

from . import dn
from .session import Entry, Session
from .settings import Settings


@dataclass
class Known:
    """What apply needs about an entry the last read saw (read again before risky writes)."""

    dn: str
    status: list[bytes] | None


@dataclass
class ReadCache:
    """Per command: group members by group, and the entries seen, by object id. Shared by
    the tenants read at once: ``filling`` makes the first to need a license group read it
    while the others wait for it (the groups are often shared by every tenant, and large)."""

    members: dict[dn.DnKey, frozenset[dn.DnKey]] = field(default_factory=dict)
    known: dict[str, Known] = field(default_factory=dict)
    filling: threading.Lock = field(default_factory=threading.Lock, repr=False,
                                    compare=False)

    def clear(self) -> None:
        with self.filling:
            self.members.clear()
            self.known.clear()


def group_dns(settings: Settings, target: TenantTarget) -> dict[str, str]:
    """SKU -> the full DN of its license group."""
    return {sku: settings.group_dn(sku, relative) for sku, relative in target.assign.items()}


def license_members(session: Session, settings: Settings, target: TenantTarget,
                    cache: ReadCache) -> dict[str, frozenset[dn.DnKey]]:
    """SKU -> the members of its group. A group that does not exist fails the tenant's plan
    here, rather than every assignment failing during apply."""
    found: dict[str, frozenset[dn.DnKey]] = {}
    for sku, group in sorted(group_dns(settings, target).items()):
        group_key = dn.key(group)
        with cache.filling:
            if group_key not in cache.members:
                values = session.members(group, settings.flavor.ranged_members)
                if values is None:
                    raise DirectoryUnavailable(
                        f"directory {settings.directory!r}: group {group} (assign.ldap of "
                        f"{sku}) does not exist; create it or fix catalog.yaml")
                cache.members[group_key] = frozenset(
                    dn.key(v.decode("utf-8", errors="replace")) for v in values)
            found[sku] = cache.members[group_key]
    return found


def read_tenant(session: Session, settings: Settings, target: TenantTarget,
                cache: ReadCache) -> TenantSnapshot:
    members = license_members(session, settings, target, cache)
    container = settings.container_dn(target.tenant, target.container)
    if session.read(container, ["objectClass"]) is None:
        raise DirectoryUnavailable(
            f"directory {settings.directory!r}: the container of tenant {target.tenant!r}, "
            f"{container}, does not exist; create it first")
    flavor = settings.flavor
    objects = []
    for entry in session.search(container, flavor.user_filter,
                                flavor.read_attributes(settings.marker)):
        obj = _object(settings, target.tenant, entry, members)
        if obj is not None:
            objects.append(obj)
            cache.known[obj.object_id] = Known(
                entry.dn, entry.attrs.get(flavor.status_attribute.lower()))
    objects.sort(key=lambda o: o.object_id)
    return TenantSnapshot(target.tenant, tuple(objects))


def _object(settings: Settings, tenant: str, entry: Entry,
            members: Mapping[str, frozenset[dn.DnKey]]) -> DirectoryObject | None:
    flavor = settings.flavor
    attrs = entry.attrs
    ids = attrs.get(flavor.id_attribute.lower())
    if not ids:
        return None  # not readable as a user (no id): nothing tenantry could ever change
    names = {name: flavor.read_name(name, attrs.get(attribute.lower()))
             for name, attribute in flavor.names.items()}
    display = names.pop("display_name", None) or dn.first_value(entry.dn)
    user_key = dn.key(entry.dn)
    state = UserState(
        # An entry without a UPN (possible for objects tenantry does not own) reads as "".
        upn=flavor.read_name("upn", attrs.get(flavor.upn_attribute.lower())) or "",
        display_name=display, given_name=names.get("given_name"),
        surname=names.get("surname"), usage_location=names.get("usage_location"),
        enabled=flavor.is_enabled(attrs.get(flavor.status_attribute.lower())),
        skus=frozenset(sku for sku, keys in members.items() if user_key in keys))
    marker = settings.marker_user(tenant, attrs.get(settings.marker.lower()))
    return DirectoryObject(flavor.object_id(ids), marker, state)
