"""Who held what, when (SPEC §6.2): renames, deleted tenants, merges, clock skew and
historical files that do not parse. Billing time zone UTC, calendar months; April has 30 days.
"""

from __future__ import annotations

from billhelp import bill, customers, has_line, invoices, line, setup, statements
from conftest import Cli, SpecRepo, tenant, user


def test_rename_mid_period_is_the_same_seat(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example", "Al Smith", skus=["M365-BP"])})})
    renamed = repo.commit_specs({"tenants/acme.yaml": tenant("Acme Ltd", {
        "al": user("alice@acme.example", "Alice Smith", skus=["M365-BP"])})},
        "rename al and the tenant", date="2026-04-15T12:00:00+00:00")

    doc = bill(cli, "--period", "2026-04")
    assert len(doc["lines"]) == 1  # same user id: one seat, one line
    al = line(doc, "acme", "al", "M365-BP")
    # Names at the span's end; the seat never stopped: 36.50 × 30/30 = 36.50
    assert (al["upn"], al["display_name"], al["tenant_name"]) == \
        ("alice@acme.example", "Alice Smith", "Acme Ltd")
    assert (al["days"], al["amount"]) == (30, "36.50")
    # A rename does not add or remove the seat: the last change is still the first commit.
    assert al["commit"] != renamed
    assert customers(doc) == {"acme": ("Acme Ltd", "acme", "36.50")}

    # A span that ends before the rename shows the names of then.
    early = bill(cli, "--from", "2026-04-01", "--to", "2026-04-10")
    al = line(early, "acme", "al", "M365-BP")
    assert (al["upn"], al["display_name"], al["tenant_name"]) == \
        ("al@acme.example", "Al Smith", "Acme")
    # 36.50 × 10/30 = 12.1666… → 12.17
    assert al["amount"] == "12.17"


def test_user_id_change_is_a_new_seat(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example", skus=["SUPPORT"])})})
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "alice": user("al@acme.example", skus=["SUPPORT"])})},
        "new id", date="2026-04-11T12:00:00+00:00")
    doc = bill(cli, "--period", "2026-04")
    # Both count 04-11 (the day of the swap): al 04-01 .. 04-11 = 11 days,
    # alice 04-11 .. 04-30 = 20 days.
    assert line(doc, "acme", "al", "SUPPORT")["amount"] == "9.17"  # 25 × 11/30 = 9.1666…
    assert line(doc, "acme", "alice", "SUPPORT")["amount"] == "16.67"  # 25 × 20/30 = 16.666…


def test_deleted_tenant_file(repo: SpecRepo, cli: Cli) -> None:
    resellers = {"acme": {"name": "Acme IT", "mode": "aggregate", "discount": 20}}
    setup(repo, resellers=resellers, date="2026-03-01T12:00:00+00:00", tenants={
        "gone": tenant("Gone Co", {"al": user("al@gone.example", skus=["M365-BP"])})})
    # The last version of the file moves the tenant under the aggregate reseller acme ...
    repo.commit_specs({"tenants/gone.yaml": tenant("Gone Co", {
        "al": user("al@gone.example", skus=["M365-BP"])}, reseller="acme")},
        "gone joins acme", date="2026-04-05T12:00:00+00:00")
    # ... and then the file is deleted.
    repo.commit_specs({"tenants/gone.yaml": None}, "gone leaves",
                      date="2026-04-16T08:00:00+00:00")

    doc = bill(cli, "--period", "2026-04")
    al = line(doc, "gone", "al", "M365-BP")
    # The seat ends with the file: 04-01 .. 04-16 = 16 days.
    # Terms from the file's last version: billed to acme at 20% off:
    # 36.50 × 16/30 × 0.80 = 15.5733… → 15.57
    assert (al["days"], al["billable_days"], al["amount"]) == (16, 16, "15.57")
    assert (al["bill_to"], al["tenant_name"]) == ("acme", "Gone Co")
    assert invoices(doc) == {"acme": ("reseller", "15.57")}
    assert statements(doc) == {"acme": ("aggregate", "15.57")}
    # Those terms hold for March too, when the file did not name a reseller yet:
    # 36.50 × (1 - 0.20) = 29.20, from 03-01 12:00 = all 31 days.
    mar = bill(cli, "--period", "2026-03")
    assert line(mar, "gone", "al", "M365-BP")["amount"] == "29.20"
    assert not has_line(bill(cli, "--period", "2026-05"), "gone", "al", "M365-BP")


