"""Carrying one tenant's changes out, one LDAP operation (or a few) per change.

Ownership is proved at write time, never assumed from the plan:

* a modify of a user carries "delete marker value V, add V" first: a modify is atomic, so
  it fails with noSuchAttribute, changing nothing, unless the entry still holds exactly our
  marker (no extra round trip, no race);
* renames, deletes and group changes, which cannot carry that, read the entry with the
  marker as filter just before.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable

from providers.passwords import NewPasswords, generate_password
from reconciler.errors import UserError
from reconciler.planning.directory import TenantTarget
from reconciler.planning.plan import Action, Change

from . import dn
from .flavors import ADD, DELETE, REPLACE, Mods
from .reader import Known, ReadCache, group_dns
from .session import Failure, Session
from .settings import Settings

ENTRY_EXISTS, VALUE_EXISTS, NO_SUCH_VALUE, UNWILLING, CONSTRAINT = 68, 20, 16, 53, 19
OBJECT_CLASS_VIOLATION, NOT_ALLOWED_ON_NON_LEAF = 65, 66
# sAMAccountName may not hold these (and is at most 20 characters).
_NOT_IN_ACCOUNT_NAME = re.compile(r'["/\\\[\]:;|=,+*?<>@\s\x00-\x1f]')


@dataclass
class Writer:
    session: Session
    settings: Settings
    target: TenantTarget
    cache: ReadCache
    passwords: Callable[[], NewPasswords]

    def __post_init__(self) -> None:
        self.created: dict[str, Known] = {}  # change id of a create -> the new entry
        self.owned: set[str] = set()  # DNs whose marker was checked in this apply

    def apply(self, change: Change) -> None:
        handler = {
            Action.CREATE: self._create, Action.ADOPT: self._adopt, Action.UPDATE: self._update,
            Action.ENABLE: self._status, Action.DISABLE: self._status,
            Action.ASSIGN: self._membership, Action.REMOVE: self._membership,
            Action.DELETE: self._delete,
        }[change.action]
        handler(change)

    # --- helpers ------------------------------------------------------------------------

    def _marker(self, change: Change) -> str:
        return self.settings.marker_value(self.target.tenant, change.user)

    def _assert_marker(self, change: Change) -> Mods:
        value = self._marker(change)
        return {self.settings.marker: [(DELETE, [value]), (ADD, [value])]}

    def _entry(self, change: Change) -> Known:
        """The entry a change is about: created earlier in this apply, or seen by the read."""
        if change.object_id is None:
            made = self.created.get(change.depends_on or "")
            if made is None:
                raise UserError(f"{change.id}: its user was not created")
            return made
        known = self.cache.known.get(change.object_id)
        if known is None:
            known = self._locate(change.object_id)
            self.cache.known[change.object_id] = known
        return known

    def _locate(self, object_id: str) -> Known:
        flavor = self.settings.flavor
        attrs = [flavor.status_attribute]
        base = flavor.locate_base(object_id)
        if base is not None:
            entry = self.session.read(base, attrs)
        else:
            container = self.settings.container_dn(self.target.tenant, self.target.container)
            found = list(self.session.search(
                container, dn.equality_filter(flavor.id_attribute, object_id), attrs))
            entry = found[0] if len(found) == 1 else None
        if entry is None:
            raise UserError(f"object {object_id} no longer exists")
        return Known(entry.dn, entry.attrs.get(flavor.status_attribute.lower()))

    def _check_owned(self, change: Change, known: Known) -> None:
        if known.dn in self.owned:
            return
        value = self._marker(change)
        if self.session.read(known.dn, ["objectClass"],
                             dn.equality_filter(self.settings.marker, value)) is None:
            raise UserError(f"{known.dn} is no longer marked as tenantry's user "
                            f"{self.target.tenant}/{change.user}; left untouched")
        self.owned.add(known.dn)

    def _upn_free(self, upn: str, own_dn: str | None) -> None:
        """Directories keep UPNs unique (OpenLDAP only if told to): never make a second."""
        for other in self.session.search(self.settings.base_dn, dn.equality_filter(
                self.settings.flavor.upn_attribute, upn), ["objectClass"]):
            if own_dn is None or dn.key(other.dn) != dn.key(own_dn):
                raise UserError(f"the UPN {upn} is already used by {other.dn}")

    def _new_cn(self, display_name: str, user: str, container: str, current: str | None) -> str:
        """``display_name``, or ``display_name (user)`` when another entry already has it."""
        for cn in (display_name, f"{display_name} ({user})"):
            candidate = f"{dn.rdn(self.settings.flavor.rdn_attribute, cn)},{container}"
            if current is not None and dn.key(candidate) == dn.key(current):
                return cn
            if self.session.read(candidate, ["objectClass"]) is None:
                return cn
        raise UserError(f"the names {display_name!r} and {display_name + f' ({user})'!r} are "
                        f"both taken in {container}")

    # --- changes ------------------------------------------------------------------------

    def _create(self, change: Change) -> None:
        if not self.session.encrypted:
            raise UserError("refusing to send an initial password over an unencrypted "
                            "connection; use an ldaps:// url or start_tls: true")
        after = change.after or {}
        flavor = self.settings.flavor
        enabled = bool(after.get("enabled", True))
        container = self.settings.container_dn(self.target.tenant, self.target.container)
        names = [str(after["display_name"]), f"{after['display_name']} ({change.user})"]
        upn = str(after["upn"])
        account = _account_name(upn) if flavor.password_in_add else None
        self._upn_free(upn, None)
        password = generate_password()
        while True:
            new_dn = f"{dn.rdn(flavor.rdn_attribute, names[0])},{container}"
            entry = flavor.new_entry(after, names[0], self.settings.marker,
                                     self._marker(change), account, password)
            try:
                self.session.add(new_dn, flavor.object_classes, entry)
                break
            except Failure as failure:
                if failure.code not in (ENTRY_EXISTS, CONSTRAINT):
                    raise
                if self.session.read(new_dn, ["objectClass"]) is not None and len(names) > 1:
                    names.pop(0)  # another entry has this cn: "Name (user id)" instead
                elif account is not None and account == _account_name(upn):
                    # AD keeps sAMAccountName unique in the whole domain: another tenant
                    # may have a user with the same local part.
                    account = _account_name(upn, new_dn)
                else:
                    raise
        try:
            if not flavor.password_in_add:
                self.session.set_password(new_dn, password)
                self.session.modify(new_dn, flavor.after_password(enabled))
            self.passwords().record(directory=self.settings.directory,
                                    tenant=self.target.tenant, user=change.user, upn=upn,
                                    password=password)
        except (Failure, UserError, OSError) as exc:
            # No account may exist whose initial password nobody knows: take it back.
            try:
                self.session.delete(new_dn)
            except Failure:
                pass
            raise UserError(f"{exc}; the new account was removed again") from None
        self.created[change.id] = Known(new_dn, flavor.initial_status(entry, enabled))
        self.owned.add(new_dn)

    def _adopt(self, change: Change) -> None:
        known = self._entry(change)
        flavor = self.settings.flavor
        entry = self.session.read(known.dn, [flavor.upn_attribute, self.settings.marker])
        if entry is None:
            raise UserError(f"{known.dn} no longer exists")
        upn = (entry.attrs.get(flavor.upn_attribute.lower()) or [b""])[0].decode()
        marked = any(v.startswith(b"tenantry:")
                     for v in entry.attrs.get(self.settings.marker.lower(), ()))
        if marked or upn.lower() != change.upn.lower():
            raise UserError(f"{known.dn} is no longer an unmarked user with UPN "
                            f"{change.upn!r}; left untouched")
        try:
            self.session.modify(known.dn, {self.settings.marker: [(ADD, [self._marker(change)])]})
        except Failure as failure:
            if failure.code in (VALUE_EXISTS, CONSTRAINT):  # single-valued, already in use
                raise UserError(f"{known.dn}: {self.settings.marker} already holds a value "
                                "that is not tenantry's; it is left as it is (choose a free "
                                "marker_attribute)") from None
            raise
        self.owned.add(known.dn)

    def _update(self, change: Change) -> None:
        known = self._entry(change)
        flavor = self.settings.flavor
        after = change.after or {}
        if after.get("upn"):
            self._upn_free(str(after["upn"]), known.dn)
        mods = self._assert_marker(change)
        for name, value in after.items():
            attribute = flavor.upn_attribute if name == "upn" else flavor.names.get(name)
            if attribute is not None:
                values = flavor.write_name(name, value)
                mods[attribute] = [(REPLACE, values)]
        self.session.modify(known.dn, mods)
        self.owned.add(known.dn)
        if after.get("display_name"):
            # cn follows the display name: a modify-DN. The entry keeps its id, so AD (and
            # OpenLDAP's refint overlay) carry its group memberships along.
            container = dn.parent(known.dn)
            cn = self._new_cn(str(after["display_name"]), change.user, container, known.dn)
            new_rdn = dn.rdn(flavor.rdn_attribute, cn)
            if dn.key(f"{new_rdn},{container}") != dn.key(known.dn):
                self.session.rename(known.dn, new_rdn)
                self.owned.discard(known.dn)
                known.dn = f"{new_rdn},{container}"
                self.owned.add(known.dn)

    def _status(self, change: Change) -> None:
        known = self._entry(change)
        enable = change.action is Action.ENABLE
        mods = {**self._assert_marker(change),
                **self.settings.flavor.set_enabled(known.status, enable)}
        self.session.modify(known.dn, mods)
        self.owned.add(known.dn)
        known.status = self.settings.flavor.status_after(mods, enable)

    def _membership(self, change: Change) -> None:
        known = self._entry(change)
        self._check_owned(change, known)
        group = group_dns(self.settings, self.target).get(change.sku or "")
        if group is None:
            raise UserError(f"SKU {change.sku} has no assign.ldap group")
        adding = change.action is Action.ASSIGN
        try:
            self.session.modify(group, {"member": [(ADD if adding else DELETE, [known.dn])]})
        except Failure as failure:
            if adding and failure.code in (ENTRY_EXISTS, VALUE_EXISTS):
                return  # already a member
            if not adding and (failure.code == NO_SUCH_VALUE or (
                    failure.code == UNWILLING and ("00000561" in failure.message
                                                   or "already deleted" in failure.message))):
                return  # already not a member
            if not adding and failure.code == OBJECT_CLASS_VIOLATION:
                raise UserError(f"{group} would be left without members, which its object "
                                "class forbids; give the group a placeholder member (see "
                                "docs/ldap.md)") from None
            raise

    def _delete(self, change: Change) -> None:
        known = self._entry(change)
        self._check_owned(change, known)
        try:
            self.session.delete(known.dn)
        except Failure as failure:
            # AD puts objects under some users (e.g. Exchange ActiveSync devices); removing
            # the user with them takes the tree delete control and the Delete Subtree right.
            if failure.code != NOT_ALLOWED_ON_NON_LEAF or self.settings.flavor.name != \
                    "active-directory":
                raise
            self.session.delete(known.dn, tree=True)
        self.owned.discard(known.dn)


def _account_name(upn: str, salt: str | None = None) -> str:
    """AD's pre-Windows-2000 logon name: the UPN's local part, made valid; with ``salt``, a
    variant ending in a short hash, for when the plain one is taken elsewhere in the domain."""
    name = _NOT_IN_ACCOUNT_NAME.sub("_", upn.rsplit("@", 1)[0]).rstrip(". ") or "user"
    if salt is None:
        return name[:20].rstrip(". ") or "user"
    suffix = hashlib.sha256(salt.encode()).hexdigest()[:5]
    return f"{name[:14].rstrip('. ')}-{suffix}"

