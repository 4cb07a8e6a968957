"""One ldap directory's settings from directories.yaml, resolved and checked once."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from reconciler.errors import DirectoryUnavailable
from reconciler.specs import DirectoryConfig, LdapDirectory

from . import dn
from .flavors import FLAVORS, Flavor

MARKER_PREFIX = "tenantry:"


def warn(text: str) -> None:
    sys.stderr.write(f"warning: {text}\n")


@dataclass(frozen=True)
class Settings:
    directory: str  # its id in directories.yaml, for messages
    flavor: Flavor
    url: str
    host: str
    port: int
    use_ssl: bool  # ldaps://
    start_tls: bool
    base_dn: str
    bind_dn: str
    password_env: str
    ca_file: Path | None
    tls_verify: bool
    page_size: int
    marker: str  # the marker attribute
    timeout: int
    concurrency: int  # tenants worked on at once, a connection each

    @classmethod
    def from_config(cls, name: str, config: DirectoryConfig, root: Path) -> Settings:
        assert isinstance(config, LdapDirectory)
        parts = urlsplit(config.url)
        use_ssl = parts.scheme.lower() == "ldaps"
        try:
            port = parts.port or (636 if use_ssl else 389)
        except ValueError:
            port = 0
        if not parts.hostname or not port or parts.path not in ("", "/") or parts.query:
            raise DirectoryUnavailable(f"directory {name!r}: url {config.url!r} must be "
                                       "ldap://HOST[:PORT] or ldaps://HOST[:PORT]")
        try:
            base_dn = dn.check(config.base_dn, "base_dn")
        except ValueError as exc:
            raise DirectoryUnavailable(f"directory {name!r}: {exc}") from None
        flavor = FLAVORS[config.flavor]
        return cls(
            directory=name, flavor=flavor, url=config.url, host=parts.hostname, port=port,
            use_ssl=use_ssl, start_tls=config.start_tls, base_dn=base_dn,
            bind_dn=config.bind_dn, password_env=config.password_env,
            ca_file=root / config.ca_file if config.ca_file else None,
            tls_verify=config.tls_verify, page_size=config.page_size,
            marker=config.marker_attribute or flavor.default_marker, timeout=config.timeout,
            concurrency=config.concurrency)

    @property
    def encrypted(self) -> bool:
        return self.use_ssl or self.start_tls

    def password(self) -> str:
        """The service account's password, read now (at connect time), never stored."""
        value = os.environ.get(self.password_env)
        if not value:
            raise DirectoryUnavailable(
                f"directory {self.directory!r}: environment variable {self.password_env} is "
                f"{'empty' if value == '' else 'not set'}; it must hold the password of "
                f"{self.bind_dn}")
        return value

    def marker_value(self, tenant: str, user: str) -> str:
        # The tenant is part of the marker: an entry moved into another tenant's container
        # is not that tenant's to change or delete.
        return f"{MARKER_PREFIX}{tenant}/{user}"

    def marker_user(self, tenant: str, values: list[bytes] | None) -> str | None:
        """The tenantry user id this entry is marked for in ``tenant``, if any."""
        prefix = f"{MARKER_PREFIX}{tenant}/"
        for raw in values or ():
            value = raw.decode("utf-8", errors="replace")
            if value.startswith(prefix) and len(value) > len(prefix):
                return value[len(prefix):]
        return None

    def container_dn(self, tenant: str, container: str | None) -> str:
        if container is None:
            raise DirectoryUnavailable(f"tenant {tenant!r} has no 'container' in directory "
                                       f"{self.directory!r}")
        try:
            return dn.check(dn.join(container, self.base_dn), "container")
        except ValueError as exc:
            raise DirectoryUnavailable(f"directory {self.directory!r}: {exc}") from None

    def group_dn(self, sku: str, relative: str) -> str:
        try:
            return dn.check(dn.join(relative, self.base_dn), f"assign.ldap of {sku}")
        except ValueError as exc:
            raise DirectoryUnavailable(f"directory {self.directory!r}: {exc}") from None
