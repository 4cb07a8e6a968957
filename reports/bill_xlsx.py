"""The bill as an Excel workbook (bytes), for finance teams.

Sheets: Summary, Invoices (with a total row), Customers, Lines, Statements, Statement
lines (what each statement sums), Quantities. Every sheet prints landscape, fitted to one
page's width, with its header row repeated on each page. Amounts are real
numbers with a currency format at the currency's minor units (``#,##0.00 "NZD"``,
``#,##0 "JPY"``); the span's dates are real dates; each table sheet has a frozen header
row, an autofilter and column widths that fit. Text from specs is stored as text, never as
a formula, and text that a spreadsheet would run is prefixed with ``'`` (``safe_text``).
The same report gives the same bytes: document dates and zip entry times come from the
span's last day, not the clock.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from reconciler.billing.money import fmt
from reconciler.billing.report import BillReport

from .bill_common import SEATS_NOTE, products, quantity_note
from .safe_text import sheet_text

Value = str | int | bool | Decimal | dt.date | None
DATE_FORMAT = "yyyy-mm-dd"
# LibreOffice shows a boolean without a format as 1 and 0; this reads TRUE and FALSE anywhere.
BOOL_FORMAT = '"TRUE";"TRUE";"FALSE"'
MIN_WIDTH, MAX_WIDTH = 8, 60
# Named, so that every spreadsheet shows the header in the body's font (an unnamed bold
# font falls back to the application's default, a serif in LibreOffice).
FONT_NAME = "Calibri"
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True)
TOTAL_FONT = Font(name=FONT_NAME, size=11, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def money_format(currency: str, places: int) -> str:
    decimals = "." + "0" * places if places else ""
    return f'#,##0{decimals} "{currency}"'


def render(report: BillReport) -> bytes:
    p, cur = report.minor_units, report.currency
    money = money_format(cur, p)
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)

    summary: list[list[Value]] = [
        ["Schema", report.schema], ["Revision", report.revision],
        ["Span start", report.span.start], ["Span end", report.span.end],
        ["Days", report.span.days], ["Period", report.span.period or ""],
        ["Currency", cur], ["Proration", report.proration], ["Total", report.total],
        ["Invoices", len(report.invoices)], ["Customers", len(report.customers)],
        ["Seat lines", len(report.lines)],
    ]
    summary += [["Quantity", quantity_note(report)], ["Seats", SEATS_NOTE]]
    summary += [["Warning", w] for w in report.warnings]
    ws = _sheet(wb, "Summary", ("Field", "Value"), summary, {}, autofilter=False)
    for label, value in ws.iter_rows(min_row=2, max_col=2):
        if label.value == "Total":
            value.number_format = money

    invoices = _sheet(wb, "Invoices", ("Bill to", "Name", "Kind", "Amount"),
                      [[i.bill_to, i.name, i.kind, i.amount] for i in report.invoices],
                      {4: money})
    # The total below the filtered range, so sorting or filtering never moves it.
    invoices.append(["Total", None, None, report.total])
    for cell in invoices[invoices.max_row]:
        cell.font = TOTAL_FONT
    invoices.cell(row=invoices.max_row, column=4).number_format = money
    _sheet(wb, "Customers", ("Tenant", "Name", "Bill to", "Amount"),
           [[c.tenant, c.name, c.bill_to, c.amount] for c in report.customers], {4: money})
    lines = _sheet(wb, "Lines",
           ("Tenant", "Tenant name", "User", "UPN", "Display name", "SKU", "Product", "Days",
            "Billable days", "Amount", "Currency", "Billable", "Reasons", "Bill to",
            "Changed by", "Commit"),
           [[x.tenant, x.tenant_name, x.user, x.upn, x.display_name, x.sku, x.product, x.days,
             x.billable_days, x.amount, cur, x.billable, "; ".join(x.reasons), x.bill_to,
             x.changed_by, x.commit] for x in report.lines],
           {8: "0", 9: "0", 10: money})
    for (currency_cell,) in lines.iter_rows(min_row=2, min_col=11, max_col=11):
        # Centred: next to the right-aligned amounts, a left-aligned code reads "NZDNZD".
        currency_cell.alignment = Alignment(horizontal="center")
    _sheet(wb, "Statements", ("Reseller", "Name", "Mode", "Amount"),
           [[s.reseller, s.name, s.mode, s.amount] for s in report.statements], {4: money})
    _sheet(wb, "Statement lines",
           ("Reseller", "Tenant", "User", "SKU", "List amount", "Rate %", "Amount"),
           [[x.reseller, x.tenant, x.user, x.sku, x.list_amount, x.rate, x.amount]
            for x in report.statement_lines], {5: money, 6: "0.####", 7: money})
    names = products(report)
    quantity = "0.0000" if report.proration == "daily" else "0"
    _sheet(wb, "Quantities", ("Tenant", "SKU", "Product", "Quantity", "Amount"),
           [[q.tenant, q.sku, names.get(q.sku, ""), q.quantity, q.amount]
            for q in report.quantities], {4: quantity, 5: money})

    stamp = dt.datetime.combine(max(report.span.end, dt.date(1980, 1, 1)), dt.time())
    wb.properties.creator = wb.properties.lastModifiedBy = "tenantry"
    wb.properties.title = f"tenantry bill {report.span.period or report.span.end}"
    wb.properties.created = wb.properties.modified = stamp
    return _save(wb, stamp)


def _sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Value]],
           formats: dict[int, str], *, autofilter: bool = True) -> Worksheet:
    ws: Worksheet = wb.create_sheet(title)
    widths = [len(h) for h in headers]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = sheet_text(value)
                cell.data_type = "s"  # never a formula or an error code, whatever it says
            else:
                cell.value = value
            if isinstance(value, bool):
                cell.number_format = BOOL_FORMAT
            elif isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
            elif c in formats and value is not None:
                cell.number_format = formats[c]
            widths[c - 1] = max(widths[c - 1], _shown_width(value, formats.get(c)))
            if isinstance(value, str) and "\n" in value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = \
            min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    ws.freeze_panes = "A2"
    if autofilter:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    # Printed: landscape, every column on one page's width, the header row on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    return ws


def _shown_width(value: Value, number_format: str | None) -> int:
    """About how many characters Excel shows for the value."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, dt.date):
        return len(DATE_FORMAT)
    if isinstance(value, Decimal) and number_format:
        places = len(number_format.split('"')[0].partition(".")[2].strip())
        text = f"{Decimal(fmt(value, places)):,.{places}f}"
        suffix = number_format.partition('"')[2].rstrip('"')
        # + 2: room between a right-aligned amount and the next column's text.
        return len(text) + (len(suffix) + 1 if suffix else 0) + 2
    text = str(value)
    return max((len(part) for part in text.split("\n")), default=0) + 1


def _save(wb: Workbook, stamp: dt.datetime) -> bytes:
    """Save without openpyxl's "modified = now", then fix every zip entry's time."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    fixed = io.BytesIO()
    when = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source, \
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(entry.filename))
    return fixed.getvalue()
