"""A fresh corner of a real directory per test, and the tests' own view of what is in it.

``Lab`` creates ``ou=<unique>`` under the server's customers OU, with ``ou=groups`` holding
the license groups of ``LAB_CATALOG``; that OU is the ``base_dn`` of the test's directory, so
tests never see each other's entries. The lab reads and writes with its own ldap3 admin
connection, not through the provider under test.

``Proxy`` sits between tenantry and a server to make the network fail on cue: cut the
connection, or stop answering, after a number of bytes.
"""

from __future__ import annotations

import itertools
import os
import socket
import ssl
import threading
import subprocess
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import ldap3
from ldap3.protocol.formatters.formatters import format_sid, format_uuid_le
from ldap3.utils.dn import escape_rdn
from ldap_servers import SVC_PASSWORD, LdapServer

_COUNTER = itertools.count()

LAB_CATALOG: dict[str, Any] = {"products": {
    "M365-BP": {"name": "Microsoft 365 Business Premium", "price": Decimal("36.50"),
                "assign": {"ldap": "cn=lic-bp,ou=groups"}},
    "EXO-P1": {"name": "Exchange Online Plan 1", "price": Decimal("6.40"),
               "assign": {"ldap": "cn=lic-exo,ou=groups"}},
    "SUPPORT": {"name": "Managed support seat", "price": Decimal("25.00")},
}}
GROUPS = ("cn=lic-bp,ou=groups", "cn=lic-exo,ou=groups")
PASSWORD_ENV = "TENANTRY_TEST_LDAP_PASSWORD"


def admin_connection(server: LdapServer, auto_range: bool = True) -> ldap3.Connection:
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(server.certs.ca))
    conn = ldap3.Connection(
        ldap3.Server(server.host, port=server.ldaps_port, use_ssl=True, tls=tls,
                     get_info=ldap3.NONE),
        user=server.admin_dn, password=server.admin_password, raise_exceptions=True,
        auto_bind=True, auto_range=auto_range, return_empty_attributes=False)
    return conn


def customers_dn(server: LdapServer) -> str:
    return f"ou=customers,{server.root}" if server.flavor == "openldap" \
        else f"OU=Customers,{server.root}"


def ensure_customers(server: LdapServer) -> None:
    conn = admin_connection(server)
    try:
        conn.search(customers_dn(server), "(objectClass=*)", ldap3.BASE)
    except ldap3.core.exceptions.LDAPNoSuchObjectResult:
        conn.add(customers_dn(server), ["organizationalUnit"])
    finally:
        conn.unbind()


# The rights docs/ldap.md gives the AD service account, as dsacls grants them: on the
# customers OU (/I:T) or inherited by its user and group objects (/I:S). "CA;Reset Password"
# is the control access right 00299570-...; the rest name attributes and classes.
WRITTEN = ("userPrincipalName", "displayName", "givenName", "sn", "c", "userAccountControl",
           "pwdLastSet", "sAMAccountName", "msDS-cloudExtensionAttribute20", "name", "cn")
RESET_PASSWORD = "00299570-246d-11d0-a768-00aa006e0529"


def delegate_to_service_account(server: LdapServer, domain: Path) -> LdapServer:
    """An AD service account with only the documented rights, which tenantry then binds as:
    the AD tests check those rights are enough, not Administrator's."""
    conn = admin_connection(server)
    try:
        dn = f"CN=svc-tenantry,CN=Users,{server.root}"
        conn.add(dn, ["user"], {
            "sAMAccountName": "svc-tenantry", "userPrincipalName": "svc-tenantry@example.test",
            "unicodePwd": f'"{SVC_PASSWORD}"'.encode("utf-16-le"),
            "userAccountControl": 512})
        conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["objectSid"])
        sid = format_sid(conn.response[0]["raw_attributes"]["objectSid"][0])
        guid = {name: _schema_guid(conn, server.root, name)
                for name in (*WRITTEN, "user", "group", "member")}
    finally:
        conn.unbind()
    user, group = guid["user"], guid["group"]
    aces = [f"(OA;CI;CCDC;{user};;{sid})", f"(OA;CIIO;GR;;{user};{sid})",
            *(f"(OA;CIIO;WP;{guid[name]};{user};{sid})" for name in WRITTEN),
            f"(OA;CIIO;CR;{RESET_PASSWORD};{user};{sid})", f"(OA;CIIO;SDDT;;{user};{sid})",
            f"(OA;CIIO;RPWP;{guid['member']};{group};{sid})"]
    # Written to the domain's database directly (as the domain's own tools do): over LDAP
    # samba-tool would need Kerberos or a CA it trusts.
    subprocess.run(["samba-tool", "dsacl", "set", "-s", str(domain / "etc" / "smb.conf"),
                    "-H", str(domain / "private" / "sam.ldb"),
                    f"--objectdn={customers_dn(server)}", f"--sddl={''.join(aces)}"],
                   check=True, capture_output=True)
    return replace(server, service_dn=dn, service_password=SVC_PASSWORD)


