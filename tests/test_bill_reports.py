"""The bill renderers: table, CSV, markdown, HTML and xlsx (SPEC §6.5 is the model they read).

Part (a) builds BillReports by hand (daily and peak, 2-, 0- and 3-decimal currencies) and
checks each renderer; part (b) bills a real git repository through the CLI, with hostile
text in the specs, and reads every output back with a real parser.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import replace
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import CATALOG, Cli, SpecRepo, run_tenantry, tenant, user

from reconciler.billing.report import (
    BillReport,
    Customer,
    Invoice,
    Line,
    Quantity,
    SpanInfo,
    Statement,
    StatementLine,
)
from reconciler.errors import UserError
from reports import bill_csv, bill_html, bill_markdown, bill_table, bill_xlsx
from reports.safe_text import neutralise, sheet_text, terminal_text

SHA = "0123456789abcdef0123456789abcdef01234567"
EVIL_NAME = '=HYPERLINK("http://x","y")'
EVIL_UPN = "+evil@beta.example"
SCRIPT = "<script>alert(1)</script>"

# currency -> (minor units, amounts of the seat lines in order: admin, al, bo)
CURRENCIES = {"NZD": (2, ("0.00", "1236.50", "12.50")),
              "JPY": (0, ("0", "3650", "1250")),
              "KWD": (3, ("0.000", "11.250", "4.125"))}


# --- (a) hand-built reports -----------------------------------------------------------

def make_report(currency: str = "NZD", proration: str = "daily",
                warnings: tuple[str, ...] = ("tenant x: something to check",),
                beta_name: str = SCRIPT) -> BillReport:
    places, (admin, al, bo) = CURRENCIES[currency]
    z, a, b = Decimal(admin), Decimal(al), Decimal(bo)
    peak = proration == "peak"
    lines = (
        Line("acme", "Acme Ltd", "admin", "admin@acme.example", "Acme Admin", "M365-BP", 30,
             0, None if peak else z, False, ("rule 'admin accounts'",), "acme",
             "Jo Bloggs <jo@msp.example>", "a" * 40, "Microsoft 365 Business Premium"),
        Line("acme", "Acme Ltd", "al", "al@acme.example", "Al | `Ames`", "M365-BP", 30, 30,
             None if peak else a, True, (), "acme", "Jo Bloggs <jo@msp.example>", "b" * 40,
             "Microsoft 365 Business Premium"),
        Line("beta", beta_name, "bo", EVIL_UPN, EVIL_NAME, "SUPPORT", 15, 15,
             None if peak else b, True, (), "resell", "-Sam <sam@msp.example>", "c" * 40,
             "@Managed support"),
    )
    one = Decimal(1) if peak else Decimal("1.0000")
    half = Decimal(1) if peak else Decimal("0.5000")
    quantities = (Quantity("acme", "M365-BP", one, a), Quantity("beta", "SUPPORT", half, b))
    return BillReport(
        revision=SHA, span=SpanInfo(dt.date(2026, 3, 1), dt.date(2026, 3, 30), 30, "2026-03"),
        currency=currency, minor_units=places, proration=proration, lines=lines,
        customers=(Customer("acme", "Acme Ltd", "acme", a),
                   Customer("beta", beta_name, "resell", b)),
        invoices=(Invoice("acme", "customer", a, "Acme Ltd"),
                  Invoice("resell", "reseller", b, "Resell & Partners")),
        statements=(Statement("resell", "aggregate", b, "Resell & Partners"),),
        quantities=quantities, warnings=warnings, total=a + b)


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+evil@x.example", "'+evil@x.example"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("Alice", "Alice"),
    ("", ""), ("a=b", "a=b"), ("'quoted", "'quoted"),
])
def test_neutralise_prefixes_formula_triggers_only(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_sheet_text_drops_control_characters_a_worksheet_cannot_hold() -> None:
    assert sheet_text("a\x07b\tc\nd") == "a\N{REPLACEMENT CHARACTER}b\tc\nd"
    assert sheet_text("=x\x00") == "'=x\N{REPLACEMENT CHARACTER}"


def test_terminal_text_drops_escape_sequences_but_keeps_tabs_and_newlines() -> None:
    assert terminal_text("Evil\x1b[31m Co\x9b\x7f\t\n") == \
        "Evil\N{REPLACEMENT CHARACTER}[31m Co" + "\N{REPLACEMENT CHARACTER}" * 2 + "\t\n"


# CSV

def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("currency", sorted(CURRENCIES))
def test_csv_has_one_row_per_line_with_plain_amounts(currency: str) -> None:
    report = make_report(currency)
    text = bill_csv.render(report)
    rows = read_csv(text)
    assert list(rows[0]) == list(bill_csv.COLUMNS)
    assert len(rows) == len(report.lines)
    assert [r["amount"] for r in rows] == list(CURRENCIES[currency][1])
    assert {r["currency"] for r in rows} == {currency}
    assert [r["billable"] for r in rows] == ["false", "true", "true"]
    assert rows[0]["reasons"] == "rule 'admin accounts'"
    assert rows[1]["product"] == "Microsoft 365 Business Premium"
    assert rows[1]["display_name"] == "Al | `Ames`"
    assert text.count("\r\n") == len(report.lines) + 1 and "\n" not in text.replace("\r\n", "")


def test_csv_neutralises_formulas_in_text_from_specs() -> None:
    row = read_csv(bill_csv.render(make_report()))[2]
    assert row["upn"] == "'" + EVIL_UPN
    assert row["display_name"] == "'" + EVIL_NAME
    assert row["product"] == "'@Managed support"
    assert row["changed_by"] == "'-Sam <sam@msp.example>"
    assert row["tenant_name"] == SCRIPT  # CSV is not HTML: only formulas are neutralised


def test_csv_peak_lines_have_no_amount() -> None:
    rows = read_csv(bill_csv.render(make_report(proration="peak")))
    assert [r["amount"] for r in rows] == ["", "", ""]


# table

def test_table_shows_header_customers_invoices_statements_total_and_warnings() -> None:
    text = bill_table.render(make_report())
    assert "revision 0123456789ab" in text
    assert "2026-03-01 .. 2026-03-30 (30 days, period 2026-03, days in UTC)" in text
    assert "NZD" in text and "proration daily" in text
    order = [text.index(word) for word in ("Customers", "Invoices", "Reseller statements",
                                           "Total 1,249.00 NZD", "warning: tenant x")]
    assert order == sorted(order)
    assert "1,236.50" in text and "owes" in text
    assert SCRIPT in text  # a terminal is not HTML: shown as written
    assert "1 seat line not billable" in text


def test_table_is_plain_and_the_same_whatever_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    plain = bill_table.render(make_report())
    assert "\x1b" not in plain
    assert all(len(row) <= bill_table.WIDTH for row in plain.splitlines())
    assert all(row == row.rstrip() for row in plain.splitlines())
    for name, value in (("FORCE_COLOR", "1"), ("COLUMNS", "40"), ("TERM", "xterm-256color")):
        monkeypatch.setenv(name, value)
    assert bill_table.render(make_report()) == plain
    assert "\x1b[" in bill_table.render(make_report(), color=True)


def test_table_does_not_read_rich_markup_in_names() -> None:
    text = bill_table.render(make_report(beta_name="[bold]Beta[/bold] [link=http://x]y[/link]"))
    assert "[bold]Beta[/bold] [link=http://x]y[/link]" in text.replace("\n", "")


def test_table_sends_no_terminal_control_sequences_from_specs() -> None:
    report = make_report(beta_name="Evil\x1b]0;pwned\x07 Co", warnings=("bad\x1b[2J",))
    text = bill_table.render(report)
    assert "\x1b" not in text and "\x07" not in text
    assert "Evil\N{REPLACEMENT CHARACTER}]0;pwned\N{REPLACEMENT CHARACTER} Co" in text


@pytest.mark.parametrize("currency, total", [("JPY", "4,900"), ("KWD", "15.375")])
def test_table_uses_the_currency_minor_units(currency: str, total: str) -> None:
    assert f"Total {total} {currency}" in bill_table.render(make_report(currency))


# markdown

CELL_SPLIT = re.compile(r"(?<!\\)\|")


def test_markdown_tables_keep_their_shape_and_escape_spec_text() -> None:
    text = bill_markdown.render(make_report())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script" not in text
    assert r"Al \| \`Ames\`" in text
    assert "Resell &amp; Partners" in text
    table: list[int] = []
    for row in text.splitlines() + [""]:
        if row.startswith("|"):
            table.append(len(CELL_SPLIT.split(row)))
        elif table:
            assert len(set(table)) == 1, table  # every row has as many cells as the header
            table = []


def test_markdown_has_span_invoices_total_lines_not_billable_and_warnings() -> None:
    text = bill_markdown.render(make_report())
    assert "## tenantry bill: period 2026-03" in text
    assert "| **Total** | | | **1,249.00** |" in text
    assert "| `acme` | Acme Ltd | customer | 1,236.50 |" in text
    assert "### Not billable" in text and "rule 'admin accounts'" in text
    assert "### Warnings" in text and "tenant x: something to check" in text
    assert "| `SUPPORT` | @Managed support | 0.5000 | 12.50 |" in text


def test_markdown_peak_lines_show_no_amount_and_charges_by_sku() -> None:
    text = bill_markdown.render(make_report("JPY", "peak"))
    assert "| `al` | al@acme.example | Al \\| \\`Ames\\` | `M365-BP` | 30 | 30 | — |" in text
    assert "| `M365-BP` | Microsoft 365 Business Premium | 1 | 3,650 |" in text


def test_markdown_folds_long_customer_lists() -> None:
    report = make_report()
    many = tuple(replace(report.lines[1], user=f"u{i:03d}") for i in range(30))
    text = bill_markdown.render(replace(report, lines=many))
    assert "<details><summary>30 seat lines</summary>" in text


# HTML

class Page(HTMLParser):
    """Tags, attributes and text of an HTML page, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags
                if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def check_standalone(page: Page) -> None:
    assert not page.all("script") and not page.all("link") and not page.all("img")
    for _, attrs in page.tags:
        for name, value in attrs.items():
            assert not (name in ("src", "href") and value), (name, value)
            assert not name.startswith("on"), name


