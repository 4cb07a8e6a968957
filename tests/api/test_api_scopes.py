"""Every endpoint x every scope: a token sees its tenants and nothing of any other.

Amounts for period 2026-03 (31 days; every seat held all month unless noted), worked out by
hand from the table in conftest.py:

    alphaco   ann M365-BP 36.50 + bob SUPPORT 25.00              = 61.50 to alphaco
    bravoco   cat M365-BP at racme's price 36.50 x 0.80          = 29.20 to racme
    charlieco dan M365-BP: rkea -> racme, both aggregate: racme  = 29.20 to racme
    golfco    hal M365-BP, 1..16 March: 36.50 x 16/31 = 18.8387.. x 0.80 = 15.0709.. -> 15.07
    deltaco   eve EXO-P1 at list (rtasman is on-behalf)          =  6.40 to deltaco
    echoco    fay SUPPORT at list (rharbour is on-behalf)        = 25.00 to echoco
    foxco     excluded                                           =  0.00, no invoice
    invoice racme = 29.20 + 29.20 + 15.07 = 73.47; total = 61.50 + 6.40 + 25.00 + 73.47
                                                           = 166.37
Statements (rounded per seat line):
    racme    owes 20% off for bravoco, charlieco, golfco = 29.20 + 29.20 + 15.07 = 73.47
             (echoco sits under an on-behalf reseller: not racme's to pay)
    rkea     owes 10% off for charlieco, golfco: 36.50 x 0.90 = 32.85;
             36.50 x 16/31 x 0.90 = 16.9548.. -> 16.95; 32.85 + 16.95 = 49.80
    rtasman  earns 15% of deltaco's 6.40 = 0.96
    rharbour earns 5% of echoco's 25.00 = 1.25
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import Any

import pytest

from .conftest import ALL_TENANTS, PERIOD, PRESENT, RESELLERS, SCOPES, TENANTS, VISIBLE, Server

Q = {"period": PERIOD}
ENDPOINTS: list[tuple[str, dict[str, str]]] = [
    ("/v1/tenants", {}),
    ("/v1/tenants", {"format": "csv"}),
    ("/v1/tenants", {"rev": "v1"}),
    ("/v1/billing", Q),
    ("/v1/billing", {"range": "v1..HEAD"}),
    ("/v1/billing", {"from": "2026-03-10", "to": "2026-03-20", "rev": "HEAD"}),
    ("/v1/billing.html", Q),
    *[(f"/v1/billing/{view}", {**Q, **fmt})
      for view in ("lines", "customers", "invoices", "statements", "quantities")
      for fmt in ({}, {"format": "csv"})],
    *[(f"/v1/tenants/{t}", {}) for t in sorted(ALL_TENANTS)],
    *[(f"/v1/tenants/{t}/users", q) for t in sorted(ALL_TENANTS)
      for q in ({}, {"at": "2026-02-01", "format": "csv"})],
    *[(f"/v1/tenants/{t}/history", {}) for t in sorted(ALL_TENANTS)],
    *[(f"/v1/tenants/{t}/users/{t}-{next(iter(TENANTS[t][1]))}/history", {})
      for t in sorted(ALL_TENANTS)],
    ("/v1/tenants/golfco/history", {"range": "v1..HEAD"}),
]


def expected_404(path: str, params: dict[str, str], scope: str) -> str | None:
    """The error a tenant-specific path answers, or None for 200."""
    wanted = path.split("/")[3]
    if wanted not in VISIBLE[scope]:
        return "outside"  # the same answer as for a tenant that never existed
    if path.endswith(f"/{wanted}") and wanted not in PRESENT:
        return "outside"
    if path.endswith("/users") and "at" not in params and wanted not in PRESENT:
        return f"tenant {wanted!r} had no file"
    return None

# Invoices, statements and total each scope sees for the period (see the docstring).
EXPECTED: dict[str, tuple[dict[str, str], dict[str, str], str]] = {
    "all": ({"alphaco": "61.50", "deltaco": "6.40", "echoco": "25.00", "racme": "73.47"},
            {"racme": "73.47", "rkea": "49.80", "rtasman": "0.96", "rharbour": "1.25"},
            "166.37"),
    "tenant:alphaco": ({"alphaco": "61.50"}, {}, "61.50"),
    "tenant:bravoco": ({}, {}, "0.00"),  # invoiced to racme: seats shown, no amounts
    "tenant:charlieco": ({}, {}, "0.00"),
    "tenant:deltaco": ({"deltaco": "6.40"}, {}, "6.40"),
    "tenant:echoco": ({"echoco": "25.00"}, {}, "25.00"),
    "tenant:foxco": ({}, {}, "0.00"),
    "tenant:golfco": ({}, {}, "0.00"),
    "reseller:racme": ({"echoco": "25.00", "racme": "73.47"},
                       {"racme": "73.47", "rkea": "49.80", "rharbour": "1.25"}, "98.47"),
    "reseller:rkea": ({}, {"rkea": "49.80"}, "0.00"),  # its tenants are invoiced to racme
    "reseller:rtasman": ({"deltaco": "6.40"}, {"rtasman": "0.96"}, "6.40"),
    "reseller:rharbour": ({"echoco": "25.00"}, {"rharbour": "1.25"}, "25.00"),
}

# Resellers whose id a scope may meet: its own tree, and a tenant's own `reseller:` link.
RESELLERS_SEEN: dict[str, frozenset[str]] = {
    "all": frozenset(RESELLERS),
    **{f"tenant:{t}": frozenset({r} if (r := TENANTS[t][0]) else set()) for t in TENANTS},
    "reseller:racme": frozenset({"racme", "rkea", "rharbour"}),
    "reseller:rkea": frozenset({"rkea"}),
    "reseller:rtasman": frozenset({"rtasman"}),
    "reseller:rharbour": frozenset({"rharbour"}),
}


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("path,params", ENDPOINTS,
                         ids=[f"{p}?{'&'.join(f'{k}={v}' for k, v in q.items())}"
                              for p, q in ENDPOINTS])
def test_scope_sees_nothing_of_other_tenants(server: Server, scope: str, path: str,
                                             params: dict[str, str]) -> None:
    response = server.get(path, scope, params=params)
    visible = VISIBLE[scope]
    if path.startswith("/v1/tenants/"):
        wanted = path.split("/")[3]
        error = expected_404(path, params, scope)
        if error == "outside":
            # Outside the scope and not there at all: the same answer, so ids can't be probed.
            assert response.status_code == 404, response.text
            assert response.json() == {"error": f"no tenant {wanted!r} at "
                                                f"{response_head(server)[:12]}"}
            return
        if error is not None:
            assert response.status_code == 404 and error in response.json()["error"]
            return
    assert response.status_code == 200, response.text
    body = response.text.lower()
    for other in ALL_TENANTS - visible:
        assert other not in body, f"{scope} sees {other} in {path}"
    for reseller in set(RESELLERS) - RESELLERS_SEEN[scope]:
        assert reseller not in body, f"{scope} sees reseller {reseller} in {path}"
    for reseller, doc in RESELLERS.items():
        if reseller not in RESELLERS_SEEN[scope] or scope.startswith("tenant:"):
            assert doc["name"].lower() not in body
    mentioned = tenants_in(response)
    assert mentioned <= visible, f"{scope}: {mentioned - visible} in {path}"
    if scope != "all":
        assert "onboard" not in body and "quota" not in body  # subjects, apply notes


def response_head(server: Server) -> str:
    return server.repo.head()


def tenants_in(response: Any) -> set[str]:
    """The tenant ids a response names in its structured fields."""
    kind = response.headers["content-type"]
    found: set[str] = set()
    if kind.startswith("text/csv"):
        for row in csv.DictReader(io.StringIO(response.text)):
            found |= {row[k] for k in ("tenant", "id") if row.get(k)}
    elif kind.startswith("application/json"):
        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in ("tenant", "id") and isinstance(item, str):
                        found.add(item)
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
        walk(response.json())
    else:
        found = {t for t in ALL_TENANTS if re.search(rf"\b{t}\b", response.text)}
    return found


@pytest.mark.parametrize("scope", SCOPES)
def test_scope_sees_its_invoices_statements_and_total(server: Server, scope: str) -> None:
    invoices, statements, total = EXPECTED[scope]
    doc = server.get("/v1/billing", scope, params=Q).json()
    assert {i["bill_to"]: i["amount"] for i in doc["invoices"]} == invoices
    assert {s["reseller"]: s["amount"] for s in doc["statements"]} == statements
    assert doc["total"] == total
    assert sum((Decimal(i["amount"]) for i in doc["invoices"]), Decimal(0)) == Decimal(total)
    # Every seat of every visible tenant is there, with the same days as the full report.
    full = {(x["tenant"], x["user"], x["sku"]): x
            for x in server.get("/v1/billing", "all", params=Q).json()["lines"]}
    mine = {(x["tenant"], x["user"], x["sku"]): x for x in doc["lines"]}
    assert set(mine) == {k for k in full if k[0] in VISIBLE[scope]}
    for key, line in mine.items():
        assert line["days"] == full[key]["days"]
        assert line["billable_days"] == full[key]["billable_days"]
        if line["amount"] is None:  # priced for a party outside the scope
            assert line["bill_to"] == "" and full[key]["bill_to"] not in invoices
        else:
            assert (line["amount"], line["bill_to"]) == (full[key]["amount"],
                                                         full[key]["bill_to"])
    assert doc["warnings"] == [] or scope == "all"


def test_full_scope_amounts(server: Server) -> None:
    """The unscoped report's seat amounts, against the hand-worked docstring."""
    doc = server.get("/v1/billing", params=Q).json()
    amounts = {(x["tenant"], x["user"]): (x["amount"], x["bill_to"]) for x in doc["lines"]}
    assert amounts == {
        ("alphaco", "alphaco-ann"): ("36.50", "alphaco"),
        ("alphaco", "alphaco-bob"): ("25.00", "alphaco"),
        ("bravoco", "bravoco-cat"): ("29.20", "racme"),
        ("charlieco", "charlieco-dan"): ("29.20", "racme"),
        ("deltaco", "deltaco-eve"): ("6.40", "deltaco"),
        ("echoco", "echoco-fay"): ("25.00", "echoco"),
        ("foxco", "foxco-gus"): ("0.00", "foxco"),
        ("golfco", "golfco-hal"): ("15.07", "racme"),
    }


