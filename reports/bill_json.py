"""The bill as ``tenantry.bill/1`` JSON (SPEC §6.5): fixed key order, amounts as strings."""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import islice
from json.encoder import encode_basestring
from typing import Any, Iterator

from reconciler.billing.money import fmt
from reconciler.billing.report import BillReport


def document(report: BillReport, *, lines: bool = True) -> dict[str, Any]:
    """The report as JSON values (``lines=False``: an empty list in their place)."""
    places = report.minor_units

    def money(value: Decimal | None) -> str | None:
        return None if value is None else fmt(value, places)

    return {
        "schema": report.schema,
        "revision": report.revision,
        "span": {"start": report.span.start.isoformat(), "end": report.span.end.isoformat(),
                 "days": report.span.days, "period": report.span.period},
        "currency": report.currency,
        "proration": report.proration,
        "lines": [{
            "tenant": x.tenant, "tenant_name": x.tenant_name, "user": x.user, "upn": x.upn,
            "display_name": x.display_name, "sku": x.sku, "days": x.days,
            "billable_days": x.billable_days, "amount": money(x.amount), "billable": x.billable,
            "reasons": list(x.reasons), "bill_to": x.bill_to, "changed_by": x.changed_by,
            "commit": x.commit} for x in (report.lines if lines else ())],
        "customers": [{"tenant": c.tenant, "name": c.name, "bill_to": c.bill_to,
                       "amount": money(c.amount)} for c in report.customers],
        "invoices": [{"bill_to": i.bill_to, "kind": i.kind, "amount": money(i.amount)}
                     for i in report.invoices],
        "statements": [{"reseller": s.reseller, "mode": s.mode, "amount": money(s.amount)}
                       for s in report.statements],
        "quantities": [{"tenant": q.tenant, "sku": q.sku, "quantity": str(q.quantity),
                        "amount": money(q.amount)} for q in report.quantities],
        "warnings": list(report.warnings),
        "total": money(report.total),
    }


def render(report: BillReport) -> str:
    """Pretty at the top, one line per list item.

    ``json.dumps(indent=...)`` runs CPython's pure-Python encoder (8 s for 190,000 seat lines);
    encoding each item without indent uses the C encoder, and a seat per line still reads
    and diffs well. Seat lines, most of the bytes, are written from a template with the C
    string encoder (the bytes ``_compact`` would give, at a third of the cost).
    """
    return "".join(_pieces(report))


def render_bytes(report: BillReport) -> bytes:
    """``render(report)`` as UTF-8, built as bytes: one non-ASCII name makes a Python string
    2 bytes per character, so a 70 MB report would pass through 140 MB of text."""
    return b"".join(piece.encode() for piece in _pieces(report))


LINES_PER_PIECE = 2000


def _pieces(report: BillReport) -> Iterator[str]:
    # Joined once at the end: the lines are ~70 MB on a large history, so every
    # intermediate concatenation would copy all of them again.
    yield "{\n"
    for number, (key, value) in enumerate(document(report, lines=False).items()):
        yield (",\n" if number else "") + f"  {json.dumps(key)}: "
        if key == "lines" and report.lines:
            yield "[\n"
            # Joined in batches: one piece per seat line is 400,000 pieces to pass along
            # and encode; one string of them all could be 140 MB (see render_bytes).
            lines = _lines(report)
            yield ",\n".join(islice(lines, LINES_PER_PIECE))
            while batch := ",\n".join(islice(lines, LINES_PER_PIECE)):
                yield ",\n" + batch
            yield "\n  ]"
        elif isinstance(value, list) and value:
            yield "[\n"
            yield from _joined("    " + _compact(item) for item in value)
            yield "\n  ]"
        else:
            yield _compact(value)
    yield "\n}\n"


def _joined(items: Iterator[str]) -> Iterator[str]:
    """The items with ",\n" between them."""
    for number, item in enumerate(items):
        if number:
            yield ",\n"
        yield item


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _lines(report: BillReport) -> Iterator[str]:
    """Each seat line as ``"    " + _compact(item)`` would write it (tests compare both)."""
    # Most fields recur: a user's names on each of its SKUs, a tenant's on all its seats,
    # reasons and amounts per class of seat, authors and commits on many seats.
    quoted: dict[str, str] = {}
    heads: dict[tuple[str, str, str, str, str], str] = {}
    amounts: dict[Decimal, str] = {}
    reasons: dict[tuple[str, ...], str] = {}
    places = report.minor_units

    def q(text: str) -> str:
        found = quoted.get(text)
        if found is None:
            found = quoted[text] = encode_basestring(text)
        return found

    for x in report.lines:
        who = (x.tenant, x.tenant_name, x.user, x.upn, x.display_name)
        head = heads.get(who)
        if head is None:
            head = heads[who] = (
                f'    {{"tenant": {q(x.tenant)}, "tenant_name": {q(x.tenant_name)}, '
                f'"user": {encode_basestring(x.user)}, "upn": {encode_basestring(x.upn)}, '
                f'"display_name": {encode_basestring(x.display_name)}, "sku": ')
        if x.amount is None:
            amount = "null"
        elif (amount := amounts.get(x.amount)) is None:  # type: ignore[assignment]
            amount = amounts[x.amount] = encode_basestring(fmt(x.amount, places))
        why = reasons.get(x.reasons)
        if why is None:
            why = reasons[x.reasons] = "[" + ", ".join(map(q, x.reasons)) + "]"
        yield (f'{head}{q(x.sku)}, "days": {x.days}, "billable_days": {x.billable_days}, '
               f'"amount": {amount}, "billable": {"true" if x.billable else "false"}, '
               f'"reasons": {why}, "bill_to": {q(x.bill_to)}, '
               f'"changed_by": {q(x.changed_by)}, "commit": {q(x.commit)}}}')
