"""When an ldap directory cannot be read completely, only its tenants go unplanned.

Each test puts tenant ``acme`` in the lab directory (real slapd or Samba) and tenant
``beta`` in the local directory, breaks the lab connection in one real way, and checks that
acme gets one clear error line while beta is planned and applied as usual.
"""

from __future__ import annotations

import socket
from typing import Any, Iterator

import pytest
from conftest import Cli, SpecRepo, tenant, user
from ldap_lab import LAB_CATALOG, PASSWORD_ENV, Lab, Proxy
from ldap_servers import LdapServer


def two_directories(repo: SpecRepo, lab: Lab, *, acme_users: int = 1,
                    **lab_settings: Any) -> None:
    acme_docs = {f"u{i:03d}": user(f"u{i:03d}@{lab.domain}", f"User {i:03d}")
                 for i in range(acme_users)}
    repo.commit_specs({
        "catalog.yaml": LAB_CATALOG,
        "directories.yaml": {"directories": {"lab": lab.directory(**lab_settings),
                                             "here": {"provider": "local"}}},
        "tenants/acme.yaml": {**tenant("Acme", acme_docs, domain=lab.domain),
                              "directory": "lab", "container": "ou=acme"},
        "tenants/beta.yaml": {**tenant("Beta", {"bo": user("bo@beta.example", "Bo")}),
                              "directory": "here"},
    }, "acme in the lab, beta local")


def only_acme_unplanned(cli: Cli, expected: str) -> str:
    result = cli("plan")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert errors == [f"error: acme: directory 'lab': {expected}"] or (
        len(errors) == 1 and errors[0].startswith(f"error: acme: directory 'lab': {expected}")), \
        result.err
    assert "+ create bo" in result.out and "+ create u000" not in result.out
    applied = cli("apply", "--auto-approve")
    assert applied.code == 1 and "ok  beta/bo/create" in applied.out
    assert "Traceback" not in result.err + applied.err
    return errors[0]


def seed_acme(lab: Lab, count: int) -> None:
    """``count`` users tenantry already manages (made directly: fast, no passwords)."""
    lab.add_ou("ou=acme")
    for i in range(count):
        uid = f"u{i:03d}"
        lab.add_user("ou=acme", f"User {i:03d}", f"{uid}@{lab.domain}",
                     marker=f"tenantry:acme/{uid}",
                     extra={} if lab.ad else {"sn": " "})  # read back as "no surname"


