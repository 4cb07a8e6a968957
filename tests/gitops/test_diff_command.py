"""``tenantry diff`` through the CLI on real repositories: what a pull request changes and
what it does to the monthly recurring charge. Catalog (conftest): M365-BP 36.50,
EXO-P1 6.40, SUPPORT 25.00 per seat per period; reseller acme is aggregate at 20% off,
helper on-behalf at 15%."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import CATALOG, Cli, SpecRepo, tenant, user
from gitopshelp import pull_request, squash, start

C = "contoso.example"
F = "fabrikam.example"


def contoso(**users: Any) -> dict[str, Any]:
    return tenant("Contoso Ltd", users, domain=C)


BEFORE = {
    "contoso": contoso(
        alice=user(f"alice@{C}", "Alice Smith", skus=["M365-BP"]),
        beth=user(f"beth.ng@{C}", "Beth Ng", skus=["M365-BP"]),
        dave=user(f"dave@{C}", "Dave Brown", skus=["M365-BP", "SUPPORT"]),
        frank=user(f"frank@{C}", "Frank Moss", skus=["M365-BP"])),
    "fabrikam": tenant("Fabrikam", {"gus": user(f"gus@{F}", "Gus", skus=["M365-BP"])},
                       domain=F, reseller="acme"),
    "quiet": tenant("Quiet Co", {"qi": user("qi@quiet.example", skus=["SUPPORT"])}),
}
AFTER = {
    "tenants/contoso.yaml": contoso(
        alice=user(f"alice@{C}", "Alice Smith", skus=["M365-BP", "EXO-P1"]),
        beth=user(f"beth.kowalski@{C}", "Beth Kowalski", skus=["M365-BP"]),
        dave=user(f"dave@{C}", "Dave Brown", skus=["M365-BP", "SUPPORT"], enabled=False),
        erin=user(f"erin@{C}", "Erin Walsh", skus=["M365-BP", "SUPPORT"])),
    "tenants/fabrikam.yaml": tenant(
        "Fabrikam", {"gus": user(f"gus@{F}", "Gus", skus=["M365-BP"]),
                     "hana": user(f"hana@{F}", "Hana", skus=["M365-BP"])},
        domain=F, reseller="acme", billing={"start": dt.date(2026, 4, 1)}),
    "tenants/northwind.yaml": tenant("Northwind", {"ivy": user("ivy@nw.example",
                                                                skus=["SUPPORT"])}),
}


@pytest.fixture
def merged(repo: SpecRepo) -> SpecRepo:
    """main: three tenants; PR #12 (two commits on a branch) changes two and adds one."""
    start(repo, BEFORE)
    pull_request(repo, "april-changes", 12,
                 [({"tenants/contoso.yaml": AFTER["tenants/contoso.yaml"]}, "contoso: april"),
                  ({k: v for k, v in AFTER.items() if k != "tenants/contoso.yaml"},
                   "fabrikam grows, northwind joins")],
                 date="2026-03-20T09:00:00Z")
    return repo