@pytest.mark.parametrize("scope", SCOPES)
def test_tenant_list_is_the_scope(server: Server, scope: str) -> None:
    doc = server.get("/v1/tenants", scope).json()
    # golfco's file is gone at HEAD: billed for its days, no longer a tenant.
    assert [t["id"] for t in doc["items"]] == sorted(VISIBLE[scope] & PRESENT)
    at_v1 = server.get("/v1/tenants", scope, params={"rev": "v1"}).json()
    assert [t["id"] for t in at_v1["items"]] == sorted(VISIBLE[scope])
    assert at_v1["revision"] == server.repo.rev_parse("v1")


def test_tenant_record(server: Server) -> None:
    doc = server.get("/v1/tenants/foxco").json()
    assert doc == {"revision": server.repo.head(), "tenant": {
        "id": "foxco", "name": "Foxco Ltd", "reseller": None, "billing_start": None,
        "billing_end": None, "billing_exclude": True}}
    assert server.get("/v1/tenants/charlieco", "reseller:racme").json()["tenant"][
        "reseller"] == "rkea"


def test_unknown_reseller_scope_sees_nothing(server: Server) -> None:
    from .conftest import create_token
    token = create_token(server.repo.root, "reseller:nobody")
    with server.client(token=token) as client:
        assert client.get("/v1/tenants").json()["items"] == []
        doc = client.get("/v1/billing", params=Q).json()
    assert (doc["lines"], doc["invoices"], doc["statements"], doc["total"]) == ([], [], [],
                                                                                 "0.00")
    assert json.dumps(doc).count("co-") == 0
