"""Daily proration (SPEC §6.3): partial seats, price changes, go-live, exclusions, rules,
rounding and unknown SKUs. Billing time zone UTC and calendar months unless a test says so.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billhelp import amounts, bill, customers, day, has_line, invoices, line, quantity, setup
from conftest import CATALOG, Cli, SpecRepo, tenant, user


def test_seat_added_and_removed_mid_period(repo: SpecRepo, cli: Cli) -> None:
    # bo holds EXO-P1 (6.40) all of April; al holds M365-BP (36.50) from 04-06 09:00 to
    # 04-17 15:00 UTC.
    setup(repo, tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example"), "bo": user("bo@acme.example", skus=["EXO-P1"])})})
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP"]),
        "bo": user("bo@acme.example", skus=["EXO-P1"])})},
        "al gets M365", date="2026-04-06T09:00:00+00:00")
    removed = repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example"), "bo": user("bo@acme.example", skus=["EXO-P1"])})},
        "al loses M365", date="2026-04-17T15:00:00+00:00", author="Jo Bloggs <jo@example.net>")

    doc = bill(cli, "--period", "2026-04")
    al = line(doc, "acme", "al", "M365-BP")
    # 04-06 .. 04-17 = 12 days of 30: 36.50 × 12/30 = 14.60
    assert (al["days"], al["billable_days"], al["amount"]) == (12, 12, "14.60")
    assert al["billable"] is True and al["reasons"] == []
    # The last commit that changed the seat, and its author.
    assert (al["commit"], al["changed_by"]) == (removed, "Jo Bloggs <jo@example.net>")
    # bo: 6.40 × 30/30 = 6.40
    assert line(doc, "acme", "bo", "EXO-P1")["amount"] == "6.40"
    # invoice: 14.60 + 6.40 = 21.00
    assert invoices(doc) == {"acme": ("customer", "21.00")}
    assert doc["total"] == "21.00"


def test_added_and_removed_on_the_same_day_counts_one_day(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={"acme": tenant("Acme", {"al": user("al@acme.example")})})
    with_seat = tenant("Acme", {"al": user("al@acme.example", skus=["M365-BP"])})
    repo.commit_specs({"tenants/acme.yaml": with_seat}, "add",
                      date="2026-04-10T09:00:00+00:00")
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {"al": user("al@acme.example")})},
                      "remove", date="2026-04-10T17:00:00+00:00")

    al = line(bill(cli, "--period", "2026-04"), "acme", "al", "M365-BP")
    # held 09:00 .. 17:00 on 04-10: 1 day: 36.50 × 1/30 = 1.21666… → 1.22
    assert (al["days"], al["billable_days"], al["amount"]) == (1, 1, "1.22")


def test_price_change_inside_the_period(repo: SpecRepo, cli: Cli) -> None:
    # The seat exists since January. The price change is committed later, after July:
    # terms come from REV, not from history.
    setup(repo, tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP"])})})
    before = repo.head()
    changed: dict[str, Any] = {"products": {**CATALOG["products"], "M365-BP": {
        **CATALOG["products"]["M365-BP"],
        "price_changes": [{"from": day("2026-07-16"), "price": Decimal("38.00")}]}}}
    repo.commit_specs({"catalog.yaml": changed}, "new M365 price",
                      date="2026-08-02T12:00:00+00:00")

    doc = bill(cli, "--period", "2026-07")
    # 07-01 .. 07-15: 15 days at 36.50/31; 07-16 .. 07-31: 16 days at 38.00/31
    # (547.50 + 608.00) / 31 = 1155.50 / 31 = 37.2741… → 37.27
    assert line(doc, "acme", "al", "M365-BP")["amount"] == "37.27"
    # Billed as of the revision before the change: 36.50 all month.
    old = bill(cli, "--period", "2026-07", "--rev", before)
    assert line(old, "acme", "al", "M365-BP")["amount"] == "36.50"
    # August is all at the new price: 38.00
    assert line(bill(cli, "--period", "2026-08"), "acme", "al", "M365-BP")["amount"] == "38.00"


def test_price_change_with_close_day_25(repo: SpecRepo, cli: Cli) -> None:
    # close_day 25: 2026-07 = 06-26 .. 07-25 (30 days); the price changes on 07-01.
    catalog = {"products": {"SUPPORT": {
        "name": "Support", "price": Decimal("25.00"),
        "price_changes": [{"from": day("2026-07-01"), "price": Decimal("28.00")}]}}}
    setup(repo, billing={"close_day": 25}, catalog=catalog,
          tenants={"acme": tenant("Acme", {"al": user("al@acme.example", skus=["SUPPORT"])})})
    # 06-26 .. 06-30: 5 days at 25.00/30; 07-01 .. 07-25: 25 days at 28.00/30
    # (125.00 + 700.00) / 30 = 825.00 / 30 = 27.50
    assert line(bill(cli, "--period", "2026-07"), "acme", "al", "SUPPORT")["amount"] == "27.50"


def test_go_live_and_departure(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={
        # Live 02-10 .. 02-20 only.
        "brief": tenant("Brief Co", {"al": user("al@brief.example", skus=["M365-BP"])},
                        billing={"start": day("2026-02-10"), "end": day("2026-02-20")}),
        # Goes live in February.
        "late": tenant("Late Ltd", {"bo": user("bo@late.example", skus=["SUPPORT"])},
                       billing={"start": day("2026-02-01")}),
    })

    feb = bill(cli, "--period", "2026-02")
    al = line(feb, "brief", "al", "M365-BP")
    # counts all 28 days of February; billable 02-10 .. 02-20 = 11 days:
    # 36.50 × 11/28 = 14.3392… → 14.34
    assert (al["days"], al["billable_days"], al["amount"]) == (28, 11, "14.34")
    assert al["billable"] is True
    assert al["reasons"] == ["before go-live 2026-02-10", "after departure 2026-02-20"]
    # late is live all February: 25.00, no reasons
    bo = line(feb, "late", "bo", "SUPPORT")
    assert (bo["amount"], bo["reasons"]) == ("25.00", [])

    jan = bill(cli, "--period", "2026-01")
    # late is not live yet in January: the line is there, nothing is billable.
    bo = line(jan, "late", "bo", "SUPPORT")
    # held 01-01 12:00 on: counts 31 days, 0 billable: 0.00
    assert (bo["days"], bo["billable_days"], bo["amount"]) == (31, 0, "0.00")
    assert bo["billable"] is False
    assert bo["reasons"] == ["before go-live 2026-02-01"]
    # brief is not live in January either, and gets no invoice; late neither.
    assert line(jan, "brief", "al", "M365-BP")["reasons"] == ["before go-live 2026-02-10"]
    assert jan["invoices"] == [] and jan["total"] == "0.00"
    assert customers(jan) == {"brief": ("Brief Co", "brief", "0.00"),
                              "late": ("Late Ltd", "late", "0.00")}

    # After departure: only the departure reason.
    mar = bill(cli, "--period", "2026-03")
    al = line(mar, "brief", "al", "M365-BP")
    assert (al["billable_days"], al["amount"], al["billable"]) == (0, "0.00", False)
    assert al["reasons"] == ["after departure 2026-02-20"]


def test_excluded_tenant_is_listed_but_never_billed(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, tenants={
        "demo": tenant("Demo Tenant", {"al": user("al@demo.example", skus=["M365-BP", "SUPPORT"])},
                       billing={"exclude": True, "start": day("2026-04-10")}),
        "real": tenant("Real Co", {"bo": user("bo@real.example", skus=["SUPPORT"])}),
    })
    doc = bill(cli, "--period", "2026-04")
    for sku in ("M365-BP", "SUPPORT"):
        x = line(doc, "demo", "al", sku)
        assert (x["days"], x["billable_days"], x["amount"]) == (30, 0, "0.00")
        assert x["billable"] is False
        # Only the reason that took the days: not also "before go-live".
        assert x["reasons"] == ["tenant excluded"]
    assert quantity(doc, "demo", "M365-BP") == {"tenant": "demo", "sku": "M365-BP",
                                                "quantity": "0.0000", "amount": "0.00"}
    # No invoice for the excluded tenant; real pays 25.00 × 30/30 = 25.00
    assert invoices(doc) == {"real": ("customer", "25.00")}
    assert doc["total"] == "25.00"


def test_rule_by_upn_glob_with_a_window(repo: SpecRepo, cli: Cli) -> None:
    rules = [
        # Upper-case glob, mixed-case UPN: UPN globs are case-insensitive. From 04-11 on.
        {"name": "admin accounts", "users": ["ADMIN*@*"], "start": day("2026-04-11")},
        # Only SUPPORT seats, only tenants matching acm*, until 04-05 inclusive.
        {"name": "support trial", "tenants": ["acm*"], "skus": ["SUPP*"],
         "end": day("2026-04-05")},
    ]
    setup(repo, billing={"rules": rules}, tenants={
        "acme": tenant("Acme", {
            "ops": user("Admin.Ops@Acme.example", "Ops", skus=["M365-BP"]),
            "al": user("al@acme.example", skus=["M365-BP", "SUPPORT"])}),
        "beta": tenant("Beta", {"bo": user("bo@beta.example", skus=["SUPPORT"])}),
    })
    doc = bill(cli, "--period", "2026-04")
    ops = line(doc, "acme", "ops", "M365-BP")
    # billable 04-01 .. 04-10 = 10 days: 36.50 × 10/30 = 12.1666… → 12.17
    assert (ops["days"], ops["billable_days"], ops["amount"]) == (30, 10, "12.17")
    assert ops["reasons"] == ["rule 'admin accounts'"] and ops["billable"] is True
    # al's M365 matches no rule: 36.50
    assert line(doc, "acme", "al", "M365-BP") == {**line(doc, "acme", "al", "M365-BP"),
                                                  "amount": "36.50", "reasons": []}
    # al's SUPPORT: 04-06 .. 04-30 = 25 days: 25.00 × 25/30 = 20.8333… → 20.83
    sup = line(doc, "acme", "al", "SUPPORT")
    assert (sup["billable_days"], sup["amount"], sup["reasons"]) == \
        (25, "20.83", ["rule 'support trial'"])
    # beta does not match acm*: 25.00
    assert line(doc, "beta", "bo", "SUPPORT")["amount"] == "25.00"
    # In March the admin rule does not hold yet, the trial rule holds all month.
    mar = bill(cli, "--period", "2026-03")
    assert line(mar, "acme", "ops", "M365-BP")["amount"] == "36.50"
    assert line(mar, "acme", "al", "SUPPORT")["amount"] == "0.00"


def test_rule_follows_the_upn_of_each_day(repo: SpecRepo, cli: Cli) -> None:
    # A temporary admin account is renamed to a normal user on 04-21: the rule matched
    # the seat up to 04-20 and not from 04-21 ("no rule matches it on d").
    setup(repo, billing={"rules": [{"name": "admins", "users": ["admin-*@*"]}]},
          tenants={"acme": tenant("Acme", {
              "sam": user("admin-temp@acme.example", "Temp Admin", skus=["SUPPORT"])})})
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "sam": user("sam@acme.example", "Sam", skus=["SUPPORT"])})},
        "rename", date="2026-04-21T10:00:00+00:00")

    doc = bill(cli, "--period", "2026-04")
    sam = line(doc, "acme", "sam", "SUPPORT")
    # billable 04-21 .. 04-30 = 10 days: 25.00 × 10/30 = 8.3333… → 8.33
    assert (sam["days"], sam["billable_days"], sam["amount"]) == (30, 10, "8.33")
    assert sam["reasons"] == ["rule 'admins'"]
    assert sam["upn"] == "sam@acme.example"
    # The first half alone still shows the admin UPN and is not billable at all ...
    first = line(bill(cli, "--from", "2026-04-01", "--to", "2026-04-15"), "acme", "sam", "SUPPORT")
    assert (first["upn"], first["billable_days"], first["amount"]) == \
        ("admin-temp@acme.example", 0, "0.00")
    # ... and the second half bills the same 10 days: halves add up to the month.
    second = line(bill(cli, "--from", "2026-04-16", "--to", "2026-04-30"), "acme", "sam", "SUPPORT")
    assert second["billable_days"] == 10


def test_rounding_half_up_per_line(repo: SpecRepo, cli: Cli) -> None:
    catalog = {"products": {"TEN": {"name": "Ten", "price": Decimal("10.00")},
                            "QUARTER": {"name": "Quarter", "price": Decimal("0.25")}}}
    users = {"u1": user("u1@acme.example", skus=["TEN"]),
             "u2": user("u2@acme.example", skus=["TEN"]),
             "u3": user("u3@acme.example", skus=["TEN", "QUARTER"])}
    setup(repo, catalog=catalog, tenants={"acme": tenant("Acme", users)})
    # TEN seats end 04-10 18:00; QUARTER ends 04-15 18:00.
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "u1": user("u1@acme.example"), "u2": user("u2@acme.example"),
        "u3": user("u3@acme.example", skus=["QUARTER"])})}, "drop TEN",
        date="2026-04-10T18:00:00+00:00")
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "u1": user("u1@acme.example"), "u2": user("u2@acme.example"),
        "u3": user("u3@acme.example")})}, "drop QUARTER", date="2026-04-15T18:00:00+00:00")

    doc = bill(cli, "--period", "2026-04")
    # TEN, 04-01 .. 04-10 = 10 of 30 days: 10.00 × 10/30 = 3.333… → 3.33 per line
    assert {k: v for k, v in amounts(doc).items() if k[2] == "TEN"} == {
        ("acme", "u1", "TEN"): "3.33", ("acme", "u2", "TEN"): "3.33",
        ("acme", "u3", "TEN"): "3.33"}
    # QUARTER, 15 of 30 days: 0.25 × 15/30 = 0.125 exactly → half up 0.13 (half-even: 0.12)
    assert line(doc, "acme", "u3", "QUARTER")["amount"] == "0.13"
    # Totals are sums of rounded lines: 3 × 3.33 = 9.99 (not 10.00 × 30/30 = 10.00)
    assert quantity(doc, "acme", "TEN")["amount"] == "9.99"
    # 9.99 + 0.13 = 10.12
    assert invoices(doc) == {"acme": ("customer", "10.12")}
    assert doc["total"] == "10.12"


def test_sku_not_in_the_catalog_at_rev(repo: SpecRepo, cli: Cli) -> None:
    legacy: dict[str, Any] = {"products": {**CATALOG["products"],
                                           "LEGACY": {"name": "Legacy", "price": Decimal("10.00")}}}
    first = setup(repo, catalog=legacy, tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example", skus=["LEGACY", "SUPPORT"])})})
    # The product is retired from the catalog after the period; the seat stays in history.
    repo.commit_specs({"catalog.yaml": CATALOG}, "retire LEGACY", date="2026-05-03T12:00:00Z")

    doc = bill(cli, "--period", "2026-04")
    x = line(doc, "acme", "al", "LEGACY")
    assert (x["days"], x["billable_days"], x["amount"]) == (30, 0, "0.00")
    assert (x["billable"], x["reasons"]) == (False, ["not in catalog"])
    assert line(doc, "acme", "al", "SUPPORT")["amount"] == "25.00"
    assert doc["total"] == "25.00"
    # At the revision where the catalog had it: 10.00 × 30/30 = 10.00
    old = bill(cli, "--period", "2026-04", "--rev", first)
    assert line(old, "acme", "al", "LEGACY")["amount"] == "10.00"
    assert old["total"] == "35.00"  # 10.00 + 25.00


def test_seats_before_the_first_commit_do_not_exist(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, date="2026-04-30T12:00:00+00:00", tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example", skus=["SUPPORT"])})})
    assert not has_line(bill(cli, "--period", "2026-03"), "acme", "al", "SUPPORT")
    # 04-30 only: 25.00 × 1/30 = 0.8333… → 0.83
    assert line(bill(cli, "--period", "2026-04"), "acme", "al", "SUPPORT")["amount"] == "0.83"