def test_html_is_standalone_and_escapes_spec_text() -> None:
    html = bill_html.render(make_report())
    page = Page(html)
    check_standalone(page)
    text = "".join(page.text)
    assert SCRIPT in text  # shown as text ...
    assert "&lt;script&gt;" in html  # ... because it was escaped
    assert EVIL_NAME in text and "Resell & Partners" in text
    assert "@media print" in html and "@page" in html
    for heading in ("Invoices", "Reseller statements", "Customers", "Not billable",
                    "Warnings"):
        assert page.all("h2") and heading in text
    assert "rule 'admin accounts'" in text and "1,249.00" in text


def test_html_chart_has_one_bar_per_customer_scaled_to_the_largest() -> None:
    report = make_report()
    page = Page(bill_html.render(report))
    assert len(page.all("svg")) == 1
    bars = page.all("rect", **{"class": "bar"})
    assert len(bars) == len(report.customers)
    widths = [Decimal(str(b["width"])) for b in bars]
    assert widths[0] == bill_html.BAR_WIDTH  # the largest customer fills the bar area
    assert widths[1] == (Decimal("12.50") / Decimal("1236.50") * 360).quantize(Decimal("0.1"))
    for bar in bars:
        assert re.fullmatch(r"\d+(\.\d)?", str(bar["width"]))  # strings, no exponents


