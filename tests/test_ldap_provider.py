"""The ldap provider through the CLI, against a real slapd and a real Samba AD DC.

Every test runs once per flavor (``lab`` is parametrized) in its own fresh base_dn. What the
directory holds is read back with the lab's own admin connection, not through the provider.
"""

from __future__ import annotations

import csv
import json
import ssl
import stat
import time
from pathlib import Path
from typing import Any, Mapping

import ldap3
import pytest
from conftest import Cli, SpecRepo, tenant, user
from ldap3.core.exceptions import LDAPInsufficientAccessRightsResult
from ldap_lab import LAB_CATALOG, Lab, customers_dn
from ldap_servers import LdapServer

from providers.registry import Context, open_directory
from reconciler.planning.directory import Status, TenantTarget
from reconciler.planning.plan import Action, Change
from reconciler.specs import LdapDirectory

PASSWORDS = ".tenantry/new-passwords.csv"


def specs(repo: SpecRepo, lab: Lab, tenants: Mapping[str, Mapping[str, Any] | None],
          message: str = "specs", **directory: Any) -> str:
    """Commit the lab catalog, the lab as directory ``lab``, and tenants living in it."""
    files: dict[str, Any] = {"catalog.yaml": LAB_CATALOG,
                             "directories.yaml": {"directories": {"lab": lab.directory(
                                 **directory)}}}
    for tid, doc in tenants.items():
        files[f"tenants/{tid}.yaml"] = None if doc is None else \
            {**doc, "directory": "lab", "container": f"ou={tid}"}
    return repo.commit_specs(files, message)


def acme(lab: Lab, **users: Mapping[str, Any]) -> dict[str, Any]:
    return tenant("Acme Ltd", users, domain=lab.domain)


def applied(cli: Cli, *args: str) -> str:
    result = cli("apply", "--auto-approve", *args)
    assert result.code == 0, result.out + result.err
    return result.out


def assert_converged(cli: Cli) -> None:
    result = cli("plan", "--detailed-exitcode")
    assert (result.code, result.err) == (0, ""), result.out + result.err
    assert "No changes. The directories match the specs." in result.out


def plan_json(cli: Cli) -> dict[str, Any]:
    result = cli("plan", "--format", "json")
    doc: dict[str, Any] = json.loads(result.out)
    return doc


def passwords(repo: SpecRepo) -> dict[str, str]:
    with (repo.root / PASSWORDS).open() as handle:
        return {row["user"]: row["password"] for row in csv.DictReader(handle)}


def marker(lab: Lab, attrs: Mapping[str, Any]) -> list[str]:
    return list(attrs.get("msDS-cloudExtensionAttribute20" if lab.ad else "employeeType", []))


def object_id(lab: Lab, attrs: Mapping[str, Any]) -> str:
    return str((attrs["objectGUID"] if lab.ad else attrs["entryUUID"])[0])


def enabled(lab: Lab, attrs: Mapping[str, Any]) -> bool:
    if lab.ad:
        return not int(attrs["userAccountControl"][0]) & 2
    return "pwdAccountLockedTime" not in attrs


