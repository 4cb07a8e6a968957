"""The ``ldap`` directory: Active Directory or OpenLDAP behind the port, over ldap3.

It connects on first use (so ``password_env`` is read at connect time) and keeps one bound
connection for the command. A failure to connect or bind is remembered, so each of the
directory's tenants is reported unplanned with the same line at once, instead of waiting
out the timeout again per tenant. Calls are serialised: ldap3's synchronous connection is
not safe to share between threads.
"""

from __future__ import annotations

import threading
from typing import Sequence

from ldap3.core.exceptions import LDAPException

from reconciler.errors import DirectoryUnavailable, UserError
from reconciler.planning.directory import ChangeResult, Status, TenantTarget
from reconciler.planning.plan import Change
from reconciler.planning.state import TenantSnapshot
from reconciler.specs import DirectoryConfig

from ..registry import Context
from . import reader
from .session import Failure, Incomplete, Session, explain
from .settings import Settings, warn
from .writer import Writer


def open_directory(name: str, config: DirectoryConfig, context: Context) -> LdapDirectory:
    return LdapDirectory(Settings.from_config(name, config, context.root), context)


class LdapDirectory:
    kind = "ldap"

    def __init__(self, settings: Settings, context: Context) -> None:
        self.settings = settings
        self.attributes = settings.flavor.attributes
        self._context = context
        self._session: Session | None = None
        self._broken: DirectoryUnavailable | None = None
        self._cache = reader.ReadCache()
        self._lock = threading.Lock()
        if not settings.tls_verify and settings.encrypted:
            warn(f"directory {settings.directory!r}: tls_verify is false: the server's "
                      "certificate is not checked, so anyone on the path can read the "
                      "service account's password (labs only)")

    def _connect(self) -> Session:
        if self._broken is not None:
            raise self._broken
        if self._session is None:
            try:
                self._session = Session(self.settings, self.settings.password())
            except DirectoryUnavailable as exc:
                self._broken = exc
                raise
        return self._session

    def _lost(self, exc: LDAPException, doing: str) -> DirectoryUnavailable:
        """The connection failed under us: drop it, and fail the rest of the command fast."""
        if self._session is not None:
            self._session.close()
            self._session = None
        self._broken = DirectoryUnavailable(
            f"directory {self.settings.directory!r}: {doing}: {explain(exc, self.settings)}")
        return self._broken

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    # --- read ---------------------------------------------------------------------------

    def read_tenant(self, target: TenantTarget) -> TenantSnapshot:
        with self._lock:
            session = self._connect()
            doing = f"reading tenant {target.tenant!r}"
            try:
                return reader.read_tenant(session, self.settings, target, self._cache)
            except LDAPException as exc:
                raise self._lost(exc, doing) from None
            except (Failure, Incomplete) as exc:
                # Never a partial listing: the tenant is not planned at all.
                raise DirectoryUnavailable(
                    f"directory {self.settings.directory!r}: {doing}: {exc}") from None

    # --- write --------------------------------------------------------------------------

    def apply(self, target: TenantTarget, changes: Sequence[Change]) -> list[ChangeResult]:
        with self._lock:
            session = self._connect()
            writer = Writer(session, self.settings, target, self._cache,
                            self._context.passwords)
            failed: set[str] = set()
            results: list[ChangeResult] = []
            try:
                for change in changes:
                    if change.depends_on is not None and change.depends_on in failed:
                        failed.add(change.id)
                        results.append(ChangeResult(change.id, Status.SKIPPED,
                                                    f"needs {change.depends_on}, which failed"))
                        continue
                    try:
                        writer.apply(change)
                        results.append(ChangeResult(change.id, Status.APPLIED))
                    except (Failure, Incomplete, UserError) as exc:
                        failed.add(change.id)
                        results.append(ChangeResult(change.id, Status.FAILED, str(exc)))
                    except LDAPException as exc:
                        lost = self._lost(exc, "applying")
                        failed.add(change.id)
                        results.append(ChangeResult(change.id, Status.FAILED, str(lost)))
                        break
            finally:
                # Memberships and DNs moved: a later read in this command starts afresh.
                self._cache.clear()
            done = {r.change_id for r in results}
            results.extend(ChangeResult(c.id, Status.FAILED, str(self._broken))
                           for c in changes if c.id not in done)
            return results