def test_html_chart_with_nothing_to_bill_draws_empty_bars() -> None:
    report = make_report()
    zero = replace(report, customers=tuple(replace(c, amount=Decimal("0.00"))
                                           for c in report.customers))
    bars = Page(bill_html.render(zero)).all("rect", **{"class": "bar"})
    assert [b["width"] for b in bars] == ["0", "0"]


def test_html_peak_and_zero_decimal_currency() -> None:
    text = "".join(Page(bill_html.render(make_report("JPY", "peak"))).text)
    assert "3,650" in text and "4,900 JPY" in text and "—" in text


def test_html_template_folder_from_the_environment_comes_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bill.html.j2").write_text(
        '{% extends "tenantry/bill.html.j2" %}'
        "{% block brand %}<h1>Kiwi MSP invoice {{ title }}</h1>{% endblock %}")
    monkeypatch.setenv(bill_html.ENV_VAR, str(tmp_path))
    page = Page(bill_html.render(make_report()))
    assert "Kiwi MSP invoice period 2026-03" in "".join(page.text)
    assert len(page.all("rect", **{"class": "bar"})) == 2  # the rest is the built-in page
    assert SCRIPT in "".join(page.text) and not page.all("script")  # still autoescaped


def test_html_template_problems_are_user_errors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bill_html.ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(UserError, match="TENANTRY_TEMPLATES"):
        bill_html.render(make_report())
    (tmp_path / "bill.html.j2").write_text("{% if %}")
    monkeypatch.setenv(bill_html.ENV_VAR, str(tmp_path))
    with pytest.raises(UserError, match=r"bill\.html\.j2:1"):
        bill_html.render(make_report())
    (tmp_path / "bill.html.j2").write_text("{{ no_such_value }}")
    with pytest.raises(UserError, match="no_such_value"):
        bill_html.render(make_report())


