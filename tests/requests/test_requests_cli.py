"""tenantry requests new|list|show|merge on real repositories: each request is one commit on
its own branch, made without touching the work tree, the index or the branch checked out."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import Cli, SpecRepo, tenantry_script
from reqhelp import seed

ADD_ZED = ("requests", "new", "contoso", "add-user", "zed", "--upn", "zed@contoso.example",
           "--display-name", "Zed Zulu", "--sku", "M365-BP", "--sku", "support",
           "--as", "Jane Customer")


def snapshot(repo: SpecRepo) -> tuple[str, ...]:
    """What a request must not touch: HEAD, the index, the work tree's status and files."""
    index = hashlib.sha256((repo.root / ".git/index").read_bytes()).hexdigest()
    files = hashlib.sha256(b"".join(p.read_bytes() for p in
                                    sorted((repo.root / "specs").rglob("*.yaml")))).hexdigest()
    return (repo.git("symbolic-ref", "HEAD"), repo.head(), index, files,
            repo.git("status", "--porcelain", "--untracked-files=all"))


def tenant_at(repo: SpecRepo, rev: str, tid: str = "contoso") -> dict[str, object]:
    loaded = yaml.safe_load(repo.git("show", f"{rev}:specs/tenants/{tid}.yaml"))
    assert isinstance(loaded, dict)
    return loaded


def test_a_request_is_one_commit_on_a_new_branch_authored_by_the_requester(
        repo: SpecRepo, cli: Cli) -> None:
    base = seed(repo)
    (repo.root / "specs/tenants/contoso.yaml").write_text("# local edit in progress\n",
                                                          encoding="utf-8")
    before = snapshot(repo)
    result = cli(*ADD_ZED)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == ("request #1: contoso: add user zed "
                                          "(zed@contoso.example) with M365-BP, SUPPORT")
    assert snapshot(repo) == before  # the dirty work tree and the index are as they were
    branch = "requests/1-contoso-add-zed"
    assert repo.git("rev-list", f"main..{branch}").split() == [repo.rev_parse(branch)]
    assert repo.rev_parse(f"{branch}~1") == base
    assert repo.git("log", "-1", "--format=%an <%ae>|%cn", branch).strip() == \
        "Jane Customer <jane.customer@tenantry.invalid>|tenantry"
    assert repo.git("diff", "--name-only", base, branch).split() == \
        ["specs/tenants/contoso.yaml"]
    users = tenant_at(repo, branch)["users"]
    assert isinstance(users, dict)
    assert users["zed"] == {"upn": "zed@contoso.example", "display_name": "Zed Zulu",
                            "skus": ["M365-BP", "SUPPORT"]}
    body = repo.git("log", "-1", "--format=%B", branch)
    assert "Requested by Jane Customer through tenantry self-service." in body
    assert "Tenantry-Tenant: contoso" in body
    assert 'Tenantry-Edit: {"display_name":"Zed Zulu"' in body


def test_invalid_requests_write_nothing(repo: SpecRepo, cli: Cli) -> None:
    seed(repo)
    refs = repo.git("for-each-ref")
    objects = repo.git("count-objects", "-v")
    result = cli("requests", "new", "contoso", "change-skus", "alice", "--add-sku", "M365-XX",
                 "--as", "Jane")
    assert result.code == 1
    assert result.err.splitlines()[0] == ("error: alice, Products (SKUs): There is no product "
                                          "'M365-XX'; choose one of EXO-P1, M365-BP, SUPPORT")
    assert "nothing was submitted" in result.err
    refused = cli("requests", "new", "contoso", "remove-user", "nobody", "--as", "Jane")
    assert (refused.code, refused.err) == (1, ("error: there is no user 'nobody' in this "
                                               "tenant\n"))
    assert cli("requests", "new", "acme", "remove-user", "x", "--as", "J").err == \
        "error: there is no tenant 'acme'\n"
    assert repo.git("for-each-ref") == refs
    assert repo.git("count-objects", "-v") == objects


