"""The command line itself: version, bare invocation, files it writes, the demo."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from conftest import CATALOG, Cli, SpecRepo, run_tenantry, tenant, user

from tenantry.commands.demo import write_docs
from tenantry.demo_story import EXAMPLE_DAY, final_docs


def test_version_works_without_a_command(cli: Cli) -> None:
    result = cli("--version")
    assert result.code == 0 and result.out.startswith("tenantry ")


def test_bare_tenantry_prints_help_and_exits_0(tmp_path: Path) -> None:
    result = run_tenantry(cwd=tmp_path)
    assert result.code == 0 and "Usage: tenantry" in result.out and "demo" in result.out


def test_reports_get_ordinary_file_permissions(repo: SpecRepo, cli: Cli) -> None:
    # Atomic writes go through mkstemp, which would leave finance's report private (0600).
    repo.commit_specs({"catalog.yaml": CATALOG, "tenants/acme.yaml": tenant(
        "Acme", {"al": user("al@acme.example", skus=["M365-BP"])})}, "acme",
        date="2026-10-01T12:00:00Z")
    old = os.umask(0o022)
    try:
        assert cli("bill", "--period", "2026-10", "--format", "json", "--output",
                   "out.json").code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((repo.root / "out.json").stat().st_mode) == 0o644


def test_example_specs_are_the_demo_story(tmp_path: Path) -> None:
    # specs/ in this repository is the demo's final state, told on EXAMPLE_DAY.
    write_docs(tmp_path, final_docs(EXAMPLE_DAY))
    repo_specs = Path(__file__).parent.parent / "specs"
    ours = {p.relative_to(repo_specs).as_posix(): p.read_text()
            for p in repo_specs.rglob("*.yaml")}
    story = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in tmp_path.rglob("*.yaml")}
    assert ours == story, "regenerate specs/: python -c 'from pathlib import Path; from " \
        "tenantry.commands.demo import write_docs; from tenantry.demo_story import *; " \
        "write_docs(Path(\"specs\"), final_docs(EXAMPLE_DAY))'"


def test_example_specs_are_valid(cli: Cli) -> None:
    root = Path(__file__).parent.parent
    result = cli("-C", str(root), "validate")
    assert result.code == 0, result.err


def test_demo_builds_applies_and_bills(tmp_path: Path) -> None:
    # The README's first command, end to end, through the installed entry point.
    target = tmp_path / "demo"
    result = run_tenantry("demo", str(target), cwd=tmp_path)
    assert result.code == 0, result.err
    assert "Apply complete" in result.out and "Invoice for the last closed period" in result.out
    invoices = sorted(p.name for p in (target / "invoices").iterdir())
    period = invoices[0]  # the folder of per-party documents
    assert invoices == [period, f"{period}.html", f"{period}.xero.csv", f"{period}.xlsx"]
    assert sorted(p.name for p in (target / "invoices" / period).iterdir()) == [
        f"INV-{period}-contoso.html", f"INV-{period}-northwind.html",
        f"INV-{period}-reseller-acme.html", f"STM-{period}-acme.html",
        f"STM-{period}-tasman.html"]
    log = run_tenantry("-C", str(target), "plan", "--detailed-exitcode", cwd=tmp_path)
    assert log.code == 0 and "No changes" in log.out  # the directory matches the last commit
    again = run_tenantry("demo", str(target), cwd=tmp_path)
    assert again.code == 1 and "not empty" in again.err


def test_commands_that_leave_at_once_still_write_all_their_output(repo: SpecRepo) -> None:
    # validate, plan and bill leave with os._exit, skipping the teardown of what they built
    # (tenantry.quick_exit). Their output through a pipe must still be whole (here ~150 KB
    # of JSON, more than a pipe holds), their exit codes kept, and their files written.
    users = {f"u{n:03}": user(f"u{n:03}@acme.example", skus=["M365-BP"]) for n in range(300)}
    repo.commit_specs({"catalog.yaml": CATALOG, "tenants/acme.yaml": tenant("Acme", users)},
                      "acme", date="2026-10-01T12:00:00Z")
    assert run_tenantry("validate", cwd=repo.root).out == \
        "specs: valid (1 tenants, 300 users, 3 products)\n"
    planned = run_tenantry("plan", "--format", "json", "--detailed-exitcode", "--out",
                           "plan.json", cwd=repo.root)
    assert planned.code == 2
    assert len(json.loads(planned.out)["tenants"][0]["changes"]) == 600  # create + assign
    assert json.loads((repo.root / "plan.json").read_text()) == json.loads(planned.out)
    billed = run_tenantry("bill", "--period", "2026-10", "--format", "json", cwd=repo.root)
    assert billed.code == 0 and len(json.loads(billed.out)["lines"]) == 300
    written = run_tenantry("bill", "--period", "2026-10", "--format", "csv", "--output",
                           "b.csv", cwd=repo.root)
    assert written.code == 0 and written.err == "wrote b.csv\n"
    assert len((repo.root / "b.csv").read_text().splitlines()) == 301  # a header and 300
