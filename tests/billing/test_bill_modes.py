"""Snapshot and peak proration, quantities, and currencies' minor units (SPEC §6.3, §6.5).
Billing time zone UTC, calendar months: May has 31 days, April 30.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from billhelp import bill, day, invoices, line, quantity, setup
from conftest import CATALOG, Cli, SpecRepo, tenant, user


def test_snapshot_charges_seats_held_at_the_end(repo: SpecRepo, cli: Cli) -> None:
    catalog: dict[str, Any] = {"products": {**CATALOG["products"], "SUPPORT": {
        **CATALOG["products"]["SUPPORT"],
        "price_changes": [{"from": day("2026-05-31"), "price": Decimal("30.00")}]}}}

    def acme(**users: dict[str, Any]) -> dict[str, Any]:
        return {"tenants/acme.yaml": tenant("Acme", users)}

    al = user("al@acme.example", skus=["M365-BP"])
    setup(repo, billing={"proration": "snapshot"}, catalog=catalog, tenants={"acme": tenant(
        "Acme", {"al": al, "bo": user("bo@acme.example", skus=["M365-BP"]),
                 "dee": user("dee@acme.example", skus=["SUPPORT"])})})
    dee = user("dee@acme.example", skus=["SUPPORT"])
    repo.commit_specs(acme(al=al, dee=dee), "bo out", date="2026-05-20T12:00:00+00:00")
    repo.commit_specs(acme(al=al, cy=user("cy@acme.example", skus=["M365-BP"]), dee=dee),
                      "cy in", date="2026-05-31T10:00:00+00:00")
    # dee's seat ends at the first instant of June: it was held to the end of 05-31.
    repo.commit_specs(acme(al=al, cy=user("cy@acme.example", skus=["M365-BP"])),
                      "dee out", date="2026-06-01T00:00:00+00:00")

    doc = bill(cli, "--period", "2026-05")
    assert doc["proration"] == "snapshot"
    # Held at the end of 05-31: charged price(05-31), whatever the days.
    assert (line(doc, "acme", "al", "M365-BP")["amount"], line(doc, "acme", "cy", "M365-BP")
            ["amount"]) == ("36.50", "36.50")
    assert line(doc, "acme", "cy", "M365-BP")["days"] == 1
    bo = line(doc, "acme", "bo", "M365-BP")
    # Dropped on 05-20: counted 20 days, charged nothing.
    assert (bo["days"], bo["amount"], bo["billable"]) == (20, "0.00", False)
    assert bo["reasons"] == ["not held at the end of 2026-05-31"]
    # price(e) is the price on 05-31: 30.00, not 25.00
    x = line(doc, "acme", "dee", "SUPPORT")
    assert (x["days"], x["amount"], x["billable"]) == (31, "30.00", True)
    # Whole seats: M365-BP 2 × 36.50 = 73.00; SUPPORT 1 × 30.00
    assert quantity(doc, "acme", "M365-BP") == {"tenant": "acme", "sku": "M365-BP",
                                                "quantity": "2", "amount": "73.00"}
    assert quantity(doc, "acme", "SUPPORT")["quantity"] == "1"
    assert doc["total"] == "103.00"  # 73.00 + 30.00

    # June: dee gone at 06-01 00:00 counts no June day; al and cy held: 2 × 36.50 = 73.00
    jun = bill(cli, "--period", "2026-06")
    assert [x["user"] for x in jun["lines"]] == ["al", "cy"]
    assert jun["total"] == "73.00"


def test_peak_counts_simultaneous_seats(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, billing={"proration": "peak"}, tenants={
        "swap": tenant("Swap", {"a": user("a@swap.example", skus=["M365-BP"]),
                                "b": user("b@swap.example")}),
        "overlap": tenant("Overlap", {"c": user("c@overlap.example", skus=["SUPPORT"]),
                                      "d": user("d@overlap.example")}),
        "serial": tenant("Serial", {"e": user("e@serial.example", skus=["EXO-P1"]),
                                    "f": user("f@serial.example")}),
        # Live from 05-20: g and h overlapped before that, which does not count.
        "golive": tenant("GoLive", {"g": user("g@golive.example", skus=["SUPPORT"]),
                                    "h": user("h@golive.example", skus=["SUPPORT"])},
                         billing={"start": day("2026-05-20")}),
        "demo": tenant("Demo", {"i": user("i@demo.example", skus=["SUPPORT"])},
                       billing={"exclude": True}),
    })
    # One commit moves the seat from a to b: a swap at one instant.
    repo.commit_specs({"tenants/swap.yaml": tenant("Swap", {
        "a": user("a@swap.example"), "b": user("b@swap.example", skus=["M365-BP"])})},
        "swap", date="2026-05-10T09:00:00+00:00")
    repo.commit_specs({"tenants/golive.yaml": tenant("GoLive", {
        "g": user("g@golive.example", skus=["SUPPORT"]), "h": user("h@golive.example")},
        billing={"start": day("2026-05-20")})}, "h out", date="2026-05-10T12:00:00+00:00")
    # d gets a seat at 09:00, c loses hers at 10:00: an hour of genuine overlap.
    repo.commit_specs({"tenants/overlap.yaml": tenant("Overlap", {
        "c": user("c@overlap.example", skus=["SUPPORT"]),
        "d": user("d@overlap.example", skus=["SUPPORT"])})},
        "d in", date="2026-05-12T09:00:00+00:00")
    repo.commit_specs({"tenants/overlap.yaml": tenant("Overlap", {
        "c": user("c@overlap.example"), "d": user("d@overlap.example", skus=["SUPPORT"])})},
        "c out", date="2026-05-12T10:00:00+00:00")
    # e loses the seat at 09:00, f gets one at 10:00 the same day: never two at once.
    repo.commit_specs({"tenants/serial.yaml": tenant("Serial", {
        "e": user("e@serial.example"), "f": user("f@serial.example")})},
        "e out", date="2026-05-15T09:00:00+00:00")
    repo.commit_specs({"tenants/serial.yaml": tenant("Serial", {
        "e": user("e@serial.example"), "f": user("f@serial.example", skus=["EXO-P1"])})},
        "f in", date="2026-05-15T10:00:00+00:00")

    doc = bill(cli, "--period", "2026-05")
    assert doc["proration"] == "peak"
    assert all(x["amount"] is None for x in doc["lines"])  # charges are per tenant and SKU
    # Both swap seats count on 05-10, yet never at the same moment: 1 × 36.50
    assert (line(doc, "swap", "a", "M365-BP")["days"],
            line(doc, "swap", "b", "M365-BP")["days"]) == (10, 22)
    assert quantity(doc, "swap", "M365-BP") == {"tenant": "swap", "sku": "M365-BP",
                                                "quantity": "1", "amount": "36.50"}
    # 2 × 25.00 = 50.00
    assert quantity(doc, "overlap", "SUPPORT") == {"tenant": "overlap", "sku": "SUPPORT",
                                                   "quantity": "2", "amount": "50.00"}
    # 1 × 6.40
    assert quantity(doc, "serial", "EXO-P1")["quantity"] == "1"
    # Only g is held from go-live on: 1 × 25.00
    assert quantity(doc, "golive", "SUPPORT") == {"tenant": "golive", "sku": "SUPPORT",
                                                  "quantity": "1", "amount": "25.00"}
    assert line(doc, "golive", "h", "SUPPORT")["billable"] is False
    assert quantity(doc, "demo", "SUPPORT") == {"tenant": "demo", "sku": "SUPPORT",
                                                "quantity": "0", "amount": "0.00"}
    # 36.50 + 50.00 + 6.40 + 25.00 = 117.90; demo gets no invoice.
    assert invoices(doc) == {"golive": ("customer", "25.00"), "overlap": ("customer", "50.00"),
                             "serial": ("customer", "6.40"), "swap": ("customer", "36.50")}
    assert doc["total"] == "117.90"

    # A span of one day after the overlap: only d held: 1 × 25.00 (a whole seat, not
    # prorated).
    later = bill(cli, "--from", "2026-05-13", "--to", "2026-05-13")
    assert quantity(later, "overlap", "SUPPORT")["quantity"] == "1"
    assert quantity(later, "overlap", "SUPPORT")["amount"] == "25.00"


def test_quantities_in_daily_mode(repo: SpecRepo, cli: Cli) -> None:
    rules = [{"name": "eve half", "users": ["eve@*"], "start": day("2026-04-16")}]
    setup(repo, billing={"rules": rules}, tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP"]), "bo": user("bo@acme.example"),
        "cy": user("cy@acme.example"), "dee": user("dee@acme.example"),
        "eve": user("eve@acme.example", skus=["M365-BP"])})})

    def state(**skus: list[str]) -> dict[str, Any]:
        users = {u: user(f"{u}@acme.example", skus=skus.get(u, ()))
                 for u in ("al", "bo", "cy", "dee", "eve")}
        return {"tenants/acme.yaml": tenant("Acme", users)}

    both = {"al": ["M365-BP"], "eve": ["M365-BP"]}
    repo.commit_specs(state(**both, bo=["M365-BP"]), "bo in", date="2026-04-06T09:00:00Z")
    repo.commit_specs(state(**both, bo=["M365-BP"], cy=["EXO-P1"]), "cy in",
                      date="2026-04-10T09:00:00Z")
    repo.commit_specs(state(**both, bo=["M365-BP"]), "cy out", date="2026-04-10T17:00:00Z")
    repo.commit_specs(state(**both, bo=["M365-BP"], dee=["SUPPORT"]), "dee in",
                      date="2026-04-11T09:00:00Z")
    repo.commit_specs(state(**both, dee=["SUPPORT"]), "bo out", date="2026-04-17T15:00:00Z")

    doc = bill(cli, "--period", "2026-04")
    # M365-BP billable seat-days: al 30 + bo 12 (04-06 .. 04-17) + eve 15 (rule from 04-16)
    # = 57; 57/30 = 1.9000. Amounts: 36.50 + 14.60 + 18.25 (36.50 × 15/30) = 69.35
    assert quantity(doc, "acme", "M365-BP") == {"tenant": "acme", "sku": "M365-BP",
                                                "quantity": "1.9000", "amount": "69.35"}
    # EXO-P1: 1 day: 1/30 = 0.03333… → 0.0333; 6.40 × 1/30 = 0.2133… → 0.21
    assert quantity(doc, "acme", "EXO-P1") == {"tenant": "acme", "sku": "EXO-P1",
                                               "quantity": "0.0333", "amount": "0.21"}
    # SUPPORT: 04-11 .. 04-30 = 20 days: 20/30 = 0.66666… → 0.6667 (half up);
    # 25.00 × 20/30 = 16.666… → 16.67
    assert quantity(doc, "acme", "SUPPORT") == {"tenant": "acme", "sku": "SUPPORT",
                                                "quantity": "0.6667", "amount": "16.67"}
    # total = 69.35 + 0.21 + 16.67 = 86.23
    assert doc["total"] == "86.23"
    # Over a 10-day span: al 10 + bo 5 (04-06 .. 04-10) + eve 10 = 25 seat-days / 10 = 2.5000
    short = bill(cli, "--from", "2026-04-01", "--to", "2026-04-10")
    assert quantity(short, "acme", "M365-BP")["quantity"] == "2.5000"


@pytest.mark.parametrize("currency, price, whole, third, total", [
    # JPY has no minor unit: 3650 × 10/30 = 1216.66… → 1217; 3650 + 1217 = 4867
    ("JPY", 3650, "3650", "1217", "4867"),
    # KWD has three: 10.500 × 10/30 = 3.5 → 3.500; 10.500 + 3.500 = 14.000
    ("KWD", Decimal("10.500"), "10.500", "3.500", "14.000"),
    # EUR two: 10.00 × 10/30 = 3.333… → 3.33; 13.33
    ("EUR", Decimal("10.00"), "10.00", "3.33", "13.33"),
])
def test_amounts_have_the_currency_minor_digits(repo: SpecRepo, cli: Cli, currency: str,
                                               price: Decimal | int, whole: str, third: str,
                                               total: str) -> None:
    catalog = {"products": {"SEAT": {"name": "Seat", "price": price}}}
    setup(repo, billing={"currency": currency}, catalog=catalog, tenants={"acme": tenant(
        "Acme", {"al": user("al@acme.example", skus=["SEAT"]),
                 "bo": user("bo@acme.example", skus=["SEAT"])})})
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example", skus=["SEAT"]), "bo": user("bo@acme.example")})},
        "bo out", date="2026-04-10T12:00:00Z")
    doc = bill(cli, "--period", "2026-04")  # bill() checks every amount's digits
    assert doc["currency"] == currency
    assert (line(doc, "acme", "al", "SEAT")["amount"], line(doc, "acme", "bo", "SEAT")
            ["amount"]) == (whole, third)
    assert quantity(doc, "acme", "SEAT")["amount"] == total
    assert invoices(doc) == {"acme": ("customer", total)}
    assert doc["total"] == total
    assert customers_amount(doc) == total


def customers_amount(doc: dict[str, Any]) -> str:
    (only,) = doc["customers"]
    return str(only["amount"])