def test_plan_apply_and_a_second_apply_that_changes_nothing(repo: SpecRepo, cli: Cli,
                                                            lab: Lab) -> None:
    lab.add_ou("ou=acme")
    specs(repo, lab, {"acme": acme(lab, 
        al=user(f"al@{lab.domain}", "Al Smith", given_name="Al", surname="Smith",
                usage_location="NZ", skus=["M365-BP", "SUPPORT"]),
        bo=user(f"bo@{lab.domain}", "Bo Jones", skus=["EXO-P1"], enabled=False))})

    first = cli("plan", "--detailed-exitcode")
    assert first.code == 2, first.err
    assert "+ create al" in first.out and "+ assign M365-BP to al" in first.out
    assert "SUPPORT" not in first.out  # billed, never provisioned: no assign.ldap
    applied(cli)
    assert_converged(cli)

    users = lab.users("ou=acme")
    al, bo = users[f"al@{lab.domain}"], users[f"bo@{lab.domain}"]
    assert al["dn"].lower().startswith("cn=al smith,ou=acme,")
    assert (al["displayName"], al["givenName"], al["sn"]) == (["Al Smith"], ["Al"], ["Smith"])
    assert marker(lab, al) == ["tenantry:acme/al"] and marker(lab, bo) == ["tenantry:acme/bo"]
    assert lab.members("cn=lic-bp,ou=groups") == {al["dn"].lower()}
    assert lab.members("cn=lic-exo,ou=groups") == {bo["dn"].lower()}
    assert enabled(lab, al) and not enabled(lab, bo)

    # Initial passwords: only in the 0600 file, and they really are the accounts' passwords.
    path = repo.root / PASSWORDS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = passwords(repo)
    assert set(secret) == {"al", "bo"}
    assert secret["al"] not in json.dumps(plan_json(cli)) and secret["al"] not in repo.notes()
    if lab.ad:
        assert al["c"] == ["NZ"] and al["pwdLastSet"] == ["0"]
        # AD refuses the bind because the password must be changed first (773), not
        # because it is wrong (52e).
        ok, message = lab.can_bind(al["dn"], secret["al"])
        assert not ok and "773" in message, message
        assert "52e" in lab.can_bind(al["dn"], "Wrong-Passw0rd!")[1]
    else:
        assert al["pwdReset"] == ["TRUE"]  # ppolicy: change it at first bind
        assert lab.can_bind(al["dn"], secret["al"])[0]
        assert not lab.can_bind(bo["dn"], secret["bo"])[0]  # disabled: locked by ppolicy


