"""The licence report, adoption, the marker attribute setting, and credential errors."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import time
from pathlib import Path

import pytest
from conftest import Cli, SpecRepo, tenant, user
from graphhelp import CATALOG, Graph, commit, emulator_url, graph, guid, marker_of

from providers.registry import Context, open_directory
from reconciler.planning.directory import Status, TenantTarget
from reconciler.planning.plan import Action, Change
from reconciler.specs import DirectoriesFile

__all__ = ["emulator_url", "graph"]

C = "contoso.example"


def contoso(**users: dict[str, object]) -> dict[str, object]:
    return tenant("Contoso Ltd", users, domain=C, directory="m365", usage_location="NZ")


def test_licence_report(repo: SpecRepo, graph: Graph, cli: Cli) -> None:
    graph.tenant("contoso", skus={"SPB": 25, "EXCHANGESTANDARD": 10, "POWER_BI_PRO": 4})
    graph.control.add_users(guid("contoso"), [
        {"userPrincipalName": f"admin@{C}", "displayName": "Admin", "usageLocation": "NZ",
         "licences": ["SPB", "POWER_BI_PRO"]}])
    commit(repo, {"contoso": contoso(al=user(f"al@{C}", skus=["M365-BP", "EXO-P1"]),
                                     bo=user(f"bo@{C}", skus=["M365-BP"]),
                                     cy=user(f"cy@{C}", skus=["M365-BP", "SUPPORT"]))},
           {"m365": graph.directory("contoso")})
    assert cli("apply", "--auto-approve").code == 0
    result = cli("licences", "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["schema"] == "tenantry.licences/1" and report["errors"] == []
    # 25 bought; 3 specified users plus the unmanaged admin use 4; 22 paid for, in no spec.
    assert [(r["sku"], r["vendor_sku"], r["purchased"], r["in_use"], r["free"],
             r["specified"], r["not_specified"]) for r in report["rows"]] == [
        ("EXO-P1", "EXCHANGESTANDARD", 10, 1, 9, 1, 9),
        ("M365-BP", "SPB", 25, 4, 21, 3, 22),
        (None, "POWER_BI_PRO", 4, 1, 3, 0, 4)]
    table = cli("licences").out
    assert "contoso  m365       M365-BP  SPB" in table
    assert "35 seat(s) purchased but in no spec (not specified)." in table  # 9 + 22 + 4
    rows = list(csv.DictReader(io.StringIO(cli("licences", "--format", "csv").out)))
    assert rows[2] == {"tenant": "contoso", "directory": "m365", "sku": "",
                       "vendor_sku": "POWER_BI_PRO", "purchased": "4", "in_use": "1",
                       "free": "3", "specified": "0", "not_specified": "4"}


def test_licence_report_names_unreadable_tenants(repo: SpecRepo, graph: Graph, cli: Cli) -> None:
    commit(repo, {"contoso": contoso(al=user(f"al@{C}"))}, {"m365": graph.directory("gone")})
    result = cli("licences")
    assert result.code == 1
    assert result.err.startswith(f"error: contoso: Graph tenant {guid('gone')}: ")


def _directory(repo: SpecRepo, doc: dict[str, object]) -> object:
    config = DirectoriesFile.model_validate({"directories": {"m365": doc}}, strict=False)
    return open_directory("m365", config.directories["m365"], Context(root=repo.root))


def test_adopt_stamps_the_marker_and_nothing_else(repo: SpecRepo, graph: Graph,
                                                 cli: Cli) -> None:
    graph.tenant("contoso")
    [oid] = graph.control.add_users(guid("contoso"), [
        {"userPrincipalName": f"al@{C}", "displayName": "Al (by hand)", "usageLocation": "NZ",
         "licences": ["SPB"]}])
    before = graph.users("contoso")[f"al@{C}"]
    directory = _directory(repo, graph.directory("contoso"))
    target = TenantTarget("contoso", "m365", None, C, {"M365-BP": "SPB"})
    adopt = Change(id="contoso/al/adopt", action=Action.ADOPT, tenant="contoso", user="al",
                   upn=f"al@{C}", object_id=oid)
    rename = Change(id="contoso/al/update", action=Action.UPDATE, tenant="contoso", user="al",
                    upn=f"al@{C}", object_id=oid, before={"display_name": "Al (by hand)"},
                    after={"display_name": "Al Smith"}, depends_on=adopt.id)
    try:
        results = directory.apply(target, [adopt, rename])  # type: ignore[attr-defined]
    finally:
        directory.close()  # type: ignore[attr-defined]
    assert [(r.change_id, r.status) for r in results] == [(adopt.id, Status.APPLIED),
                                                           (rename.id, Status.APPLIED)]
    after = graph.users("contoso")[f"al@{C}"]
    assert marker_of(after) == "tenantry:contoso/al"
    assert {k: v for k, v in after.items() if k not in ("onPremisesExtensionAttributes",
                                                        "displayName")} == \
        {k: v for k, v in before.items() if k not in ("onPremisesExtensionAttributes",
                                                      "displayName")}
    assert after["displayName"] == "Al Smith"
    # From now on the plan manages it: the spec's al is that user, licence and all.
    commit(repo, {"contoso": contoso(al=user(f"al@{C}", "Al Smith", skus=["M365-BP"]))},
           {"m365": graph.directory("contoso")})
    result = cli("plan", "--detailed-exitcode")
    assert result.code == 0, result.out


def test_marker_in_a_directory_extension_property(repo: SpecRepo, graph: Graph,
                                                 cli: Cli) -> None:
    graph.tenant("contoso")
    prop = "extension_0123456789abcdef0123456789abcdef_tenantryOwner"
    commit(repo, {"contoso": contoso(al=user(f"al@{C}", skus=["M365-BP"]))},
           {"m365": graph.directory("contoso", marker_attribute=prop)})
    assert cli("apply", "--auto-approve").code == 0
    al = graph.users("contoso")[f"al@{C}"]
    assert al[prop] == "tenantry:contoso/al" and marker_of(al) is None
    result = cli("plan", "--detailed-exitcode")
    assert result.code == 0, result.out
    # Under the default marker attribute the same user is not tenantry's: a create is
    # planned, and it would fail on the UPN, which an unmanaged object holds.
    commit(repo, {"contoso": contoso(al=user(f"al@{C}", skus=["M365-BP"]))},
           {"m365": graph.directory("contoso")})
    assert "belongs to a directory object tenantry does not manage" in cli("plan").out


def test_client_secret_by_reference_only(repo: SpecRepo, graph: Graph, cli: Cli,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTOSO_GRAPH_SECRET", raising=False)
    doc = {"provider": "graph", "tenant_id": guid("contoso"),
           "client_id": "00000000-0000-0000-0000-000000000001",
           "client_secret_env": "CONTOSO_GRAPH_SECRET"}
    commit(repo, {"contoso": contoso(al=user(f"al@{C}"))}, {"m365": doc})
    result = cli("plan")
    assert result.code == 1
    assert result.err == ("error: contoso: directory 'm365': environment variable "
                          "CONTOSO_GRAPH_SECRET is not set (it holds the app's client "
                          "secret)\n")


def test_a_throttled_request_waits_for_its_retry_after(repo: SpecRepo, graph: Graph) -> None:
    graph.tenant("contoso")
    graph.control.switches(throttle_batched_next=1, retry_after=2)
    directory = _directory(repo, graph.directory("contoso"))
    target = TenantTarget("contoso", "m365", None, C, {"M365-BP": "SPB"})
    create = Change(id="contoso/al/create", action=Action.CREATE, tenant="contoso", user="al",
                    upn=f"al@{C}", after={"upn": f"al@{C}", "display_name": "Al",
                                          "enabled": True})
    start = time.monotonic()
    try:
        [result] = directory.apply(target, [create])  # type: ignore[attr-defined]
    finally:
        directory.close()  # type: ignore[attr-defined]
    assert result.status is Status.APPLIED
    assert time.monotonic() - start >= 2.0  # the create was sent again only after 2 s
    stats = graph.control.stats()
    assert (stats["fault 429"], stats["$batch POST /users"], stats["POST /$batch"]) == (1, 2, 2)
    assert graph.control.created(guid("contoso")) == 1


def test_import_then_adopt_a_customer_tenant(repo: SpecRepo, graph: Graph, cli: Cli) -> None:
    """An existing Microsoft 365 customer: import writes its tenant file from the partner
    directory, ``--adopt`` marks its users, and apply stamps the marker and nothing else."""
    graph.tenant("contoso", skus={"SPB": 5, "POWER_BI_PRO": 2})
    graph.control.add_users(guid("contoso"), [
        {"userPrincipalName": f"al@{C}", "displayName": "Al Smith", "usageLocation": "NZ",
         "licences": ["SPB", "POWER_BI_PRO"]},
        {"userPrincipalName": f"bo@{C}", "displayName": "Bo Jones", "accountEnabled": False}])
    repo.commit_specs({"catalog.yaml": CATALOG,
                       "directories.yaml": {"directories": {"partner": graph.partner()}}})
    result = cli("import", "contoso", "--adopt", "--directory", "partner", "--container",
                 guid("contoso"), "--domain", C)
    assert result.code == 0, result.err
    assert "POWER_BI_PRO" in result.out + result.err  # held, but no product assigns it
    repo.commit(message="import contoso")
    before = graph.users("contoso")
    plan = cli("plan")
    assert "& adopt al@contoso.example as al" in plan.out, plan.out
    assert cli("apply", "--auto-approve").code == 0
    after = graph.users("contoso")
    for upn in before:
        assert marker_of(after[upn]) == f"tenantry:contoso/{upn.split('@')[0]}"
        assert {k: v for k, v in after[upn].items() if k != "onPremisesExtensionAttributes"} \
            == {k: v for k, v in before[upn].items() if k != "onPremisesExtensionAttributes"}
    assert cli("plan", "--detailed-exitcode").code == 0


def _self_signed(path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tenantry test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
                     + cert.public_bytes(serialization.Encoding.PEM))


@pytest.mark.parametrize("credential", ["secret", "certificate"])
def test_production_credentials_come_from_azure_identity(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credential: str) -> None:
    """No network here: the provider is built for each customer tenant with the app's
    credential, asking for Graph's .default scope, for Graph's host only."""
    from azure.identity.aio import CertificateCredential, ClientSecretCredential

    from providers.graph.auth import Credentials
    from reconciler.specs import GraphDirectory

    doc: dict[str, object] = {"provider": "graph", "multi_tenant": True,
                              "client_id": "00000000-0000-0000-0000-000000000001"}
    if credential == "secret":
        monkeypatch.setenv("PARTNER_SECRET", "not-a-real-secret")
        doc["client_secret_env"] = "PARTNER_SECRET"
    else:
        (tmp_path / "certs").mkdir()
        _self_signed(tmp_path / "certs" / "tenantry.pem")
        doc["certificate_path"] = "certs/tenantry.pem"  # relative to the spec repository
    config = GraphDirectory.model_validate(doc, strict=False)
    credentials = Credentials("partner", config, tmp_path)
    provider = credentials.provider(guid("contoso"))
    tokens = provider.access_token_provider  # type: ignore[attr-defined]
    expected = ClientSecretCredential if credential == "secret" else CertificateCredential
    assert isinstance(tokens._credentials, expected)
    assert tokens._credentials._client._tenant_id == guid("contoso")
    assert tokens._scopes == ["https://graph.microsoft.com/.default"]
    assert tokens.get_allowed_hosts_validator().get_allowed_hosts() == ["graph.microsoft.com"]
    asyncio.run(credentials.aclose())