def test_check_only_submits_nothing(repo: SpecRepo, cli: Cli) -> None:
    seed(repo)
    result = cli(*ADD_ZED, "--check")
    assert (result.code, result.out) == (0, ("ok: contoso: add user zed (zed@contoso.example) "
                                             "with M365-BP, SUPPORT (not submitted: --check)\n"))
    assert repo.git("for-each-ref", "refs/heads/requests/") == ""


def test_concurrent_requests_on_one_tenant_all_survive(repo: SpecRepo) -> None:
    base = seed(repo)
    procs = [subprocess.Popen([tenantry_script(), "requests", "new", "contoso", "add-user",
                               f"u{i}", "--upn", f"u{i}@contoso.example", "--display-name",
                               f"User {i}", "--sku", "SUPPORT", "--as", f"Desk {i}"],
                              cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(6)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, results
    branches = repo.git("for-each-ref", "--format=%(refname:short)",
                        "refs/heads/requests/").split()
    assert sorted(int(b.split("/")[1].split("-")[0]) for b in branches) == [1, 2, 3, 4, 5, 6]
    for i in range(6):
        [branch] = [b for b in branches if b.endswith(f"-contoso-add-u{i}")]
        assert repo.rev_parse(f"{branch}~1") == base
        users = tenant_at(repo, branch)["users"]
        assert isinstance(users, dict)
        assert sorted(users) == ["alice", "bob", f"u{i}"]
        assert repo.git("log", "-1", "--format=%an", branch).strip() == f"Desk {i}"


def test_losing_the_race_for_a_number_takes_the_next(repo: SpecRepo, cli: Cli,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    seed(repo)
    assert cli(*ADD_ZED).code == 0
    # Another process read the refs before request 1 existed: it tries number 1 first.
    monkeypatch.setattr(sys.modules["reconciler.requests.submit"], "next_number",
                        lambda _repo: 1)
    result = cli("requests", "new", "contoso", "remove-user", "bob", "--as", "Desk")
    assert result.out.startswith("request #2: contoso: remove user bob"), result.err
    assert repo.git("for-each-ref", "--format=%(refname)", "refs/tenantry/").split() == \
        ["refs/tenantry/requests/1", "refs/tenantry/requests/2"]


def test_list_show_and_merge(repo: SpecRepo, cli: Cli) -> None:
    base = seed(repo)
    assert cli(*ADD_ZED).code == 0
    assert cli("requests", "new", "contoso", "set-enabled", "bob", "--enable",
               "--as", "Sam Desk").code == 0
    listed = cli("requests", "list").out.splitlines()
    assert [line.split()[:2] for line in listed] == [["#1", "open"], ["#2", "open"]]
    assert listed[1].endswith("Sam Desk              contoso: enable bob")
    shown = cli("requests", "show", "2").out
    assert "branch:    requests/2-contoso-enable-bob" in shown
    assert "\n-    enabled: false\n" in shown

    merged = cli("requests", "merge", "1")
    assert merged.code == 0, merged.err
    tip = repo.head()
    assert repo.git("log", "-1", "--format=%P|%s", tip).strip() == \
        f"{base} {repo.rev_parse('requests/1-contoso-add-zed')}|contoso: add user zed " \
        "(zed@contoso.example) with M365-BP, SUPPORT (#1)"
    assert repo.is_clean() and "zed:" in (repo.root / "specs/tenants/contoso.yaml").read_text()
    assert cli("requests", "merge", "2").code == 0  # different lines: merges cleanly
    enabled = tenant_at(repo, "HEAD")["users"]
    assert isinstance(enabled, dict) and "enabled" not in enabled["bob"]
    assert cli("requests", "list").out == "no open requests\n"
    assert [line.split()[1] for line in cli("requests", "list", "--all").out.splitlines()] \
        == ["merged", "merged"]
    again = cli("requests", "merge", "1")
    assert (again.code, again.err) == (1, "error: request #1 is already merged into main\n")
    assert cli("requests", "merge", "9").err == \
        "error: there is no request #9; 'tenantry requests list' shows them\n"


def two_adds(repo: SpecRepo, cli: Cli) -> None:
    """Requests #1 (add zed) and #2 (add yan) on contoso, both made on the seed commit."""
    seed(repo)
    assert cli(*ADD_ZED).code == 0
    assert cli("requests", "new", "contoso", "add-user", "yan", "--upn", "yan@contoso.example",
               "--display-name", "Yan", "--as", "Desk").code == 0


def test_two_requests_on_one_tenant_both_land_when_git_cannot_merge_the_second(
        repo: SpecRepo, cli: Cli) -> None:
    # Both made on the same base, both adding a user at the end of contoso's users: the
    # second no longer merges as text once the first is in, so its edit is carried out
    # again on the file as it is now. Neither request is lost.
    two_adds(repo, cli)
    assert cli("requests", "merge", "1").code == 0
    first = repo.head()
    assert repo.git("merge-tree", "--write-tree", first, "requests/2-contoso-add-yan",
                    check=False).count("CONFLICT") == 1  # git alone cannot merge it
    merged = cli("requests", "merge", "2")
    assert merged.code == 0, merged.err
    tip = repo.head()
    assert merged.out == (f"merged request #2 into main: {tip[:12]} contoso: add user yan "
                          "(yan@contoso.example) without SKUs\n  (the branch conflicted "
                          "with main, so its edit was carried out again on main's current "
                          "file)\n")
    assert repo.git("log", "-1", "--format=%P", tip).split() == \
        [first, repo.rev_parse("requests/2-contoso-add-yan")]
    assert "its edit was carried out again on main's file at " + first[:12] in \
        repo.git("log", "-1", "--format=%B", tip)
    users = tenant_at(repo, "HEAD")["users"]
    assert isinstance(users, dict) and list(users) == ["alice", "bob", "zed", "yan"]
    asked = tenant_at(repo, "requests/2-contoso-add-yan")["users"]
    assert isinstance(asked, dict) and users["yan"] == asked["yan"]  # what was asked for
    assert users["zed"] == tenant_at(repo, first)["users"]["zed"]  # type: ignore[index]
    text = (repo.root / "specs/tenants/contoso.yaml").read_text()
    assert "# The owner; never remove." in text and "# Bob runs the warehouse." in text
    assert repo.is_clean() and cli("validate").code == 0
    assert cli("requests", "list").out == "no open requests\n"


def test_a_conflicting_request_whose_edit_no_longer_fits_is_refused(
        repo: SpecRepo, cli: Cli) -> None:
    seed(repo)
    # #1 removes bob; #2, made before #1 was merged, gives bob another SKU.
    assert cli("requests", "new", "contoso", "remove-user", "bob", "--as", "Desk").code == 0
    assert cli("requests", "new", "contoso", "change-skus", "bob", "--add-sku", "M365-BP",
               "--as", "Desk").code == 0
    assert cli("requests", "merge", "1").code == 0
    tip = repo.head()
    refused = cli("requests", "merge", "2")
    assert (refused.code, refused.err) == (
        1, ("error: request #2 conflicts with main in specs/tenants/contoso.yaml, and its edit "
            "no longer fits: there is no user 'bob' in this tenant; ask for the change again "
            "on the current specs\n"))
    assert repo.head() == tip and repo.is_clean()


def test_a_conflicting_branch_someone_added_to_is_not_replayed(
        repo: SpecRepo, cli: Cli) -> None:
    two_adds(repo, cli)
    # An engineer changes the second request by hand: its trailers no longer describe it.
    repo.checkout("requests/2-contoso-add-yan")
    path = repo.root / "specs/tenants/contoso.yaml"
    path.write_text(path.read_text().replace("display_name: Yan", "display_name: Yan Yu"))
    repo.git("commit", "-qam", "contoso: Yan's full name")
    repo.checkout("main")
    assert cli("requests", "merge", "1").code == 0
    tip = repo.head()
    refused = cli("requests", "merge", "2")
    assert (refused.code, refused.err) == (
        1, ("error: request #2 conflicts with main in specs/tenants/contoso.yaml; ask for the "
            "change again on the current specs\n"))
    assert repo.head() == tip and repo.is_clean()


def test_merge_refuses_specs_that_would_not_validate(repo: SpecRepo, cli: Cli) -> None:
    seed(repo)
    # Each valid on its own; together two users would share one UPN.
    assert cli(*ADD_ZED).code == 0
    assert cli("requests", "new", "contoso", "update-user", "alice", "--upn",
               "zed@contoso.example", "--as", "Desk").code == 0
    assert cli("requests", "merge", "1").code == 0
    tip = repo.head()
    refused = cli("requests", "merge", "2")
    assert refused.code == 1
    assert refused.err.startswith("error: request #2 would leave specs that do not validate: "
                                  "specs/tenants/contoso.yaml:")
    assert "UPN 'zed@contoso.example' is already used by user 'alice'" in refused.err
    assert repo.head() == tip


def test_merge_into_a_branch_that_is_not_checked_out(repo: SpecRepo, cli: Cli) -> None:
    seed(repo)
    assert cli(*ADD_ZED).code == 0
    repo.branch("work")
    before = snapshot(repo)
    merged = cli("requests", "merge", "1", "--base", "main")
    assert merged.code == 0, merged.err
    assert snapshot(repo) == before
    assert repo.git("log", "-1", "--format=%s", "main").strip().endswith("(#1)")


def test_without_a_repository_or_base(tmp_path: Path, cli: Cli,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs").mkdir()
    assert cli("requests", "list").err == ("error: specs is not in a git repository; requests "
                                           "are branches\n")


def test_update_brings_a_conflicting_request_up_to_date_as_the_same_request(
        repo: SpecRepo, cli: Cli) -> None:
    two_adds(repo, cli)
    assert cli("requests", "merge", "1").code == 0
    tip = repo.head()
    old = repo.rev_parse("requests/2-contoso-add-yan")
    done = cli("requests", "update", "2")
    assert done.code == 0, done.err
    new = repo.rev_parse("requests/2-contoso-add-yan")
    assert done.out == f"request #2 brought up to date with main: " \
                       f"requests/2-contoso-add-yan at {new[:12]}\n"
    # First parent: main as it is, so the branch merges as a fast-forward; second: the
    # request as it was. Author, subject and trailers stay the requester's request.
    assert repo.git("log", "-1", "--format=%P|%an|%s", new).strip() == \
        f"{tip} {old}|Desk|contoso: add user yan (yan@contoso.example) without SKUs"
    body = repo.git("log", "-1", "--format=%B", new)
    assert f"Brought up to date with main at {tip[:12]}" in body
    assert body.rstrip().splitlines()[-2].startswith("Tenantry-Tenant: contoso")
    assert repo.git("diff", "--name-only", tip, new).split() == ["specs/tenants/contoso.yaml"]
    assert repo.head() == tip and repo.is_clean()  # main is not touched
    again = cli("requests", "update", "2")
    assert (again.code, again.err) == (1, "error: request #2 is up to date with main\n")
    listed = cli("requests", "list").out
    assert listed.startswith("#2 ") and "contoso: add user yan" in listed
    merged = cli("requests", "merge", "2")  # now git merges it; nothing to carry out again
    assert merged.code == 0 and "carried out again" not in merged.out
    users = tenant_at(repo, "HEAD")["users"]
    assert isinstance(users, dict) and list(users) == ["alice", "bob", "zed", "yan"]


def test_update_refuses_an_edit_that_no_longer_fits(repo: SpecRepo, cli: Cli) -> None:
    seed(repo)
    assert cli("requests", "new", "contoso", "remove-user", "bob", "--as", "Desk").code == 0
    assert cli("requests", "new", "contoso", "set-enabled", "bob", "--enable",
               "--as", "Desk").code == 0
    assert cli("requests", "merge", "1").code == 0
    [name] = repo.git("for-each-ref", "--format=%(refname:short)", "refs/heads/requests/2-*")\
        .split()
    branch = repo.rev_parse(name)
    refused = cli("requests", "update", "2")
    assert (refused.code, refused.err) == (
        1, ("error: request #2 cannot be brought up to date with main, and its edit no longer "
            "fits: there is no user 'bob' in this tenant; ask for the change again on the "
            "current specs\n"))
    assert repo.rev_parse(name) == branch
