"""``tenantry import``: a tenant file from what the directory holds, merged with ruamel
round-trip, and ``--adopt`` taking unmarked users over with nothing but the marker.
The local directory is a real SQLite file; other providers go through the same port."""

from __future__ import annotations

import json

import pytest
from conftest import CATALOG, Cli, SpecRepo, directory_users, dump_directory, sql
from gitopshelp import GITIGNORE

from providers.local import LocalSqliteDirectory
from reconciler.planning.importer import user_id
from tenantry.import_writer import guess_indent

A = "acme.example"

# A tenant file as people write it: comments, a flow-style user, quoted strings, a custom
# order of keys and a block-style SKU list.
HANDWRITTEN = f"""\
# Acme: onboarded March 2026, contact Jo.
name: Acme Ltd
domain: {A}   # every UPN
users:
  # the boss
  al: {{upn: al@{A}, display_name: "Al Smith", skus: [M365-BP, SUPPORT]}}
  bo:
    display_name: 'Bo Jones'   # keep the quotes
    upn: bo@{A}
    skus:
      - EXO-P1
"""


def unmanaged(repo: SpecRepo, tenant_id: str, upn: str, name: str,
              skus: tuple[str, ...] = ()) -> str:
    directory = LocalSqliteDirectory(repo.directory_path)
    try:
        return directory.add_unmanaged(tenant_id, upn, name, skus)
    finally:
        directory.close()


@pytest.fixture
def acme(repo: SpecRepo, cli: Cli) -> SpecRepo:
    """al and bo applied by tenantry; cy and dee created by hand in the directory."""
    repo.write({".gitignore": GITIGNORE, "specs/tenants/acme.yaml": HANDWRITTEN})
    repo.commit_specs({"catalog.yaml": CATALOG}, "acme")
    assert cli("apply", "--auto-approve").code == 0
    unmanaged(repo, "acme", f"Cy.Young@{A}", "Cy Young", ("M365-BP", "LEGACY-ARCHIVE"))
    dee = unmanaged(repo, "acme", f"dee@{A}", "Dee")
    sql(repo, "UPDATE users SET enabled = 0, usage_location = 'NZ' WHERE object_id = ?", dee)
    return repo


def test_import_adopt_round_trip(acme: SpecRepo, cli: Cli) -> None:
    before = {row[0]: row for row in dump_directory(acme.directory_path)}
    result = cli("import", "acme", "--adopt")
    assert result.code == 0, result.err
    assert "wrote specs/tenants/acme.yaml: 4 users (2 managed by tenantry, 2 not)" in result.out
    assert "to adopt on the next apply (marker only): cy.young, dee" in result.out
    # The licence no product assigns is reported, not dropped silently.
    assert ("warning: cy.young (Cy.Young@acme.example) holds 'LEGACY-ARCHIVE', which no "
            "catalog product assigns") in result.err
    text = (acme.root / "specs/tenants/acme.yaml").read_text()
    # Untouched entries keep their comments, quotes, key order and flow style.
    assert text == HANDWRITTEN + (
        f"  cy.young:\n    upn: Cy.Young@{A}\n    display_name: Cy Young\n"
        "    skus: [M365-BP]\n    adopt: true\n"
        f"  dee:\n    upn: dee@{A}\n    display_name: Dee\n    usage_location: NZ\n"
        "    enabled: false\n    skus: []\n    adopt: true\n")
    acme.commit_specs({}, "import acme")
    plan = json.loads(cli("plan", "--format", "json").out)
    (acme_plan,) = plan["tenants"]
    assert [(c["action"], c["user"], c["upn"]) for c in acme_plan["changes"]] == [
        ("adopt", "cy.young", f"Cy.Young@{A}"), ("adopt", "dee", f"dee@{A}")]
    assert acme_plan["warnings"] == []
    assert cli("plan", "--detailed-exitcode").code == 2
    assert cli("apply", "--auto-approve").code == 0
    after = {row[0]: row for row in dump_directory(acme.directory_path)}
    # Only the marker (column 2) and the modification time (column 10) changed.
    for oid, row in after.items():
        if row[2] in ("cy.young", "dee"):
            assert before[oid][2] is None
            assert row[:2] + row[3:10] + row[11:] == before[oid][:2] + before[oid][3:10] + \
                before[oid][11:]
        else:
            assert row == before[oid]
    converged = cli("plan", "--detailed-exitcode")
    assert converged.code == 0, converged.out
    # Importing again changes nothing in the file.
    assert cli("import", "acme", "--adopt").code == 0
    assert (acme.root / "specs/tenants/acme.yaml").read_text() == text


def test_import_without_adopt_names_the_unmarked_users(acme: SpecRepo, cli: Cli) -> None:
    result = cli("import", "acme")
    assert result.code == 0
    assert "note: 2 users carry no tenantry marker (cy.young, dee); the next plan would try " \
           "to create them and fail" in result.err
    assert "adopt: true" not in (acme.root / "specs/tenants/acme.yaml").read_text()
    acme.commit_specs({}, "import acme")
    plan = cli("plan")
    assert "cy.young: UPN Cy.Young@acme.example belongs to a directory object tenantry does " \
           "not manage" in plan.out


def test_import_merges_changes_the_directory_made(acme: SpecRepo, cli: Cli) -> None:
    sql(acme, "UPDATE users SET display_name = 'Bo Jones-Ngata' WHERE marker = 'bo'")
    sql(acme, "DELETE FROM users WHERE marker IS NULL")
    sql(acme, "DELETE FROM user_skus WHERE sku = 'SUPPORT'")
    assert cli("import", "acme").code == 0
    text = (acme.root / "specs/tenants/acme.yaml").read_text()
    assert text == HANDWRITTEN.replace(
        "skus: [M365-BP, SUPPORT]", "skus: [M365-BP]").replace(
        "display_name: 'Bo Jones'   #", "display_name: 'Bo Jones-Ngata' #")