def _schema_guid(conn: ldap3.Connection, root: str, name: str) -> str:
    conn.search(f"CN=Schema,CN=Configuration,{root}", f"(lDAPDisplayName={name})",
                ldap3.LEVEL, attributes=["schemaIDGUID"])
    return str(format_uuid_le(conn.response[0]["raw_attributes"]["schemaIDGUID"][0])).strip("{}")


@dataclass
class Lab:
    server: LdapServer
    base_dn: str
    # UPNs are unique in a whole AD domain, which every test on the server shares: each lab
    # has its own UPN domain.
    domain: str
    conn: ldap3.Connection = field(repr=False)

    @classmethod
    def create(cls, server: LdapServer) -> Lab:
        name = f"lab{os.getpid()}x{next(_COUNTER)}"
        base = f"ou={name},{customers_dn(server)}"
        lab = cls(server, base, f"{name}.example", admin_connection(server))
        lab.conn.add(base, ["organizationalUnit"])
        lab.add_ou("ou=groups")
        for group in GROUPS:
            lab.add_group(group)
        return lab

    @property
    def flavor(self) -> str:
        return self.server.flavor

    @property
    def ad(self) -> bool:
        return self.server.flavor == "active-directory"

    def dn(self, relative: str) -> str:
        return f"{relative},{self.base_dn}"

    def add_ou(self, relative: str) -> None:
        self.conn.add(self.dn(relative), ["organizationalUnit"])

    def add_group(self, relative: str) -> None:
        full = self.dn(relative)
        if self.ad:
            name = relative.split(",")[0].split("=", 1)[1]
            self.conn.add(full, ["group"], {"sAMAccountName": f"{name}-{self.domain[:-8]}"})
        else:
            # groupOfNames needs a member; the service account stands in (docs/ldap.md).
            self.conn.add(full, ["groupOfNames"], {"member": [self.server.service_dn]})

    def directory(self, **overrides: Any) -> dict[str, Any]:
        """This lab as a directories.yaml entry."""
        entry: dict[str, Any] = {
            "provider": "ldap", "url": self.server.ldaps_url, "flavor": self.flavor,
            "base_dn": self.base_dn, "bind_dn": self.server.service_dn,
            "password_env": PASSWORD_ENV, "ca_file": str(self.server.certs.ca)}
        entry.update(overrides)
        return {key: value for key, value in entry.items() if value is not None}

    # --- the tests' own view ------------------------------------------------------------

    def users(self, container: str) -> dict[str, dict[str, Any]]:
        """Users under ``container`` keyed by UPN, with every attribute the tests look at."""
        upn = "userPrincipalName" if self.ad else "uid"
        extra = ["objectGUID", "userAccountControl", "pwdLastSet", "sAMAccountName",
                 "msDS-cloudExtensionAttribute20", "c"] if self.ad \
            else ["entryUUID", "pwdAccountLockedTime", "pwdReset", "employeeType"]
        self.conn.search(self.dn(container),
                         "(objectClass=user)" if self.ad else "(objectClass=inetOrgPerson)",
                         attributes=[upn, "cn", "displayName", "givenName", "sn", *extra])
        found = {}
        for entry in self.conn.response:
            attrs = {k: v for k, v in entry["attributes"].items() if v not in ([], None)}
            attrs["dn"] = entry["dn"]
            found[str(attrs.get(upn, [""])[0])] = attrs
        return found

    def members(self, group: str) -> set[str]:
        """Member DNs of a license group, lower-cased (AD ranges followed by ldap3)."""
        self.conn.search(self.dn(group), "(objectClass=*)", ldap3.BASE, attributes=["member"])
        values = self.conn.response[0]["attributes"].get("member", [])
        return {str(v).lower() for v in values} - {self.server.service_dn.lower()}

    def add_user(self, container: str, cn: str, upn: str, *, marker: str | None = None,
                 extra: dict[str, Any] | None = None) -> str:
        """An entry made behind tenantry's back (marker=None: not tenantry's)."""
        full = f"cn={escape_rdn(cn)},{self.dn(container)}"
        attrs: dict[str, Any] = {"displayName": cn}
        if self.ad:
            # Enabled without a password (PASSWD_NOTREQD), as a migrated account might be.
            attrs.update(userPrincipalName=upn, userAccountControl="544",
                         sAMAccountName=f"{upn.split('@')[0][:12]}{next(_COUNTER)}")
            if marker:
                attrs["msDS-cloudExtensionAttribute20"] = marker
            classes = ["user"]
        else:
            attrs.update(uid=upn, sn=cn)
            if marker:
                attrs["employeeType"] = marker
            classes = ["inetOrgPerson"]
        attrs.update(extra or {})
        self.conn.add(full, classes, attrs)
        return full

    def add_filler(self, container: str, name: str) -> str:
        """A cheap entry that can be a group member (a contact on AD)."""
        full = f"cn={escape_rdn(name)},{self.dn(container)}"
        self.conn.add(full, ["contact"] if self.ad else ["organizationalRole"])
        return full

    def first_member_range(self, group: str) -> set[str]:
        """What AD returns for member;range=0-1499, without following further ranges."""
        conn = admin_connection(self.server, auto_range=False)
        try:
            conn.search(group, "(objectClass=*)", ldap3.BASE, attributes=["member;range=0-1499"])
            raw = conn.response[0]["raw_attributes"]
            return {v.decode().lower() for name, values in raw.items()
                    if name.lower().startswith("member;range=") for v in values}
        finally:
            conn.unbind()

    def can_bind(self, dn: str, password: str) -> tuple[bool, str]:
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.server.certs.ca))
        conn = ldap3.Connection(ldap3.Server(self.server.host, port=self.server.ldaps_port,
                                             use_ssl=True, tls=tls, get_info=ldap3.NONE),
                                user=dn, password=password)
        ok = conn.bind()
        message = str(conn.result.get("message", ""))
        conn.unbind()
        return ok, message

    def close(self) -> None:
        self.conn.unbind()


