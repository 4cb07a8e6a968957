"""The demo's story, told twice: to the local directory and to a real slapd.

Each of the eleven dated commits is planned and applied on both sides. The plans must say
the same thing, once each is reduced to what an LDAP directory manages: the local directory
also provisions SKUs without an ``assign.ldap`` group and stores usage locations, which
OpenLDAP does not; object ids differ by nature.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any, Iterator

import pytest
from conftest import Cli, SpecRepo
from ldap_lab import PASSWORD_ENV, Lab
from ldap_servers import LdapServer

from tenantry.commands.demo import write_docs
from tenantry.demo_story import STORY, Docs

TENANTS = ("contoso", "fabrikam", "sandbox", "northwind")
GROUPS = ("cn=lic-m365-bp,ou=groups", "cn=lic-m365-e3,ou=groups")


@pytest.fixture
def demo_lab(slapd_server: LdapServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    monkeypatch.setenv(PASSWORD_ENV, slapd_server.service_password)
    lab = Lab.create(slapd_server)
    for group in GROUPS:
        lab.add_group(group)
    for tid in TENANTS:
        lab.add_ou(f"ou={tid}")
    yield lab
    lab.close()


def on_ldap(docs: Docs, lab: Lab) -> Docs:
    """The same specs, with every tenant placed in the lab directory."""
    out = copy.deepcopy(docs)
    out["directories.yaml"] = {"directories": {"lab": lab.directory()}}
    for path, doc in out.items():
        if path.startswith("tenants/"):
            doc["container"] = f"ou={path.split('/')[1].removesuffix('.yaml')}"
    return out


def commit(repo: SpecRepo, docs: Docs, message: str, author: tuple[str, str],
           when: dt.datetime) -> None:
    write_docs(repo.root / "specs", docs)
    repo.commit(message=message, author=f"{author[0]} <{author[1]}>", date=when)


def comparable(plan: dict[str, Any], ldap_skus: set[str]) -> list[Any]:
    """A plan reduced to what an OpenLDAP directory manages, without object ids."""
    tenants = []
    for tplan in plan["tenants"]:
        assert tplan["error"] is None, tplan["error"]
        changes = []
        for change in tplan["changes"]:
            if change["sku"] is not None and change["sku"] not in ldap_skus:
                continue
            before, after = (None if side is None else
                             {k: v for k, v in side.items() if k != "usage_location"}
                             for side in (change["before"], change["after"]))
            if change["action"] == "update" and not after:
                continue
            changes.append((change["id"], change["action"], change["upn"], change["sku"],
                            before, after, change["depends_on"]))
        tenants.append((tplan["tenant"], changes, tplan["warnings"]))
    return tenants


def test_the_demo_story_plans_the_same_on_slapd_as_on_the_local_directory(
        make_repo: Any, cli: Cli, demo_lab: Lab) -> None:
    local, ldap = make_repo("local"), make_repo("ldap")
    docs: Docs = {}
    now = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone.utc)
    compared = 0
    for number, step in enumerate(STORY, start=1):
        when = now - dt.timedelta(days=step.days_ago, hours=number % 5)
        step.edit(docs, when.date())
        commit(local, docs, step.message, step.author, when)
        commit(ldap, on_ldap(docs, demo_lab), step.message, step.author, when)
        ldap_skus = {sku for sku, product in docs["catalog.yaml"]["products"].items()
                     if product.get("assign", {}).get("ldap")}
        plans = {}
        for name, repo in (("local", local), ("ldap", ldap)):
            result = cli("-C", str(repo.root), "plan", "--format", "json")
            assert result.code == 0, result.err
            plans[name] = comparable(json.loads(result.out), ldap_skus)
            applied = cli("-C", str(repo.root), "apply", "--auto-approve")
            assert applied.code == 0, f"step {number} on {name}: {applied.err}"
        assert plans["ldap"] == plans["local"], f"step {number}: {step.message}"
        compared += sum(len(changes) for _, changes, _ in plans["ldap"])
    assert compared > 30  # the story really changed things on both sides

    for repo in (local, ldap):
        result = cli("-C", str(repo.root), "plan", "--detailed-exitcode")
        assert result.code == 0, result.out + result.err
    users = {upn for tid in TENANTS for upn in demo_lab.users(f"ou={tid}")}
    assert "beth.kowalski@fabrikam.example" in users and "dave@contoso.example" not in users
    assert len(users) == sum(len(docs[f"tenants/{tid}.yaml"]["users"]) for tid in TENANTS)
