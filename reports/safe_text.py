"""Text from specs, made safe for spreadsheets (CSV and xlsx) and terminals.

Spec text (tenant names, UPNs, display names, product names, rule names, git authors) is
written by many hands. A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab, CR or
LF) is taken as a formula by Excel, LibreOffice and Google Sheets: ``=HYPERLINK(...)`` in a
display name would become a live link in the finance team's workbook. Following the OWASP
advice on CSV injection, such text gets a leading single quote, so it shows as text.
"""

from __future__ import annotations

import re

# What makes a spreadsheet read a cell as a formula (OWASP "CSV Injection"), plus LF.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")

# Control characters XML 1.0 (and so xlsx) cannot hold; tab, LF and CR are allowed.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What a terminal would act on (ESC starts colour, title and hyperlink sequences): C0
# controls but tab and LF, DEL, and the C1 controls.
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"


def neutralise(text: str) -> str:
    """``'=1+1`` for ``=1+1``; any other text unchanged."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def sheet_text(text: str) -> str:
    """Neutralised, without the control characters a worksheet cannot store."""
    return neutralise(_NOT_IN_XML.sub(REPLACEMENT, text))


def terminal_text(text: str) -> str:
    """Text with no control sequences a terminal would run (YAML can spell ESC: ``\\e``)."""
    return _TERMINAL_CONTROLS.sub(REPLACEMENT, text)
