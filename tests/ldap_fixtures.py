"""pytest fixtures for the ldap tests (registered in conftest.py as a plugin).

The servers are session-scoped and started only when a test asks for them. Without slapd or
Samba (or without root, which Samba's fixed ports need) the tests skip, except when
``TENANTRY_REQUIRE_LDAP_SERVERS=1``, which ``scripts/test`` sets where it installed them:
there a missing server fails the run instead of silently testing less.
"""

from __future__ import annotations

import os
import shutil
from typing import Iterator, NoReturn

import pytest
from ldap_lab import PASSWORD_ENV, Lab, delegate_to_service_account, ensure_customers
from ldap_servers import LdapServer, start_samba, start_slapd, stop

FLAVORS = [pytest.param("openldap", id="openldap"),
           pytest.param("active-directory", id="ad")]


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("TENANTRY_REQUIRE_LDAP_SERVERS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def slapd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LdapServer]:
    missing = [c for c in ("slapd", "slapadd", "openssl") if shutil.which(c) is None]
    if missing:
        _unavailable(f"OpenLDAP tests need {', '.join(missing)} (apt-get install slapd)")
    server, proc = start_slapd(tmp_path_factory.mktemp("slapd"))
    yield server
    stop(proc)


@pytest.fixture(scope="session")
def samba_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LdapServer]:
    missing = [c for c in ("samba", "samba-tool", "openssl") if shutil.which(c) is None]
    if missing:
        _unavailable(f"AD tests need {', '.join(missing)} (apt-get install samba)")
    if os.geteuid() != 0:
        _unavailable("AD tests need root: a Samba DC listens on ports 389 and 636")
    folder = tmp_path_factory.mktemp("samba")
    server, proc = start_samba(folder)
    try:
        ensure_customers(server)
        yield delegate_to_service_account(server, folder / "domain")
    finally:
        stop(proc)
        shutil.rmtree(folder / "domain", ignore_errors=True)  # 30+ MB a session


@pytest.fixture(params=FLAVORS)
def ldap_server(request: pytest.FixtureRequest) -> LdapServer:
    name = "slapd_server" if request.param == "openldap" else "samba_server"
    server: LdapServer = request.getfixturevalue(name)
    return server


@pytest.fixture
def lab(ldap_server: LdapServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """A fresh base_dn on the server of each flavor; the service password in its variable."""
    monkeypatch.setenv(PASSWORD_ENV, ldap_server.service_password)
    made = Lab.create(ldap_server)
    yield made
    made.close()