def test_merge_commit_diff_as_a_pull_request_comment(merged: SpecRepo, cli: Cli,
                                                     tmp_path: Path) -> None:
    result = cli("diff", "HEAD^1", "HEAD", "--format", "markdown", "--output",
                 tmp_path / "comment.md")
    assert result.code == 2, result.err
    comment = (tmp_path / "comment.md").read_text()
    # contoso before: alice, beth, frank M365-BP 3 x 36.50 + dave M365-BP + SUPPORT 61.50
    #   = 171.00; after: alice 36.50 + 6.40, beth 36.50, dave (disabled, still holding
    #   both seats) 61.50, erin 61.50 = 202.40 -> +31.40.
    # fabrikam, aggregate reseller acme at 20% off: 36.50 x 0.8 = 29.20 per seat;
    #   1 seat -> 2 seats: 29.20 -> 58.40 (+29.20). Its go-live moves to 2026-04-01, after
    #   the pricing day 2026-03-20: the recurring charge is what it pays once live.
    # northwind is new: ivy SUPPORT 25.00.
    # Total of the tenants with changes: 200.20 -> 285.80, +85.60 = 42.757..% -> +42.8%.
    assert comment.startswith("## tenantry diff: +85.60 USD per month (+42.8%)\n")
    assert "priced on 2026-03-20 in USD" in comment
    assert ("| `contoso` Contoso Ltd | 1 created, 1 renamed, 1 deleted | "
            "EXO-P1 +1, M365-BP +1 -1, SUPPORT +1 | 171.00 | 202.40 | +31.40 |") in comment
    assert ("| `fabrikam` Fabrikam | 1 created | M365-BP +1 | 29.20 | 58.40 | +29.20 |"
            in comment)
    assert "| `northwind` Northwind (new) | 1 created | SUPPORT +1 | — | 25.00 | +25.00 |" \
        in comment
    assert "| 1 unchanged tenant (not priced) | | | | | |" in comment
    assert ("| **Total, tenants with changes** | | | **200.20** | **285.80** | "
            "**+85.60 (+42.8%)** |") in comment
    # The table comes first; each tenant's details fold into <details>.
    assert comment.index("| Tenant |") < comment.index("<details>")
    assert comment.count("<details>") == comment.count("</details>") == 3
    for line in ("+ seat EXO-P1 for alice (alice@contoso.example)",
                 '! rename beth: upn "beth.ng@contoso.example" -> '
                 '"beth.kowalski@contoso.example", display_name "Beth Ng" -> "Beth Kowalski"',
                 "! disable dave (dave@contoso.example)",
                 "- delete frank (frank@contoso.example): had M365-BP",
                 "+ create erin (erin@contoso.example): M365-BP, SUPPORT",
                 '! billing.start: (none) -> "2026-04-01"'):
        assert line in comment, line
    assert "| `M365-BP` | 4 → 4 | 36.50 → 36.50 | 146.00 → 146.00 |" in comment
    assert "| `SUPPORT` | 1 → 2 | 25.00 → 25.00 | 25.00 → 50.00 |" in comment
    assert "<summary><code>fabrikam</code> Fabrikam: 1 created; M365-BP +1; billing " \
           "settings</summary>" in comment
    assert "Billed to `acme` at its reseller price." in comment
    assert len(comment) < 65_000


def test_text_is_the_default_and_json_is_versioned(merged: SpecRepo, cli: Cli) -> None:
    text = cli("diff", "HEAD^1")  # HEAD defaults to HEAD
    assert text.code == 2
    assert "tenant contoso (Contoso Ltd): monthly 171.00 -> 202.40 (+31.40)" in text.out
    assert "tenant northwind (Northwind) [new file]: monthly — -> 25.00 (+25.00)" in text.out
    assert "Monthly recurring charge (tenants with changes): 200.20 -> 285.80 USD " \
           "(+85.60, +42.8%)." in text.out
    doc = json.loads(cli("diff", "HEAD^1", "HEAD", "--format", "json").out)
    assert doc["schema"] == "tenantry.diff/1" and doc["changes"] is True
    assert doc["base"]["commit"] == merged.rev_parse("HEAD^1")
    assert doc["head"] == {"rev": "HEAD", "commit": merged.head()}
    assert [t["tenant"] for t in doc["tenants"]] == ["contoso", "fabrikam", "northwind"]
    contoso_doc = doc["tenants"][0]
    assert contoso_doc["monthly"] == {"before": "171.00", "after": "202.40", "change": "31.40"}
    assert {u["user"]: u["status"] for u in contoso_doc["users"]} == {
        "alice": "changed", "beth": "changed", "dave": "changed", "erin": "created",
        "frank": "deleted"}
    dave = next(u for u in contoso_doc["users"] if u["user"] == "dave")
    assert dave["enabled"] is False and dave["added"] == dave["removed"] == []
    assert contoso_doc["seats"] == [{"sku": "EXO-P1", "added": 1, "removed": 0},
                                    {"sku": "M365-BP", "added": 1, "removed": 1},
                                    {"sku": "SUPPORT", "added": 1, "removed": 0}]
    fab = doc["tenants"][1]
    assert fab["billing"] == [{"field": "billing.start", "before": None,
                               "after": "2026-04-01"}]
    assert fab["charges"]["after"] == {
        "amount": "58.40", "bill_to": "acme", "reseller_price": True, "not_billable": None,
        "skus": [{"sku": "M365-BP", "seats": 2, "not_billable": 0, "unit_price": "29.20",
                  "amount": "58.40"}]}
    assert doc["unchanged"] == {"tenants": 1, "monthly": None}
    assert doc["totals"] == {"scope": "changed", "before": "200.20", "after": "285.80",
                             "change": "85.60", "percent": "42.8"}


