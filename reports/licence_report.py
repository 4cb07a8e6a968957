"""The licence report as a terminal table or CSV (the JSON is the model's own)."""

from __future__ import annotations

import csv
import io

from reconciler.planning.licences import LicenceReport

from .safe_text import neutralise

COLUMNS = ("tenant", "directory", "sku", "vendor_sku", "purchased", "in_use", "free",
           "specified", "not_specified")
HEADINGS = ("tenant", "directory", "SKU", "vendor SKU", "purchased", "in use", "free",
            "specified", "not specified")


def table(report: LicenceReport) -> str:
    if not report.rows:
        return "No licences: no tenant is in a directory that sells seats (graph).\n"
    cells = [HEADINGS] + [tuple("-" if v is None else str(v)
                                for v in (getattr(r, c) for c in COLUMNS)) for r in report.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.rjust(w) if i >= 4 else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
             for row in cells]
    total = sum(r.not_specified for r in report.rows)
    lines.append("")
    lines.append(f"{total} seat(s) purchased but in no spec (not specified).")
    return "\n".join(lines) + "\n"


def to_csv(report: LicenceReport) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow([neutralise(v) if isinstance(v, str) else ("" if v is None else v)
                         for v in (getattr(row, c) for c in COLUMNS)])
    return buffer.getvalue()
