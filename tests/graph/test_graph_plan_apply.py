"""The graph provider through the CLI against the Graph emulator: plan, apply, converge."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Cli, SpecRepo, tenant, user
from graphhelp import (
    Graph,
    commit,
    emulator_url,
    graph,
    guid,
    marked,
    marker_of,
    password_rows,
)

__all__ = ["emulator_url", "graph"]  # fixtures used by name

C = "contoso.example"


def contoso(**users: Any) -> dict[str, Any]:
    return tenant("Contoso Ltd", users, domain=C, directory="m365", usage_location="NZ")


def converged(cli: Cli) -> None:
    result = cli("plan", "--detailed-exitcode")
    assert (result.code, result.err) == (0, ""), result.out + result.err
    assert "No changes. The directories match the specs." in result.out


def applied(cli: Cli, *args: str) -> str:
    result = cli("apply", "--auto-approve", *args)
    assert result.code == 0, result.out + result.err
    return result.out


@pytest.fixture
def three(repo: SpecRepo, graph: Graph) -> SpecRepo:
    graph.tenant("contoso")
    commit(repo, {"contoso": contoso(
        al=user(f"al@{C}", "Al Smith", skus=["M365-BP", "SUPPORT"], given_name="Al",
                surname="Smith"),
        bo=user(f"bo@{C}", "Bo Jones", skus=["EXO-P1"]),
        cy=user(f"cy@{C}", "Cy Young", skus=["M365-BP", "EXO-P1"], enabled=False))},
        {"m365": graph.directory("contoso")})
    return repo


def test_plan_apply_then_nothing_to_change(three: SpecRepo, graph: Graph, cli: Cli) -> None:
    plan = cli("plan", "--detailed-exitcode")
    assert plan.code == 2, plan.err
    assert "+ create al (al@contoso.example)" in plan.out
    assert "+ assign M365-BP to cy (cy@contoso.example)" in plan.out
    assert "SUPPORT" not in plan.out  # billed, never provisioned: no assign.graph
    # The floor: one listing page and one subscribedSkus.
    assert graph.control.stats() == {"GET /subscribedSkus": 1, "GET /users": 1}
    graph.control.reset_stats()

    out = applied(cli)
    assert "Apply complete: 7 applied, 0 failed, 0 skipped." in out
    users = graph.users("contoso")
    assert set(users) == {f"al@{C}", f"bo@{C}", f"cy@{C}"}
    al = users[f"al@{C}"]
    assert (al["displayName"], al["givenName"], al["surname"], al["usageLocation"],
            al["accountEnabled"], al["mailNickname"]) == ("Al Smith", "Al", "Smith", "NZ",
                                                          True, "al")
    assert marker_of(al) == "tenantry:contoso/al"
    assert users[f"cy@{C}"]["accountEnabled"] is False
    assert graph.held("contoso") == {f"al@{C}": {"SPB"}, f"bo@{C}": {"EXCHANGESTANDARD"},
                                     f"cy@{C}": {"SPB", "EXCHANGESTANDARD"}}
    assert graph.consumed("contoso") == {"SPB": 2, "EXCHANGESTANDARD": 2}
    # Three creates and three assignLicense calls (one per user, all its SKUs) in one
    # $batch, plus the subscribedSkus that maps part numbers to skuIds.
    stats = graph.control.stats()
    assert stats["POST /$batch"] == 1
    assert stats["$batch POST /users"] == 3
    assert stats["$batch POST /users/{id}/assignLicense"] == 3
    # Initial passwords: generated, forced to change, recorded once each, never printed.
    rows = {r["user"]: r for r in password_rows(three)}
    assert set(rows) == {"al", "bo", "cy"}
    for row in rows.values():
        stored = users[row["upn"]]["passwordProfile"]
        assert stored == {"forceChangePasswordNextSignIn": True, "password": row["password"]}
        assert row["password"] not in out and row["directory"] == "m365"
    converged(cli)


def test_rename_disable_and_licence_changes(three: SpecRepo, graph: Graph, cli: Cli) -> None:
    applied(cli)
    before = graph.users("contoso")
    commit(three, {"contoso": contoso(
        al=user(f"alice@{C}", "Alice Smith", skus=["EXO-P1"], given_name="Alice",
                surname="Smith"),
        bo=user(f"bo@{C}", "Bo Jones", skus=["EXO-P1", "M365-BP"], enabled=False),
        cy=user(f"cy@{C}", "Cy Young", skus=["M365-BP", "EXO-P1"]))},
        {"m365": graph.directory("contoso")})
    plan = cli("plan")
    assert "~ update al (rename al@contoso.example -> alice@contoso.example)" in plan.out
    assert "~ disable bo" in plan.out and "~ enable cy" in plan.out
    assert "- remove M365-BP from al" in plan.out
    applied(cli)
    users = graph.users("contoso")
    assert set(users) == {f"alice@{C}", f"bo@{C}", f"cy@{C}"}
    # A rename keeps the object: same id, same marker.
    assert users[f"alice@{C}"]["id"] == before[f"al@{C}"]["id"]
    assert marker_of(users[f"alice@{C}"]) == "tenantry:contoso/al"
    assert users[f"alice@{C}"]["givenName"] == "Alice"
    assert (users[f"bo@{C}"]["accountEnabled"], users[f"cy@{C}"]["accountEnabled"]) == \
        (False, True)
    assert graph.held("contoso") == {f"alice@{C}": {"EXCHANGESTANDARD"},
                                     f"bo@{C}": {"SPB", "EXCHANGESTANDARD"},
                                     f"cy@{C}": {"SPB", "EXCHANGESTANDARD"}}
    converged(cli)


def test_capacity_shortage_is_refused_and_the_rest_applied(
        repo: SpecRepo, graph: Graph, cli: Cli) -> None:
    graph.tenant("contoso", skus={"SPB": 2, "EXCHANGESTANDARD": 5})
    graph.control.add_users(guid("contoso"), [
        {"userPrincipalName": "admin@contoso.example", "displayName": "Admin",
         "usageLocation": "NZ", "licences": ["SPB"]}])
    users = {name: user(f"{name}@{C}", skus=["M365-BP", "EXO-P1"]) for name in ("al", "bo", "cy")}
    commit(repo, {"contoso": contoso(**users)}, {"m365": graph.directory("contoso")})
    plan = cli("plan", "--detailed-exitcode")
    # 2 bought, 1 used by the unmanaged admin: 1 free for 3 assignments.
    message = "contoso: M365-BP needs 2 more licences than are free (2 purchased, 1 in use)"
    assert plan.code == 1 and f"error: {message}" in plan.err
    assert "! refused: M365-BP needs 2 more licences" in plan.out
    result = cli("apply", "--auto-approve")
    assert result.code == 1
    assert f"FAILED  contoso/al/assign/M365-BP: {message.split(': ', 1)[1]}" in result.err
    assert "Apply complete: 6 applied, 3 failed, 0 skipped." in result.out
    assert graph.held("contoso") == {"admin@contoso.example": {"SPB"},
                                     **{f"{n}@{C}": {"EXCHANGESTANDARD"} for n in users}}
    # Buy the seats: the next apply assigns them.
    graph.control.set_seats(guid("contoso"), {"SPB": 4})
    applied(cli)
    assert graph.consumed("contoso")["SPB"] == 4
    converged(cli)


def test_seats_freed_by_removals_go_to_assignments(repo: SpecRepo, graph: Graph,
                                                   cli: Cli) -> None:
    graph.tenant("contoso", skus={"SPB": 1, "EXCHANGESTANDARD": 1})
    commit(repo, {"contoso": contoso(al=user(f"al@{C}", skus=["M365-BP"]),
                                     bo=user(f"bo@{C}", skus=["EXO-P1"]))},
           {"m365": graph.directory("contoso")})
    applied(cli)
    # Swap: every seat is taken, and each assignment needs the seat the other user frees.
    commit(repo, {"contoso": contoso(al=user(f"al@{C}", skus=["EXO-P1"]),
                                     bo=user(f"bo@{C}", skus=["M365-BP"]))},
           {"m365": graph.directory("contoso")})
    plan = cli("plan")
    assert plan.code == 0 and "refused" not in plan.out
    applied(cli)
    assert graph.held("contoso") == {f"al@{C}": {"EXCHANGESTANDARD"}, f"bo@{C}": {"SPB"}}
    converged(cli)


def test_a_user_without_usage_location_is_a_plan_error(repo: SpecRepo, graph: Graph,
                                                       cli: Cli) -> None:
    graph.tenant("contoso")
    doc = tenant("Contoso Ltd", {"al": user(f"al@{C}", skus=["M365-BP"]),
                                 "bo": user(f"bo@{C}", skus=["M365-BP"], usage_location="DE"),
                                 "cy": user(f"cy@{C}")},
                 domain=C, directory="m365")
    commit(repo, {"contoso": doc}, {"m365": graph.directory("contoso")})
    plan = cli("plan")
    assert plan.code == 1
    assert plan.err.splitlines() == [(
        "error: contoso: al: no usage location, so Graph cannot license the user; set "
        "usage_location on the user or the tenant")]
    result = cli("apply", "--auto-approve")
    assert result.code == 1 and "Apply complete: 4 applied, 1 failed, 0 skipped." in result.out
    assert graph.held("contoso") == {f"al@{C}": set(), f"bo@{C}": {"SPB"}, f"cy@{C}": set()}
    assert graph.users("contoso")[f"bo@{C}"]["usageLocation"] == "DE"
    # The tenant's default fixes it: set before licensing, in the same apply.
    doc["usage_location"] = "NZ"
    commit(repo, {"contoso": doc}, {"m365": graph.directory("contoso")})
    applied(cli)
    assert graph.users("contoso")[f"al@{C}"]["usageLocation"] == "NZ"
    assert graph.held("contoso")[f"al@{C}"] == {"SPB"}
    converged(cli)


def test_unmarked_users_are_never_touched(repo: SpecRepo, graph: Graph, cli: Cli) -> None:
    graph.tenant("contoso", domains=[C, "fabrikam.example"])
    ids = graph.control.add_users(guid("contoso"), [
        {"userPrincipalName": f"ceo@{C}", "displayName": "The CEO", "usageLocation": "NZ",
         "licences": ["SPB"]},
        {"userPrincipalName": f"taken@{C}", "displayName": "Not ours"},
        # Marked by another tenant file sharing this Entra tenant: that tenant's user.
        {"userPrincipalName": "fa@fabrikam.example", "displayName": "Fa",
         **marked("fabrikam", "fa")},
        # Some other tool's value in the marker attribute: not tenantry's.
        {"userPrincipalName": f"tool@{C}", "displayName": "Tool",
         "onPremisesExtensionAttributes": {"extensionAttribute15": "hr-system:1234"}}])
    commit(repo, {"contoso": contoso(al=user(f"al@{C}", skus=["M365-BP"]),
                                     ty=user(f"taken@{C}", "Ty"))},
           {"m365": graph.directory("contoso")})
    plan = cli("plan")
    assert "ceo@" not in plan.out and "fa@" not in plan.out and "tool@" not in plan.out
    assert f"UPN taken@{C} belongs to a directory object tenantry does not manage " \
           f"({ids[1]})" in plan.out
    before = graph.users("contoso")
    result = cli("apply", "--auto-approve")
    assert result.code == 1
    assert f"FAILED  contoso/ty/create: UPN taken@{C} belongs to a directory object " \
           f"tenantry does not manage ({ids[1]}); left untouched" in result.err
    after = graph.users("contoso")
    for upn in (f"ceo@{C}", f"taken@{C}", "fa@fabrikam.example", f"tool@{C}"):
        assert after[upn] == before[upn]
    assert graph.held("contoso")[f"al@{C}"] == {"SPB"}


def test_deletes_are_guarded_and_free_their_licences(repo: SpecRepo, graph: Graph,
                                                     cli: Cli) -> None:
    graph.tenant("contoso")
    many = {f"u{i:02d}": user(f"u{i:02d}@{C}", skus=["M365-BP"]) for i in range(12)}
    commit(repo, {"contoso": contoso(**many)}, {"m365": graph.directory("contoso")})
    applied(cli)
    assert graph.consumed("contoso")["SPB"] == 12
    commit(repo, {"contoso": contoso(keep=user(f"keep@{C}"))}, {"m365": graph.directory("contoso")})
    refused = cli("apply", "--auto-approve")
    assert refused.code == 1 and "deletes 12 users, more than --max-deletes 10" in refused.err
    assert len(graph.users("contoso")) == 12
    applied(cli, "--max-deletes", "12")
    assert set(graph.users("contoso")) == {f"keep@{C}"}
    assert graph.consumed("contoso")["SPB"] == 0
    converged(cli)


def test_paging_reads_2500_users_at_the_floor(repo: SpecRepo, graph: Graph, cli: Cli) -> None:
    graph.tenant("contoso", skus={"SPB": 3000, "EXCHANGESTANDARD": 0})
    names = [f"u{i:04d}" for i in range(2500)]
    graph.control.add_users(guid("contoso"), [
        {"userPrincipalName": f"{n}@{C}", "displayName": n, "usageLocation": "NZ",
         "licences": ["SPB"], **marked("contoso", n)} for n in names])
    commit(repo, {"contoso": contoso(**{n: user(f"{n}@{C}", n, skus=["M365-BP"])
                                        for n in names})},
           {"m365": graph.directory("contoso")})
    converged(cli)
    # ceil(2500 / 999) = 3 pages, and one subscribedSkus.
    assert graph.control.stats() == {"GET /subscribedSkus": 1, "GET /users": 3}
    # Every page counts: a spec user beyond the first 999 changed is planned as such.
    doc = contoso(**{n: user(f"{n}@{C}", n, skus=["M365-BP"]) for n in names})
    doc["users"]["u2499"]["display_name"] = "Last One"  # type: ignore[index]
    commit(repo, {"contoso": doc}, {"m365": graph.directory("contoso")})
    changes = json.loads(cli("plan", "--format", "json").out)["tenants"][0]["changes"]
    assert [(c["id"], c["after"]) for c in changes] == [
        ("contoso/u2499/update", {"display_name": "Last One"})]


def test_fifty_customer_tenants_through_one_partner_directory(
        repo: SpecRepo, graph: Graph, cli: Cli) -> None:
    names = [f"cust{i:02d}" for i in range(50)]
    tenants = {}
    for name in names:
        graph.tenant(name, skus={"SPB": 5, "EXCHANGESTANDARD": 5})
        tenants[name] = tenant(name.title(), {
            "al": user(f"al@{name}.example", skus=["M365-BP"], usage_location="NZ"),
            "bo": user(f"bo@{name}.example", skus=["EXO-P1"], usage_location="NZ")},
            domain=f"{name}.example", directory="partner", container=guid(name))
    commit(repo, tenants, {"partner": graph.partner(concurrency=8)})
    first = cli("plan")
    assert first.out == cli("plan").out  # concurrent, yet the same output every time
    headers = [line for line in first.out.splitlines() if line.startswith("tenant ")]
    assert headers == [f"tenant {n} (directory partner (graph))" for n in names]
    stats = graph.control.stats()
    assert (stats["GET /users"], stats["GET /subscribedSkus"]) == (100, 100)
    applied(cli)
    for name in names:
        assert graph.held(name) == {f"al@{name}.example": {"SPB"},
                                    f"bo@{name}.example": {"EXCHANGESTANDARD"}}
        assert {marker_of(u) for u in graph.users(name).values()} == \
            {f"tenantry:{name}/al", f"tenantry:{name}/bo"}
    converged(cli)


def test_unreadable_tenants_are_not_planned(repo: SpecRepo, graph: Graph, cli: Cli,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    graph.tenant("contoso")
    commit(repo, {"contoso": contoso(al=user(f"al@{C}")),
                  "ghost": tenant("Ghost", {"gh": user("gh@ghost.example")},
                                  directory="partner", container=guid("ghost"))},
           {"m365": graph.directory("contoso"), "partner": graph.partner()})
    result = cli("plan")
    assert result.code == 1
    assert "error: ghost: Graph tenant " + guid("ghost") + ": " in result.err
    assert "401 InvalidAuthenticationToken" in result.err
    assert "+ create al" in result.out  # other tenants are still planned
    monkeypatch.delenv("TENANTRY_TEST_GRAPH_TOKEN")
    result = cli("plan")
    assert result.code == 1
    assert "error: contoso: directory 'm365': environment variable TENANTRY_TEST_GRAPH_TOKEN " \
           "is not set (it holds a bearer token)" in result.err


def test_a_listing_cut_short_plans_nothing_for_that_tenant(repo: SpecRepo, graph: Graph,
                                                           cli: Cli) -> None:
    graph.tenant("contoso")
    names = [f"u{i:04d}" for i in range(1200)]
    graph.control.add_users(guid("contoso"), [
        {"userPrincipalName": f"{n}@{C}", "displayName": n, **marked("contoso", n)}
        for n in names])
    commit(repo, {"contoso": contoso(**{n: user(f"{n}@{C}", n) for n in names[:10]})},
           {"m365": graph.directory("contoso")})
    # The second page's token has expired: what page 1 held must not become 1,190 deletes.
    graph.control.switches(expire_page_tokens=True)
    result = cli("plan", "--format", "json")
    assert result.code == 1
    [planned] = json.loads(result.out)["tenants"]
    assert planned["changes"] == [] and planned["actual_digest"] is None
    assert planned["error"].startswith(f"Graph tenant {guid('contoso')}: listing users (page "
                                       "2) failed: 400 Directory_ExpiredPageToken: ")
    assert cli("apply", "--auto-approve").code == 1
    assert len(graph.users("contoso")) == 1200
