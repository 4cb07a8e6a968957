"""plan and apply through the CLI, on real git repositories and the local SQLite directory."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Mapping

import pytest
from conftest import (
    CATALOG,
    Cli,
    SpecRepo,
    directory_users,
    dump_directory,
    notes,
    run_tenantry,
    sql,
    tenant,
    to_yaml,
    user,
)

from providers.local import LocalSqliteDirectory
from reconciler.planning.plan import PLAN_SCHEMA, Plan

ACME = "acme.example"


def acme(**users: Mapping[str, Any]) -> dict[str, Any]:
    return tenant("Acme Ltd", users, domain=ACME)


def commit(repo: SpecRepo, tenants: Mapping[str, Mapping[str, Any] | str | None],
           message: str = "specs", *, catalog: bool = True) -> str:
    files: dict[str, Any] = {f"tenants/{tid}.yaml": doc for tid, doc in tenants.items()}
    if catalog:
        files["catalog.yaml"] = CATALOG
    return repo.commit_specs(files, message)


def applied(cli: Cli, *args: str) -> None:
    result = cli("apply", "--auto-approve", *args)
    assert result.code == 0, result.err


def assert_converged(cli: Cli) -> None:
    result = cli("plan", "--detailed-exitcode")
    assert (result.code, result.err) == (0, ""), result.out
    assert "No changes. The directories match the specs." in result.out


def unmanaged(repo: SpecRepo, tenant_id: str, upn: str, skus: tuple[str, ...] = ()) -> str:
    directory = LocalSqliteDirectory(repo.directory_path)
    try:
        return directory.add_unmanaged(tenant_id, upn, "Not Ours", skus)
    finally:
        directory.close()


@pytest.fixture
def al_and_bo(repo: SpecRepo) -> SpecRepo:
    commit(repo, {"acme": acme(al=user(f"al@{ACME}", "Al Smith", skus=["M365-BP", "SUPPORT"]),
                               bo=user(f"bo@{ACME}", "Bo Jones", skus=["EXO-P1"]))})
    return repo


# --- plan: exit codes and formats ---------------------------------------------------------

def test_plan_exit_codes(al_and_bo: SpecRepo, cli: Cli) -> None:
    shown = cli("plan")
    assert shown.code == 0 and shown.err == ""
    assert "+ create al (al@acme.example)" in shown.out
    assert "+ assign M365-BP to al (al@acme.example)" in shown.out
    assert "Plan: 2 to create, 0 to update, 0 to delete; 3 SKUs to assign, 0 to remove." \
        in shown.out
    assert cli("plan", "--detailed-exitcode").code == 2
    applied(cli)
    assert cli("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("args", [["plan", "--format", "yaml"], ["plan", "--shard", "3/2"],
                                  ["plan", "--shard", "x"], ["plan", "--tenant", "nobody"]])
def test_plan_bad_options_exit_1(al_and_bo: SpecRepo, cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("error: ") and "Traceback" not in result.err


def test_unknown_option_is_a_usage_error_exit_1(al_and_bo: SpecRepo, cli: Cli) -> None:
    result = cli("plan", "--no-such-option")
    assert result.code == 1 and "internal error" not in result.err


def test_plan_on_invalid_specs_exits_1_with_located_errors(repo: SpecRepo, cli: Cli) -> None:
    commit(repo, {"acme": acme(al=user(f"al@{ACME}", skus=["NOPE"]))})
    result = cli("plan", "--detailed-exitcode")
    assert result.code == 1 and result.out == ""
    assert "specs/tenants/acme.yaml:" in result.err and "unknown SKU 'NOPE'" in result.err
    assert "Traceback" not in result.err
    assert not repo.directory_path.exists()  # nothing was read or written


def test_plan_json_is_a_versioned_plan_document(al_and_bo: SpecRepo, cli: Cli) -> None:
    head = al_and_bo.head()
    result = cli("plan", "--format", "json", "--out", "saved.json")
    assert result.code == 0
    doc = json.loads(result.out)
    assert doc["schema"] == PLAN_SCHEMA == "tenantry.plan/1"
    assert (doc["revision"], doc["dirty"]) == (head, False)
    (tp,) = doc["tenants"]
    assert (tp["tenant"], tp["directory"], tp["provider"]) == ("acme", "local", "local")
    assert tp["desired_digest"].startswith("sha256:") and tp["actual_digest"].startswith("sha256:")
    assert [c["id"] for c in tp["changes"]] == [
        "acme/al/create", "acme/al/assign/M365-BP", "acme/al/assign/SUPPORT",
        "acme/bo/create", "acme/bo/assign/EXO-P1"]
    assert tp["changes"][1]["depends_on"] == "acme/al/create"
    # The saved file is the same document, and it reads back as a Plan.
    saved = (al_and_bo.root / "saved.json").read_text()
    assert json.loads(saved) == doc
    assert Plan.from_json(saved).counts()["assign"] == 3


def test_plan_markdown_renders_for_pull_requests(al_and_bo: SpecRepo, cli: Cli) -> None:
    result = cli("plan", "--format", "markdown")
    assert result.code == 0
    md = result.out
    assert md.startswith("## tenantry plan\n")
    assert "### acme — directory `local` (local)" in md
    assert md.count("```diff") == 1 and md.count("```") == 2
    assert "+ create al (al@acme.example)" in md
    assert md.rstrip().endswith("**Plan: 2 to create, 0 to update, 0 to delete; "
                                "3 SKUs to assign, 0 to remove.**")
    applied(cli)
    assert "No changes. The directories match the specs." in cli("plan", "--format",
                                                                "markdown").out


def test_names_with_quotes_render_quoted_on_one_line(repo: SpecRepo, cli: Cli) -> None:
    commit(repo, {"acme": acme(al=user(f"al@{ACME}", 'Al "The Boss" Smith'))})
    text = cli("plan").out
    assert 'display_name: "Al \\"The Boss\\" Smith"' in text


def test_names_with_newlines_are_refused_before_planning(repo: SpecRepo, cli: Cli) -> None:
    # A newline (or any control character) in a name would split plan lines and reach
    # terminals and spreadsheets; validation refuses it with its location.
    commit(repo, {"acme": acme(al=user(f"al@{ACME}", 'Al "The Boss"\nSmith'))})
    result = cli("plan")
    assert result.code == 1 and result.out == ""
    assert "specs/tenants/acme.yaml:" in result.err and "control character U+000A" in result.err


def test_markdown_of_a_huge_plan_stays_under_the_comment_limit() -> None:
    from reconciler.planning.diff import diff_tenant
    from reconciler.planning.plan import TenantPlan
    from reconciler.planning.state import TenantSnapshot, UserState
    from reports import plan_markdown

    tenants = []
    for t in range(4):
        desired = {f"user{i:05d}": UserState(upn=f"user{i:05d}@t{t}.example",
                                             display_name=f"User Number {i}",
                                             skus=frozenset({"M365-BP", "SUPPORT"}))
                   for i in range(1500)}
        changes, _ = diff_tenant(f"t{t}", desired, TenantSnapshot(f"t{t}", ()))
        tenants.append(TenantPlan(tenant=f"t{t}", directory="local", provider="local",
                                  desired_digest="sha256:x", actual_digest="sha256:y",
                                  changes=changes))
    md = plan_markdown.render(Plan(tool_version="0", revision=None, dirty=False,
                                   tenants=tuple(tenants)))
    assert len(md) < 65_000
    assert md.count("```") % 2 == 0 and md.count("<details>") == md.count("</details>")
    assert "plan truncated" in md
    assert md.rstrip().endswith("**Plan: 6000 to create, 0 to update, 0 to delete; "
                                "12000 SKUs to assign, 0 to remove.**")


def test_plan_records_dirty_specs(al_and_bo: SpecRepo, cli: Cli) -> None:
    al_and_bo.write_specs({"tenants/acme.yaml": acme()})
    doc = json.loads(cli("plan", "--format", "json").out)
    assert doc["dirty"] is True and doc["tenants"][0]["changes"] == []


def test_plan_never_takes_an_unreadable_directory_as_empty(al_and_bo: SpecRepo,
                                                           cli: Cli) -> None:
    applied(cli)
    al_and_bo.directory_path.write_bytes(b"this is not a SQLite database" * 100)
    result = cli("plan", "--format", "json")
    assert result.code == 1
    assert "error: acme: local directory" in result.err
    (tp,) = json.loads(result.out)["tenants"]
    assert tp["changes"] == [] and tp["error"] and tp["actual_digest"] is None
    applying = cli("apply", "--auto-approve")
    assert applying.code == 1 and "delete" not in applying.out


# --- apply: convergence -------------------------------------------------------------------

def test_apply_then_plan_again_finds_nothing_through_every_kind_of_change(
        al_and_bo: SpecRepo, cli: Cli) -> None:
    repo = al_and_bo
    applied(cli)
    assert_converged(cli)
    # Rename (UPN and names), disable, SKU moves, a new user, a removed user: one commit.
    commit(repo, {"acme": acme(
        al=user(f"alan@{ACME}", "Alan Smith", given_name="Alan", skus=["EXO-P1", "SUPPORT"]),
        cy=user(f"cy@{ACME}", "Cy Young", enabled=False, skus=["M365-BP"]))}, "many changes")
    result = cli("plan", "--format", "json")
    actions = {(c["user"], c["action"], c["sku"])
               for c in json.loads(result.out)["tenants"][0]["changes"]}
    assert actions == {("al", "update", None), ("al", "remove", "M365-BP"),
                       ("al", "assign", "EXO-P1"), ("bo", "delete", None),
                       ("cy", "create", None), ("cy", "assign", "M365-BP")}
    text = cli("plan").out
    assert "~ update al (rename al@acme.example -> alan@acme.example)" in text
    assert 'display_name: "Al Smith" -> "Alan Smith"' in text
    assert "- delete bo (bo@acme.example)" in text
    applied(cli)
    assert_converged(cli)
    users = directory_users(repo.directory_path, "acme")
    assert set(users) == {f"alan@{ACME}", f"cy@{ACME}"}
    alan, cy = users[f"alan@{ACME}"], users[f"cy@{ACME}"]
    assert (alan["marker"], alan["display_name"], alan["given_name"], alan["skus"]) == \
        ("al", "Alan Smith", "Alan", {"EXO-P1", "SUPPORT"})
    assert (cy["enabled"], cy["skus"]) == (False, {"M365-BP"})
    # Enable again, and rename back: also converges.
    commit(repo, {"acme": acme(al=user(f"al@{ACME}", "Al Smith", skus=["SUPPORT"]),
                               cy=user(f"cy@{ACME}", "Cy Young", skus=["M365-BP"]))}, "back")
    assert "~ enable cy (cy@acme.example)" in cli("plan").out
    applied(cli)
    assert_converged(cli)
    assert directory_users(repo.directory_path, "acme")[f"cy@{ACME}"]["enabled"] is True


def test_apply_twice_the_second_run_finds_nothing(al_and_bo: SpecRepo, cli: Cli) -> None:
    applied(cli)
    before = dump_directory(al_and_bo.directory_path)
    assert len(before) == 2
    second = cli("apply", "--auto-approve")
    assert second.code == 0
    assert "No changes" in second.out and "Apply complete" not in second.out
    assert dump_directory(al_and_bo.directory_path) == before  # not even a timestamp moved


def test_changing_a_user_id_converges_in_one_apply(al_and_bo: SpecRepo, cli: Cli) -> None:
    applied(cli)
    commit(al_and_bo, {"acme": acme(al2=user(f"al@{ACME}", "Al Smith", skus=["SUPPORT"]),
                                    bo=user(f"bo@{ACME}", "Bo Jones", skus=["EXO-P1"]))})
    assert "after acme/al/delete (it frees the UPN)" in cli("plan").out
    applied(cli)
    assert_converged(cli)
    assert directory_users(al_and_bo.directory_path, "acme")[f"al@{ACME}"]["marker"] == "al2"


# --- ownership and the delete guard -------------------------------------------------------

def test_unmarked_objects_survive_and_are_not_modified(al_and_bo: SpecRepo, cli: Cli) -> None:
    repo = al_and_bo
    applied(cli)
    unmanaged(repo, "acme", f"legacy@{ACME}", ("M365-BP",))
    legacy_row = [r for r in dump_directory(repo.directory_path) if r[2] is None]
    commit(repo, {"acme": acme()}, "empty acme")  # the specs would delete everyone
    plan = json.loads(cli("plan", "--format", "json").out)
    assert [(c["user"], c["action"]) for c in plan["tenants"][0]["changes"]] == [
        ("al", "delete"), ("bo", "delete")]
    applied(cli)
    assert_converged(cli)
    assert dump_directory(repo.directory_path) == legacy_row


def test_delete_guard_refuses_emptying_a_tenant_of_15_users(repo: SpecRepo, cli: Cli) -> None:
    staff = {f"u{i:02d}": user(f"u{i:02d}@{ACME}", skus=["SUPPORT"]) for i in range(15)}
    commit(repo, {"acme": acme(**staff)})
    applied(cli)
    commit(repo, {"acme": acme()}, "everyone leaves")
    before, notes_before = dump_directory(repo.directory_path), repo.notes()
    refused = cli("apply", "--auto-approve")
    assert refused.code == 1
    assert "deletes 15 users, more than --max-deletes 10" in refused.err
    assert "--max-deletes 15" in refused.err
    assert dump_directory(repo.directory_path) == before and repo.notes() == notes_before
    assert cli("apply", "--auto-approve", "--max-deletes", "14").code == 1
    assert dump_directory(repo.directory_path) == before
    applied(cli, "--max-deletes", "15")
    assert dump_directory(repo.directory_path) == []
    assert_converged(cli)


def test_delete_guard_also_holds_for_saved_plans(repo: SpecRepo, cli: Cli) -> None:
    commit(repo, {"acme": acme(**{f"u{i}": user(f"u{i}@{ACME}") for i in range(3)})})
    applied(cli)
    commit(repo, {"acme": acme()})
    assert cli("plan", "--out", "p.json").code == 0
    before = dump_directory(repo.directory_path)
    refused = cli("apply", "p.json", "--max-deletes", "2")
    assert refused.code == 1 and "more than --max-deletes 2" in refused.err
    assert dump_directory(repo.directory_path) == before
    assert cli("apply", "p.json", "--max-deletes", "3").code == 0
    assert dump_directory(repo.directory_path) == []


# --- saved plans ----------------------------------------------------------------------------

def test_a_saved_plan_applies_when_current(al_and_bo: SpecRepo, cli: Cli) -> None:
    assert cli("plan", "--out", "p.json").code == 0
    result = cli("apply", "p.json")  # a saved plan needs no confirmation
    assert result.code == 0, result.err
    assert "Apply complete: 5 applied, 0 failed, 0 skipped." in result.out
    assert_converged(cli)


def test_a_saved_plan_is_stale_after_the_directory_changes(al_and_bo: SpecRepo,
                                                           cli: Cli) -> None:
    assert cli("plan", "--out", "p.json").code == 0
    unmanaged(al_and_bo, "acme", f"someone@{ACME}")
    before = dump_directory(al_and_bo.directory_path)
    result = cli("apply", "p.json")
    assert result.code == 1
    assert "plan 'p.json' is stale for tenant 'acme': directory 'local' changed" in result.err
    assert dump_directory(al_and_bo.directory_path) == before
    assert al_and_bo.notes() == ""


def test_a_saved_plan_is_stale_after_an_apply_in_between(al_and_bo: SpecRepo, cli: Cli) -> None:
    assert cli("plan", "--out", "p.json").code == 0
    applied(cli)
    result = cli("apply", "p.json")
    assert result.code == 1 and "stale" in result.err and "directory 'local' changed" in \
        result.err


def test_a_saved_plan_is_stale_after_the_specs_change(al_and_bo: SpecRepo, cli: Cli) -> None:
    applied(cli)
    commit(al_and_bo, {"acme": acme(al=user(f"al@{ACME}", "Al Smith", skus=["SUPPORT"]))})
    assert cli("plan", "--out", "p.json").code == 0
    commit(al_and_bo, {"acme": acme(al=user(f"al@{ACME}", "Al Smith"))}, "and another")
    before = dump_directory(al_and_bo.directory_path)
    result = cli("apply", "p.json")
    assert result.code == 1 and "stale for tenant 'acme': the specs changed" in result.err
    assert dump_directory(al_and_bo.directory_path) == before


def test_a_saved_plan_for_a_tenant_since_removed_is_stale(repo: SpecRepo, cli: Cli) -> None:
    commit(repo, {"acme": acme(al=user(f"al@{ACME}")), "beta": tenant("Beta")})
    assert cli("plan", "--out", "p.json").code == 0
    commit(repo, {"acme": None}, "acme leaves")
    result = cli("apply", "p.json")
    assert result.code == 1
    assert "stale for tenant 'acme': the tenant is no longer in the specs" in result.err


def test_a_saved_plan_is_stale_after_the_tenant_moves_directory(al_and_bo: SpecRepo,
                                                                cli: Cli) -> None:
    assert cli("plan", "--out", "p.json").code == 0
    al_and_bo.commit_specs({"directories.yaml": {"directories": {"lab": {
        "provider": "local", "path": "lab.sqlite"}}}})
    result = cli("apply", "p.json")
    assert result.code == 1
    assert "stale for tenant 'acme': the tenant moved to directory 'lab'" in result.err
    assert not (al_and_bo.root / "lab.sqlite").exists() and \
        not al_and_bo.directory_path.exists()


@pytest.mark.parametrize("content", [b"", b"{}", b"not json", b'{"schema": "tenantry.plan/9"}'])
def test_apply_refuses_a_file_that_is_not_a_plan(al_and_bo: SpecRepo, cli: Cli,
                                                 content: bytes) -> None:
    (al_and_bo.root / "p.json").write_bytes(content)
    result = cli("apply", "p.json")
    assert result.code == 1 and "is not a tenantry plan" in result.err
    assert not al_and_bo.directory_path.exists()


@pytest.mark.parametrize("edit", [
    {"surprise": True},                  # a key no change has
    {"action": "wipe"},                  # an action that does not exist
    {"after": {"upn": ["a", "list"]}},   # a value of the wrong type
])
def test_apply_refuses_a_plan_whose_changes_were_edited(al_and_bo: SpecRepo, cli: Cli,
                                                         edit: dict[str, object]) -> None:
    """Changes are plain dataclasses in memory, but a saved plan is read back strictly."""
    assert cli("plan", "--out", "p.json").code == 0
    path = al_and_bo.root / "p.json"
    doc = json.loads(path.read_text())
    doc["tenants"][0]["changes"][0].update(edit)
    path.write_text(json.dumps(doc))
    result = cli("apply", "p.json")
    assert result.code == 1 and "is not a tenantry plan" in result.err, result.err
    assert "Traceback" not in result.err
    assert not al_and_bo.directory_path.exists()


def test_apply_of_a_missing_plan_file_is_a_clear_error(al_and_bo: SpecRepo, cli: Cli) -> None:
    result = cli("apply", "nope.json")
    assert result.code == 1 and "cannot read plan file" in result.err


# --- dirty specs --------------------------------------------------------------------------

@pytest.mark.parametrize("edit", ["modified", "deleted", "untracked", "git-ignored"])
def test_dirty_specs_are_refused_without_allow_dirty(al_and_bo: SpecRepo, cli: Cli,
                                                     edit: str) -> None:
    if edit == "modified":
        al_and_bo.write_specs({"tenants/acme.yaml": acme(al=user(f"al@{ACME}"))})
    elif edit == "deleted":
        al_and_bo.commit_specs({"tenants/beta.yaml": tenant("Beta")})
        al_and_bo.write_specs({"tenants/beta.yaml": None})
    elif edit == "untracked":
        al_and_bo.write_specs({"tenants/beta.yaml": tenant("Beta")})
    else:  # the loader reads every YAML file in the specs, ignored by git or not
        al_and_bo.commit({".gitignore": "*.local.yaml\n"})
        al_and_bo.write_specs({"tenants/beta.local.yaml": tenant("Beta")})
        assert al_and_bo.is_clean()
    refused = cli("apply", "--auto-approve")
    assert refused.code == 1 and "not committed to HEAD" in refused.err and "--allow-dirty" in \
        refused.err
    assert not al_and_bo.directory_path.exists()
    applied(cli, "--allow-dirty")
    (note,) = notes(al_and_bo)
    assert note["dirty"] is True


def test_the_note_says_whether_the_specs_were_dirty_when_applied(al_and_bo: SpecRepo,
                                                                 cli: Cli) -> None:
    al_and_bo.write_specs({"tenants/acme.yaml": acme(al=user(f"al@{ACME}"))})
    assert cli("plan", "--out", "p.json").code == 0  # made from uncommitted specs
    al_and_bo.commit(message="commit what was planned")
    assert cli("apply", "p.json").code == 0
    (note,) = notes(al_and_bo)
    assert note["dirty"] is False  # what was applied is exactly HEAD


def test_files_the_loader_does_not_read_do_not_make_specs_dirty(al_and_bo: SpecRepo,
                                                               cli: Cli) -> None:
    al_and_bo.write({"README.md": "notes\n", "specs/tenants/.acme.yaml.swp": b"\0vim"})
    applied(cli)  # also: the directory file written under .tenantry/ is outside the specs
    assert cli("apply", "--auto-approve").code == 0


# --- failures -----------------------------------------------------------------------------

def test_a_failing_change_does_not_stop_the_others_and_the_next_run_converges(
        al_and_bo: SpecRepo, cli: Cli) -> None:
    repo = al_and_bo
    squatter = unmanaged(repo, "acme", f"BO@{ACME}")  # holds bo's UPN (case-insensitively)
    plan = cli("plan")
    assert f"bo: UPN bo@{ACME} belongs to a directory object tenantry does not manage " \
           f"({squatter})" in plan.out
    result = cli("apply", "--auto-approve")
    assert result.code == 1
    assert "ok  acme/al/create" in result.out and "ok  acme/al/assign/SUPPORT" in result.out
    assert "FAILED  acme/bo/create: the UPN is already taken" in result.err
    assert "skipped  acme/bo/assign/EXO-P1: needs acme/bo/create, which failed" in result.err
    assert "Apply complete: 3 applied, 1 failed, 1 skipped." in result.out
    users = directory_users(repo.directory_path, "acme")
    assert users[f"al@{ACME}"]["skus"] == {"M365-BP", "SUPPORT"}
    assert users[f"BO@{ACME}"]["marker"] is None and users[f"BO@{ACME}"]["skus"] == set()
    (note,) = notes(repo)
    assert note["counts"] == {"applied": 3, "failed": 1, "skipped": 1}
    assert note["failures"] == [{"change": "acme/bo/create",
                                 "message": "the UPN is already taken by another directory "
                                            "object"}]
    assert note["skipped"] == ["acme/bo/assign/EXO-P1"]
    # Someone removes the conflicting object; the next run does only what is left.
    sql(repo, "DELETE FROM users WHERE object_id = ?", squatter)
    again = cli("apply", "--auto-approve")
    assert again.code == 0, again.err
    assert "Apply complete: 2 applied, 0 failed, 0 skipped." in again.out
    assert_converged(cli)


def test_an_object_that_changed_hands_since_the_plan_is_left_alone(al_and_bo: SpecRepo,
                                                                   cli: Cli) -> None:
    repo = al_and_bo
    applied(cli)
    commit(repo, {"acme": acme(al=user(f"al@{ACME}", "Al Smith", skus=["M365-BP", "SUPPORT"]))})
    plan = Plan.from_json(cli("plan", "--format", "json").out)
    (delete,) = plan.changes()
    # The object is "un-adopted" after planning, and the plan is made to look current.
    sql(repo, "UPDATE users SET marker = NULL WHERE object_id = ?", delete.object_id)
    fresh = Plan.from_json(cli("plan", "--format", "json").out)
    forged = plan.model_copy(update={"tenants": tuple(
        t.model_copy(update={"actual_digest": f.actual_digest})
        for t, f in zip(plan.tenants, fresh.tenants))})
    (repo.root / "forged.json").write_text(forged.to_json())
    result = cli("apply", "forged.json")
    assert result.code == 1 and "is not tenantry's user acme/bo; left untouched" in result.err
    assert f"bo@{ACME}" in directory_users(repo.directory_path, "acme")


# --- the git note -------------------------------------------------------------------------

def test_apply_records_its_outcome_as_a_git_note_on_head(al_and_bo: SpecRepo, cli: Cli,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    repo = al_and_bo
    monkeypatch.setenv("HOSTED_AD_PASSWORD", "s3cret-Value-Never-Shown")
    applied(cli)
    head = repo.head()
    (note,) = notes(repo, head)
    assert set(note) == {"schema", "applied_at", "tool_version", "revision", "dirty",
                         "tenants", "counts", "failures", "skipped", "not_planned"}
    assert note["schema"] == "tenantry.apply/1" and note["revision"] == head
    assert (note["counts"], note["failures"], note["skipped"], note["tenants"], note["dirty"],
            note["not_planned"]) == ({"applied": 5, "failed": 0, "skipped": 0}, [], [],
                                     ["acme"], False, [])
    (listed,) = repo.git("notes", "--ref", "refs/notes/tenantry", "list").splitlines()
    assert listed.split()[1] == head  # one note, on the applied commit
    assert "s3cret" not in repo.git("log", "-p", "refs/notes/tenantry")
    # A no-op apply records nothing; a later apply on the same commit appends a line.
    assert cli("apply", "--auto-approve").code == 0
    assert len(notes(repo, head)) == 1
    unmanaged(repo, "acme", f"x@{ACME}")
    sql(repo, "UPDATE users SET display_name = 'Changed' WHERE marker = 'al'")
    applied(cli)
    assert [n["counts"]["applied"] for n in notes(repo, head)] == [5, 1]


def test_the_note_is_written_even_without_a_git_identity(al_and_bo: SpecRepo,
                                                         cli: Cli) -> None:
    al_and_bo.git("config", "--unset", "user.name")
    al_and_bo.git("config", "--unset", "user.email")
    applied(cli)  # as on a CI runner whose checkout has no user.name/user.email
    assert notes(al_and_bo)[0]["counts"]["applied"] == 5


def test_a_local_directory_path_is_relative_to_the_repository(repo: SpecRepo, cli: Cli) -> None:
    commit(repo, {"acme": acme(al=user(f"al@{ACME}"))})
    repo.commit_specs({"directories.yaml": {"directories": {"lab": {
        "provider": "local", "path": "state/lab.sqlite"}}}})
    result = cli("-C", "specs/tenants", "--specs", "..", "apply", "--auto-approve")
    assert result.code == 0, result.err
    assert set(directory_users(repo.root / "state" / "lab.sqlite", "acme")) == {f"al@{ACME}"}
    assert not repo.directory_path.exists()


# --- selecting tenants ----------------------------------------------------------------------

TENANTS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]


@pytest.fixture
def many(repo: SpecRepo) -> SpecRepo:
    commit(repo, {t: tenant(t.title(), {"u": user(f"u@{t}.example")}) for t in TENANTS})
    return repo


def planned_tenants(cli: Cli, *args: str) -> list[str]:
    result = cli("plan", "--format", "json", *args)
    assert result.code == 0, result.err
    return [t["tenant"] for t in json.loads(result.out)["tenants"]]


def test_tenant_option_selects_tenants(many: SpecRepo, cli: Cli) -> None:
    assert planned_tenants(cli) == TENANTS
    assert planned_tenants(cli, "--tenant", "delta", "--tenant", "bravo") == ["bravo", "delta"]
    applied(cli, "--tenant", "charlie")
    rows = dump_directory(many.directory_path)
    assert [r[1] for r in rows] == ["charlie"]
    assert cli("apply", "--auto-approve", "--tenant", "zulu").code == 1


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_partition_the_tenants(many: SpecRepo, cli: Cli, count: int) -> None:
    shards = [planned_tenants(cli, "--shard", f"{i}/{count}") for i in range(1, count + 1)]
    assert sorted(t for shard in shards for t in shard) == TENANTS
    assert sum(map(len, shards)) == len(TENANTS)  # no tenant in two shards
    # Shards are stable: the same answer every time, and with --tenant they intersect.
    assert shards == [planned_tenants(cli, "--shard", f"{i}/{count}")
                      for i in range(1, count + 1)]


def test_apply_by_shard_applies_only_that_shard(many: SpecRepo, cli: Cli) -> None:
    first = planned_tenants(cli, "--shard", "1/2")
    applied(cli, "--shard", "1/2")
    assert sorted({r[1] for r in dump_directory(many.directory_path)}) == first
    applied(cli, "--shard", "2/2")
    assert_converged(cli)


def test_a_tenant_named_twice_is_planned_and_applied_once(many: SpecRepo, cli: Cli) -> None:
    assert planned_tenants(cli, "--tenant", "echo", "--tenant", "echo") == ["echo"]
    result = cli("apply", "--auto-approve", "--tenant", "echo", "--tenant", "echo")
    assert result.code == 0, result.err
    assert "Apply complete: 1 applied, 0 failed, 0 skipped." in result.out


def test_tenant_option_narrows_a_saved_plan(many: SpecRepo, cli: Cli) -> None:
    assert cli("plan", "--out", "p.json").code == 0
    applied_one = cli("apply", "p.json", "--tenant", "echo")
    assert applied_one.code == 0, applied_one.err
    assert {r[1] for r in dump_directory(many.directory_path)} == {"echo"}
    # The rest of the saved plan is still current for the other tenants.
    rest = cli("apply", "p.json", "--tenant", "alpha", "--tenant", "golf")
    assert rest.code == 0, rest.err
    assert {r[1] for r in dump_directory(many.directory_path)} == {"alpha", "echo", "golf"}


# --- confirmation ---------------------------------------------------------------------------

class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_apply_without_auto_approve_needs_a_terminal(al_and_bo: SpecRepo, cli: Cli) -> None:
    result = cli("apply")
    assert result.code == 1
    assert "error: apply needs confirmation: pass --auto-approve" in result.err
    assert "+ create al" in result.out  # the plan was shown first
    assert not al_and_bo.directory_path.exists()


@pytest.mark.parametrize(("answer", "code"), [("yes\n", 0), ("y\n", 1), ("", 1)])
def test_apply_in_a_terminal_asks_and_takes_only_yes(al_and_bo: SpecRepo, cli: Cli,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     answer: str, code: int) -> None:
    monkeypatch.setattr("sys.stdin", _Tty(answer))
    result = cli("apply")
    assert result.code == code
    assert "Apply these changes? Only 'yes' is accepted:" in result.out
    if code:
        assert "apply cancelled; nothing was changed" in result.err
        assert dump_directory(al_and_bo.directory_path) == []
    else:
        assert_converged(cli)


# --- where tenantry runs ------------------------------------------------------------------

def test_chdir_option_runs_as_if_started_there(al_and_bo: SpecRepo, cli: Cli, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli("plan").code == 1  # no specs here
    assert cli("-C", str(al_and_bo.root), "plan", "--detailed-exitcode").code == 2
    assert cli("-C", str(al_and_bo.root), "apply", "--auto-approve").code == 0
    assert al_and_bo.directory_path.exists() and not (elsewhere / ".tenantry").exists()
    assert cli("-C", "../repo", "plan", "--detailed-exitcode").code == 0  # relative DIR
    assert cli("-C", str(tmp_path / "missing"), "plan").code == 1


def test_specs_option_names_another_folder(repo: SpecRepo, cli: Cli) -> None:
    repo.specs = "config/tenantry"
    commit(repo, {"acme": acme(al=user(f"al@{ACME}"))})
    assert cli("plan").code == 1  # there is no specs/ folder
    sub = repo.root / "config"
    assert cli("--specs", "config/tenantry", "plan", "--detailed-exitcode").code == 2
    assert cli("--specs", "config/tenantry", "apply", "--auto-approve").code == 0
    # The directory file lives at the repository root, wherever the specs are.
    assert repo.directory_path.exists() and not (sub / ".tenantry").exists()
    assert cli("-C", str(sub), "--specs", "tenantry", "plan", "--detailed-exitcode").code == 0
    repo.write_specs({"tenants/acme.yaml": acme()})
    assert "not committed to HEAD" in cli("--specs", "config/tenantry", "apply",
                                     "--auto-approve").err


def test_apply_outside_git_is_refused(tmp_path: Path, cli: Cli,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "specs" / "tenants").mkdir(parents=True)
    (tmp_path / "specs" / "catalog.yaml").write_text(to_yaml(CATALOG))
    monkeypatch.chdir(tmp_path)
    assert cli("plan").code == 0
    result = cli("apply", "--auto-approve")
    assert result.code == 1 and "not in a git repository" in result.err


# --- the real entry point -------------------------------------------------------------------

def test_console_script_plan_apply_exit_codes(al_and_bo: SpecRepo) -> None:
    root = al_and_bo.root
    planned = run_tenantry("plan", "--detailed-exitcode", cwd=root)
    assert planned.code == 2 and "+ create al" in planned.out
    refused = run_tenantry("apply", cwd=root)  # stdin is a pipe, not a terminal
    assert refused.code == 1 and "error: apply needs confirmation" in refused.err
    done = run_tenantry("apply", "--auto-approve", cwd=root)
    assert done.code == 0 and "Apply complete: 5 applied" in done.out
    assert run_tenantry("plan", "--detailed-exitcode", cwd=root).code == 0
    assert notes(al_and_bo)[0]["counts"]["applied"] == 5
    bad_shard = run_tenantry("-C", "repo", "plan", "--shard", "0/3", cwd=root.parent)
    assert bad_shard.code == 1 and bad_shard.err.startswith("error: --shard '0/3'")


def test_console_script_bad_input_exits_1_without_traceback(repo: SpecRepo) -> None:
    commit(repo, {"acme": "name: Acme\nname: Again\n"})
    result = run_tenantry("plan", cwd=repo.root)
    assert result.code == 1
    assert result.err.startswith("specs/tenants/acme.yaml:") and "Traceback" not in result.err


def test_a_directory_that_cannot_be_opened_leaves_only_its_tenants_unplanned(
        repo: SpecRepo, cli: Cli) -> None:
    # The ldap directory's password variable is not set: tenants on that directory are
    # reported as not planned (exit 1) while tenants in the local directory are planned.
    directories = {"directories": {
        "lab": {"provider": "local"},
        "hosted-ad": {"provider": "ldap", "url": "ldaps://dc1.example.net:636",
                      "flavor": "active-directory", "base_dn": "OU=Customers,DC=example,DC=net",
                      "bind_dn": "CN=svc,DC=example,DC=net", "password_env": "AD_PASSWORD"}}}
    repo.commit_specs({
        "catalog.yaml": CATALOG, "directories.yaml": directories,
        "tenants/acme.yaml": tenant("Acme", {"al": user(f"al@{ACME}", skus=["M365-BP"])},
                                    directory="lab"),
        "tenants/beta.yaml": tenant("Beta", {"bo": user("bo@beta.example")},
                                    directory="hosted-ad", container="OU=Beta"),
    }, "two directories")
    result = cli("plan")
    assert result.code == 1
    assert "+ create al" in result.out and "bo" not in result.out.replace("not planned", "")
    assert "error: beta: directory 'hosted-ad': environment variable AD_PASSWORD" in result.err
    applied_result = cli("apply", "--auto-approve")
    assert applied_result.code == 1  # beta was not applied
    (note,) = notes(repo)
    assert note["tenants"] == ["acme"] and note["not_planned"] == ["beta"]
    assert set(directory_users(repo.directory_path, "acme")) == {f"al@{ACME}"}
    assert directory_users(repo.directory_path, "beta") == {}


@pytest.mark.parametrize("repeats", [21, 23, 25, 27])  # name lengths: the cut lands on
def test_truncated_markdown_closes_its_fence_even_with_backticks_in_names(  # odd and even
        repeats: int) -> None:
    from reconciler.planning.diff import diff_tenant
    from reconciler.planning.plan import TenantPlan
    from reconciler.planning.state import TenantSnapshot, UserState
    from reports import plan_markdown

    # Every display name carries ``` : the fence count must come from fence lines only.
    desired = {f"u{i:05d}": UserState(upn=f"u{i}@{ACME}", display_name="a ``` b " * repeats)
               for i in range(800)}
    changes, _ = diff_tenant("acme", desired, TenantSnapshot("acme", ()))
    plan = Plan(tool_version="t", revision=None, dirty=False, tenants=(TenantPlan(
        tenant="acme", directory="local", provider="local", desired_digest="d",
        actual_digest="a", changes=changes),))
    text = plan_markdown.render(plan)
    assert len(text) < 65_000 and "plan truncated" in text
    fences = [line for line in text.splitlines() if line in ("```diff", "```")]
    assert len(fences) % 2 == 0 and text.count("<details>") == text.count("</details>")