def test_merge_commits_bill_only_the_merge(repo: SpecRepo, cli: Cli) -> None:
    base = {"ann": user("ann@acme.example", skus=["SUPPORT"])}
    setup(repo, tenants={"acme": tenant("Acme", base),
                         "beta": tenant("Beta", {"eve": user("eve@beta.example")})})
    repo.branch("feature")
    # Intermediate states on the branch: bo gets SUPPORT, then loses it again; cy and dee
    # get seats. None of these dates bill: only the merge's effect counts.
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        **base, "bo": user("bo@acme.example", skus=["SUPPORT"])})},
        "bo joins", date="2026-04-03T12:00:00+00:00")
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        **base, "bo": user("bo@acme.example"), "cy": user("cy@acme.example", skus=["EXO-P1"])})},
        "bo out, cy in", date="2026-04-05T12:00:00+00:00")
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        **base, "bo": user("bo@acme.example"), "cy": user("cy@acme.example", skus=["EXO-P1"]),
        "dee": user("dee@acme.example", skus=["M365-BP"])})},
        "dee in", date="2026-04-08T12:00:00+00:00")
    repo.checkout("main")
    repo.commit_specs({"tenants/beta.yaml": tenant("Beta", {
        "eve": user("eve@beta.example", skus=["SUPPORT"])})},
        "eve on main", date="2026-04-10T12:00:00+00:00")
    merge = repo.merge("feature", "Merge pull request #7 from org/feature",
                       date="2026-04-20T12:00:00+00:00")

    doc = bill(cli, "--period", "2026-04")
    assert not has_line(doc, "acme", "bo", "SUPPORT")  # only on the branch: never billed
    cy = line(doc, "acme", "cy", "EXO-P1")
    # from the merge, 04-20 .. 04-30 = 11 days: 6.40 × 11/30 = 2.3466… → 2.35
    assert (cy["days"], cy["amount"], cy["commit"]) == (11, "2.35", merge)
    # 36.50 × 11/30 = 13.3833… → 13.38
    dee = line(doc, "acme", "dee", "M365-BP")
    assert (dee["days"], dee["amount"], dee["commit"]) == (11, "13.38", merge)
    # main's own commit: 04-10 .. 04-30 = 21 days: 25.00 × 21/30 = 17.50
    assert line(doc, "beta", "eve", "SUPPORT")["amount"] == "17.50"
    # ann was never touched: 25.00
    assert line(doc, "acme", "ann", "SUPPORT")["amount"] == "25.00"
    # 25.00 + 2.35 + 13.38 = 40.73 for acme, 17.50 for beta
    assert invoices(doc) == {"acme": ("customer", "40.73"), "beta": ("customer", "17.50")}

    # Billing the feature branch itself does see its own history.
    branch = bill(cli, "--period", "2026-04", "--rev", "feature")
    # bo on the branch: 04-03 .. 04-05 = 3 days: 25.00 × 3/30 = 2.50
    assert line(branch, "acme", "bo", "SUPPORT")["amount"] == "2.50"


def test_out_of_order_committer_dates_are_clamped(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, date="2026-03-01T12:00:00+00:00", tenants={"acme": tenant("Acme", {})})
    first = repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP"])})},
        "al", date="2026-04-10T12:00:00+00:00")
    # Committed after `first`, but its committer date says 04-05 (a rebase, clock skew):
    # it takes effect at `first`'s time, 04-10 12:00.
    skewed = repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP"]),
        "bo": user("bo@acme.example", skus=["SUPPORT"])})},
        "bo", date="2026-04-05T09:00:00+00:00")
    last = repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example"), "bo": user("bo@acme.example", skus=["SUPPORT"])})},
        "al out", date="2026-04-20T12:00:00+00:00")

    # A commit that touches no spec still moves the clock: cy's commit, dated 04-22, takes
    # effect at 04-25 12:00, the README commit's time.
    repo.commit({"README.md": "specs for Acme\n"}, "docs", date="2026-04-25T12:00:00Z")
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example"), "bo": user("bo@acme.example", skus=["SUPPORT"]),
        "cy": user("cy@acme.example", skus=["EXO-P1"])})},
        "cy", date="2026-04-22T12:00:00+00:00")

    doc = bill(cli, "--period", "2026-04")
    # cy 04-25 .. 04-30 = 6 days: 6.40 × 6/30 = 1.28 (from 04-22 it would be 9 days: 1.92)
    assert line(doc, "acme", "cy", "EXO-P1")["amount"] == "1.28"
    bo = line(doc, "acme", "bo", "SUPPORT")
    # bo from 04-10 (clamped), not 04-05: 04-10 .. 04-30 = 21 days: 25.00 × 21/30 = 17.50
    # (unclamped it would be 26 days: 21.67)
    assert (bo["days"], bo["amount"], bo["commit"]) == (21, "17.50", skewed)
    # al 04-10 .. 04-20 = 11 days: 36.50 × 11/30 = 13.3833… → 13.38
    assert line(doc, "acme", "al", "M365-BP")["amount"] == "13.38"
    # skewed..last starts the day after the *effective* day of `skewed` (04-10), not 04-05:
    part = bill(cli, f"{skewed}..{last}")
    assert (part["span"]["start"], part["span"]["end"], part["span"]["days"]) == \
        ("2026-04-11", "2026-04-20", 10)
    assert line(part, "acme", "bo", "SUPPORT")["days"] == 10
    # first..skewed: both have the effective day 04-10: an empty span, nothing billed.
    empty = bill(cli, f"{first}..{skewed}")
    assert (empty["span"]["days"], empty["lines"], empty["total"]) == (0, [], "0.00")