class Proxy:
    """A TCP relay to ``target``: passes everything, or fails after ``limit`` bytes back.

    Every socket is closed only after the threads using it have stopped: a socket closed
    under a blocked thread frees its descriptor for the next test's sockets while the old
    thread still uses the number.
    """

    def __init__(self, host: str, port: int, listen: str = "127.0.0.1") -> None:
        self.target = (host, port)
        self.listener = socket.create_server((listen, 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.mode = "pass"  # "pass" | "cut" | "stall"
        self.limit = 0
        self.largest = 0  # most bytes sent back on one connection
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = [self.listener]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            state = {"sent": 0}
            for args in ((client, upstream, None), (upstream, client, state)):
                thread = threading.Thread(target=self._pump, args=args, daemon=True)
                self._threads.append(thread)
                thread.start()

    def _pump(self, src: socket.socket, dst: socket.socket, state: dict[str, int] | None) -> None:
        src.settimeout(0.1)
        try:
            while not self._stop.is_set():
                try:
                    chunk = src.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                if state is not None:
                    if self.mode != "pass" and state["sent"] + len(chunk) > self.limit:
                        dst.sendall(chunk[:max(0, self.limit - state["sent"])])
                        if self.mode == "stall":
                            self._stop.wait()  # say nothing more until the test ends
                        break
                    state["sent"] += len(chunk)
                    self.largest = max(self.largest, state["sent"])
                dst.sendall(chunk)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for sock in self._sockets:
            sock.close()