# xlsx

SHEETS = ["Summary", "Invoices", "Customers", "Lines", "Statements", "Statement lines",
          "Quantities"]


def workbook(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def header(ws: Any) -> list[str]:
    return [c.value for c in ws[1]]


def column(ws: Any, name: str) -> list[Any]:
    index = header(ws).index(name)
    return [row[index] for row in ws.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("currency, number_format", [
    ("NZD", '#,##0.00 "NZD"'), ("JPY", '#,##0 "JPY"'), ("KWD", '#,##0.000 "KWD"')])
def test_xlsx_amounts_are_numbers_in_the_currency_format(currency: str,
                                                         number_format: str) -> None:
    report = make_report(currency)
    wb = workbook(bill_xlsx.render(report))
    assert wb.sheetnames == SHEETS
    lines = wb["Lines"]
    amounts = column(lines, "Amount")
    assert all(isinstance(v, (int, float)) for v in amounts)
    assert [Decimal(str(v)) for v in amounts] == [Decimal(a) for a in CURRENCIES[currency][1]]
    cells = [row[header(lines).index("Amount")] for row in lines.iter_rows(min_row=2)]
    assert {c.number_format for c in cells} == {number_format}
    summary = {row[0].value: row[1] for row in wb["Summary"].iter_rows(min_row=2)}
    assert Decimal(str(summary["Total"].value)) == report.total
    assert summary["Total"].number_format == number_format


def test_xlsx_dates_headers_filters_and_widths() -> None:
    wb = workbook(bill_xlsx.render(make_report()))
    summary = {row[0].value: row[1] for row in wb["Summary"].iter_rows(min_row=2)}
    assert summary["Span start"].value == dt.datetime(2026, 3, 1)
    assert summary["Span start"].is_date and summary["Span end"].is_date
    assert summary["Warning"].value == "tenant x: something to check"
    for name in SHEETS:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        if name != "Summary":
            last = ws.max_row - (1 if name == "Invoices" else 0)  # below it: the total row
            assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}" \
                                         f"{last}", name
    lines = wb["Lines"]
    widths = {c: lines.column_dimensions[c].width for c in "ABCDE"}
    assert widths["D"] >= len(EVIL_UPN) + 1  # UPN
    assert widths["B"] >= len(SCRIPT)  # tenant name
    assert column(lines, "Billable") == [False, True, True]


def test_xlsx_invoices_total_header_font_and_page_setup() -> None:
    report = make_report()
    wb = workbook(bill_xlsx.render(report))
    invoices = wb["Invoices"]
    total = [c for c in invoices[invoices.max_row]]
    # acme 1236.50 + resell 12.50 = 1249.00, tenantry's total, in bold below the filter.
    assert total[0].value == "Total" and Decimal(str(total[3].value)) == Decimal("1249.00")
    assert total[3].number_format == '#,##0.00 "NZD"' and total[0].font.b
    for name in SHEETS:
        ws = wb[name]
        assert {(c.font.name, c.font.b) for c in ws[1]} == {("Calibri", True)}, name
        assert ws.page_setup.orientation == "landscape", name
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.print_title_rows == "$1:$1", name
    summary = {row[0].value: row[1].value for row in wb["Summary"].iter_rows(min_row=2)}
    assert summary["Quantity"].startswith("Quantity: billable seat-days ÷ 30 days")
    assert summary["Seats"].startswith("Users: people billed. Seats: user × SKU pairs")


def test_xlsx_statement_lines_are_what_each_statement_sums() -> None:
    report = make_report()
    line = StatementLine("resell", "beta", "bo", "SUPPORT", Decimal("15.63"), Decimal("80"),
                         Decimal("12.50"))
    wb = workbook(bill_xlsx.render(replace(report, statement_detail=lambda: (line,))))
    ws = wb["Statement lines"]
    assert header(ws) == ["Reseller", "Tenant", "User", "SKU", "List amount", "Rate %",
                          "Amount"]
    assert [list(r) for r in ws.iter_rows(min_row=2, values_only=True)] == [
        ["resell", "beta", "bo", "SUPPORT", 15.63, 80, 12.5]]


def test_xlsx_stores_spec_text_as_text_never_as_a_formula() -> None:
    report = make_report(warnings=("=cmd|' /C calc'!A0",))
    report = replace(report, lines=report.lines + (
        replace(report.lines[1], user="zz", display_name="#N/A", upn="x\x07y@acme.example"),))
    wb = workbook(bill_xlsx.render(report))
    lines = wb["Lines"]
    names = [row[header(lines).index("Display name")] for row in lines.iter_rows(min_row=2)]
    assert names[2].value == "'" + EVIL_NAME and names[2].data_type == "s"
    assert names[3].value == "#N/A" and names[3].data_type == "s"
    assert column(lines, "UPN")[2:] == ["'" + EVIL_UPN, "x\N{REPLACEMENT CHARACTER}y@acme.example"]
    assert column(lines, "Product")[2] == "'@Managed support"
    summary = {row[0].value: row[1].value for row in wb["Summary"].iter_rows(min_row=2)}
    assert summary["Warning"] == "'=cmd|' /C calc'!A0"
    with zipfile.ZipFile(io.BytesIO(bill_xlsx.render(report))) as archive:
        sheets = "".join(archive.read(n).decode() for n in archive.namelist()
                         if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets  # no formula anywhere


def test_xlsx_peak_lines_are_empty_and_quantities_are_whole() -> None:
    wb = workbook(bill_xlsx.render(make_report("KWD", "peak")))
    assert column(wb["Lines"], "Amount") == [None, None, None]
    assert column(wb["Quantities"], "Quantity") == [1, 1]
    assert [Decimal(str(v)) for v in column(wb["Quantities"], "Amount")] == \
        [Decimal("11.25"), Decimal("4.125")]


def test_xlsx_is_byte_identical_and_dated_from_the_span() -> None:
    data = bill_xlsx.render(make_report())
    assert bill_xlsx.render(make_report()) == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 3, 30, 0, 0, 0)}
    props = workbook(data).properties
    assert props.created == props.modified == dt.datetime(2026, 3, 30)


