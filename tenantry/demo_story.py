"""The sample MSP that ``tenantry demo`` builds: specs and a dated history of changes.

Three customers (one direct, two through resellers), a sandbox tenant that is never billed,
admin accounts excluded by a billing rule, a price rise, renames, leavers and starters.
Each step edits the spec documents; the demo commits it with its own author and date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

Docs = dict[str, dict[str, Any]]  # spec path -> document


@dataclass(frozen=True)
class Step:
    days_ago: int
    author: tuple[str, str]
    message: str
    edit: Callable[[Docs, dt.date], None]


JO = ("Jo Bloggs", "jo@msp.example")
PRIYA = ("Priya Patel", "priya@msp.example")
SAM = ("Sam Lee", "sam@msp.example")
ALEX = ("Alex Chen", "alex.finance@msp.example")


def _user(upn: str, name: str, skus: list[str], **extra: Any) -> dict[str, Any]:
    given, _, surname = name.partition(" ")
    user: dict[str, Any] = {"upn": upn, "display_name": name}
    if surname:
        user.update(given_name=given, surname=surname)
    user.update(extra)
    user["skus"] = skus
    return user


def _catalog(docs: Docs, today: dt.date) -> None:
    docs["catalog.yaml"] = {"products": {
        "M365-BP": {"name": "Microsoft 365 Business Premium", "price": Decimal("36.50"),
                    "assign": {"graph": "SPB", "ldap": "cn=lic-m365-bp,ou=groups"}},
        "M365-E3": {"name": "Microsoft 365 E3", "price": Decimal("58.00"),
                    "assign": {"graph": "SPE_E3", "ldap": "cn=lic-m365-e3,ou=groups"}},
        "EXO-P1": {"name": "Exchange Online Plan 1", "price": Decimal("6.50"),
                   "assign": {"graph": "EXCHANGESTANDARD"}},
        "BACKUP": {"name": "Cloud backup per user", "price": Decimal("4.00")},
        "SUPPORT": {"name": "Managed support seat", "price": Decimal("25.00")},
    }}
    docs["billing.yaml"] = {
        "currency": "NZD", "timezone": "Pacific/Auckland", "close_day": 25,
        "proration": "daily",
        "rules": [{"name": "admin accounts", "users": ["admin*@*", "*.admin@*"]}],
        "issuer": {"name": "Harbour Managed Services Ltd",
                   "address": ["Level 4, 12 Customs Street East", "Auckland 1010",
                               "New Zealand"],
                   "tax_number": "123-456-789", "email": "accounts@harbour-msp.example"},
        "tax": {"name": "GST", "rate": 15},
        "xero": {"tax_type": "15% GST on Income"},
    }
    docs["tenants/contoso.yaml"] = {
        "name": "Contoso Ltd", "domain": "contoso.example", "usage_location": "NZ",
        "billing": {"start": today},
        "users": {
            "admin": _user("admin@contoso.example", "Contoso Admin", ["M365-BP"]),
            "alice": _user("alice@contoso.example", "Alice Smith", ["M365-BP", "SUPPORT"]),
            "bob": _user("bob@contoso.example", "Bob Jones", ["M365-BP", "SUPPORT"]),
            "carol": _user("carol@contoso.example", "Carol White", ["EXO-P1"]),
            "dave": _user("dave@contoso.example", "Dave Brown", ["M365-BP", "SUPPORT"]),
        },
    }


def _fabrikam(docs: Docs, today: dt.date) -> None:
    docs["resellers.yaml"] = {"resellers": {
        "acme": {"name": "Acme IT Partners", "mode": "aggregate", "discount": 20},
        "tasman": {"name": "Tasman Digital", "mode": "on-behalf", "discount": 10},
    }}
    docs["tenants/fabrikam.yaml"] = {
        "name": "Fabrikam Inc", "reseller": "acme", "domain": "fabrikam.example",
        "usage_location": "AU", "billing": {"start": today + dt.timedelta(days=3)},
        "users": {
            "it.admin": _user("it.admin@fabrikam.example", "Fabrikam IT", ["M365-E3"]),
            "beth": _user("beth.ng@fabrikam.example", "Beth Ng", ["M365-BP", "BACKUP"]),
            "chen": _user("chen@fabrikam.example", "Chen Wu", ["M365-BP", "BACKUP"]),
            "dina": _user("dina@fabrikam.example", "Dina Okafor", ["EXO-P1"]),
        },
    }


def _sandbox(docs: Docs, today: dt.date) -> None:
    docs["tenants/sandbox.yaml"] = {
        "name": "MSP demo sandbox", "domain": "sandbox.example",
        "billing": {"exclude": True},
        "users": {
            "test1": _user("test1@sandbox.example", "Test One", ["M365-E3", "SUPPORT"]),
            "test2": _user("test2@sandbox.example", "Test Two", ["M365-BP"]),
        },
    }


def _contoso_starters(docs: Docs, today: dt.date) -> None:
    users = docs["tenants/contoso.yaml"]["users"]
    users["erin"] = _user("erin@contoso.example", "Erin Walsh", ["M365-BP", "SUPPORT"])
    users["frank"] = _user("frank@contoso.example", "Frank Moore", ["EXO-P1", "SUPPORT"])
    users["carol"]["skus"] = ["M365-BP", "SUPPORT"]


def _northwind(docs: Docs, today: dt.date) -> None:
    docs["tenants/northwind.yaml"] = {
        "name": "Northwind Traders", "reseller": "tasman", "domain": "northwind.example",
        "usage_location": "NZ", "billing": {"start": today},
        "users": {
            "gus": _user("gus@northwind.example", "Gus Hale", ["M365-BP", "SUPPORT"]),
            "hana": _user("hana@northwind.example", "Hana Sato", ["M365-BP"]),
            "ivan": _user("ivan@northwind.example", "Ivan Petrov", ["EXO-P1"]),
        },
    }


def _dave_leaves(docs: Docs, today: dt.date) -> None:
    dave = docs["tenants/contoso.yaml"]["users"]["dave"]
    dave["enabled"] = False
    dave["skus"] = ["SUPPORT"]


def _beth_renamed(docs: Docs, today: dt.date) -> None:
    beth = docs["tenants/fabrikam.yaml"]["users"]["beth"]
    beth.update(upn="beth.kowalski@fabrikam.example", display_name="Beth Kowalski",
                surname="Kowalski")


def _price_rise(docs: Docs, today: dt.date) -> None:
    bp = docs["catalog.yaml"]["products"]["M365-BP"]
    bp["price_changes"] = [{"from": today + dt.timedelta(days=5), "price": Decimal("38.00")}]


def _dave_removed(docs: Docs, today: dt.date) -> None:
    users = docs["tenants/contoso.yaml"]["users"]
    del users["dave"]
    for uid in ("alice", "bob", "erin"):
        users[uid]["skus"] = [*users[uid]["skus"], "BACKUP"]


def _northwind_grows(docs: Docs, today: dt.date) -> None:
    users = docs["tenants/northwind.yaml"]["users"]
    users["jack"] = _user("jack@northwind.example", "Jack Reid", ["M365-BP"])
    users["kiri"] = _user("kiri@northwind.example", "Kiri Ngata", ["M365-BP", "SUPPORT"])
    users["lena"] = _user("lena@northwind.example", "Lena Fischer", ["EXO-P1"])


def _fabrikam_e3(docs: Docs, today: dt.date) -> None:
    users = docs["tenants/fabrikam.yaml"]["users"]
    users["chen"]["skus"] = ["M365-E3", "BACKUP"]
    users["mia"] = _user("mia@fabrikam.example", "Mia Rossi", ["M365-E3", "BACKUP"])


STORY: tuple[Step, ...] = (
    Step(88, JO, "Add catalog, billing terms and first customer Contoso", _catalog),
    Step(80, PRIYA, "Onboard Fabrikam through reseller Acme", _fabrikam),
    Step(72, SAM, "Add a sandbox tenant for sales demos (never billed)", _sandbox),
    Step(61, JO, "Contoso: two starters, Carol moves to Business Premium", _contoso_starters),
    Step(50, PRIYA, "Onboard Northwind through Tasman (on-behalf)", _northwind),
    Step(41, SAM, "Contoso: Dave is leaving; disable and drop his licence", _dave_leaves),
    Step(33, PRIYA, "Fabrikam: Beth changed her name", _beth_renamed),
    Step(26, ALEX, "M365 Business Premium list price rises to 38.00", _price_rise),
    Step(17, JO, "Contoso: remove Dave, add cloud backup for staff", _dave_removed),
    Step(8, PRIYA, "Northwind: three new seats", _northwind_grows),
    Step(2, SAM, "Fabrikam: E3 for Chen and new starter Mia", _fabrikam_e3),
)


def final_docs(today: dt.date) -> Docs:
    """The spec documents after the whole story, told as if ``today`` were its last day."""
    docs: Docs = {}
    for step in STORY:
        step.edit(docs, today - dt.timedelta(days=step.days_ago))
    return docs


# The example specs committed in this repository's specs/ are the story told on this day.
EXAMPLE_DAY = dt.date(2026, 11, 25)