def test_all_tenants_prices_the_whole_book(merged: SpecRepo, cli: Cli) -> None:
    doc = json.loads(cli("diff", "HEAD^1", "--all-tenants", "--format", "json").out)
    # quiet: one SUPPORT seat, 25.00, on both sides.
    assert doc["unchanged"] == {"tenants": 1, "monthly": "25.00"}
    # 200.20 + 25.00 = 225.20 -> 285.80 + 25.00 = 310.80; +85.60 = 38.010..% -> 38.0%.
    assert doc["totals"] == {"scope": "all", "before": "225.20", "after": "310.80",
                             "change": "85.60", "percent": "38.0"}
    comment = cli("diff", "HEAD^1", "--all-tenants", "--format", "markdown").out
    assert "| 1 unchanged tenant | | | 25.00 | 25.00 | +0.00 |" in comment


def test_the_pull_request_branch_against_main_uses_the_merge_base(repo: SpecRepo,
                                                                  cli: Cli) -> None:
    start(repo, BEFORE)
    repo.branch("pr")
    squash(repo, 3, {"tenants/quiet.yaml": tenant("Quiet Co", {
        "qi": user("qi@quiet.example", skus=["SUPPORT", "EXO-P1"])})}, "quiet: exchange",
        date="2026-03-05T09:00:00Z")
    repo.checkout("main")  # main moves on meanwhile: another tenant changes
    repo.commit_specs({"tenants/fabrikam.yaml": None}, "fabrikam leaves",
                      date="2026-03-06T09:00:00Z")
    own = json.loads(cli("diff", "main...pr", "--format", "json").out)
    assert [t["tenant"] for t in own["tenants"]] == ["quiet"]
    assert own["head"]["rev"] == "pr" and own["base"]["rev"] == "merge-base(main, pr)"
    assert own["base"]["commit"] == repo.rev_parse("pr~1")
    # Two revisions compared directly: main's own change shows (as its reverse).
    both = json.loads(cli("diff", "main", "pr", "--format", "json").out)
    assert [(t["tenant"], t["status"]) for t in both["tenants"]] == [
        ("fabrikam", "added"), ("quiet", "changed")]


def test_no_changes_exit_0_and_layout_only_changes_are_named(repo: SpecRepo, cli: Cli) -> None:
    start(repo, BEFORE)
    same = cli("diff", "HEAD", "HEAD")
    assert same.code == 0 and "No changes to the specs." in same.out
    text = (repo.root / "specs/tenants/quiet.yaml").read_text()
    repo.commit({"specs/tenants/quiet.yaml": "# reviewed in March\n" + text,
                 "specs/catalog.yaml": (repo.root / "specs/catalog.yaml").read_text() + "\n"},
                "comments only", date="2026-03-03T09:00:00Z")
    layout = cli("diff", "HEAD~1", "HEAD", "--format", "markdown")
    assert layout.code == 0, layout.out
    assert "## tenantry diff: no change to the monthly charge" in layout.out
    assert "Changed in form only (comments, layout): `catalog.yaml`, `tenants/quiet.yaml`" \
        in layout.out
    # A tenant changed in form only still counts in the book: 171.00 + 29.20 + 25.00.
    book = json.loads(cli("diff", "HEAD~1", "--all-tenants", "--format", "json").out)
    assert book["unchanged"] == {"tenants": 3, "monthly": "225.20"}
    assert (book["totals"]["before"], book["totals"]["after"]) == ("225.20", "225.20")


def test_a_price_change_prices_every_tenant_and_shows_the_catalog_line(repo: SpecRepo,
                                                                        cli: Cli) -> None:
    start(repo, BEFORE)
    repo.commit_specs({"catalog.yaml": _catalog(support="27.50")}, "support price",
                      date="2026-03-10T09:00:00Z")
    doc = json.loads(cli("diff", "HEAD~1", "--format", "json").out)
    # Seats holding SUPPORT: dave (contoso) and qi (quiet); +2.50 each.
    assert [(t["tenant"], t["monthly"]["change"]) for t in doc["tenants"]] == [
        ("contoso", "2.50"), ("quiet", "2.50")]
    assert doc["unchanged"] == {"tenants": 1, "monthly": "29.20"}  # fabrikam, priced
    assert doc["terms"] == [{"file": "catalog.yaml", "subject": "SUPPORT", "field": "price",
                             "before": "25.00", "after": "27.50"}]
    # Every tenant priced: 171.00 + 29.20 + 25.00 = 225.20 -> 230.20; +5.00 = 2.22% -> 2.2%
    assert doc["totals"] == {"scope": "all", "before": "225.20", "after": "230.20",
                             "change": "5.00", "percent": "2.2"}


