"""``show`` as CSV: one row per seat (a user with no SKU: one row, empty SKU), RFC 4180 with
CRLF line ends; text a spreadsheet would run is prefixed with ``'`` (``safe_text``)."""

from __future__ import annotations

import csv
import io

from reconciler.changes.showrun import Snapshot

from .safe_text import neutralise
from .show_view import ROW_COLUMNS, rows


def render(snapshot: Snapshot) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow((*ROW_COLUMNS, "commit"))
    for row in rows(snapshot):
        writer.writerow([*(neutralise(v) for v in row), snapshot.commit])
    return buffer.getvalue()
