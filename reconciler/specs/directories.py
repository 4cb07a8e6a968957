"""``directories.yaml``: where tenants are provisioned, one model per provider kind (SPEC §2).

Secrets are never values here, only the names of environment variables that hold them.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from reconciler.specs.fields import (
    GRAPH_MARKER_PATTERN,
    GRAPH_URL_PATTERN,
    GUID_PATTERN,
    LDAP_ATTRIBUTE_PATTERN,
    LDAP_URL_PATTERN,
    EnvName,
    Id,
    Model,
    located,
)


class LocalDirectory(Model):
    provider: Literal["local"]
    path: Annotated[str, Field(min_length=1)] | None = None


class LdapDirectory(Model):
    provider: Literal["ldap"]
    url: Annotated[str, Field(pattern=LDAP_URL_PATTERN)]
    flavor: Literal["active-directory", "openldap"]
    base_dn: Annotated[str, Field(min_length=1)]
    bind_dn: Annotated[str, Field(min_length=1)]
    password_env: EnvName
    ca_file: Annotated[str, Field(min_length=1)] | None = None
    # ldap:// URLs only: upgrade with StartTLS before binding (ldaps:// is TLS from the start).
    start_tls: bool = False
    tls_verify: bool = True  # false (labs only) prints a warning on every run
    page_size: Annotated[int, Field(ge=1, le=100_000)] = 500
    # The user attribute holding tenantry's ownership marker; default per flavor
    # (providers/ldap/flavors.py, docs/ldap.md).
    marker_attribute: Annotated[str, Field(pattern=LDAP_ATTRIBUTE_PATTERN)] | None = None
    timeout: Annotated[int, Field(ge=1, le=3600)] = 30  # seconds: connect, and each answer
    # Tenants read (and applied) at once, each on a connection of its own.
    concurrency: Annotated[int, Field(ge=1, le=32)] = 4

    @model_validator(mode="after")
    def _tls_once(self) -> LdapDirectory:
        if self.start_tls and self.url.lower().startswith("ldaps://"):
            raise located(("start_tls",), "start_tls applies to ldap:// URLs; an ldaps:// "
                                           "connection is encrypted from the start")
        return self


class GraphDirectory(Model):
    """Microsoft Entra ID through Microsoft Graph: one customer tenant (``tenant_id``), or a
    partner app over many (``multi_tenant``: each tenant file's ``container`` is the
    customer's Entra tenant id). Credentials: the app's client secret or certificate, or a
    ready bearer token (``token_env``: emulators, tests, tokens fetched by other means)."""

    provider: Literal["graph"]
    tenant_id: Annotated[str, Field(pattern=GUID_PATTERN)] | None = None
    multi_tenant: bool = False
    client_id: Annotated[str, Field(pattern=GUID_PATTERN)] | None = None
    client_secret_env: EnvName | None = None
    certificate_path: Annotated[str, Field(min_length=1)] | None = None
    certificate_password_env: EnvName | None = None
    token_env: EnvName | None = None
    graph_url: Annotated[str, Field(pattern=GRAPH_URL_PATTERN)] = "https://graph.microsoft.com"
    marker_attribute: Annotated[str, Field(pattern=GRAPH_MARKER_PATTERN)] = \
        "onPremisesExtensionAttributes.extensionAttribute15"
    concurrency: Annotated[int, Field(ge=1, le=64)] = 8

    @model_validator(mode="after")
    def _tenancy_and_credentials(self) -> GraphDirectory:
        if self.multi_tenant and self.tenant_id is not None:
            raise located(("tenant_id",), "a multi_tenant directory takes each customer's "
                                           "tenant id from its tenant file's 'container'; "
                                           "remove 'tenant_id'")
        if not self.multi_tenant and self.tenant_id is None:
            raise located((), "missing key 'tenant_id': the Entra tenant id (a GUID), or set "
                               "'multi_tenant: true' for a partner app over many tenants")
        if self.token_env is None:
            if self.client_id is None:
                raise located((), "missing key 'client_id': the app registration's "
                                   "application id (or 'token_env' for a ready token)")
            if (self.client_secret_env is None) == (self.certificate_path is None):
                raise located((), "give one credential: 'client_secret_env' (a variable "
                                   "holding the client secret) or 'certificate_path'")
        return self


DirectoryConfig = Annotated[Union[LocalDirectory, LdapDirectory, GraphDirectory],
                            Field(discriminator="provider")]


class DirectoriesFile(Model):
    directories: dict[Id, DirectoryConfig]


DEFAULT_DIRECTORY_ID = "local"
DEFAULT_DIRECTORIES = DirectoriesFile(
    directories={DEFAULT_DIRECTORY_ID: LocalDirectory(provider="local")})
