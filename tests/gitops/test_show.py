"""``tenantry show``: what each tenant had at a moment, from history, with the names of then.
Billing time zone Pacific/Auckland (UTC+13 in March 2026)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from conftest import CATALOG, Cli, SpecRepo, tenant, user
from gitopshelp import GITIGNORE, pull_request

NZ = {"timezone": "Pacific/Auckland"}
C = "contoso.example"


@pytest.fixture
def history(repo: SpecRepo) -> SpecRepo:
    repo.write({".gitignore": GITIGNORE})
    # 3 March, 10:00 in Auckland.
    repo.commit_specs({"catalog.yaml": CATALOG, "billing.yaml": NZ,
                       "tenants/contoso.yaml": tenant("Contoso Ltd", {
                           "alice": user(f"alice@{C}", "Alice Smith", skus=["M365-BP"]),
                           "bob": user(f"bob@{C}", "Bob Jones", skus=["SUPPORT"])})},
                      "contoso", date="2026-03-03T10:00:00+13:00")
    # 3 March, 23:30 in Auckland: still the 3rd there (10:30 UTC).
    repo.commit_specs({"tenants/contoso.yaml": tenant("Contoso Ltd", {
        "alice": user(f"alice@{C}", "Alice Smith", skus=["M365-BP", "EXO-P1"]),
        "bob": user(f"bob@{C}", "Bob Jones", skus=["SUPPORT"])})},
        "alice gets exchange", date="2026-03-03T23:30:00+13:00")
    # 4 March, 00:30 in Auckland (3 March 11:30 UTC): the 4th there, the 3rd in UTC.
    pull_request(repo, "rename", 7, [({"tenants/contoso.yaml": tenant("Contoso Group", {
        "alice": user(f"alice.smith@{C}", "Alice Smith-Ngata", skus=["M365-BP", "EXO-P1"]),
        "carol": user(f"carol@{C}", "Carol", skus=["SUPPORT"])})}, "rename and swap")],
                 date="2026-03-04T00:30:00+13:00")
    return repo


def test_the_end_of_a_day_in_the_billing_time_zone(history: SpecRepo, cli: Cli) -> None:
    result = cli("show", "--at", "2026-03-03")
    assert result.code == 0, result.err
    assert "as of 2026-03-03 (Pacific/Auckland): commit" in result.out
    assert "in effect from 2026-03-03 23:30 +1300" in result.out
    assert "contoso — Contoso Ltd (2 users, 3 seats)" in result.out
    assert "alice  alice@contoso.example  Alice Smith  M365-BP, EXO-P1" in result.out
    assert "bob    bob@contoso.example    Bob Jones    SUPPORT" in result.out
    later = cli("show", "--at", "2026-03-04").out
    assert "contoso — Contoso Group (2 users, 3 seats)" in later
    assert "alice  alice.smith@contoso.example  Alice Smith-Ngata  M365-BP, EXO-P1" in later
    assert "bob" not in later


def test_an_instant_a_user_and_the_names_they_had(history: SpecRepo, cli: Cli) -> None:
    # 10:00 on the 3rd (UTC+13): only the first commit is in effect.
    morning = json.loads(cli("show", "contoso/alice", "--at", "2026-03-03T12:00",
                             "--format", "json").out)
    assert morning["schema"] == "tenantry.show/1"
    assert morning["at"] == "2026-03-03T12:00:00+13:00"
    assert morning["commit"] == history.rev_parse("HEAD~2")
    assert morning["tenants"] == [{"tenant": "contoso", "name": "Contoso Ltd",
                                   "reseller": None, "kept_from": None,
                                   "users": [{"user": "alice", "upn": "alice@contoso.example",
                                              "display_name": "Alice Smith",
                                              "skus": ["M365-BP"]}]}]
    utc = json.loads(cli("show", "contoso/alice", "--at", "2026-03-03T11:45:00Z",
                         "--format", "json").out)
    assert utc["tenants"][0]["users"][0]["upn"] == "alice.smith@contoso.example"


def test_a_revision_counts_first_parent_commits_only(history: SpecRepo, cli: Cli) -> None:
    # The pull request's branch commit is not a state main was ever in; the merge is.
    branch_commit = history.rev_parse("HEAD^2")
    on_main = json.loads(cli("show", "--rev", "HEAD", "--format", "json").out)
    assert on_main["commit"] == history.head() != branch_commit
    before = json.loads(cli("show", "--rev", "HEAD~1", "--format", "json").out)
    assert [u["user"] for u in before["tenants"][0]["users"]] == ["alice", "bob"]


def test_csv_and_xlsx_list_one_row_per_seat_and_keep_formulas_inert(repo: SpecRepo, cli: Cli,
                                                                   tmp_path: Path) -> None:
    repo.write({".gitignore": GITIGNORE})
    repo.commit_specs({"catalog.yaml": CATALOG, "tenants/evil.yaml": tenant(
        "=HYPERLINK(\"http://x\")", {"a": user("a@evil.example", "@SUM(1)",
                                               skus=["M365-BP", "SUPPORT"]),
                                     "b": user("b@evil.example", "B")})}, "evil")
    text = cli("show", "--format", "csv").out
    rows = list(csv.reader(io.StringIO(text)))
    head = repo.head()
    assert rows == [
        ["tenant", "tenant_name", "user", "upn", "display_name", "sku", "commit"],
        ["evil", "'=HYPERLINK(\"http://x\")", "a", "a@evil.example", "'@SUM(1)", "M365-BP",
         head],
        ["evil", "'=HYPERLINK(\"http://x\")", "a", "a@evil.example", "'@SUM(1)", "SUPPORT",
         head],
        ["evil", "'=HYPERLINK(\"http://x\")", "b", "b@evil.example", "B", "", head]]
    assert text.endswith("\r\n")
    assert cli("show", "--format", "xlsx").code == 1  # a workbook needs --output
    assert cli("show", "--format", "xlsx", "--output", tmp_path / "seats.xlsx").code == 0
    book = openpyxl.load_workbook(tmp_path / "seats.xlsx")
    seats = [[c.value for c in row] for row in book["Seats"].iter_rows()]
    assert seats[1] == ["evil", "'=HYPERLINK(\"http://x\")", "a", "a@evil.example",
                        "'@SUM(1)", "M365-BP"]
    assert book["Seats"]["B2"].data_type == "s"
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["Commit"] == head and summary["Seats"] == 2
    first = (tmp_path / "seats.xlsx").read_bytes()
    cli("show", "--format", "xlsx", "--output", tmp_path / "again.xlsx")
    assert (tmp_path / "again.xlsx").read_bytes() == first  # same snapshot, same bytes


def test_a_file_that_did_not_parse_shows_its_last_good_version(history: SpecRepo,
                                                               cli: Cli) -> None:
    good = history.head()
    history.commit_specs({"tenants/contoso.yaml": "name: [broken\n"}, "oops",
                         date="2026-03-05T09:00:00+13:00")
    result = cli("show", "--format", "json")
    assert result.code == 0
    doc = json.loads(result.out)
    assert doc["tenants"][0]["kept_from"] == good
    assert [u["user"] for u in doc["tenants"][0]["users"]] == ["alice", "carol"]
    assert "does not parse at" in result.err and "its last good version" in result.err


def test_show_reads_the_records_bill_cached(history: SpecRepo, cli: Cli) -> None:
    assert cli("bill", "--period", "2026-03").code == 0
    # The shared parse cache: one entry per tenant file version, under parsed/<versions>/.
    cached = sorted(p for p in (history.root / ".tenantry/cache/parsed").rglob("*")
                    if p.is_file())
    assert cached  # bill parsed each tenant file version once
    assert cli("show", "--at", "2026-03-03").code == 0
    assert cli("show", "--rev", "HEAD~1").code == 0
    assert sorted(p for p in (history.root / ".tenantry/cache/parsed").rglob("*")
                  if p.is_file()) == cached


@pytest.mark.parametrize("args, message", [
    (["--at", "2026-03-03", "--rev", "HEAD"], "give --at DATE or --rev REV, not both"),
    (["--at", "2026-02-01"], "nothing was committed by then"),
    (["--at", "last tuesday"], "use a date (2026-10-03) or a date and time"),
    (["nobody"], "tenant 'nobody' had no file"),
    (["contoso/zed"], "user contoso/zed did not exist"),
    (["contoso/"], "name a tenant (contoso) or a user (contoso/alice)"),
    (["--rev", "nope"], "unknown revision 'nope'"),
])
def test_bad_input_is_one_error_line(history: SpecRepo, cli: Cli, args: list[str],
                                     message: str) -> None:
    result = cli("show", *args)
    assert result.code == 1 and message in result.err, result.err
    assert "Traceback" not in result.err

