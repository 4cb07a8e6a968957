"""What differs between Active Directory and OpenLDAP: schema, ids, enabling, passwords.

Both flavors keep a user as one entry named ``cn=<display name>`` under the tenant's
container, its UPN in one attribute, its products as memberships of groups, and tenantry's
ownership marker ``tenantry:<tenant>/<user>`` in ``marker_attribute``.

| | Active Directory | OpenLDAP |
|---|---|---|
| object | ``user`` | ``inetOrgPerson`` |
| id | ``objectGUID`` | ``entryUUID`` |
| UPN | ``userPrincipalName`` | ``uid`` |
| usage location | ``c`` (what Entra Connect syncs to usageLocation) | not stored |
| disabled | ``userAccountControl`` bit 2 (512 / 514) | ppolicy ``pwdAccountLockedTime: 000001010000Z`` |
| marker default | ``msDS-cloudExtensionAttribute20`` | ``employeeType`` |
| initial password | ``unicodePwd`` in the add, ``pwdLastSet: 0`` | Password Modify operation; ppolicy ``pwdMustChange`` |
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Mapping

Raw = Mapping[str, list[bytes]]  # attribute name (lower case) -> raw values
Mods = dict[str, list[tuple[str, list[str | bytes]]]]

ADD, DELETE, REPLACE = "MODIFY_ADD", "MODIFY_DELETE", "MODIFY_REPLACE"  # ldap3's constants

ACCOUNT_DISABLE = 0x2
NORMAL_ACCOUNT = 0x200
# ppolicy's value for "locked until an administrator unlocks": a lockout caused by failed
# binds carries a real time instead, and is never mistaken for "disabled".
PERMANENT_LOCK = "000001010000Z"
# OpenLDAP's inetOrgPerson requires sn: a user without a surname gets this placeholder, which
# reads back as "no surname" (the value Keycloak's LDAP federation uses for the same reason).
NO_SURNAME = " "


def text(values: list[bytes] | None) -> str | None:
    if not values:
        return None
    return values[0].decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Flavor:
    name: str
    default_marker: str
    user_filter: str
    object_classes: tuple[str, ...]
    rdn_attribute: str
    id_attribute: str
    upn_attribute: str
    names: Mapping[str, str]  # tenantry attribute -> LDAP attribute (UPN aside)
    status_attribute: str
    ranged_members: bool  # AD hands out large `member` values in ranges
    password_in_add: bool

    @property
    def attributes(self) -> frozenset[str]:
        return frozenset({"upn", *self.names})

    def read_attributes(self, marker: str) -> list[str]:
        return [self.id_attribute, self.upn_attribute, self.rdn_attribute, *self.names.values(),
                self.status_attribute, marker]

    def object_id(self, raw: list[bytes]) -> str:
        value = raw[0]
        if self.id_attribute == "objectGUID":
            return str(uuid.UUID(bytes_le=value))
        return value.decode()

    def locate_base(self, object_id: str) -> str | None:
        """A DN that names the object by id alone (AD's ``<GUID=...>``), if the flavor has one."""
        return f"<GUID={object_id}>" if self.id_attribute == "objectGUID" else None

    def read_name(self, attribute: str, values: list[bytes] | None) -> str | None:
        value = text(values)
        if attribute == "surname" and value is not None and not value.strip():
            return None
        return value

    def write_name(self, attribute: str, value: str | bool | None) -> list[str | bytes]:
        if value is None or value == "":
            if attribute == "surname" and "sn" in self.object_requires:
                return [NO_SURNAME]
            return []
        return [str(value)]

    @property
    def object_requires(self) -> frozenset[str]:
        return frozenset({"sn"}) if self.name == "openldap" else frozenset()

    # --- enabled / disabled ------------------------------------------------------------

    def is_enabled(self, values: list[bytes] | None) -> bool:
        value = text(values)
        if self.name == "active-directory":
            return not int(value or NORMAL_ACCOUNT) & ACCOUNT_DISABLE
        return value != PERMANENT_LOCK

    def set_enabled(self, current: list[bytes] | None, enabled: bool) -> Mods:
        if self.name == "active-directory":
            flags = int(text(current) or NORMAL_ACCOUNT)
            flags = flags & ~ACCOUNT_DISABLE if enabled else flags | ACCOUNT_DISABLE
            return {"userAccountControl": [(REPLACE, [str(flags)])]}
        if enabled:
            # Removes our permanent lock only; a lock from failed binds has another value
            # and makes this fail rather than quietly unlocking an attacked account.
            return {"pwdAccountLockedTime": [(DELETE, [PERMANENT_LOCK])]}
        return {"pwdAccountLockedTime": [(REPLACE, [PERMANENT_LOCK])]}

    def after_password(self, enabled: bool) -> Mods:
        """OpenLDAP, after the Password Modify operation: ppolicy's "must change at first
        bind" (pwdReset; ppolicy sets it itself only for some binds), and the lock of a user
        created disabled (a password change clears any earlier lock)."""
        mods: Mods = {"pwdReset": [(REPLACE, ["TRUE"])]}
        if not enabled:
            mods.update(self.set_enabled(None, False))
        return mods

    def status_after(self, mods: Mods, enabled: bool) -> list[bytes] | None:
        """The status attribute's values once ``set_enabled``'s ``mods`` are applied."""
        if self.name == "active-directory":
            return [str(mods["userAccountControl"][0][1][0]).encode()]
        return None if enabled else [PERMANENT_LOCK.encode()]

    def initial_status(self, entry: Mapping[str, list[str | bytes]],
                       enabled: bool) -> list[bytes] | None:
        if self.name == "active-directory":
            return [str(entry["userAccountControl"][0]).encode()]
        return None if enabled else [PERMANENT_LOCK.encode()]

    # --- creating ----------------------------------------------------------------------

    def new_entry(self, after: Mapping[str, str | bool | None], cn: str, marker: str,
                  marker_value: str, account_name: str | None,
                  password: str) -> dict[str, list[str | bytes]]:
        entry: dict[str, list[str | bytes]] = {
            self.rdn_attribute: [cn], self.upn_attribute: [str(after["upn"])],
            marker: [marker_value]}
        for name, attribute in self.names.items():
            values = self.write_name(name, after.get(name))
            if values:
                entry[attribute] = values
        if self.name == "active-directory":
            assert account_name is not None
            enabled = bool(after.get("enabled", True))
            entry["sAMAccountName"] = [account_name]
            entry["unicodePwd"] = [f'"{password}"'.encode("utf-16-le")]
            entry["userAccountControl"] = [str(NORMAL_ACCOUNT | (0 if enabled
                                                                 else ACCOUNT_DISABLE))]
            entry["pwdLastSet"] = ["0"]  # must change the password at first logon
        return entry


ACTIVE_DIRECTORY = Flavor(
    name="active-directory", default_marker="msDS-cloudExtensionAttribute20",
    user_filter="(&(objectCategory=person)(objectClass=user))", object_classes=("user",),
    rdn_attribute="cn", id_attribute="objectGUID", upn_attribute="userPrincipalName",
    names={"display_name": "displayName", "given_name": "givenName", "surname": "sn",
           "usage_location": "c"},
    status_attribute="userAccountControl", ranged_members=True, password_in_add=True)

OPENLDAP = Flavor(
    name="openldap", default_marker="employeeType", user_filter="(objectClass=inetOrgPerson)",
    object_classes=("inetOrgPerson",), rdn_attribute="cn", id_attribute="entryUUID",
    upn_attribute="uid",
    names={"display_name": "displayName", "given_name": "givenName", "surname": "sn"},
    status_attribute="pwdAccountLockedTime", ranged_members=False, password_in_add=False)

FLAVORS = {flavor.name: flavor for flavor in (ACTIVE_DIRECTORY, OPENLDAP)}