# --- (b) the CLI on a real repository -------------------------------------------------

RESELLERS = {"resellers": {"kiwi": {"name": "Kiwi Partners", "mode": "aggregate",
                                    "discount": 20}}}
BILLING = {"currency": "NZD", "timezone": "UTC"}


@pytest.fixture
def hostile(repo: SpecRepo) -> SpecRepo:
    """Two tenants over March 2026; spec text that tries HTML and formula injection."""
    evil = tenant(SCRIPT, {
        "mallory": user(EVIL_UPN, EVIL_NAME, skus=["M365-BP", "SUPPORT"]),
        "ann": user("ann@beta.example", "Ann | `Tick`", skus=["EXO-P1"])})
    good = tenant("Good Co", {"gus": user("gus@good.example", skus=["M365-BP"])},
                  reseller="kiwi")
    repo.commit_specs({"catalog.yaml": CATALOG, "billing.yaml": BILLING,
                       "resellers.yaml": RESELLERS, "tenants/beta.yaml": evil,
                       "tenants/good.yaml": good},
                      "two tenants", date="2026-03-01T09:00:00+00:00")
    good["users"]["gil"] = user("gil@good.example", skus=["SUPPORT"])
    repo.commit_specs({"tenants/good.yaml": good}, "gil starts",
                      date="2026-03-16T09:00:00+00:00")
    return repo


def bill(cli: Cli, *args: str) -> Any:
    result = cli("bill", "--period", "2026-03", *args)
    assert result.code == 0, result.err
    return result


