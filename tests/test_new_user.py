"""What a new user meets: each defect of issue 12 reproduced through the CLI.

A mistyped SKU in history, a period before the history, the table's count of seat lines
not billable, a repository without commits, a missing specs folder, plan wording, the
dirty-specs refusal and ``--help``. The demo and README round trips are in
``test_quickstart.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from billing.billhelp import setup
from conftest import CATALOG, Cli, SpecRepo, run_tenantry, tenant, user

OCT_1 = "2026-10-01T12:00:00Z"
OCT_16 = "2026-10-16T12:00:00Z"


# --- a SKU missing from the catalog ---------------------------------------------------

@pytest.fixture
def mistyped(repo: SpecRepo) -> dict[str, str]:
    """acme: al gets EXO-P2 (a typo for EXO-P1) on 1 October, bo on 16 October; sandbox
    (excluded from billing) has the same typo. Period 2026-10 is 1..31 October (UTC)."""
    first = setup(repo, tenants={
        "acme": tenant("Acme", {"al": user("al@acme.example", skus=["M365-BP", "EXO-P2"])}),
        "sandbox": tenant("Sandbox", {"t1": user("t1@sandbox.example", skus=["EXO-P2"])},
                          billing={"exclude": True}),
    }, date=OCT_1, message="acme and sandbox")
    second = repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP", "EXO-P2"]),
        "bo": user("bo@acme.example", skus=["EXO-P2"])})}, "bo starts", date=OCT_16)
    return {"first": first, "second": second}


def test_a_sku_missing_from_the_catalog_is_a_warning_per_tenant_and_sku(
        mistyped: dict[str, str], cli: Cli) -> None:
    result = cli("bill", "--period", "2026-10", "--format", "json")
    assert result.code == 0, result.err
    warnings = json.loads(result.out)["warnings"]
    # acme: al held EXO-P2 on all 31 days of October, bo on 16..31 October = 16 days:
    # 31 + 16 = 47 seat-days not billed. The sandbox is excluded, so its typo cost 0 days
    # but is still named (it would leak the day the tenant goes live).
    assert warnings == [
        f"tenant acme: SKU 'EXO-P2' is not in the catalog, so its seats were not billed "
        f"(47 seat-days in this span); it came in with commit {mistyped['first'][:12]} on "
        f"2026-10-01 by Test Author <author@example.net>; add it to catalog.yaml or correct "
        f"the tenant file",
        f"tenant sandbox: SKU 'EXO-P2' is not in the catalog, so its seats were not billed "
        f"(0 seat-days in this span); it came in with commit {mistyped['first'][:12]} on "
        f"2026-10-01 by Test Author <author@example.net>; add it to catalog.yaml or correct "
        f"the tenant file"]
    # The table and every other format show it too (the JSON warnings are the source).
    table = cli("bill", "--period", "2026-10")
    assert "warning: tenant acme: SKU 'EXO-P2' is not in the catalog" in table.out


def test_strict_exits_1_on_any_warning_after_writing_the_report(
        mistyped: dict[str, str], cli: Cli, repo: SpecRepo) -> None:
    result = cli("bill", "--period", "2026-10", "--format", "csv", "--output", "b.csv",
                 "--strict")
    assert result.code == 1
    assert (repo.root / "b.csv").exists()  # the job fails, but its report is there to read
    assert result.err.splitlines()[-1] == "error: --strict: 2 warnings (see above)"
    # Without the typo there is nothing to warn about: --strict passes.
    repo.commit_specs({"catalog.yaml": {"products": {
        **CATALOG["products"], "EXO-P2": {"name": "Exchange Online Plan 2", "price": 10}}}},
        "add EXO-P2", date=OCT_16)
    clean = cli("bill", "--period", "2026-10", "--strict")
    assert clean.code == 0, clean.err


def test_strict_also_fails_a_cached_report(mistyped: dict[str, str], cli: Cli) -> None:
    assert cli("bill", "--period", "2026-10", "--format", "json").code == 0
    assert cli("bill", "--period", "2026-10", "--format", "json", "--strict").code == 1


# --- a period before the history -----------------------------------------------------

def test_a_period_before_the_first_commit_says_so(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={"acme": tenant("Acme", {"al": user("al@acme.example",
                                                             skus=["M365-BP"])})}, date=OCT_1)
    result = cli("bill", "--period", "2025-10")
    assert result.code == 0
    assert "No seats were held in this span." in result.out
    assert ("warning: the span ends on 2025-10-31, before the first commit of the specs' "
            "history (2026-10-01): no seat existed yet, so there is nothing to bill") \
        in " ".join(result.out.split())  # the table wraps long warnings
    # A period that overlaps the history has no such warning.
    assert "before the first commit" not in cli("bill", "--period", "2026-10").out


# --- seat lines not billable, in the table -------------------------------------------

def test_the_table_lists_seat_lines_not_billable_on_request(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, billing={"rules": [{"name": "admin accounts", "users": ["admin@*"]}]},
          tenants={"acme": tenant("Acme", {
              "admin": user("admin@acme.example", skus=["M365-BP", "SUPPORT"]),
              "al": user("al@acme.example", skus=["M365-BP"])})}, date=OCT_1)
    plain = cli("bill", "--period", "2026-10")
    assert "2 seat lines not billable; list them with their reasons: --show-unbillable" \
        in plain.out
    assert "reasons: --format" not in plain.out
    shown = cli("bill", "--period", "2026-10", "--show-unbillable")
    assert shown.code == 0
    rows = [line.split() for line in shown.out.split("Not billable", 1)[1].splitlines()]
    assert ["acme", "admin", "M365-BP", "31", "rule", "'admin", "accounts'"] in rows
    assert ["acme", "admin", "SUPPORT", "31", "rule", "'admin", "accounts'"] in rows
    assert not any("al" in row for row in rows)


def test_the_table_names_users_and_seats_and_says_what_a_seat_is(repo: SpecRepo,
                                                                 cli: Cli) -> None:
    setup(repo, tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP", "SUPPORT"]),
        "bo": user("bo@acme.example", skus=["M365-BP"])})}, date=OCT_1)
    out = cli("bill", "--period", "2026-10").out
    header = next(line for line in out.splitlines() if line.startswith("Tenant"))
    assert header.split() == ["Tenant", "Name", "Bill", "to", "Users", "Seats", "Amount"]
    row = next(line for line in out.splitlines() if line.startswith("acme"))
    # 2 users, 3 seats (al: M365-BP and SUPPORT; bo: M365-BP): 36.50 + 25.00 + 36.50.
    assert row.split()[-3:] == ["2", "3", "98.00"]
    assert "Seats: user × SKU pairs billed" in out
    # Quantity is explained wherever it appears: al and bo hold M365-BP all 31 days of
    # October, 62 seat-days / 31 days = 2.0000.
    note = "Quantity: billable seat-days ÷ 31 days in the span (daily proration)"
    for fmt in ("html", "markdown"):
        text = cli("bill", "--period", "2026-10", "--format", fmt).out
        assert note in text and "2.0000" in text, fmt


# --- a repository without commits, a missing specs folder ----------------------------

def test_bill_in_a_repository_without_commits_says_so(repo: SpecRepo, cli: Cli) -> None:
    repo.write_specs({"catalog.yaml": CATALOG})
    result = cli("bill")
    assert result.code == 1
    assert result.err.strip() == (f"error: the git repository at {repo.root.resolve()} has no "
                                  "commits yet; billing reads the history of the specs, so "
                                  "commit them first")
    assert "unknown revision" not in result.err


def test_a_missing_specs_folder_gets_the_same_words_from_every_command(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    messages = {name: cli(*args).err.strip() for name, args in {
        "validate": ["validate"], "bill": ["bill"], "apply": ["apply", "--auto-approve"],
        "plan": ["plan"]}.items()}
    expected = (f"error: specs folder '{tmp_path / 'specs'}' not found; run in the spec "
                "repository, or pass -C DIR or --specs DIR")
    assert messages == dict.fromkeys(messages, expected)


# --- plan and apply wording ----------------------------------------------------------

def test_plan_names_the_directory_once_and_counts_in_the_singular(repo: SpecRepo,
                                                                  cli: Cli) -> None:
    repo.commit_specs({"catalog.yaml": CATALOG, "tenants/acme.yaml": tenant(
        "Acme", {"al": user("al@acme.example", skus=["M365-BP"])})}, "acme")
    out = cli("plan").out
    assert "tenant acme (local directory)" in out
    assert out.rstrip().endswith("Plan: 1 to create, 0 to update, 0 to delete; "
                                 "1 SKU to assign, 0 to remove.")
    repo.commit_specs({"directories.yaml": {"directories": {"lab": {"provider": "local"}}}},
                      "name the directory")
    assert "tenant acme (directory lab (local))" in cli("plan").out


def test_apply_says_which_specs_are_not_committed(repo: SpecRepo, cli: Cli) -> None:
    repo.commit_specs({"catalog.yaml": CATALOG, "tenants/acme.yaml": tenant("Acme")}, "acme")
    repo.write_specs({"tenants/beta.yaml": tenant("Beta")})
    result = cli("apply", "--auto-approve")
    assert result.code == 1
    assert result.err.strip() == (
        "error: the spec files in specs/ have changes not committed to HEAD (apply records "
        "its outcome on the commit it applies); commit them first (or pass --allow-dirty to "
        "apply uncommitted specs)")


# --- --help --------------------------------------------------------------------------

def _commands(help_text: str) -> list[str]:
    section = help_text.split("Commands:", 1)[1]
    return re.findall(r"^  ([a-z][a-z-]*)  ", section, flags=re.M)


@pytest.mark.parametrize("columns", ["80", "50"])
def test_help_shows_every_command_description_whole(tmp_path: Path, columns: str) -> None:
    result = run_tenantry("--help", cwd=tmp_path, env={"COLUMNS": columns})
    assert result.code == 0
    assert "..." not in result.out.split("Commands:")[1]
    assert {"validate", "plan", "apply", "bill", "schema", "demo", "init"} <= \
        set(_commands(result.out))
    for group, names in (("requests", {"new", "list", "show", "merge", "update"}),
                         ("token", {"create", "list", "revoke"})):
        text = run_tenantry(group, "--help", cwd=tmp_path, env={"COLUMNS": columns}).out
        assert "..." not in text.split("Commands:")[1], text
        assert set(_commands(text)) == names


def test_help_of_every_command_has_plain_usage_and_shows_format_choices(tmp_path: Path,
                                                                        cli: Cli) -> None:
    names = _commands(cli("--help").out)
    for name in names:
        text = cli(name, "--help").out
        assert "[[" not in text and "<str>" not in text.split("Options:")[-1], (name, text)
        assert "..." not in text.split("Options:")[0].replace("[ARGS]...", ""), (name, text)
    assert "Usage: tenantry apply [OPTIONS] [PLANFILE]" in cli("apply", "--help").out
    assert "--format table|json|csv|xlsx|html|markdown|xero" in cli("bill", "--help").out
    assert "--format text|json|markdown" in cli("plan", "--help").out


def test_a_bad_format_names_the_choices(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={"acme": tenant("Acme")}, date=OCT_1)
    result = cli("bill", "--format", "pdf")
    assert result.code == 1 and result.err.strip() == (
        "error: --format 'pdf': use one of table, json, csv, xlsx, html, markdown, xero")