def test_a_user_the_directory_lost_is_removed_and_said(acme: SpecRepo, cli: Cli) -> None:
    sql(acme, "DELETE FROM users WHERE marker = 'bo'")
    result = cli("import", "acme")
    assert "note: removed from the file, as the directory does not hold them: bo" in result.err
    assert "bo:" not in (acme.root / "specs/tenants/acme.yaml").read_text()


def test_import_a_new_tenant_names_users_after_their_upns(repo: SpecRepo, cli: Cli) -> None:
    repo.write({".gitignore": GITIGNORE})
    repo.commit_specs({"catalog.yaml": CATALOG}, "catalog")
    unmanaged(repo, "globex", "jo@globex.example", "Jo One", ("SUPPORT",))
    unmanaged(repo, "globex", "Jo+Two@globex.example", "Jo Two")
    unmanaged(repo, "globex", "jo.two@globex.example", "Jo Two Again")
    result = cli("import", "globex", "--adopt", "--name", "Globex Corp")
    assert result.code == 0, result.err
    text = (repo.root / "specs/tenants/globex.yaml").read_text()
    assert text == (
        "name: Globex Corp\ndomain: globex.example\nusers:\n"
        "  jo:\n    upn: jo@globex.example\n    display_name: Jo One\n"
        "    skus: [SUPPORT]\n    adopt: true\n"
        "  jo-two:\n    upn: Jo+Two@globex.example\n    display_name: Jo Two\n"
        "    skus: []\n    adopt: true\n"
        "  jo.two:\n    upn: jo.two@globex.example\n    display_name: Jo Two Again\n"
        "    skus: []\n    adopt: true\n")
    repo.commit_specs({}, "import globex")
    assert cli("apply", "--auto-approve").code == 0
    assert {u["marker"] for u in directory_users(repo.directory_path, "globex").values()} == \
        {"jo", "jo-two", "jo.two"}
    assert cli("plan", "--detailed-exitcode").code == 0


def test_nothing_is_written_when_the_result_would_not_validate(acme: SpecRepo,
                                                               cli: Cli) -> None:
    unmanaged(acme, "acme", "eve@elsewhere.example", "Eve")  # outside the tenant's domain
    result = cli("import", "acme", "--adopt")
    assert result.code == 1
    assert "does not end in @acme.example" in result.err or "domain" in result.err
    assert "not written" in result.err
    assert (acme.root / "specs/tenants/acme.yaml").read_text() == HANDWRITTEN


@pytest.mark.parametrize("args, message", [
    (["Acme"], "'Acme' is not a tenant id"),
    (["acme", "--directory", "elsewhere"], "tenant 'acme' lives in directory 'local'"),
    (["new", "--directory", "nowhere"], "unknown directory 'nowhere'"),
])
def test_bad_input(acme: SpecRepo, cli: Cli, args: list[str], message: str) -> None:
    result = cli("import", *args)
    assert result.code == 1 and message in result.err, result.err


@pytest.mark.parametrize("upn, taken, expected", [
    ("Jo.Bloggs@x.example", set(), "jo.bloggs"),
    ("jo+news@x.example", set(), "jo-news"),
    ("_admin_@x.example", set(), "admin"),
    ("jo@x.example", {"jo", "jo-2"}, "jo-3"),
    ("Ærøskøbing@x.example", set(), "r-sk-bing"),
    ("---@x.example", set(), "user"),
    ("a" * 80 + "@x.example", set(), "a" * 59),
])
def test_user_ids_from_upns(upn: str, taken: set[str], expected: str) -> None:
    assert user_id(upn, set(taken)) == expected


@pytest.mark.parametrize("text, expected", [
    ("a:\n  b:\n    - x\n", (2, 2)),
    ("a:\n  b:\n  - x\n", (2, 0)),
    ("a:\n    b:\n        - x\n", (4, 4)),
    ("a: {b: [x]}\n", (2, 2)),
])
def test_indent_guess(text: str, expected: tuple[int, int]) -> None:
    assert guess_indent(text) == expected


def test_adopt_plans_the_marker_first_and_the_rest_after_it() -> None:
    from reconciler.planning.diff import diff_tenant
    from reconciler.planning.state import DirectoryObject, TenantSnapshot, UserState

    want = {"cy": UserState(f"cy@{A}", "Cy Young", skus=frozenset({"M365-BP"})),
            "new": UserState(f"new@{A}", "New")}
    actual = TenantSnapshot("acme", (
        DirectoryObject("obj-1", None, UserState(f"CY@{A}", "Cy", skus=frozenset())),))
    changes, warnings = diff_tenant("acme", want, actual, frozenset({"cy", "new"}))
    assert [(c.action.value, c.user, c.object_id, c.depends_on) for c in changes] == [
        ("adopt", "cy", "obj-1", None),
        ("update", "cy", "obj-1", "acme/cy/adopt"),
        ("assign", "cy", "obj-1", "acme/cy/adopt"),
        ("create", "new", None, None)]  # nothing to adopt: an ordinary create
    assert changes[0].upn == f"CY@{A}"  # the object's own UPN, which apply re-checks
    assert warnings == ()
    # Without adopt, the same object is someone else's: a create that will fail, and a warning.
    plain, warned = diff_tenant("acme", want, actual)
    assert plain[0].action.value == "create" and "does not manage (obj-1)" in warned[0]
