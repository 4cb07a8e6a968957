"""One bound LDAP connection, and the few operations the provider needs, strictly checked.

Searches are complete or raise: every page's result code is checked, a referral (part of
the tree held elsewhere) counts as incomplete, and AD's ranged ``member;range=`` values are
followed to the end explicitly (``ldap3``'s ``auto_range`` returns what it has when a later
range fails, which would read as "users removed from the group").
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from typing import Any, Iterator, Literal

import ldap3
from ldap3.core.exceptions import LDAPException

from reconciler.errors import DirectoryUnavailable

from .flavors import Mods, Raw
from .settings import Settings, warn

PAGED_RESULTS = "1.2.840.113556.1.4.319"
TREE_DELETE = "1.2.840.113556.1.4.805"  # AD: delete a user with its child objects
MEMBER_RANGE = 1500  # AD's default MaxValRange: values of `member` per request

SUCCESS = 0
NO_SUCH_OBJECT = 32


class Failure(Exception):
    """The server answered an operation with an error result."""

    def __init__(self, code: int, description: str, message: str) -> None:
        self.code = code
        self.description = description
        self.message = message.strip()
        detail = f": {self.message}" if self.message else ""
        super().__init__(f"{description} ({code}){detail}")


class Incomplete(Exception):
    """A search did not return everything it was asked for."""


@dataclass(frozen=True)
class Entry:
    dn: str
    attrs: Raw


def explain(exc: BaseException, settings: Settings) -> str:
    """One line about a transport-level problem, in words an operator can act on."""
    text = str(exc)
    low = text.lower()
    where = settings.url
    if "doesn't match any name" in low:
        return f"TLS with {where} failed: the server's certificate is not for {settings.host}"
    verify = re.search(r"certificate verify failed: ([^(\'\"]+)", text)
    if verify:
        return (f"TLS with {where} failed: certificate verify failed: "
                f"{verify.group(1).strip()} (check ca_file)")
    if "certificate" in low or "ssl" in low:
        return f"TLS with {where} failed: {text} (check ca_file)"
    if "timed out" in low or "timeout" in low:
        return f"no answer from {where} within {settings.timeout} s"
    if "refused" in low:
        return f"cannot connect to {where}: connection refused"
    if "name or service not known" in low or "getaddrinfo" in low or "resolve" in low:
        return f"cannot connect to {where}: unknown host {settings.host!r}"
    if isinstance(exc, LDAPException) and "socket" in low:
        return f"connection to {where} failed: {text}"
    return f"{where}: {text}"


class Session:
    def __init__(self, settings: Settings, password: str) -> None:
        self.settings = settings
        tls = None
        if settings.use_ssl or settings.start_tls:
            if settings.ca_file is not None and not settings.ca_file.is_file():
                raise DirectoryUnavailable(f"directory {settings.directory!r}: ca_file "
                                           f"{str(settings.ca_file)!r} does not exist")
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED if settings.tls_verify else ssl.CERT_NONE,
                ca_certs_file=str(settings.ca_file) if settings.ca_file else None,
                sni=settings.host)
        server = ldap3.Server(settings.host, port=settings.port, use_ssl=settings.use_ssl,
                              tls=tls, get_info=ldap3.NONE,
                              connect_timeout=settings.timeout)
        self.conn = ldap3.Connection(
            server, user=settings.bind_dn, password=password, raise_exceptions=False,
            auto_range=False, return_empty_attributes=False, auto_referrals=False,
            receive_timeout=settings.timeout, read_only=False)
        try:
            self.conn.open(read_server_info=False)
            if settings.start_tls and not self.conn.start_tls(read_server_info=False):
                raise DirectoryUnavailable(
                    f"directory {settings.directory!r}: StartTLS with {settings.url} was "
                    f"refused: {self._result().message or self._result().description}")
            if not self.conn.bind():
                result = self._result()
                raise DirectoryUnavailable(
                    f"directory {settings.directory!r}: {settings.url} refused the bind as "
                    f"{settings.bind_dn}: {result.description}"
                    + (f" (check {settings.password_env})" if result.code == 49 else ""))
        except LDAPException as exc:
            self.close()
            raise DirectoryUnavailable(
                f"directory {settings.directory!r}: {explain(exc, settings)}") from None
        except DirectoryUnavailable:
            self.close()
            raise
        self.encrypted = settings.use_ssl or bool(self.conn.tls_started)
        if not self.encrypted:
            warn(f"directory {settings.directory!r}: {settings.url} without start_tls "
                      "sends the service account's password in clear text")

    def close(self) -> None:
        try:
            self.conn.unbind()
        except (LDAPException, OSError):
            pass

    def _result(self) -> Failure:
        result = self.conn.result or {}
        return Failure(int(result.get("result", -1)), str(result.get("description", "error")),
                       str(result.get("message") or ""))

    def _check(self, ok: bool) -> None:
        if not ok:
            raise self._result()

    # --- reading ------------------------------------------------------------------------

    def search(self, base: str, search_filter: str, attributes: list[str],
               scope: Literal["BASE", "LEVEL", "SUBTREE"] = "SUBTREE") -> Iterator[Entry]:
        """Every entry, page by page (Simple Paged Results), or ``Incomplete``."""
        cookie: bytes | None = None
        while True:
            self.conn.search(base, search_filter, scope, attributes=attributes,
                             paged_size=self.settings.page_size, paged_cookie=cookie,
                             paged_criticality=True)
            result = self._result()
            if result.code != SUCCESS:
                raise Incomplete(f"search of {base} stopped: {result}")
            for response in self.conn.response or ():
                if response["type"] == "searchResRef":
                    raise Incomplete(f"search of {base} was referred to another server "
                                     f"({', '.join(response.get('uri') or ())})")
                if response["type"] == "searchResEntry":
                    yield _entry(response)
            controls = (self.conn.result or {}).get("controls") or {}
            cookie = controls.get(PAGED_RESULTS, {}).get("value", {}).get("cookie")
            if not cookie:
                return

    def read(self, dn: str, attributes: list[str],
             search_filter: str = "(objectClass=*)") -> Entry | None:
        """The entry ``dn`` if it exists and matches ``search_filter``."""
        self.conn.search(dn, search_filter, ldap3.BASE, attributes=attributes)
        result = self._result()
        if result.code == NO_SUCH_OBJECT:
            return None
        if result.code != SUCCESS:
            raise result
        entries = [r for r in self.conn.response or () if r["type"] == "searchResEntry"]
        return _entry(entries[0]) if entries else None

    def members(self, group_dn: str, ranged: bool) -> list[bytes] | None:
        """All values of the group's ``member``; None if the group does not exist."""
        if not ranged:
            entry = self.read(group_dn, ["member"])
            return None if entry is None else list(entry.attrs.get("member", ()))
        values: list[bytes] = []
        low = 0
        while True:
            wanted = f"member;range={low}-{low + MEMBER_RANGE - 1}"
            entry = self.read(group_dn, [wanted])
            if entry is None:
                if low == 0:
                    return None
                raise Incomplete(f"group {group_dn} disappeared while its members were read")
            ranged_name = next((n for n in entry.attrs if n.startswith("member;range=")), None)
            if ranged_name is None:  # the server sent the whole attribute, or it is empty
                return values + list(entry.attrs.get("member", ()))
            values.extend(entry.attrs[ranged_name])
            high = ranged_name.rsplit("-", 1)[1]
            if high == "*":
                return values
            low = int(high) + 1

    # --- writing ------------------------------------------------------------------------

    def add(self, dn: str, object_classes: tuple[str, ...],
            attributes: dict[str, list[str | bytes]]) -> None:
        self._check(self.conn.add(  # type: ignore[no-untyped-call]
            dn, list(object_classes), attributes))

    def modify(self, dn: str, changes: Mods) -> None:
        self._check(self.conn.modify(dn, changes))  # type: ignore[no-untyped-call]

    def rename(self, dn: str, new_rdn: str) -> None:
        self._check(self.conn.modify_dn(dn, new_rdn, delete_old_dn=True))

    def delete(self, dn: str, *, tree: bool = False) -> None:
        controls = [(TREE_DELETE, True, None)] if tree else None
        self._check(self.conn.delete(dn, controls=controls))  # type: ignore[no-untyped-call]

    def set_password(self, dn: str, password: str) -> None:
        """RFC 3062 Password Modify: the server hashes it by its own configuration."""
        self._check(self.conn.extend.standard.modify_password(dn, new_password=password))


def _entry(response: dict[str, object]) -> Entry:
    raw: Any = response.get("raw_attributes") or {}
    # Samba answers a range past the last value with the attribute and no values at all.
    attrs = {str(name).lower(): list(values or ()) for name, values in raw.items()}
    return Entry(str(response["dn"]), attrs)