def test_broken_historical_file_keeps_the_previous_state(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP"])})})
    # A version that does not validate (unknown key) and would have dropped al's seat
    # and added cy's.
    broken = repo.commit_specs({"tenants/acme.yaml": (
        "name: Acme\ncolour: red\nusers:\n"
        "  cy:\n    upn: cy@acme.example\n    display_name: Cy\n    skus: [SUPPORT]\n")},
        "oops", date="2026-04-10T12:00:00+00:00")
    # A version that is not even YAML.
    garbled = repo.commit_specs({"tenants/acme.yaml": "name: [Acme\nusers: {\n"},
                                "worse", date="2026-04-12T12:00:00+00:00")
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP"]),
        "bo": user("bo@acme.example", skus=["SUPPORT"])})},
        "fixed, bo added", date="2026-04-20T12:00:00+00:00")

    result = cli("bill", "--period", "2026-04", "--format", "json")
    assert result.code == 0
    doc = bill(cli, "--period", "2026-04")
    # al kept the seat through both bad versions: 36.50 × 30/30 = 36.50
    assert line(doc, "acme", "al", "M365-BP")["amount"] == "36.50"
    assert not has_line(doc, "acme", "cy", "SUPPORT")
    # bo from 04-20: 11 days: 25.00 × 11/30 = 9.1666… → 9.17
    assert line(doc, "acme", "bo", "SUPPORT")["amount"] == "9.17"
    assert len(doc["warnings"]) == 2
    for sha, warning in zip((broken, garbled), doc["warnings"]):
        assert sha[:12] in warning and "tenants/acme.yaml" in warning
    assert "colour" in doc["warnings"][0]
    # The warnings also go to stderr, one line each.
    warned = [x for x in result.err.splitlines() if x.startswith("warning: ")]
    assert len(warned) == 2 and broken[:12] in warned[0] and garbled[:12] in warned[1]


def test_tenant_whose_first_version_is_broken(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={"acme": tenant("Acme", {"al": user("al@acme.example", skus=["SUPPORT"])}),
                         "newco": "name: NewCo\nusers: [\n"})
    repo.commit_specs({"tenants/newco.yaml": tenant("NewCo", {
        "bo": user("bo@newco.example", skus=["SUPPORT"])})}, "fixed",
        date="2026-04-21T12:00:00+00:00")
    doc = bill(cli, "--period", "2026-04")
    # Nothing to keep before the fix; from 04-21: 10 days: 25.00 × 10/30 = 8.33
    assert line(doc, "newco", "bo", "SUPPORT")["amount"] == "8.33"
    assert len(doc["warnings"]) == 1 and "tenants/newco.yaml" in doc["warnings"][0]


def test_seat_reverted_by_a_skewed_commit_counts_its_instant(repo: SpecRepo,
                                                               cli: Cli) -> None:
    # x's seat is added at 04-10 12:00 and removed by a commit dated 04-05, which is clamped
    # to 04-10 12:00: the seat existed for an instant of 04-10 and counts that one day
    # (docs/billing.md, "Same-moment commits").
    setup(repo, tenants={"acme": tenant("Acme", {"x": user("x@acme.example")})})
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "x": user("x@acme.example", skus=["SUPPORT"])})}, "x in", date="2026-04-10T12:00:00Z")
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {"x": user("x@acme.example")})},
                      "x out (skewed)", date="2026-04-05T12:00:00Z")
    x = line(bill(cli, "--period", "2026-04"), "acme", "x", "SUPPORT")
    # 1 day: 25.00 × 1/30 = 0.8333… → 0.83
    assert (x["days"], x["amount"]) == (1, "0.83")
    assert not has_line(bill(cli, "--from", "2026-04-11", "--to", "2026-04-30"),
                        "acme", "x", "SUPPORT")


def test_range_from_a_commit_off_the_first_parent_line(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={"acme": tenant("Acme", {"al": user("al@acme.example",
                                                            skus=["SUPPORT"])})})
    repo.branch("feature")
    side = repo.commit({"README.md": "x\n"}, "side", date="2026-04-07T12:00:00Z")
    repo.checkout("main")
    repo.merge("feature", date="2026-04-20T12:00:00Z")
    # A is not on HEAD's first-parent line: its own committer day (04-07) starts the span.
    doc = bill(cli, f"{side}..HEAD")
    assert (doc["span"]["start"], doc["span"]["end"]) == ("2026-04-08", "2026-04-20")
    # 04-08 .. 04-20 = 13 days: 25.00 × 13/30 = 10.8333… → 10.83
    assert line(doc, "acme", "al", "SUPPORT")["amount"] == "10.83"