@pytest.fixture
def proxy(lab: Lab) -> Iterator[Proxy]:
    relay = Proxy(lab.server.host, lab.server.ldaps_port)
    yield relay
    relay.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server(repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    port = closed_port()
    two_directories(repo, lab, url=f"ldaps://127.0.0.1:{port}")
    only_acme_unplanned(cli, f"cannot connect to ldaps://127.0.0.1:{port}: connection refused")


def test_wrong_credentials(repo: SpecRepo, cli: Cli, lab: Lab,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    two_directories(repo, lab)
    only_acme_unplanned(cli, f"{lab.server.ldaps_url} refused the bind as "
                             f"{lab.server.service_dn}: invalidCredentials (check "
                             f"{PASSWORD_ENV})")


def test_a_missing_password_variable_names_the_variable_and_the_directory(
        repo: SpecRepo, cli: Cli, lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    two_directories(repo, lab)
    only_acme_unplanned(cli, f"environment variable {PASSWORD_ENV} is not set; it must hold "
                             f"the password of {lab.server.service_dn}")


def test_a_search_that_fails_partway_never_plans_deletes(
        repo: SpecRepo, cli: Cli, lab: Lab, proxy: Proxy) -> None:
    seed_acme(lab, 150)
    # Through the relay, 10 users a page: first a clean read, to learn how many bytes the
    # whole conversation takes; then the connection drops after 60% of them, mid-search.
    two_directories(repo, lab, acme_users=150, url=f"ldaps://127.0.0.1:{proxy.port}",
                    page_size=10)
    clean = cli("plan")
    assert clean.code == 0 and "u000" not in clean.out, clean.out + clean.err
    proxy.mode, proxy.limit = "cut", proxy.largest * 6 // 10
    line = only_acme_unplanned(cli, "reading tenant 'acme': ")
    assert "delete" not in line
    assert len(lab.users("ou=acme")) == 150


def test_a_server_that_stops_answering_times_out(
        repo: SpecRepo, cli: Cli, lab: Lab, proxy: Proxy) -> None:
    seed_acme(lab, 60)
    two_directories(repo, lab, acme_users=60, url=f"ldaps://127.0.0.1:{proxy.port}",
                    page_size=10, timeout=1)
    assert cli("plan").code == 0
    proxy.mode, proxy.limit = "stall", proxy.largest * 6 // 10
    only_acme_unplanned(cli, f"reading tenant 'acme': no answer from "
                             f"ldaps://127.0.0.1:{proxy.port} within 1 s")


def test_a_certificate_from_another_ca_is_refused(repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    two_directories(repo, lab, ca_file=str(lab.server.certs.other_ca))
    line = only_acme_unplanned(cli, f"TLS with {lab.server.ldaps_url} failed")
    assert "certificate verify failed" in line and "(check ca_file)" in line


def test_a_certificate_for_another_host_is_refused(repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    # The servers' certificates name 127.0.0.1 (and Samba's own address), not 127.0.0.2.
    relay = Proxy(lab.server.host, lab.server.ldaps_port, listen="127.0.0.2")
    try:
        two_directories(repo, lab, url=f"ldaps://127.0.0.2:{relay.port}")
        only_acme_unplanned(cli, f"TLS with ldaps://127.0.0.2:{relay.port} failed: the "
                                 "server's certificate is not for 127.0.0.2")
    finally:
        relay.close()


def test_tls_verify_false_works_and_warns(repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    lab.add_ou("ou=acme")
    two_directories(repo, lab, ca_file=str(lab.server.certs.other_ca), tls_verify=False)
    result = cli("plan")
    assert result.code == 0, result.err
    assert "warning: directory 'lab': tls_verify is false" in result.err
    assert "+ create u000" in result.out


def test_start_tls_on_an_ldap_url(repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    lab.add_ou("ou=acme")
    two_directories(repo, lab, url=lab.server.ldap_url, start_tls=True)
    result = cli("apply", "--auto-approve")
    assert result.code == 0, result.err
    assert result.err == "" and f"u000@{lab.domain}" in lab.users("ou=acme")


def test_a_plain_ldap_url_never_carries_a_new_password(repo: SpecRepo, cli: Cli,
                                                       lab: Lab) -> None:
    lab.add_ou("ou=acme")
    two_directories(repo, lab, url=lab.server.ldap_url)
    if lab.ad:
        # AD (and Samba) refuse a simple bind without TLS outright.
        only_acme_unplanned(cli, f"{lab.server.ldap_url} refused the bind as "
                                 f"{lab.server.service_dn}: strongerAuthRequired")
        return
    result = cli("apply", "--auto-approve")
    assert "sends the service account's password in clear text" in result.err
    assert result.code == 1
    assert "FAILED  acme/u000/create: refusing to send an initial password over an " \
           "unencrypted connection" in result.err
    assert lab.users("ou=acme") == {}


@pytest.fixture
def openldap_lab(slapd_server: LdapServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    monkeypatch.setenv(PASSWORD_ENV, slapd_server.service_password)
    made = Lab.create(slapd_server)
    yield made
    made.close()


def test_an_openldap_size_limit_is_an_incomplete_read(repo: SpecRepo, cli: Cli,
                                                     openldap_lab: Lab) -> None:
    # slapd's own limit (AD's are covered by the relay above): svc-limited may read 50
    # entries per search (slapd.conf `limits ... size=50`), as a service account left at
    # slapd's default of 500 would in a bigger tenant.
    lab = openldap_lab
    seed_acme(lab, 80)
    limited = lab.server.service_dn.replace("svc-tenantry", "svc-limited")
    two_directories(repo, lab, acme_users=80, bind_dn=limited, page_size=20)
    line = only_acme_unplanned(cli, "reading tenant 'acme': search of ")
    assert "sizeLimitExceeded" in line
