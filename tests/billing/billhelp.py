"""Helpers for the billing suite: run ``tenantry bill --format json`` and read the report.

Every report the suite reads goes through :func:`bill`, which also checks the invariants
SPEC §6.5 states for every report, so each test gets them for free:

* amounts are strings with exactly the currency's minor digits (or null: peak seat lines);
* ``lines`` are sorted by tenant, user, SKU;
* ``total`` is the sum of ``invoices``; each customer is the sum of its ``quantities``
  rows; each invoice is the sum of the customers billed to it that have a charge;
* outside ``peak``, each ``quantities`` row's amount is the sum of its seat lines.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Mapping

from conftest import CATALOG, Cli, SpecRepo, When

Doc = dict[str, Any]

# Seats in these tests are added long before the periods they bill, at noon UTC.
EARLY = "2026-01-01T12:00:00+00:00"

# An ignored cache folder keeps ``git add -A`` in the fixtures from committing it.
GITIGNORE = ".tenantry/\n"

MINOR = {"USD": 2, "NZD": 2, "EUR": 2, "JPY": 0, "KWD": 3}


def setup(repo: SpecRepo, *, billing: Mapping[str, Any] | None = None,
          catalog: Mapping[str, Any] | None = None,
          resellers: Mapping[str, Any] | None = None,
          tenants: Mapping[str, Any] | None = None,
          date: When = EARLY, message: str = "initial specs") -> str:
    """The first commit: catalog, billing settings, resellers and tenants; returns its sha."""
    files: dict[str, Any] = {"catalog.yaml": catalog or CATALOG}
    if billing is not None:
        files["billing.yaml"] = dict(billing)
    if resellers is not None:
        files["resellers.yaml"] = {"resellers": dict(resellers)}
    for tid, doc in (tenants or {}).items():
        files[f"tenants/{tid}.yaml"] = doc
    repo.write({".gitignore": GITIGNORE})
    return repo.commit_specs(files, message, date=date)


def bill_raw(cli: Cli, *args: str) -> str:
    """The JSON text of ``tenantry bill ARGS --format json`` (exit 0 required)."""
    result = cli("bill", *args, "--format", "json")
    assert result.code == 0, f"bill {' '.join(args)} exited {result.code}:\n{result.err}"
    assert "Traceback" not in result.err
    return result.out


def bill(cli: Cli, *args: str) -> Doc:
    """The parsed report of ``tenantry bill ARGS --format json``, invariants checked."""
    doc: Doc = json.loads(bill_raw(cli, *args))
    check_invariants(doc)
    return doc


def check_invariants(doc: Doc) -> None:
    assert doc["schema"] == "tenantry.bill/1"
    assert re.fullmatch(r"[0-9a-f]{40}", doc["revision"])
    places = MINOR.get(doc["currency"], 2)
    pattern = r"-?[0-9]+" + (rf"\.[0-9]{{{places}}}" if places else "")

    def money(text: str | None, *, nullable: bool = False) -> Decimal:
        if text is None and nullable:
            return Decimal(0)
        assert isinstance(text, str) and re.fullmatch(pattern, text), \
            f"{text!r} is not an amount with {places} minor digits"
        return Decimal(text)

    peak = doc["proration"] == "peak"
    keys = [(x["tenant"], x["user"], x["sku"]) for x in doc["lines"]]
    assert keys == sorted(keys), "lines must be sorted by tenant, user, SKU"
    assert len(set(keys)) == len(keys), "one line per seat"
    for x in doc["lines"]:
        if peak:
            assert x["amount"] is None, "peak seat lines carry no amount"
        else:
            money(x["amount"])
        assert 0 <= x["billable_days"] <= x["days"] <= doc["span"]["days"]
    by_row: dict[tuple[str, str], Decimal] = {}
    for x in doc["lines"]:
        row = (x["tenant"], x["sku"])
        by_row[row] = by_row.get(row, Decimal(0)) + money(x["amount"], nullable=peak)
    per_tenant: dict[str, Decimal] = {}
    for q in doc["quantities"]:
        amount = money(q["amount"])
        if not peak:
            assert amount == by_row[(q["tenant"], q["sku"])], q
        per_tenant[q["tenant"]] = per_tenant.get(q["tenant"], Decimal(0)) + amount
    assert {q["tenant"] for q in doc["quantities"]} == {x["tenant"] for x in doc["lines"]}
    per_party: dict[str, Decimal] = {}
    for c in doc["customers"]:
        assert money(c["amount"]) == per_tenant[c["tenant"]], c
        per_party[c["bill_to"]] = per_party.get(c["bill_to"], Decimal(0)) + Decimal(c["amount"])
    invoiced: dict[str, Decimal] = {}
    for i in doc["invoices"]:
        assert i["kind"] in ("customer", "reseller")
        invoiced[i["bill_to"]] = invoiced.get(i["bill_to"], Decimal(0)) + money(i["amount"])
    for party, amount in invoiced.items():
        assert amount == per_party[party], (party, amount)
    for s in doc["statements"]:
        assert s["mode"] in ("aggregate", "on-behalf")
        money(s["amount"])
    assert money(doc["total"]) == sum((Decimal(i["amount"]) for i in doc["invoices"]),
                                      Decimal(0))


def line(doc: Doc, tenant: str, user: str, sku: str) -> Doc:
    found = [x for x in doc["lines"] if (x["tenant"], x["user"], x["sku"]) == (tenant, user, sku)]
    assert len(found) == 1, f"no single line for {tenant}/{user}/{sku}: {doc['lines']}"
    return found[0]


def has_line(doc: Doc, tenant: str, user: str, sku: str) -> bool:
    return any((x["tenant"], x["user"], x["sku"]) == (tenant, user, sku) for x in doc["lines"])


def amounts(doc: Doc) -> dict[tuple[str, str, str], str | None]:
    """Every seat line's amount, keyed by (tenant, user, SKU)."""
    return {(x["tenant"], x["user"], x["sku"]): x["amount"] for x in doc["lines"]}


def quantity(doc: Doc, tenant: str, sku: str) -> Doc:
    found = [q for q in doc["quantities"] if (q["tenant"], q["sku"]) == (tenant, sku)]
    assert len(found) == 1, f"no single quantities row for {tenant}/{sku}: {doc['quantities']}"
    return found[0]


def invoices(doc: Doc) -> dict[str, tuple[str, str]]:
    """bill_to -> (kind, amount)."""
    return {i["bill_to"]: (i["kind"], i["amount"]) for i in doc["invoices"]}


def statements(doc: Doc) -> dict[str, tuple[str, str]]:
    """reseller -> (mode, amount)."""
    return {s["reseller"]: (s["mode"], s["amount"]) for s in doc["statements"]}


def customers(doc: Doc) -> dict[str, tuple[str, str, str]]:
    """tenant -> (name, bill_to, amount)."""
    return {c["tenant"]: (c["name"], c["bill_to"], c["amount"]) for c in doc["customers"]}


def span(doc: Doc) -> tuple[str, str, int, str | None]:
    s = doc["span"]
    return s["start"], s["end"], s["days"], s["period"]


def half_up(value: Fraction | Decimal, places: int = 2) -> str:
    """An independent half-up rounding, for expectations computed in a test."""
    exact = Decimal(value.numerator) / Decimal(value.denominator) \
        if isinstance(value, Fraction) else value
    return str(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def day(text: str) -> dt.date:
    """A date for a spec document (a YAML date, not a quoted string)."""
    return dt.date.fromisoformat(text)
