"""Resellers (SPEC §6.3): aggregate tiers, on-behalf, invoices and statements.
Billing time zone UTC, calendar months: April has 30 days.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import openpyxl

from billhelp import bill, customers, day, invoices, line, quantity, setup, statements
from conftest import Cli, SpecRepo, tenant, user

RESELLERS: dict[str, Any] = {
    "acme": {"name": "Acme IT Partners", "mode": "aggregate", "discount": 20},
    "acme-north": {"name": "Acme North", "mode": "aggregate", "discount": 10,
                   "parent": "acme"},
    "helper": {"name": "Helper Ltd", "mode": "on-behalf", "discount": 15},
    # An on-behalf reseller under an aggregate one breaks the aggregate chain.
    "acme-south": {"name": "Acme South", "mode": "on-behalf", "discount": Decimal("12.5"),
                   "parent": "acme"},
    "idle": {"name": "Idle Partners", "mode": "aggregate", "discount": 30},
}


def test_resellers_invoices_and_statements(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, resellers=RESELLERS, tenants={
        "direct": tenant("Direct", {"al": user("al@direct.example", skus=["M365-BP"])},
                         reseller="acme"),
        "north": tenant("North", {"bo": user("bo@north.example", skus=["M365-BP"])},
                        reseller="acme-north"),
        "solo": tenant("Solo", {"cy": user("cy@solo.example", skus=["M365-BP"])},
                       reseller="helper"),
        "south": tenant("South", {"eve": user("eve@south.example", skus=["SUPPORT"])},
                        reseller="acme-south"),
        "plain": tenant("Plain", {"dee": user("dee@plain.example", skus=["SUPPORT"])}),
    })
    # cy's seat ends on 04-10 18:00: 10 days of 30.
    repo.commit_specs({"tenants/solo.yaml": tenant("Solo", {"cy": user("cy@solo.example")},
                                                   reseller="helper")},
                      "cy out", date="2026-04-10T18:00:00+00:00")

    doc = bill(cli, "--period", "2026-04")
    # direct (aggregate acme, 20%): at acme's price 36.50 × 0.80 = 29.20, billed to acme
    al = line(doc, "direct", "al", "M365-BP")
    assert (al["amount"], al["bill_to"]) == ("29.20", "acme")
    # north (acme-north, aggregate under aggregate acme): billed to the top-most, acme, at
    # acme's discount: 36.50 × 0.80 = 29.20 (not acme-north's 36.50 × 0.90 = 32.85)
    bo = line(doc, "north", "bo", "M365-BP")
    assert (bo["amount"], bo["bill_to"]) == ("29.20", "acme")
    # solo (on-behalf helper): billed to itself at list: 36.50 × 10/30 = 12.1666… → 12.17
    cy = line(doc, "solo", "cy", "M365-BP")
    assert (cy["amount"], cy["bill_to"]) == ("12.17", "solo")
    # south (on-behalf acme-south, under aggregate acme): to itself at list: 25.00
    assert (line(doc, "south", "eve", "SUPPORT")["amount"],
            line(doc, "south", "eve", "SUPPORT")["bill_to"]) == ("25.00", "south")
    # plain (no reseller): itself at list: 25.00
    assert line(doc, "plain", "dee", "SUPPORT")["bill_to"] == "plain"

    assert customers(doc) == {
        "direct": ("Direct", "acme", "29.20"), "north": ("North", "acme", "29.20"),
        "plain": ("Plain", "plain", "25.00"), "solo": ("Solo", "solo", "12.17"),
        "south": ("South", "south", "25.00")}
    # acme: 29.20 + 29.20 = 58.40, one reseller invoice for both tenants
    assert invoices(doc) == {"acme": ("reseller", "58.40"), "plain": ("customer", "25.00"),
                             "solo": ("customer", "12.17"), "south": ("customer", "25.00")}
    # 58.40 + 25.00 + 12.17 + 25.00 = 120.57
    assert doc["total"] == "120.57"

    assert statements(doc) == {
        # acme owes, at its own 20%, for the tenants billed through it: direct 29.20 +
        # north 29.20 = 58.40, its invoice. south is beneath it too, but under on-behalf
        # acme-south: south pays for itself, and acme owes nothing for it.
        "acme": ("aggregate", "58.40"),
        # acme-north owes at its own 10%: 36.50 × 0.90 = 32.85
        "acme-north": ("aggregate", "32.85"),
        # acme-south earns 12.5%: 25.00 × 0.125 = 3.125 → 3.13 (half up)
        "acme-south": ("on-behalf", "3.13"),
        # helper earns 15% of list: 36.50 × 10/30 × 0.15 = 1.825 exactly → 1.83 (half up)
        "helper": ("on-behalf", "1.83"),
        # every reseller gets a statement, also one with nothing beneath it
        "idle": ("aggregate", "0.00"),
    }
    assert statement_line_sums(cli, repo, "--period", "2026-04") == {
        rid: amount for rid, (_, amount) in statements(doc).items()}


def statement_line_sums(cli: Cli, repo: SpecRepo, *args: str) -> dict[str, str]:
    """Per reseller, the sum of the lines its statement lists (the xlsx "Statement lines"
    sheet): the statement's total is worked out per class of seat and the lines one by one,
    so the two must agree to the cent."""
    out = repo.root / "statements.xlsx"
    result = cli("bill", *args, "--format", "xlsx", "--output", str(out))
    assert result.code == 0, result.err
    sheet = openpyxl.load_workbook(out, read_only=True)["Statement lines"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Reseller", "Tenant", "User", "SKU", "List amount", "Rate %", "Amount")
    sums = {rid: Decimal(0) for rid in RESELLERS}
    for rid, *_, amount in rows[1:]:
        sums[rid] += Decimal(str(amount))
    return {rid: f"{total:.2f}" for rid, total in sums.items()}


def test_statements_in_peak_mode(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, billing={"proration": "peak"}, resellers=RESELLERS, tenants={
        "north": tenant("North", {"bo": user("bo@north.example", skus=["SUPPORT"]),
                                  "cy": user("cy@north.example", skus=["SUPPORT"])},
                        reseller="acme-north"),
        "solo": tenant("Solo", {"al": user("al@solo.example", skus=["EXO-P1"])},
                       reseller="helper")})
    doc = bill(cli, "--period", "2026-04")
    # 2 seats × 25.00 × 0.80 (acme's price) = 40.00, invoiced to acme
    assert quantity(doc, "north", "SUPPORT") == {"tenant": "north", "sku": "SUPPORT",
                                                 "quantity": "2", "amount": "40.00"}
    # 1 × 6.40 at list
    assert invoices(doc) == {"acme": ("reseller", "40.00"), "solo": ("customer", "6.40")}
    assert statements(doc) == {
        "acme": ("aggregate", "40.00"),  # 50.00 × 0.80
        "acme-north": ("aggregate", "45.00"),  # 50.00 × 0.90
        "acme-south": ("on-behalf", "0.00"),
        "helper": ("on-behalf", "0.96"),  # 6.40 × 0.15 = 0.96
        "idle": ("aggregate", "0.00"),
    }
    # Peak's statement lines are per tenant and SKU: 2 × 25.00 × 0.90 = 45.00 in one line.
    assert statement_line_sums(cli, repo, "--period", "2026-04") == {
        rid: amount for rid, (_, amount) in statements(doc).items()}


def test_reseller_terms_come_from_rev(repo: SpecRepo, cli: Cli) -> None:
    setup(repo, resellers={"acme": {"name": "Acme", "mode": "aggregate", "discount": 20}},
          tenants={"t": tenant("T", {"al": user("al@t.example", skus=["M365-BP"])},
                               reseller="acme")})
    old = repo.head()
    # Later the reseller's discount goes up and the mode changes: REV's terms bill April.
    repo.commit_specs({"resellers.yaml": {"resellers": {
        "acme": {"name": "Acme", "mode": "on-behalf", "discount": 25}}}},
        "new terms", date="2026-06-01T12:00:00Z")
    doc = bill(cli, "--period", "2026-04")
    # on-behalf: the tenant pays list 36.50; acme earns 36.50 × 0.25 = 9.125 → 9.13
    assert invoices(doc) == {"t": ("customer", "36.50")}
    assert statements(doc) == {"acme": ("on-behalf", "9.13")}
    before = bill(cli, "--period", "2026-04", "--rev", old)
    # aggregate 20%: 36.50 × 0.80 = 29.20 to acme
    assert invoices(before) == {"acme": ("reseller", "29.20")}


def test_tenant_and_reseller_with_the_same_id(repo: SpecRepo, cli: Cli) -> None:
    # Tenant ids and reseller ids are separate names: tenant "acme" pays for itself and
    # reseller "acme" pays for "client"; two invoices, not one merged one.
    setup(repo, resellers={"acme": {"name": "Acme Reseller", "mode": "aggregate",
                                    "discount": 20}},
          tenants={"acme": tenant("Acme Tenant", {"al": user("al@acme.example",
                                                               skus=["SUPPORT"])}),
                   "client": tenant("Client", {"bo": user("bo@client.example",
                                                          skus=["SUPPORT"])},
                                    reseller="acme", billing={"start": day("2026-01-01")})})
    doc = bill(cli, "--period", "2026-04")
    # tenant acme: 25.00 at list; client via reseller acme: 25.00 × 0.80 = 20.00
    assert sorted((i["bill_to"], i["kind"], i["amount"]) for i in doc["invoices"]) == [
        ("acme", "customer", "25.00"), ("acme", "reseller", "20.00")]
    assert doc["total"] == "45.00"


def test_reseller_missing_at_rev(repo: SpecRepo, cli: Cli) -> None:
    # The tenant still names reseller "gone", which resellers.yaml no longer has.
    setup(repo, resellers={"acme": {"name": "Acme", "mode": "aggregate", "discount": 20}},
          tenants={"t": tenant("T", {"al": user("al@t.example", skus=["SUPPORT"])},
                               reseller="gone")})
    result = cli("bill", "--period", "2026-04", "--format", "json")
    doc = bill(cli, "--period", "2026-04")
    # Billed to itself at list, 25.00, with a warning.
    assert invoices(doc) == {"t": ("customer", "25.00")}
    assert len(doc["warnings"]) == 1 and "'gone'" in doc["warnings"][0]
    assert result.err.startswith("warning: ") and "'gone'" in result.err
    assert statements(doc) == {"acme": ("aggregate", "0.00")}