def test_cli_all_formats_agree_with_the_json(hostile: SpecRepo, cli: Cli) -> None:
    doc = json.loads(bill(cli, "--format", "json").out)
    assert doc["total"] == "107.42" and len(doc["lines"]) == 5  # see the repository above
    amounts = [line["amount"] for line in doc["lines"]]

    bill(cli, "--format", "xlsx", "--output", "bill.xlsx")
    wb = workbook((hostile.root / "bill.xlsx").read_bytes())
    assert wb.sheetnames == SHEETS
    assert [bill_xlsx_money(v) for v in column(wb["Lines"], "Amount")] == amounts
    assert [bill_xlsx_money(v) for v in column(wb["Invoices"], "Amount")] == \
        [i["amount"] for i in doc["invoices"]] + [doc["total"]]  # and the total row
    assert [bill_xlsx_money(v) for v in column(wb["Customers"], "Amount")] == \
        [c["amount"] for c in doc["customers"]]
    summary = {row[0].value: row[1] for row in wb["Summary"].iter_rows(min_row=2)}
    assert bill_xlsx_money(summary["Total"].value) == doc["total"]
    assert summary["Revision"].value == doc["revision"] == hostile.head()
    assert summary["Span end"].is_date and summary["Span end"].value == dt.datetime(2026, 3, 31)
    assert wb["Lines"].freeze_panes == "A2" and wb["Lines"].auto_filter.ref == "A1:P6"
    cells = {c.value: c for row in wb["Lines"].iter_rows(min_row=2) for c in row}
    for injected in (EVIL_NAME, EVIL_UPN):
        assert cells["'" + injected].data_type == "s"
    assert cells[SCRIPT].data_type == "s"

    bill(cli, "--format", "csv", "--output", "bill.csv")
    rows = read_csv((hostile.root / "bill.csv").read_text(encoding="utf-8"))
    assert len(rows) == len(doc["lines"])
    assert [r["amount"] for r in rows] == amounts
    mallory = [r for r in rows if r["user"] == "mallory"]
    assert {r["display_name"] for r in mallory} == {"'" + EVIL_NAME}
    assert {r["upn"] for r in mallory} == {"'" + EVIL_UPN}

    bill(cli, "--format", "html", "--output", "bill.html")
    html = (hostile.root / "bill.html").read_text(encoding="utf-8")
    page = Page(html)
    check_standalone(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT in "".join(page.text) and EVIL_NAME in "".join(page.text)
    assert len(page.all("svg")) == 1
    assert len(page.all("rect", **{"class": "bar"})) == len(doc["customers"])

    markdown = bill(cli, "--format", "markdown", "--output", "bill.md")
    text = (hostile.root / "bill.md").read_text(encoding="utf-8")
    assert f"**{doc['total']}**" in text and "&lt;script&gt;" in text and "<script" not in text
    for invoice in doc["invoices"]:
        assert f"| `{invoice['bill_to']}` |" in text and invoice["amount"] in text
    assert markdown.out == ""

    table = bill(cli).out  # the default format
    assert f"Total {doc['total']} NZD" in table and "\x1b" not in table


def bill_xlsx_money(value: Any) -> str | None:
    """A number read back from the workbook, as the JSON writes it (2 decimals)."""
    return None if value is None else f"{Decimal(str(value)):.2f}"


def test_cli_stdout_and_output_file_are_the_same_text(hostile: SpecRepo, cli: Cli) -> None:
    for fmt in ("csv", "markdown", "html", "table"):
        printed = bill(cli, "--format", fmt).out
        bill(cli, "--format", fmt, "--output", f"out.{fmt}")
        assert (hostile.root / f"out.{fmt}").read_bytes() == printed.encode(), fmt


def test_cli_xlsx_needs_an_output_file(hostile: SpecRepo, cli: Cli) -> None:
    result = cli("bill", "--period", "2026-03", "--format", "xlsx")
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("error: ") and "--output" in result.err
    assert "Traceback" not in result.err


def test_cli_output_replaces_a_file_whole_and_leaves_no_temporary_files(
        hostile: SpecRepo, cli: Cli) -> None:
    out = hostile.root / "reports" / "bill.xlsx"
    out.parent.mkdir()
    out.write_bytes(b"x" * 1_000_000)  # bigger than the workbook: no stale tail may remain
    bill(cli, "--format", "xlsx", "--output", "reports/bill.xlsx")
    first = out.read_bytes()
    assert zipfile.is_zipfile(out) and len(first) < 1_000_000
    bill(cli, "--format", "xlsx", "--output", "reports/bill.xlsx")
    assert out.read_bytes() == first  # and the same bytes every run
    assert sorted(p.name for p in out.parent.iterdir()) == ["bill.xlsx"]


def test_cli_table_in_a_subprocess_has_no_colour_codes(hostile: SpecRepo) -> None:
    result = run_tenantry("bill", "--period", "2026-03", cwd=hostile.root)
    assert result.code == 0, result.err
    assert "\x1b" not in result.out and "Total 107.42 NZD" in result.out
