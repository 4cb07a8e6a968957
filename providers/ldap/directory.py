"""The ``ldap`` directory: Active Directory or OpenLDAP behind the port, over ldap3.

It connects on first use (so ``password_env`` is read at connect time). ldap3's synchronous
connection is not safe to share between threads, so each tenant being worked on holds a
connection of its own, taken from a pool of at most ``concurrency`` bound connections that
lives for the command. Connections are opened one at a time, and a failure to connect or
bind is remembered: each of the directory's tenants is then reported unplanned with the
same line at once, instead of waiting out the timeout again per tenant (or per thread).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator, Sequence

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
        self.concurrency = settings.concurrency  # read by the core's fan-out
        self._context = context
        self._idle: list[Session] = []  # bound connections no tenant holds now
        self._all: list[Session] = []
        self._broken: DirectoryUnavailable | None = None
        # Shared by the tenants worked on at once: a license group read for one tenant is
        # not read again for the next; entries are keyed by object id, unique to a tenant.
        self._cache = reader.ReadCache()
        self._lock = threading.Lock()  # guards the pool and _broken
        self._connecting = threading.Lock()  # one connect at a time
        if not settings.tls_verify and settings.encrypted:
            warn(f"directory {settings.directory!r}: tls_verify is false: the server's "
                      "certificate is not checked, so anyone on the path can read the "
                      "service account's password (labs only)")

    @contextmanager
    def _session(self, doing: str) -> Iterator[Session]:
        """A bound connection for this thread alone, back to the pool when done. A
        connection that fails under us is dropped, and the rest of the command fails fast."""
        session = self._take()
        healthy = True
        try:
            yield session
        except LDAPException as exc:
            healthy = False
            session.close()
            with self._lock:
                self._all.remove(session)
                self._broken = self._broken or DirectoryUnavailable(
                    f"directory {self.settings.directory!r}: {doing}: "
                    f"{explain(exc, self.settings)}")
                raise self._broken from None
        finally:
            if healthy:  # also after a tenant's own error: the connection is fine
                with self._lock:
                    self._idle.append(session)

    def _take(self) -> Session:
        with self._lock:
            if self._broken is not None:
                raise self._broken
            if self._idle:
                return self._idle.pop()
        with self._connecting:
            with self._lock:  # another thread's connect may have failed meanwhile
                if self._broken is not None:
                    raise self._broken
            try:
                session = Session(self.settings, self.settings.password())
            except DirectoryUnavailable as exc:
                with self._lock:
                    self._broken = self._broken or exc
                raise
        with self._lock:
            self._all.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._all:
                session.close()
            self._all.clear()
            self._idle.clear()

    # --- read ---------------------------------------------------------------------------

    def read_tenant(self, target: TenantTarget) -> TenantSnapshot:
        doing = f"reading tenant {target.tenant!r}"
        with self._session(doing) as session:
            try:
                return reader.read_tenant(session, self.settings, target, self._cache)
            except (Failure, Incomplete) as exc:
                # Never a partial listing: the tenant is not planned at all.
                raise DirectoryUnavailable(
                    f"directory {self.settings.directory!r}: {doing}: {exc}") from None

    # --- write --------------------------------------------------------------------------

    def apply(self, target: TenantTarget, changes: Sequence[Change]) -> list[ChangeResult]:
        failed: set[str] = set()
        results: list[ChangeResult] = []
        lost: DirectoryUnavailable | None = None
        try:
            with self._session("applying") as session:
                writer = Writer(session, self.settings, target, self._cache,
                                self._context.passwords)
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
        except DirectoryUnavailable as exc:
            # No connection, or it failed under a change: that change and the rest fail.
            lost = exc
        finally:
            # Memberships and DNs moved: a later read in this command starts afresh. (A
            # tenant being applied meanwhile finds its entries again by object id.)
            self._cache.clear()
        done = {r.change_id for r in results}
        results.extend(ChangeResult(c.id, Status.FAILED, str(lost))
                       for c in changes if c.id not in done)
        return results
