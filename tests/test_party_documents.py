"""Per-party documents (``bill --split DIR``), the Xero import (``--format xero``) and the
lines a reseller statement sums, on one hand-worked month.

November 2026 (30 days, UTC, daily proration), NZD, GST 15 % on top:

* contoso (direct): al M365-BP + SUPPORT and bo M365-BP all month; cy EXO-P1 from
  11 November (20 days).
* fabrikam, under acme (aggregate, 20 % discount, so 80 % of list): di M365-BP all month,
  ed SUPPORT from 21 November (10 days).
* northwind, under tasman (on-behalf, earns 10 %): gus M365-BP, hana EXO-P1 all month.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import Cli, SpecRepo, tenant, user

EARLY = "2026-01-01T12:00:00Z"

CATALOG = {"products": {
    "M365-BP": {"name": "Microsoft 365 Business Premium", "price": Decimal("36.50"),
                "account_code": 4100},
    "SUPPORT": {"name": "Managed support seat", "price": Decimal("25.00"),
                "account_code": "4200"},
    "EXO-P1": {"name": "Exchange Online Plan 1", "price": Decimal("6.40")},
}}
ISSUER = {"name": "Harbour MSP Ltd", "address": ["12 Customs St", "Auckland 1010"],
          "tax_number": "123-456-789", "email": "accounts@harbour.example", "due_days": 20}
BILLING = {"currency": "NZD", "timezone": "UTC", "issuer": ISSUER,
           "tax": {"name": "GST", "rate": 15},
           "xero": {"tax_type": "15% GST on Income", "account_code": "4000"}}
RESELLERS = {"resellers": {
    "acme": {"name": "Acme IT Partners", "mode": "aggregate", "discount": 20},
    "tasman": {"name": "Tasman Digital", "mode": "on-behalf", "discount": 10}}}

# Hand-worked, per invoice: (lines as (description start, quantity, amount, tax), tax, total).
# contoso: EXO-P1 20/30 × 6.40 = 4.2667 -> 4.27 (quantity 20/30 = 0.6667); M365-BP 2 ×
# 36.50 = 73.00; SUPPORT 25.00. Subtotal 102.27. GST per line: 4.27 × 0.15 = 0.6405 -> 0.64,
# 73.00 × 0.15 = 10.95, 25.00 × 0.15 = 3.75: 15.34. Total 117.61.
# acme (fabrikam at 80 %): M365-BP 36.50 × 0.8 = 29.20; SUPPORT 10/30 × 25.00 × 0.8 =
# 6.6667 -> 6.67. Subtotal 35.87. GST: 4.38 + 1.0005 -> 1.00 = 5.38. Total 41.25.
# northwind (at list): M365-BP 36.50, EXO-P1 6.40: 42.90. GST: 5.475 -> 5.48 (half up;
# half-even gives 5.48 too) + 0.96 = 6.44. Total 49.34.
EXPECTED = {
    "INV-2026-11-contoso": ("102.27", "15.34", "117.61"),
    "INV-2026-11-reseller-acme": ("35.87", "5.38", "41.25"),
    "INV-2026-11-northwind": ("42.90", "6.44", "49.34"),
}


@pytest.fixture
def month(repo: SpecRepo) -> SpecRepo:
    repo.write({".gitignore": ".tenantry/\n"})
    contoso = tenant("Contoso Ltd", {
        "al": user("al@contoso.example", "Al Ames", skus=["M365-BP", "SUPPORT"]),
        "bo": user("bo@contoso.example", "Bo Bell", skus=["M365-BP"])})
    fabrikam = tenant("Fabrikam Inc", {"di": user("di@fabrikam.example", "Di Dunn",
                                                  skus=["M365-BP"])}, reseller="acme")
    northwind = tenant("Northwind Traders", {
        "gus": user("gus@northwind.example", "Gus Hale", skus=["M365-BP"]),
        "hana": user("hana@northwind.example", "Hana Sato", skus=["EXO-P1"])},
        reseller="tasman")
    repo.commit_specs({"catalog.yaml": CATALOG, "billing.yaml": BILLING,
                       "resellers.yaml": RESELLERS, "tenants/contoso.yaml": contoso,
                       "tenants/fabrikam.yaml": fabrikam, "tenants/northwind.yaml": northwind},
                      "three customers", date=EARLY)
    contoso["users"]["cy"] = user("cy@contoso.example", "Cy Cole", skus=["EXO-P1"])
    repo.commit_specs({"tenants/contoso.yaml": contoso}, "cy starts",
                      date="2026-11-11T09:00:00Z")
    fabrikam["users"]["ed"] = user("ed@fabrikam.example", "Ed Eng", skus=["SUPPORT"])
    repo.commit_specs({"tenants/fabrikam.yaml": fabrikam}, "ed starts",
                      date="2026-11-21T09:00:00Z")
    return repo


def xero_rows(cli: Cli, *args: str) -> list[dict[str, str]]:
    result = cli("bill", *args, "--format", "xero")
    assert result.code == 0, result.err
    return list(csv.DictReader(io.StringIO(result.out, newline="")))


def recompute_as_xero(rows: list[dict[str, str]], rounding: str,
                      rate: Decimal | None = None) -> dict[str, tuple[Decimal, Decimal]]:
    """What Xero shows after importing: per invoice, the subtotal and the tax.

    Xero works in cents: each line amount is Quantity × UnitAmount rounded to 2 places,
    its tax is TaxAmount when the file gives one, else the line amount × the tax rate
    rounded to 2 places; the invoice sums its lines. (Xero's rounding mode is passed in:
    the file must not depend on it.)
    """
    cent = Decimal("0.01")
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for row in rows:
        amount = (Decimal(row["*Quantity"]) * Decimal(row["*UnitAmount"])).quantize(
            cent, rounding=rounding)
        if row["TaxAmount"]:
            tax = Decimal(row["TaxAmount"])
        else:
            tax = (amount * (rate or 0) / 100).quantize(cent, rounding=rounding)
        subtotal, tax_total = totals.get(row["*InvoiceNumber"], (Decimal(0), Decimal(0)))
        totals[row["*InvoiceNumber"]] = (subtotal + amount, tax_total + tax)
    return totals


def test_xero_import_reproduces_every_invoice_to_the_cent(month: SpecRepo, cli: Cli) -> None:
    rows = xero_rows(cli, "--period", "2026-11")
    report = json.loads(cli("bill", "--period", "2026-11", "--format", "json").out)
    tenantry = {i["bill_to"]: i["amount"] for i in report["invoices"]}
    assert tenantry == {"contoso": "102.27", "acme": "35.87", "northwind": "42.90"}
    for rounding in (ROUND_HALF_UP, ROUND_HALF_EVEN):
        xero = recompute_as_xero(rows, rounding)
        assert {ref: (str(sub), str(tax), str(sub + tax)) for ref, (sub, tax) in xero.items()} \
            == EXPECTED
    for row in rows:
        # Nothing is left for Xero to round: quantity × unit amount is exact in cents.
        product = Decimal(row["*Quantity"]) * Decimal(row["*UnitAmount"])
        assert product == product.quantize(Decimal("0.01")), row
        assert re.fullmatch(r"[0-9]+(\.[0-9]{1,4})?", row["*Quantity"])
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", row["*UnitAmount"])
        # The tax Xero would work out itself is the one in the file.
        line = product.quantize(Decimal("0.01"))
        assert Decimal(row["TaxAmount"]) == (line * Decimal("0.15")).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_xero_rows_carry_contacts_dates_accounts_and_tax_type(month: SpecRepo,
                                                              cli: Cli) -> None:
    rows = xero_rows(cli, "--period", "2026-11")
    assert list(rows[0])[:4] == ["*ContactName", "EmailAddress", "POAddressLine1",
                                 "POAddressLine2"]
    by_ref = {}
    for row in rows:
        by_ref.setdefault(row["*InvoiceNumber"], []).append(row)
    assert sorted(by_ref) == sorted(EXPECTED)
    contoso = by_ref["INV-2026-11-contoso"]
    assert {r["*ContactName"] for r in contoso} == {"Contoso Ltd"}
    assert {r["*InvoiceDate"] for r in rows} == {"30/11/2026"}  # the period's last day
    assert {r["*DueDate"] for r in rows} == {"20/12/2026"}  # + due_days 20
    assert {r["*TaxType"] for r in rows} == {"15% GST on Income"}
    assert {r["Currency"] for r in rows} == {"NZD"}
    # Account codes: per product from the catalog, else xero.account_code.
    accounts = {r["*Description"].split()[0]: r["*AccountCode"] for r in contoso}
    assert accounts == {"EXO-P1": "4000", "M365-BP": "4100", "SUPPORT": "4200"}
    # Whole seats keep their quantity and seat price; a part of a month is 1 × the amount,
    # with the quantity in the description.
    units = {r["*Description"].split()[0]: (r["*Quantity"], r["*UnitAmount"])
             for r in contoso}
    assert units == {"EXO-P1": ("1", "4.27"), "M365-BP": ("2", "36.50"),
                     "SUPPORT": ("1", "25.00")}
    exo = next(r for r in contoso if r["*Description"].startswith("EXO-P1"))
    assert exo["*Description"] == ("EXO-P1 Exchange Online Plan 1, 0.6667 seats "
                                   "(20 seat-days / 30 days), 2026-11-01..2026-11-30")
    acme = by_ref["INV-2026-11-reseller-acme"]
    assert {r["*ContactName"] for r in acme} == {"Acme IT Partners"}
    assert all(r["*Description"].startswith("Fabrikam Inc: ") for r in acme)


@pytest.mark.parametrize("proration", ["daily", "snapshot", "peak"])
def test_xero_totals_equal_tenantry_invoices_in_every_proration(
        month: SpecRepo, cli: Cli, proration: str) -> None:
    month.commit_specs({"billing.yaml": {**BILLING, "proration": proration}},
                       f"{proration} proration", date="2026-11-21T10:00:00Z")
    report = json.loads(cli("bill", "--period", "2026-11", "--format", "json").out)
    xero = recompute_as_xero(xero_rows(cli, "--period", "2026-11"), ROUND_HALF_EVEN)
    refs = {("INV-2026-11-" + ("reseller-" if i["kind"] == "reseller" else "")
             + i["bill_to"]): i["amount"] for i in report["invoices"]}
    assert {ref: str(sub) for ref, (sub, _) in xero.items()} == refs


def test_xero_without_tax_leaves_the_tax_to_the_account(month: SpecRepo, cli: Cli) -> None:
    month.commit_specs({"billing.yaml": {"currency": "NZD", "timezone": "UTC"}}, "no tax",
                       date="2026-11-21T10:00:00Z")
    rows = xero_rows(cli, "--period", "2026-11")
    assert {r["TaxAmount"] for r in rows} == {""} and {r["*TaxType"] for r in rows} == {""}
    assert {r["*AccountCode"] for r in rows} >= {"200", "4100"}  # Xero's usual sales code


# --- bill --split ---------------------------------------------------------------------

class Page(HTMLParser):
    """The visible text of a page, whitespace collapsed, plus its table rows."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._skip = 0
        self.feed(html)
        self.text = " ".join("".join(self.parts).split())

    BLOCKS = {"p", "div", "dt", "dd", "tr", "td", "th", "h1", "h2", "li", "section", "br"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append(" ")
        if tag in ("style", "title", "script"):
            self._skip += 1
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append(" ")
        if tag in ("style", "title", "script"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)
            if self._cell is not None:
                self._cell.append(data)


def split(cli: Cli, root: Path, *args: str) -> dict[str, Page]:
    result = cli("bill", *args, "--split", "docs", "--format", "json")
    assert result.code == 0, result.err
    return {p.name: Page(p.read_text(encoding="utf-8")) for p in sorted((root / "docs").iterdir())}


def test_split_writes_one_page_per_invoice_and_statement(month: SpecRepo, cli: Cli) -> None:
    pages = split(cli, month.root, "--period", "2026-11")
    assert sorted(pages) == ["INV-2026-11-contoso.html", "INV-2026-11-northwind.html",
                             "INV-2026-11-reseller-acme.html", "STM-2026-11-acme.html",
                             "STM-2026-11-tasman.html"]
    contoso = pages["INV-2026-11-contoso.html"]
    for text in ("Harbour MSP Ltd", "12 Customs St", "Auckland 1010", "GST number: 123-456-789",
                 "accounts@harbour.example", "Invoice", "Reference INV-2026-11-contoso",
                 "Date 2026-11-30", "Due 2026-12-20", "Bill to Contoso Ltd (contoso)"):
        assert text in contoso.text, text
    assert ["Subtotal", "102.27"] in contoso.rows
    assert ["GST 15%", "15.34"] in contoso.rows
    assert ["Total NZD", "117.61"] in contoso.rows
    # Only the lines contoso pays: its three SKUs, and its four seat lines.
    assert [r for r in contoso.rows if r[0] in ("EXO-P1", "M365-BP", "SUPPORT")] == [
        ["EXO-P1", "Exchange Online Plan 1", "0.6667", "4.27"],
        ["M365-BP", "Microsoft 365 Business Premium", "2.0000", "73.00"],
        ["SUPPORT", "Managed support seat", "1.0000", "25.00"]]
    assert "fabrikam" not in contoso.text.lower() and "northwind" not in contoso.text.lower()
    seats = [r for r in contoso.rows if r and r[0].endswith("@contoso.example")]
    assert [r[0] for r in seats] == ["al@contoso.example", "al@contoso.example",
                                     "bo@contoso.example", "cy@contoso.example"]
    acme = pages["INV-2026-11-reseller-acme.html"]
    assert ["Total NZD", "41.25"] in acme.rows and "Fabrikam Inc" in acme.text
    assert "80% of list (your discount is 20%)" in acme.text


def test_statements_show_the_lines_they_sum(month: SpecRepo, cli: Cli) -> None:
    pages = split(cli, month.root, "--period", "2026-11")
    tasman = pages["STM-2026-11-tasman.html"]
    lines = [r for r in tasman.rows if r and r[0] == "northwind"]
    # 10 % of each seat's exact list amount, rounded once: 36.50 -> 3.65, 6.40 -> 0.64.
    assert lines == [["northwind", "gus", "M365-BP", "36.50", "10%", "3.65"],
                     ["northwind", "hana", "EXO-P1", "6.40", "10%", "0.64"]]
    assert ["Earned NZD", "4.29"] in tasman.rows and "GST" not in " ".join(
        " ".join(r) for r in tasman.rows)
    acme = pages["STM-2026-11-acme.html"]
    # ed's SUPPORT: exact list 10/30 × 25.00 = 8.3333 (shown 8.33); 80 % = 6.6667 -> 6.67.
    assert [r for r in acme.rows if r and r[0] == "fabrikam"] == [
        ["fabrikam", "di", "M365-BP", "36.50", "80%", "29.20"],
        ["fabrikam", "ed", "SUPPORT", "8.33", "80%", "6.67"]]
    assert ["Owed NZD", "35.87"] in acme.rows
    # The same lines in the main HTML report, markdown and xlsx (see test_bill_reports).
    html = cli("bill", "--period", "2026-11", "--format", "html").out
    assert "3.65" in html and "Statement lines" in html
    markdown = cli("bill", "--period", "2026-11", "--format", "markdown").out
    assert "| `northwind` | `gus` | `M365-BP` | 36.50 | 10% | 3.65 |" in markdown


def test_references_are_stable_per_party_and_span(month: SpecRepo, cli: Cli) -> None:
    first = {name: page.text for name, page in split(cli, month.root, "--period",
                                                     "2026-11").items()}
    assert first == {name: page.text for name, page in split(
        cli, month.root, "--period", "2026-11").items()}
    other = split(cli, month.root, "--from", "2026-11-01", "--to", "2026-11-15")
    assert "INV-20261101-20261115-contoso.html" in other


def test_a_tenant_and_a_reseller_with_one_id_get_two_references(repo: SpecRepo,
                                                                cli: Cli) -> None:
    repo.commit_specs({"catalog.yaml": CATALOG, "resellers.yaml": {"resellers": {
        "acme": {"name": "Acme Partners", "mode": "aggregate", "discount": 10}}},
        "tenants/acme.yaml": tenant("Acme Ltd", {"a": user("a@acme.example",
                                                           skus=["SUPPORT"])}),
        "tenants/beta.yaml": tenant("Beta", {"b": user("b@beta.example", skus=["SUPPORT"])},
                                    reseller="acme")}, "two", date=EARLY)
    pages = split(cli, repo.root, "--period", "2026-11")
    assert {"INV-2026-11-acme.html", "INV-2026-11-reseller-acme.html"} <= set(pages)
    # Without issuer or tax in billing.yaml: no issuer block and no tax line.
    page = pages["INV-2026-11-acme.html"]
    assert ["Total USD", "25.00"] in page.rows
    assert not any(r[0].startswith("Tax") for r in page.rows if r)


def test_split_into_a_missing_parent_is_refused_before_any_work(month: SpecRepo,
                                                                cli: Cli) -> None:
    result = cli("bill", "--period", "2026-11", "--split", "nowhere/docs")
    assert result.code == 1 and result.err.startswith("error: --split 'nowhere/docs'")
    assert not (month.root / "nowhere").exists()
    assert not (month.root / ".tenantry").exists()  # no history was read
