"""Printed reports, checked by printing them: headless Chromium turns the HTML report and
every ``--split`` document into a PDF, and poppler reads the PDF back.

Checked: no near-empty page before the last one (a whole customer kept together used to
leave a mostly blank page 2), the last-change column on one line with its row, and every
per-party document on paper with its reference and total. ``scripts/test`` installs
chromium and poppler-utils; without them (a laptop) these tests are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
from conftest import Cli, SpecRepo, tenant, user

from tenantry.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdftoppm") is None,
    reason="needs chromium and poppler-utils (scripts/test installs them)")

CATALOG = {"products": {
    "M365-BP": {"name": "Microsoft 365 Business Premium", "price": Decimal("36.50")},
    "SUPPORT": {"name": "Managed support seat", "price": Decimal("25.00")},
    "BACKUP": {"name": "Cloud backup per user", "price": Decimal("4.00")}}}
BILLING = {"currency": "NZD", "timezone": "UTC", "tax": {"name": "GST", "rate": 15},
           "issuer": {"name": "Harbour MSP Ltd", "address": ["12 Customs St", "Auckland"]},
           "rules": [{"name": "admin accounts", "users": ["admin*@*"]}]}
RESELLERS = {"resellers": {
    "acme": {"name": "Acme IT Partners", "mode": "aggregate", "discount": 20},
    "tasman": {"name": "Tasman Digital", "mode": "on-behalf", "discount": 10}}}
# A page is "near-empty" when its ink stops before this fraction of the page height.
NEAR_EMPTY = 0.5


def users(domain: str, count: int) -> dict[str, dict[str, object]]:
    return {f"user{i:02d}": user(f"firstname.lastname{i:02d}@{domain}",
                                 f"Firstname Lastname{i:02d}",
                                 skus=["M365-BP", "SUPPORT", "BACKUP"][: 1 + i % 3])
            for i in range(count)}


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Three customers, one large enough to take several pages, printed to PDF (once for
    the module: each Chromium start costs seconds)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GIT_CONFIG_GLOBAL", os.devnull)
        env.setenv("GIT_CONFIG_NOSYSTEM", "1")
        yield _print(tmp_path_factory.mktemp("print"))


def _print(tmp_path: Path) -> dict[str, Path]:
    repo = SpecRepo.init(tmp_path / "repo")
    repo.write({".gitignore": ".tenantry/\n"})
    big = users("contoso.example", 45)
    big["admin"] = user("admin@contoso.example", skus=["M365-BP"])
    repo.commit_specs({
        "catalog.yaml": CATALOG, "billing.yaml": BILLING, "resellers.yaml": RESELLERS,
        "tenants/contoso.yaml": tenant("Contoso Ltd", big),
        "tenants/fabrikam.yaml": tenant("Fabrikam Inc", users("fabrikam.example", 6),
                                        reseller="acme"),
        "tenants/northwind.yaml": tenant("Northwind Traders", users("northwind.example", 8),
                                         reseller="tasman")},
        "customers", date="2026-10-01T09:00:00Z",
        author="Josephine Bloggs-Whitfield <josephine.bloggs-whitfield@msp.example>")
    assert main(["-C", str(repo.root), "bill", "--period", "2026-10", "--format", "html",
                 "--output", "bill.html", "--split", "docs"]) == 0
    written = sorted(p.stem for p in (repo.root / "docs").iterdir())
    assert written == ["INV-2026-10-contoso", "INV-2026-10-northwind",
                       "INV-2026-10-reseller-acme", "STM-2026-10-acme", "STM-2026-10-tasman"]
    # One of each layout: a customer's and a reseller's invoice, an on-behalf statement.
    pages = {"bill": repo.root / "bill.html"}
    pages.update({name: repo.root / "docs" / f"{name}.html" for name in (
        "INV-2026-10-contoso", "INV-2026-10-reseller-acme", "STM-2026-10-tasman")})
    def to_pdf(name: str) -> tuple[str, Path]:
        pdf = tmp_path / f"{name}.pdf"
        subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf}", pages[name].as_uri()],
                       capture_output=True, timeout=120, check=True)
        return name, pdf
    # Chromium mostly waits while it starts: a few at once take little longer than one.
    with ThreadPoolExecutor(3) as pool:
        return dict(pool.map(to_pdf, sorted(pages)))


def page_fill(pdf: Path, tmp_path: Path) -> list[float]:
    """For each page, how far down the ink reaches (0..1), read from a grey rendering."""
    prefix = tmp_path / pdf.stem
    subprocess.run(["pdftoppm", "-gray", "-r", "24", str(pdf), str(prefix)], check=True)
    fills = []
    for image in sorted(tmp_path.glob(f"{pdf.stem}-*.pgm")):
        data = image.read_bytes()
        magic, width, height, _, pixels = data.split(maxsplit=4)
        assert magic == b"P5"
        w, h = int(width), int(height)
        rows = [pixels[r * w:(r + 1) * w] for r in range(h)]
        inked = [r for r, row in enumerate(rows) if min(row) < 160]
        fills.append((max(inked) + 1) / h if inked else 0.0)
    return fills


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_the_report_prints_without_near_empty_pages(printed: dict[str, Path],
                                                   tmp_path: Path) -> None:
    fills = page_fill(printed["bill"], tmp_path)
    assert len(fills) >= 3, fills  # the big customer flows over several pages
    assert all(fill >= NEAR_EMPTY for fill in fills[:-1]), fills


def test_the_last_change_column_prints_on_its_rows_line(printed: dict[str, Path],
                                                        cli: Cli) -> None:
    text = pdf_text(printed["bill"])
    repo = printed["bill"].parent / "repo"
    doc = json.loads(cli("-C", str(repo), "bill", "--period", "2026-10", "--format",
                         "json").out)
    for line in doc["lines"]:
        if line["billable"]:
            # UPN, amount, author and commit on one printed line: nothing wrapped.
            who = f"Josephine Bloggs-Whitfield {line['commit'][:7]}"
            assert any(line["upn"] in row and who in row and line["amount"] in row
                       for row in text.splitlines()), line["upn"]


def test_every_party_document_prints_with_its_reference_and_total(
        printed: dict[str, Path], tmp_path: Path) -> None:
    documents = {name: pdf for name, pdf in printed.items() if name != "bill"}
    for name, pdf in documents.items():
        text = " ".join(pdf_text(pdf).split())
        assert name in text and "Harbour MSP Ltd" in text, name
        assert ("Total NZD" in text) if name.startswith("INV") else ("NZD" in text), name
        fills = page_fill(pdf, tmp_path)
        assert all(fill >= NEAR_EMPTY for fill in fills[:-1]), (name, fills)
    contoso = " ".join(pdf_text(documents["INV-2026-10-contoso"]).split())
    assert "GST 15%" in contoso and "Seat detail" in contoso