def test_rename_is_a_modify_dn_that_keeps_the_object_and_its_groups(
        repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    lab.add_ou("ou=acme")
    specs(repo, lab, {"acme": acme(lab, al=user(f"al@{lab.domain}", "Al Smith", skus=["M365-BP"]))})
    applied(cli)
    before = lab.users("ou=acme")[f"al@{lab.domain}"]

    specs(repo, lab, {"acme": acme(lab, al=user(f"alice@{lab.domain}", "Alice Smith-Jones",
                                           skus=["M365-BP"]))})
    plan = cli("plan", "--out", "plan.json")
    assert "~ update al" in plan.out and "+ create" not in plan.out
    assert "- delete" not in plan.out
    # A saved plan is applied by a fresh command: the provider finds the entry by its id.
    result = cli("apply", "plan.json")
    assert result.code == 0, result.err
    assert_converged(cli)

    after = lab.users("ou=acme")
    assert set(after) == {f"alice@{lab.domain}"}
    renamed = after[f"alice@{lab.domain}"]
    assert object_id(lab, renamed) == object_id(lab, before)
    assert renamed["dn"].lower().startswith("cn=alice smith-jones,ou=acme,")
    assert renamed["cn"] == ["Alice Smith-Jones"]
    assert lab.members("cn=lic-bp,ou=groups") == {renamed["dn"].lower()}


def test_disable_enable_and_sku_group_changes(repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    lab.add_ou("ou=acme")
    specs(repo, lab, {"acme": acme(lab, al=user(f"al@{lab.domain}", "Al Smith", skus=["M365-BP"]))})
    applied(cli)

    specs(repo, lab, {"acme": acme(lab, al=user(f"al@{lab.domain}", "Al Smith", skus=["EXO-P1"],
                                           enabled=False))})
    out = applied(cli)
    assert "ok  acme/al/disable" in out and "ok  acme/al/remove/M365-BP" in out
    assert_converged(cli)
    al = lab.users("ou=acme")[f"al@{lab.domain}"]
    assert not enabled(lab, al)
    if lab.ad:
        assert al["userAccountControl"] == ["514"]
    else:
        assert al["pwdAccountLockedTime"] == ["000001010000Z"]
    assert lab.members("cn=lic-bp,ou=groups") == set()
    assert lab.members("cn=lic-exo,ou=groups") == {al["dn"].lower()}

    specs(repo, lab, {"acme": acme(lab, al=user(f"al@{lab.domain}", "Al Smith",
                                           skus=["EXO-P1", "M365-BP"]))})
    applied(cli)
    assert_converged(cli)
    al = lab.users("ou=acme")[f"al@{lab.domain}"]
    assert enabled(lab, al) and (not lab.ad or al["userAccountControl"] == ["512"])
    assert lab.members("cn=lic-bp,ou=groups") == {al["dn"].lower()}


def test_objects_without_our_marker_are_never_changed_or_deleted(
        repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    lab.add_ou("ou=acme")
    stranger = lab.add_user("ou=acme", "Stranger", f"stranger@{lab.domain}")
    squatter = lab.add_user("ou=acme", "Cy Squatter", f"cy@{lab.domain}")
    # Marked, but for another tenant: moved here by hand, still not acme's to touch.
    moved = lab.add_user("ou=acme", "Moved In", f"moved@{lab.domain}", marker="tenantry:other/al")
    lab.conn.modify(lab.dn("cn=lic-bp,ou=groups"), {"member": [("MODIFY_ADD", [stranger])]})
    specs(repo, lab, {"acme": acme(lab, 
        al=user(f"al@{lab.domain}", "Al Smith"), cy=user(f"cy@{lab.domain}", "Cy Real"),
        al2=user(f"moved@{lab.domain}", "Moved In"))})

    plan = cli("plan")
    assert "stranger" not in plan.out.replace("UPN", "")  # not ours: no delete planned
    assert f"cy: UPN cy@{lab.domain} belongs to a directory object tenantry does not manage" \
        in plan.out
    result = cli("apply", "--auto-approve")
    assert result.code == 1
    assert "FAILED  acme/cy/create" in result.err and "already used by" in result.err
    assert "ok  acme/al/create" in result.out  # one failure does not stop the others

    users = lab.users("ou=acme")
    assert marker(lab, users[f"stranger@{lab.domain}"]) == []
    assert users[f"cy@{lab.domain}"]["displayName"] == ["Cy Squatter"]
    assert users[f"cy@{lab.domain}"]["dn"].lower() == squatter.lower()
    assert marker(lab, users[f"moved@{lab.domain}"]) == ["tenantry:other/al"]
    assert users[f"moved@{lab.domain}"]["dn"].lower() == moved.lower()
    assert stranger.lower() in lab.members("cn=lic-bp,ou=groups")  # memberships untouched

    # Removing every user from the specs deletes only what tenantry made.
    specs(repo, lab, {"acme": acme(lab)})
    applied(cli)
    assert set(lab.users("ou=acme")) == {f"stranger@{lab.domain}", f"cy@{lab.domain}", f"moved@{lab.domain}"}


def test_import_adopt_stamps_the_marker_and_changes_nothing_else(
        repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    lab.add_ou("ou=acme")
    squatter = lab.add_user("ou=acme", "Cy Squatter", f"cy@{lab.domain}")
    lab.conn.modify(lab.dn("cn=lic-bp,ou=groups"), {"member": [("MODIFY_ADD", [squatter])]})
    specs(repo, lab, {"acme": acme(lab, al=user(f"al@{lab.domain}", "Al Smith"))})
    applied(cli)
    before = lab.users("ou=acme")

    result = cli("import", "acme", "--adopt")  # reads the tenant through the provider
    assert result.code == 0, result.err
    assert "to adopt on the next apply (marker only): cy" in result.out
    text = (repo.root / "specs/tenants/acme.yaml").read_text()
    assert f"upn: cy@{lab.domain}" in text and "adopt: true" in text and "M365-BP" in text
    repo.commit_specs({}, "import acme")
    plan = plan_json(cli)
    assert [(c["action"], c["user"]) for c in plan["tenants"][0]["changes"]] == \
        [("adopt", "cy")]
    applied(cli)
    assert_converged(cli)
    after = lab.users("ou=acme")
    assert marker(lab, after[f"cy@{lab.domain}"]) == ["tenantry:acme/cy"]
    marker_key = "msDS-cloudExtensionAttribute20" if lab.ad else "employeeType"
    assert {k: v for k, v in after[f"cy@{lab.domain}"].items() if k != marker_key} == \
        before[f"cy@{lab.domain}"]
    assert after[f"al@{lab.domain}"] == before[f"al@{lab.domain}"]
    assert squatter.lower() in lab.members("cn=lic-bp,ou=groups")

    # An entry that got a marker since the plan is not adopted again.
    config = LdapDirectory.model_validate(lab.directory())
    directory = open_directory("lab", config, Context(root=repo.root))
    target = TenantTarget(tenant="acme", directory="lab", container="ou=acme",
                          domain=lab.domain, assign={"M365-BP": "cn=lic-bp,ou=groups"})
    try:
        cy = directory.read_tenant(target).managed()["cy"]
        adopt = Change(id="acme/cy/adopt", action=Action.ADOPT, tenant="acme", user="cy",
                       upn=f"cy@{lab.domain}", object_id=cy.object_id)
        (again,) = directory.apply(target, [adopt])
    finally:
        directory.close()
    assert again.status is Status.FAILED and "no longer an unmarked user" in again.message


def test_the_delete_guard_and_deletes(repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    lab.add_ou("ou=acme")
    many = {f"u{i:02d}": user(f"u{i:02d}@{lab.domain}", f"User {i:02d}", skus=["M365-BP"])
            for i in range(12)}
    specs(repo, lab, {"acme": acme(lab, **many)})
    applied(cli)
    if lab.ad:  # an object under a user (as Exchange puts devices): a tree delete
        child_of = lab.users("ou=acme")[f"u01@{lab.domain}"]["dn"]
        lab.conn.add(f"cn=store,{child_of}", ["classStore"])
    specs(repo, lab, {"acme": acme(lab, u00=many["u00"])})
    refused = cli("apply", "--auto-approve")
    assert refused.code == 1 and "deletes 11 users, more than --max-deletes 10" in refused.err
    assert len(lab.users("ou=acme")) == 12
    applied(cli, "--max-deletes", "11")
    assert_converged(cli)
    users = lab.users("ou=acme")
    assert set(users) == {f"u00@{lab.domain}"}
    assert lab.members("cn=lic-bp,ou=groups") == {users[f"u00@{lab.domain}"]["dn"].lower()}


NASTY = {  # user id: (display name, UPN local part)
    "smith": ("Smith, John (Contractor)*", "smith"),
    "inject": ("x)(uid=*", "x)(uid=*"),
    "lead": ("#lead", "#lead"),
    "obrien": ("O'Brien", "o'brien"),
    "zoe": ("Zoë Łukasiewicz", "zoe"),
    "spaces": (" Spacey Kevin ", "spacey"),
    "plus": ('A+B <C>; "D" = E\\F', "a+b=c"),
}


def test_escaping_names_that_look_like_filters_and_dns(repo: SpecRepo, cli: Cli,
                                                       lab: Lab) -> None:
    lab.add_ou("ou=acme")
    # Entries an unescaped filter or DN would hit instead.
    lab.add_user("ou=acme", "x", f"x@{lab.domain}")
    lab.add_user("ou=acme", "Smith", f"john@{lab.domain}")
    upns = {uid: f"{local}@{lab.domain}" for uid, (_, local) in NASTY.items()}
    users = {uid: user(upns[uid], name, skus=["M365-BP"]) for uid, (name, _) in NASTY.items()}
    specs(repo, lab, {"acme": acme(lab, **users)})
    applied(cli)
    assert_converged(cli)
    found = lab.users("ou=acme")
    for uid, (name, _) in NASTY.items():
        upn = upns[uid]
        assert found[upn]["displayName"] == [name], uid
        assert found[upn]["cn"][0].strip() == name.strip(), uid
        assert marker(lab, found[upn]) == [f"tenantry:acme/{uid}"]
    assert len(lab.members("cn=lic-bp,ou=groups")) == len(NASTY)

    # Rename each to another user's old name, shifted by one: every rename is a modify-DN
    # between awkward names, and no two entries ever share a cn.
    names = [name for name, _ in NASTY.values()]
    renamed = {uid: user(upns[uid], names[(i + 1) % len(names)] + " 2", skus=["EXO-P1"])
               for i, uid in enumerate(NASTY)}
    specs(repo, lab, {"acme": acme(lab, **renamed)})
    applied(cli)
    assert_converged(cli)
    found = lab.users("ou=acme")
    assert found[f"x@{lab.domain}"]["displayName"] == ["x"]  # the decoys are untouched
    assert found[f"john@{lab.domain}"]["displayName"] == ["Smith"]
    assert len(lab.members("cn=lic-exo,ou=groups")) == len(NASTY)
    assert lab.members("cn=lic-bp,ou=groups") == set()


def test_a_missing_license_group_is_a_plan_time_error_for_its_tenant(
        repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    lab.add_ou("ou=acme")
    catalog = {"products": {**LAB_CATALOG["products"], "GONE": {
        "name": "Gone", "price": 1, "assign": {"ldap": "cn=lic-gone,ou=groups"}}}}
    specs(repo, lab, {"acme": acme(lab, al=user(f"al@{lab.domain}", "Al", skus=["GONE"]))})
    repo.commit_specs({"catalog.yaml": catalog}, "a product without its group")
    result = cli("plan")
    assert result.code == 1
    assert f"error: acme: directory 'lab': group cn=lic-gone,ou=groups,{lab.base_dn} " \
           "(assign.ldap of GONE) does not exist" in result.err
    assert "+ create" not in result.out


def test_user_states_read_back_through_a_second_directory_object_are_the_same(
        repo: SpecRepo, cli: Cli, lab: Lab, tmp_path: Path) -> None:
    """What one command wrote, a fresh connection reads identically (no hidden cache)."""
    lab.add_ou("ou=acme")
    specs(repo, lab, {"acme": acme(lab, al=user(f"al@{lab.domain}", "Al Smith", given_name="Al",
                                           skus=["M365-BP"]))})
    applied(cli)
    config = LdapDirectory.model_validate(lab.directory())
    target = TenantTarget(tenant="acme", directory="lab", container="ou=acme", domain=lab.domain,
                          assign={"M365-BP": "cn=lic-bp,ou=groups"})
    directory = open_directory("lab", config, Context(root=tmp_path))
    try:
        (obj,) = directory.read_tenant(target).objects
    finally:
        directory.close()
    assert obj.marker == "al"
    assert (obj.state.upn, obj.state.display_name, obj.state.given_name, obj.state.surname,
            obj.state.enabled, obj.state.skus) == (f"al@{lab.domain}", "Al Smith", "Al", None, True,
                                                   {"M365-BP"})


@pytest.mark.slow
def test_a_license_group_with_2000_members_is_read_completely(
        repo: SpecRepo, cli: Cli, lab: Lab) -> None:
    # AD hands out `member` 1,500 values at a time (member;range=0-1499). The group holds
    # 1,700 contacts (cheap to make) and the tenant's 300 users: a provider that read only
    # the first range would plan "assign M365-BP" for the users beyond it.
    lab.add_ou("ou=big")
    lab.add_ou("ou=filler")
    group = lab.dn("cn=lic-bp,ou=groups")
    members = [lab.add_filler("ou=filler", f"filler {i:04d}") for i in range(1700)]
    users, dns = {}, []
    for i in range(300):
        uid, name = f"u{i:04d}", f"User {i:04d}"
        upn = f"{uid}@{lab.domain}"
        dns.append(lab.add_user("ou=big", name, upn, marker=f"tenantry:big/{uid}"))
        # The lab's OpenLDAP entries carry sn (inetOrgPerson requires it), AD's none.
        users[uid] = user(upn, name, skus=["M365-BP"], **({} if lab.ad else {"surname": name}))
    members += dns
    for start in range(0, len(members), 500):
        lab.conn.modify(group, {"member": [("MODIFY_ADD", members[start:start + 500])]})
    if lab.ad:
        first = lab.first_member_range(group)
        assert len(first) == 1500 and {d.lower() for d in dns} - first, \
            "the test needs some of the tenant's users beyond the first range"
    specs(repo, lab, {"big": tenant("Big", users, domain=lab.domain)}, page_size=120)
    assert_converged(cli)

    # And a real change among them is planned exactly.
    lab.conn.modify(group, {"member": [("MODIFY_DELETE", [dns[-1]])]})
    result = cli("plan")
    assert "+ assign M365-BP to u0299" in result.out
    assert result.out.count("+ assign") == 1


def test_tenants_side_by_side_give_the_same_plan_and_apply_as_one_at_a_time(
        repo: SpecRepo, cli: Cli, lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    # Six tenants in their own OUs, sharing the license groups. With concurrency 3 each
    # tenant being read or applied holds a connection of its own: never more than three,
    # and the plan is the one concurrency 1 gives, change for change.
    import providers.ldap.directory as ldap_directory

    opened: list[object] = []
    real = ldap_directory.Session

    def counted(*args: Any) -> object:
        opened.append(real(*args))
        return opened[-1]

    monkeypatch.setattr(ldap_directory, "Session", counted)
    group_reads: list[str] = []
    read_members = real.members

    def members(self: Any, group: str, *args: Any) -> Any:
        group_reads.append(group)
        time.sleep(0.2)  # a large group: the other tenants' threads reach it meanwhile
        return read_members(self, group, *args)

    monkeypatch.setattr(real, "members", members)
    tenants = {f"t{n}": tenant(f"Tenant {n}", {
        f"u{k}": user(f"u{k}.t{n}@{lab.domain}", f"User {k} of {n}",
                      skus=["M365-BP"] if k % 2 else ["EXO-P1", "SUPPORT"])
        for k in range(3)}, domain=lab.domain) for n in range(6)}
    for tid in tenants:
        lab.add_ou(f"ou={tid}")

    specs(repo, lab, tenants, concurrency=1)
    one_at_a_time = plan_json(cli)["tenants"]
    assert len(opened) == 1
    specs(repo, lab, tenants, concurrency=3)
    opened.clear()
    side_by_side = plan_json(cli)["tenants"]
    assert side_by_side == one_at_a_time and 1 <= len(opened) <= 3
    # The two license groups all six tenants share are read once each, not per tenant.
    assert len(group_reads) == 2 * 2 and len(set(group_reads)) == 2  # two plans
    # Per tenant 3 creates and 3 assigns (M365-BP or EXO-P1; SUPPORT is not provisioned).
    assert sum(len(t["changes"]) for t in side_by_side) == 6 * 6

    opened.clear()
    applied(cli)
    assert 1 <= len(opened) <= 3 * 2  # the apply's own plan, then the apply
    assert_converged(cli)
    for n in range(6):
        assert sorted(lab.users(f"ou=t{n}")) == [f"u{k}.t{n}@{lab.domain}" for k in range(3)]
    assert len(lab.members("cn=lic-bp,ou=groups")) == 6  # u1 of each tenant
    assert len(lab.members("cn=lic-exo,ou=groups")) == 12  # u0 and u2 of each


def test_the_ad_service_account_holds_only_the_documented_rights(
        samba_server: LdapServer) -> None:
    # Every AD test binds as svc-tenantry, which holds only the rights docs/ldap.md lists
    # (ldap_lab.delegate_to_service_account grants them as its dsacls commands do). That the
    # whole suite passes proves they are enough; here, that they are all it has.
    server = samba_server
    assert server.service_dn.startswith("CN=svc-tenantry,")
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(server.certs.ca))
    conn = ldap3.Connection(ldap3.Server(server.host, port=server.ldaps_port, use_ssl=True,
                                         tls=tls, get_info=ldap3.NONE),
                            user=server.service_dn, password=server.service_password,
                            auto_bind=True, raise_exceptions=True)
    try:
        outside = f"CN=stray,CN=Users,{server.root}"  # not under the customers OU
        with pytest.raises(LDAPInsufficientAccessRightsResult):
            conn.add(outside, ["user"], {"sAMAccountName": "stray"})
        inside = f"CN=probe,{customers_dn(server)}"
        conn.add(inside, ["user"], {"sAMAccountName": "probe-svc"})
        conn.modify(inside, {"displayName": [(ldap3.MODIFY_REPLACE, ["Probe"])]})
        with pytest.raises(LDAPInsufficientAccessRightsResult):  # not an attribute it manages
            conn.modify(inside, {"description": [(ldap3.MODIFY_REPLACE, ["x"])]})
        conn.delete(inside)
    finally:
        conn.unbind()
