"""The CSV headers docs/api.md gives are the ones served, and Python's csv module reads
every CSV the API writes."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from .conftest import PERIOD, Server

DOC = Path(__file__).parents[2] / "docs" / "api.md"


def documented_headers() -> dict[str, list[str]]:
    rows = re.findall(r"^\| `(/v1/[a-z/{}]+)` \| `([a-z_,]+)` \|$", DOC.read_text(), re.MULTILINE)
    return {path: header.split(",") for path, header in rows}


def test_every_csv_view_is_documented() -> None:
    assert sorted(documented_headers()) == sorted(
        ["/v1/tenants", "/v1/tenants/{id}/users",
         *[f"/v1/billing/{v}" for v in
           ("lines", "customers", "invoices", "statements", "quantities")]])


@pytest.mark.parametrize("path", sorted(documented_headers()))
@pytest.mark.parametrize("scope", ["all", "reseller:racme", "tenant:bravoco"])
def test_csv_parses_with_the_documented_header(server: Server, path: str, scope: str) -> None:
    params = {"format": "csv", **({"period": PERIOD} if "billing" in path else {})}
    url = path.replace("{id}", "echoco")  # a tenant every scope in this test sees but one
    response = server.get(url, scope, params=params)
    if scope == "tenant:bravoco" and "{id}" in path:
        assert response.status_code == 404
        return
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert not response.content.startswith(b"\xef\xbb\xbf")  # no byte-order mark
    assert response.text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    header = documented_headers()[path]
    assert rows[0] == header
    assert all(len(row) == len(header) for row in rows[1:])
    if "{id}" in path:
        return  # its JSON is the `show` document, not a flat list
    # JSON items carry the same keys, in the same order.
    items = server.get(url, scope, params={k: v for k, v in params.items()
                                            if k != "format"}).json()["items"]
    assert len(items) == len(rows) - 1
    for item, row in zip(items, rows[1:]):
        assert list(item) == header
        assert [_csv(v) for v in item.values()] == row


def _csv(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
