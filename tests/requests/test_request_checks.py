"""A request is checked with the validator itself, and its problems are said without YAML,
files or other tenants' names."""

from __future__ import annotations

from conftest import CATALOG, to_yaml
from reqhelp import CONTOSO, NORTHWIND

from reconciler.requests import AddUser, ChangeSkus, UpdateUser
from reconciler.requests.checks import Finding, check
from reconciler.requests.yamledit import apply_edit

FILES = {"catalog.yaml": to_yaml(CATALOG).encode(),
         "tenants/contoso.yaml": CONTOSO.encode(),
         "tenants/northwind.yaml": to_yaml(NORTHWIND).encode()}


def findings(edit: object, files: dict[str, bytes] = FILES) -> list[Finding]:
    after = apply_edit(files["tenants/contoso.yaml"].decode(), edit)  # type: ignore[arg-type]
    return check(files, "contoso", after.encode())


def test_a_valid_edit_has_no_findings() -> None:
    assert findings(AddUser("zed", "zed@contoso.example", "Zed", skus=("M365-BP",))) == []


def test_unknown_sku_names_the_user_the_field_and_the_choices() -> None:
    [found] = findings(ChangeSkus("alice", add=("M365-XX",)))
    assert (found.user, found.field) == ("alice", "skus")
    assert found.render() == ("alice, Products (SKUs): There is no product 'M365-XX'; choose "
                              "one of EXO-P1, M365-BP, SUPPORT")
    assert found.detail.startswith("specs/tenants/contoso.yaml:9:")


def test_a_upn_outside_the_domain_and_a_bad_upn() -> None:
    [outside] = findings(UpdateUser("bob", upn="bob@fabrikam.example"))
    assert outside.render() == ("bob, Sign-in name (UPN): UPN 'bob@fabrikam.example' is "
                                "outside the tenant's domain 'contoso.example'; use an address "
                                "@contoso.example")
    [bad] = findings(AddUser("zed", "not an address", "Zed"))
    assert bad.user == "zed" and bad.field == "upn"
    assert "'not an address' is not a user principal name" in bad.message


def test_a_upn_taken_in_another_tenant_does_not_name_that_tenant_or_user() -> None:
    files = {**FILES, "tenants/contoso.yaml": CONTOSO.replace(
        "domain: contoso.example\n", "").encode()}
    found = findings(AddUser("zed", "nina@northwind.example", "Zed"), files)
    assert [f.render() for f in found] == [
        ("zed, Sign-in name (UPN): 'nina@northwind.example' is already in use; each sign-in "
         "name belongs to one user")]
    assert "tenants/" not in found[0].message and "'nina'" not in found[0].message
    assert "tenants/northwind.yaml" in found[0].detail  # engineers still see where


def test_a_upn_taken_in_the_same_tenant_names_the_holder() -> None:
    [found] = findings(AddUser("zed", "ALICE@contoso.example", "Zed"))
    assert found.render() == ("zed, Sign-in name (UPN): 'ALICE@contoso.example' is already "
                              "the sign-in name of 'alice'")


def test_control_characters_in_a_name_are_refused() -> None:
    [found] = findings(UpdateUser("alice", display_name="Alice\x1b[31m"))
    assert (found.user, found.field) == ("alice", "display_name")
    assert "control character U+001B" in found.message


def test_problems_elsewhere_that_were_already_there_are_not_the_requests() -> None:
    broken = {**FILES, "tenants/northwind.yaml": b"name: Northwind\nusers:\n  Bad: {}\n"}
    assert findings(AddUser("zed", "zed@contoso.example", "Zed"), broken) == []


def test_required_text_left_empty_is_the_validators_finding() -> None:
    from reconciler.requests import build
    edit = build("add-user", "zed", {"upn": "zed@contoso.example", "display_name": " "})
    assert edit == AddUser("zed", "zed@contoso.example", "")
    [found] = findings(edit)
    assert found.render() == "zed, Display name: Must not be empty"