def _catalog(support: str) -> str:
    return ("products:\n"
            "  M365-BP: {name: Microsoft 365 Business Premium, price: 36.50}\n"
            "  EXO-P1: {name: Exchange Online Plan 1, price: 6.40}\n"
            f"  SUPPORT: {{name: Managed support seat, price: {support}}}\n")


def test_rules_exclusions_dated_prices_and_on_behalf_resellers(repo: SpecRepo,
                                                               cli: Cli) -> None:
    catalog = {"products": {
        "M365-BP": {"name": "Business Premium", "price": Decimal("36.50"),
                    "price_changes": [{"from": dt.date(2026, 7, 1),
                                       "price": Decimal("38.00")}]}}}
    start(repo, {}, catalog=catalog, billing={"rules": [{"name": "admins",
                                                          "users": ["admin*@*"]}]},
          resellers={"resellers": {"helper": {"name": "Helper", "mode": "on-behalf",
                                              "discount": 15}}})
    repo.commit_specs({"catalog.yaml": (repo.root / "specs/catalog.yaml").read_text()
                       .replace("36.50", "36.5")}, "same price, written differently")
    repo.commit_specs({
        "tenants/a.yaml": tenant("A", {"admin": user("admin@a.example", skus=["M365-BP"]),
                                       "al": user("al@a.example", skus=["M365-BP"])},
                                 reseller="helper"),
        "tenants/demo.yaml": tenant("Demo", {"d": user("d@demo.example", skus=["M365-BP"])},
                                    billing={"exclude": True}),
    }, "two tenants", date="2026-06-30T12:00:00Z")
    doc = json.loads(cli("diff", "HEAD~1", "--format", "json").out)
    a, demo = doc["tenants"]
    # On-behalf reseller: the tenant pays list. The admin seat matches the rule: not
    # billable. Priced on HEAD's day, 2026-06-30: 1 x 36.50.
    assert a["charges"]["after"]["skus"] == [{"sku": "M365-BP", "seats": 1,
                                              "not_billable": 1, "unit_price": "36.50",
                                              "amount": "36.50"}]
    assert a["charges"]["after"]["reseller_price"] is False
    assert demo["charges"]["after"]["amount"] == "0.00"
    assert demo["charges"]["after"]["not_billable"] == "tenant excluded"
    # The dated price change applies from 2026-07-01: 1 x 38.00.
    later = json.loads(cli("diff", "HEAD~1", "--on", "2026-07-01", "--format", "json").out)
    assert later["pricing_day"] == "2026-07-01"
    assert later["tenants"][0]["monthly"]["after"] == "38.00"


def test_a_pull_request_touching_2000_users_stays_under_the_comment_limit(
        repo: SpecRepo, cli: Cli) -> None:
    # 80 tenants x 25 users = 2,000 users holding M365-BP; the PR adds EXO-P1 to each.
    def tenants(skus: list[str]) -> dict[str, Any]:
        return {f"tenants/t{n:03d}.yaml": tenant(f"Tenant {n} | <b>", {
            f"u{i:02d}": user(f"u{i:02d}@t{n:03d}.example", f"User {i}", skus=skus)
            for i in range(25)}) for n in range(80)}
    repo.write({".gitignore": ".tenantry/\n"})
    repo.commit_specs({"catalog.yaml": CATALOG, **tenants(["M365-BP"])}, "2,000 users",
                      date="2026-03-01T09:00:00Z")
    squash(repo, 40, tenants(["M365-BP", "EXO-P1"]), "Exchange for everyone",
           date="2026-03-02T09:00:00Z")
    result = cli("diff", "HEAD~1", "HEAD", "--format", "markdown")
    assert result.code == 2
    comment = result.out
    assert len(comment) < 65_000
    # Each tenant: 25 x 36.50 = 912.50 -> 25 x 42.90 = 1,072.50 (+160.00); 80 tenants:
    # 73,000.00 -> 85,800.00, +12,800.00 = +17.5%.
    assert comment.startswith("## tenantry diff: +12,800.00 USD per month (+17.5%)\n")
    assert "| **Total, tenants with changes** | | | **73,000.00** | **85,800.00** | " \
           "**+12,800.00 (+17.5%)** |" in comment
    # 50 rows, then the other 30 tenants summed in one row: 30 x 912.50 = 27,375.00 ->
    # 30 x 1,072.50 = 32,175.00.
    assert "| 30 more tenants with changes | | | 27,375.00 | 32,175.00 | " \
           "+4,800.00 |" in comment
    assert "&lt;b&gt;" in comment and "<b>" not in comment
    assert "\\|" in comment  # a | in a tenant name cannot split a table cell
    folded = comment.count("<details>")
    assert folded == comment.count("</details>") and 0 < folded < 80
    assert f"_Details of {80 - folded} tenants left out to keep this comment under " \
           "65,000 characters" in comment
    # The JSON has every user.
    doc = json.loads(cli("diff", "HEAD~1", "HEAD", "--format", "json").out)
    assert sum(len(t["users"]) for t in doc["tenants"]) == 2000


