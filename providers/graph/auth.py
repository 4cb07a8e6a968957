"""Credentials: one kiota authentication provider per customer (Entra) tenant.

Production uses azure-identity's client credentials (a client secret or a certificate),
asking each customer tenant for a token as a GDAP partner app does: the same app
registration, a different authority per tenant. ``token_env`` takes a ready bearer token
instead (emulators, tests, tokens fetched by other means); in a multi-tenant directory the
text ``{tenant_id}`` in it is replaced by each customer's tenant id.

Secrets are read from the environment variables the settings name, and never printed.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Any

from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    AuthenticationProvider,
    BaseBearerTokenAuthenticationProvider,
)

from reconciler.errors import DirectoryUnavailable
from reconciler.specs import GraphDirectory


class StaticToken(AccessTokenProvider):
    def __init__(self, token: str, host: str) -> None:
        self._token = token
        self._hosts = AllowedHostsValidator([host])

    async def get_authorization_token(self, uri: str,
                                      additional_authentication_context: dict[str, Any] = {}
                                      ) -> str:
        return self._token if self._hosts.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


class Credentials:
    """Builds (and later closes) the authentication provider for each Entra tenant."""

    def __init__(self, name: str, config: GraphDirectory, root: Path) -> None:
        self.name = name
        self.config = config
        self.root = root
        self.host = urllib.parse.urlsplit(config.graph_url).hostname or ""
        self._closers: list[Any] = []
        # Fail at open, before any tenant is read: a missing variable is one clear line.
        self._token: str | None = None
        if config.token_env is not None:
            self._token = self._env(config.token_env, "a bearer token")
        else:
            if config.client_secret_env is not None:
                self._secret = self._env(config.client_secret_env, "the app's client secret")
            if config.certificate_password_env is not None:
                self._cert_password: str | None = self._env(config.certificate_password_env,
                                                            "the certificate's password")
            else:
                self._cert_password = None

    def provider(self, entra_tenant: str) -> AuthenticationProvider:
        if self._token is not None:
            return BaseBearerTokenAuthenticationProvider(
                StaticToken(self._token.replace("{tenant_id}", entra_tenant), self.host))
        from azure.identity.aio import CertificateCredential, ClientSecretCredential
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        assert self.config.client_id is not None
        credential: ClientSecretCredential | CertificateCredential
        if self.config.certificate_path is not None:
            credential = CertificateCredential(
                entra_tenant, self.config.client_id,
                certificate_path=str(self.root / self.config.certificate_path),
                password=self._cert_password)
        else:
            credential = ClientSecretCredential(entra_tenant, self.config.client_id,
                                                self._secret)
        self._closers.append(credential)
        scope = f"{self.config.graph_url.rstrip('/')}/.default"
        return AzureIdentityAuthenticationProvider(credential, scopes=[scope],
                                                   allowed_hosts=[self.host])

    async def aclose(self) -> None:
        for credential in self._closers:
            await credential.close()
        self._closers.clear()

    def _env(self, variable: str, what: str) -> str:
        value = os.environ.get(variable)
        if not value:
            raise DirectoryUnavailable(f"directory {self.name!r}: environment variable "
                                       f"{variable} is not set (it holds {what})")
        return value
