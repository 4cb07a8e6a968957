"""``tenantry log``: who changed a tenant or user, when, in which pull request, what changed,
and which apply carried it out. Pull requests are merged three ways: a GitHub merge commit,
a squash commit and a GitLab merge commit."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from conftest import Cli, SpecRepo, tenant, user
from gitopshelp import gitlab_merge, pull_request, squash, start

from reconciler.changes.compare import compare
from reconciler.changes.notes import parse_notes
from reconciler.changes.pullrequest import pull_request as pr_of
from reconciler.changes.views import TenantView, UserView

C = "contoso.example"
JO = "Jo Bloggs <jo@msp.example>"
SAM = "Sam Tane <sam@msp.example>"


def contoso(alice: dict[str, Any], bob_skus: list[str], **extra: Any) -> dict[str, Any]:
    return tenant("Contoso Ltd", {"alice": alice,
                                  "bob": user(f"bob@{C}", "Bob Jones", skus=bob_skus)},
                  domain=C, **extra)


@pytest.fixture
def three_prs(repo: SpecRepo, cli: Cli) -> SpecRepo:
    """alice is created, then changed in three pull requests; applies follow some merges."""
    start(repo, {"contoso": contoso(user(f"alice@{C}", "Alice Smith", skus=["M365-BP"]),
                                    ["SUPPORT"]),
                 "other": tenant("Other", {"oz": user("oz@other.example")})},
          date="2026-03-02T09:00:00Z", author=JO)
    assert cli("apply", "--auto-approve").code == 0
    # PR #12, merged with a merge commit: alice gets Exchange.
    pull_request(repo, "alice-exchange", 12, [(
        {"tenants/contoso.yaml": contoso(user(f"alice@{C}", "Alice Smith",
                                              skus=["M365-BP", "EXO-P1"]), ["SUPPORT"])},
        "alice: exchange")], date="2026-03-05T10:00:00Z", author=SAM)
    assert cli("apply", "--auto-approve").code == 0
    # PR #15, squashed: alice marries; nobody applies it yet.
    squash(repo, 15, {"tenants/contoso.yaml": contoso(
        user(f"alice.ngata@{C}", "Alice Ngata", skus=["M365-BP", "EXO-P1"]), ["SUPPORT"])},
        "Rename alice", date="2026-03-09T11:00:00Z", author=JO)
    # An unrelated change to bob and a new go-live date, then an apply covers both commits.
    squash(repo, 16, {"tenants/contoso.yaml": contoso(
        user(f"alice.ngata@{C}", "Alice Ngata", skus=["M365-BP", "EXO-P1"]),
        ["SUPPORT", "EXO-P1"], billing={"start": dt.date(2026, 3, 1)})},
        "bob: exchange", date="2026-03-10T08:00:00Z", author=SAM)
    assert cli("apply", "--auto-approve").code == 0
    # MR !17 on GitLab: alice leaves on parental leave, disabled.
    gitlab_merge(repo, "alice-leave", 17, {"tenants/contoso.yaml": contoso(
        user(f"alice.ngata@{C}", "Alice Ngata", skus=["M365-BP", "EXO-P1"], enabled=False),
        ["SUPPORT", "EXO-P1"], billing={"start": dt.date(2026, 3, 1)})},
        "Disable alice while on leave", date="2026-03-20T16:00:00Z", author=JO)
    return repo


def test_a_user_changed_in_three_pull_requests(three_prs: SpecRepo, cli: Cli) -> None:
    result = cli("log", "contoso/alice")
    assert result.code == 0, result.err
    text = result.out
    blocks = text.split("\n\n")
    assert blocks[0] == "tenantry log contoso/alice (times in UTC)"
    sha = {n: three_prs.rev_parse(f"HEAD~{n}")[:12] for n in range(5)}
    assert blocks[1] == (
        f"2026-03-20 16:00 +0000  {sha[0]}  Merge Bot <merge@example.net>  PR !17\n"
        "    Merge branch 'alice-leave' into 'main'\n"
        f"    merged commits by {JO}\n"
        "  contoso: ~ disable alice (alice.ngata@contoso.example)")
    assert blocks[2].startswith(
        f"2026-03-09 11:00 +0000  {sha[2]}  {JO}  PR #15\n"
        "    Rename alice (#15)\n"
        '  contoso: ~ rename alice: upn "alice@contoso.example" -> '
        '"alice.ngata@contoso.example", display_name "Alice Smith" -> "Alice Ngata"\n'
        f"  applied later: applied ")
    assert f"on {sha[1]}: 2 done, 0 failed" in blocks[2]  # the apply after PR #16
    assert blocks[3].startswith(
        f"2026-03-05 10:00 +0000  {sha[3]}  Merge Bot <merge@example.net>  PR #12\n"
        "    Merge pull request #12 from msp/alice-exchange\n"
        f"    merged commits by {SAM}\n"
        "  contoso: + seat EXO-P1 for alice (alice@contoso.example)\n"
        "  note: applied ")
    assert f"on {sha[3]}: 1 done, 0 failed" in blocks[3]
    assert blocks[4].startswith(f"2026-03-02 09:00 +0000  {sha[4]}  {JO}\n"
                                "    initial specs\n"
                                "  contoso: + create alice (alice@contoso.example): M365-BP\n"
                                "  note: applied ")
    assert len(blocks) == 5  # bob's change (PR #16) is not alice's


def test_the_log_as_json(three_prs: SpecRepo, cli: Cli) -> None:
    doc = json.loads(cli("log", "contoso/alice", "--format", "json").out)
    assert doc["schema"] == "tenantry.log/1" and doc["target"] == "contoso/alice"
    assert [e["pull_request"] for e in doc["entries"]] == ["!17", "#15", "#12", None]
    leave = doc["entries"][0]
    assert leave["author"] == "Merge Bot <merge@example.net>"
    assert leave["merged_authors"] == [JO]
    assert leave["date"] == "2026-03-20T16:00:00+00:00"
    assert leave["changes"] == [{
        "tenant": "contoso", "name": "Contoso Ltd", "status": "changed", "billing": [],
        "settings": [], "users": [{"user": "alice", "status": "changed",
                                   "upn": "alice.ngata@contoso.example", "renamed": [],
                                   "updated": [], "enabled": False, "added": [],
                                   "removed": []}]}]
    assert leave["notes"] == [] and leave["applied"] is None  # not applied yet
    exchange = doc["entries"][2]
    (note,) = exchange["notes"]
    assert note["schema"] == "tenantry.apply/1" and note["tenants"] == ["contoso"]
    assert note["counts"] == {"applied": 1, "failed": 0, "skipped": 0}
    assert exchange["applied"]["commit"] == three_prs.rev_parse("HEAD~3")


def test_a_tenant_log_shows_every_user_and_billing_settings(three_prs: SpecRepo,
                                                            cli: Cli) -> None:
    text = cli("log", "contoso").out
    assert "  contoso: ~ billing.start: (none) -> \"2026-03-01\"" in text
    assert "  contoso: + seat EXO-P1 for bob (bob@contoso.example)" in text
    assert "oz" not in text
    everything = cli("log").out
    assert "  other: + create oz (oz@other.example): no SKUs" in everything


def test_a_range_limits_the_commits(three_prs: SpecRepo, cli: Cli) -> None:
    doc = json.loads(cli("log", "contoso/alice", "HEAD~3..HEAD", "--format", "json").out)
    assert [e["pull_request"] for e in doc["entries"]] == ["!17", "#15"]
    every = json.loads(cli("log", "HEAD~1..HEAD", "--format", "json").out)
    assert every["target"] is None and every["range"] == "HEAD~1..HEAD"
    assert [e["pull_request"] for e in every["entries"]] == ["!17"]


def test_a_version_that_did_not_parse_is_named(three_prs: SpecRepo, cli: Cli) -> None:
    three_prs.commit_specs({"tenants/contoso.yaml": "name: [broken\n"}, "oops")
    three_prs.commit_specs({"tenants/contoso.yaml": contoso(
        user(f"alice.ngata@{C}", "Alice Ngata", skus=["M365-BP"]), ["SUPPORT", "EXO-P1"],
        billing={"start": dt.date(2026, 3, 1)})}, "fixed, and alice back at work")
    text = cli("log", "contoso").out
    assert "  warning: specs/tenants/contoso.yaml does not parse here (line 2: YAML syntax error" in text
    # The fix is compared with the last version that parsed.
    fixed = text.split("\n\n")[1]
    assert "  contoso: ~ enable alice (alice.ngata@contoso.example)" in fixed
    assert "  contoso: - seat EXO-P1 from alice (alice.ngata@contoso.example)" in fixed


@pytest.mark.parametrize("target, message", [
    ("nobody", "tenant 'nobody' does not appear in the history"),
    ("contoso/zed", "user contoso/zed does not appear in the history"),
    ("a/b/c", "name a tenant (contoso) or a user (contoso/alice)"),
])
def test_unknown_targets_are_errors(three_prs: SpecRepo, cli: Cli, target: str,
                                    message: str) -> None:
    result = cli("log", target)
    assert result.code == 1 and message in result.err


@pytest.mark.parametrize("message, expected", [
    ("Merge pull request #12 from org/branch", "#12"),
    ("Add alice (#34)", "#34"),
    ("Add alice (#34)\n\n* first\n* second", "#34"),
    ("Merge branch 'x' into 'main'\n\nSee merge request group/sub/project!56", "!56"),
    ("Fix #12 in the catalog", None),
    ("Merge branch 'main' into feature", None),
])
def test_pull_request_numbers_from_messages(message: str, expected: str | None) -> None:
    assert pr_of(message) == expected


def test_notes_written_before_the_schema_still_read() -> None:
    legacy = ('{"applied":5,"applied_at":"2026-03-01T00:00:00+00:00","dirty":false,'
              '"failed":["a/x/create"],"not_planned":[],"skipped":["a/x/assign/B"],'
              '"tenants":["a"],"tool_version":"0.1.0"}')
    (note,) = parse_notes(legacy + "\nnot a note\n{broken json\n")
    assert (note.applied, note.failed, note.skipped, note.tenants) == (5, 1, 1, ("a",))
    assert note.failures[0].change == "a/x/create" and note.schema == ""


def test_reordered_skus_are_not_a_change() -> None:
    before = TenantView("A", users={"x": UserView("x@a.example", "X", skus=("A", "B"))})
    after = TenantView("A", users={"x": UserView("x@a.example", "X", skus=("B", "A"))})
    assert compare("a", before, after).empty
    renamed = TenantView("A2", users=after.users)
    assert compare("a", before, renamed).settings == (("name", "A", "A2"),)