def test_one_big_tenant_folds_its_long_change_list(repo: SpecRepo, cli: Cli) -> None:
    users = {f"u{i:04d}": user(f"u{i:04d}@big.example", skus=["M365-BP"]) for i in range(2000)}
    start(repo, {"big": tenant("Big", users)})
    renamed = {uid: {**u, "display_name": f"Renamed {uid}"} for uid, u in users.items()}
    repo.commit_specs({"tenants/big.yaml": tenant("Big", renamed)}, "rename everyone")
    comment = cli("diff", "HEAD~1", "--format", "markdown").out
    assert len(comment) < 65_000
    assert "| `big` Big | 2000 renamed | — | 73,000.00 | 73,000.00 | +0.00 |" in comment
    assert "  … and 1850 more changes" in comment  # 150 lines shown of 2,000


def test_a_one_tenant_change_reads_only_that_tenants_two_versions(repo: SpecRepo,
                                                                  cli: Cli) -> None:
    # 999 tenant files that are not even YAML: if diff read any of them, it would fail.
    broken = {f"specs/tenants/t{n:03d}.yaml": "name: [unclosed\n" for n in range(999)}
    repo.write({".gitignore": ".tenantry/\n", **broken})
    repo.commit_specs({"catalog.yaml": CATALOG, "tenants/one.yaml": tenant(
        "One", {"a": user("a@one.example", skus=["M365-BP"])})}, "1,000 tenants")
    repo.commit_specs({"tenants/one.yaml": tenant(
        "One", {"a": user("a@one.example", skus=["M365-BP", "SUPPORT"])})}, "one more seat")
    doc = json.loads(cli("diff", "HEAD~1", "--format", "json").out)
    assert [t["tenant"] for t in doc["tenants"]] == ["one"]
    assert doc["unchanged"]["tenants"] == 999
    # Pricing the whole book has to read them all, and says which it could not price.
    everything = cli("diff", "HEAD~1", "--all-tenants", "--format", "json")
    assert len(json.loads(everything.out)["warnings"]) == 999


def test_bad_revisions_and_invalid_files_exit_1(merged: SpecRepo, cli: Cli) -> None:
    unknown = cli("diff", "no-such-branch")
    assert unknown.code == 1 and "unknown revision 'no-such-branch'" in unknown.err
    bad_format = cli("diff", "HEAD~1", "--format", "html")
    assert bad_format.code == 1 and "--format 'html'" in bad_format.err
    merged.commit_specs({"tenants/quiet.yaml": "name: Quiet\nusers:\n  qi: {upn: nope}\n"},
                        "typo")
    invalid = cli("diff", "HEAD~1")
    assert invalid.code == 1
    assert "HEAD:specs/tenants/quiet.yaml:3:" in invalid.err and "Traceback" not in invalid.err


def test_uncommitted_specs_are_named_not_compared(merged: SpecRepo, cli: Cli) -> None:
    merged.write_specs({"tenants/quiet.yaml": tenant("Quiet Co", {})})
    result = cli("diff", "HEAD")
    assert result.code == 0
    assert "uncommitted changes; diff compares commits" in result.err
