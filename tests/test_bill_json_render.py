"""The JSON renderer writes seat lines from a template for speed; its bytes must stay exactly
what encoding each item with ``json.dumps`` gives (the layout SPEC §6.5 readers rely on)."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_bill_reports import CURRENCIES, make_report

from reconciler.billing.report import BillReport
from reports import bill_json


def reference(report: BillReport) -> str:
    """Every list item through ``json.dumps``: the renderer before the line template."""
    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    parts = []
    for key, value in bill_json.document(report).items():
        if isinstance(value, list) and value:
            items = ",\n".join("    " + compact(item) for item in value)
            parts.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


@pytest.mark.parametrize("currency", sorted(CURRENCIES))
@pytest.mark.parametrize("proration", ["daily", "peak"])
def test_template_lines_match_json_dumps(currency: str, proration: str) -> None:
    report = make_report(currency, proration)
    assert bill_json.render(report) == reference(report)
    empty = replace(report, lines=(), warnings=())
    assert bill_json.render(empty) == reference(empty)


text = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.tuples(text, text, text, st.lists(text, max_size=2)), min_size=1,
                      max_size=4),
       amounts=st.lists(st.decimals(min_value=-999, max_value=10**6, places=2,
                                    allow_nan=False), min_size=1, max_size=4))
def test_any_text_and_amount_renders_as_json_dumps_would(
        names: list[tuple[str, str, str, list[str]]], amounts: list[Decimal]) -> None:
    base = make_report("NZD")
    lines = tuple(replace(base.lines[i % 3], tenant_name=tn, upn=upn, display_name=dn,
                          reasons=tuple(reasons), amount=amounts[i % len(amounts)],
                          billable=bool(i % 2), days=i)
                  for i, (tn, upn, dn, reasons) in enumerate(names))
    report = replace(base, lines=lines)
    rendered = bill_json.render(report)
    assert rendered == reference(report)
    assert [x["display_name"] for x in json.loads(rendered)["lines"]] == [n[2] for n in names]
