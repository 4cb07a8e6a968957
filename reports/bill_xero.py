"""The bill as a Xero sales-invoice import (``Sales > Invoices > Import``, a CSV file).

One row per invoice line, in the column order of Xero's import template; rows with the same
``*InvoiceNumber`` make one invoice. Each line is one tenant and SKU of the invoice (see
``reconciler.billing.invoicing``): ``*Quantity × *UnitAmount`` is exactly the line's amount
(whole seats at the seat price when that divides exactly, otherwise 1 × the amount, with the
quantity in the description), so Xero's own rounding of quantity × unit amount has nothing
to round and each imported invoice equals tenantry's to the cent. Amounts are tax
exclusive: choose "Tax exclusive" when importing. With a ``tax:`` in billing.yaml,
``TaxAmount`` carries the tax worked out per line as Xero does; ``*TaxType`` is
``xero.tax_type`` (the rate's name in Xero), ``*AccountCode`` the product's
``account_code`` or ``xero.account_code``. Dates follow ``xero.date_format``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from reconciler.billing.invoicing import DocumentLine, PartyDocument, invoices
from reconciler.billing.report import BillReport

from .bill_common import money, short
from .safe_text import neutralise

COLUMNS = ("*ContactName", "EmailAddress", "POAddressLine1", "POAddressLine2",
           "POAddressLine3", "POAddressLine4", "POCity", "PORegion", "POPostalCode",
           "POCountry", "*InvoiceNumber", "Reference", "*InvoiceDate", "*DueDate",
           "InventoryItemCode", "*Description", "*Quantity", "*UnitAmount", "Discount",
           "*AccountCode", "*TaxType", "TaxAmount", "TrackingName1", "TrackingOption1",
           "TrackingName2", "TrackingOption2", "Currency", "BrandingTheme")
DATE_FORMATS = {"DD/MM/YYYY": "%d/%m/%Y", "MM/DD/YYYY": "%m/%d/%Y"}


def render(report: BillReport) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for document in invoices(report):
        for line in document.lines:
            writer.writerow(_row(report, document, line))
    return buffer.getvalue()


def _row(report: BillReport, document: PartyDocument, line: DocumentLine) -> list[str]:
    info, places = report.invoicing, report.minor_units
    when = DATE_FORMATS[info.xero_date_format]
    row = dict.fromkeys(COLUMNS, "")
    row.update({
        "*ContactName": neutralise(document.name),
        "*InvoiceNumber": document.reference,
        "Reference": f"tenantry {report.span.period or _days(report)} "
                     f"{short(report.revision)}",
        "*InvoiceDate": document.issued.strftime(when),
        "*DueDate": (document.due or document.issued).strftime(when),
        "*Description": neutralise(description(report, document, line)),
        "*Quantity": str(line.unit_quantity),
        "*UnitAmount": money(line.unit_amount, places, grouped=False),
        "*AccountCode": line.account_code,
        "*TaxType": neutralise(info.xero_tax_type or ""),
        "TaxAmount": money(line.tax, places, grouped=False) if info.tax_rate is not None
        else "",
        "Currency": report.currency,
    })
    return [row[column] for column in COLUMNS]


def description(report: BillReport, document: PartyDocument, line: DocumentLine) -> str:
    """``Fabrikam Inc: M365-BP Microsoft 365 Business Premium, 2.5161 seats (78 seat-days /
    31 days), 2026-10-26..2026-11-25``; the tenant is named on a reseller's invoice."""
    who = f"{line.tenant_name}: " if document.party_kind == "reseller" else ""
    what = f"{line.sku} {line.product}".strip()
    if report.proration == "daily":
        seats = (f"{line.quantity} seats ({line.seat_days} seat-days / {report.span.days} "
                 "days)")
    else:
        count = int(line.quantity)
        seats = f"{count} seat{'' if count == 1 else 's'} ({report.proration})"
    return f"{who}{what}, {seats}, {_days(report)}"


def _days(report: BillReport) -> str:
    span: tuple[dt.date, dt.date] = (report.span.start, report.span.end)
    return f"{span[0].isoformat()}..{span[1].isoformat()}"
