"""The bill as CSV: one row per seat line, for spreadsheets, PSA imports and Power Query.

RFC 4180: a header row, comma-separated, fields quoted when they need it, every row ends in
CRLF (``\\r\\n``), UTF-8 without a byte-order mark. Amounts are plain decimal strings with
exactly the currency's minor digits (``1234.50``, no grouping); in ``peak`` proration seat
lines carry no amount (empty field: the charges are per tenant and SKU, see the JSON or xlsx
``quantities``). ``billable`` is ``true``/``false``; ``reasons`` are joined with ``; ``.
Text from specs and git that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab, CR or LF) is prefixed with ``'`` (see ``safe_text``).
"""

from __future__ import annotations

import csv
import io

from reconciler.billing.report import BillReport, Line

from .bill_common import money
from .safe_text import neutralise

COLUMNS = ("tenant", "tenant_name", "user", "upn", "display_name", "sku", "product", "days",
           "billable_days", "amount", "currency", "billable", "reasons", "bill_to",
           "changed_by", "commit")
LINE_END = "\r\n"
REASON_SEPARATOR = "; "


def render(report: BillReport) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for line in report.lines:
        writer.writerow(_row(line, report))
    return buffer.getvalue()


def _row(line: Line, report: BillReport) -> list[str]:
    amount = "" if line.amount is None else money(line.amount, report.minor_units,
                                                  grouped=False)
    text = neutralise
    return [text(line.tenant), text(line.tenant_name), text(line.user), text(line.upn),
            text(line.display_name), text(line.sku), text(line.product), str(line.days),
            str(line.billable_days), amount, report.currency,
            "true" if line.billable else "false",
            text(REASON_SEPARATOR.join(line.reasons)), text(line.bill_to),
            text(line.changed_by), line.commit]
