"""The diff as ``tenantry.diff/1`` JSON: fixed key order, amounts as strings with the
currency's minor digits, ``null`` where a side has no tenant file."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from reconciler.billing.money import fmt
from reconciler.billing.recurring import RecurringCharge
from reconciler.changes.compare import FieldChange, UserDelta
from reconciler.changes.diffmodel import DIFF_SCHEMA, SpecDiff, TenantDiff


def document(diff: SpecDiff) -> dict[str, Any]:
    places = diff.minor_units

    def money(amount: Decimal | None) -> str | None:
        return None if amount is None else fmt(amount, places)

    def charge(c: RecurringCharge | None) -> dict[str, Any] | None:
        if c is None:
            return None
        return {"amount": money(c.amount), "bill_to": c.bill_to,
                "reseller_price": c.reseller_price, "not_billable": c.not_billable_reason,
                "skus": [{"sku": s.sku, "seats": s.seats, "not_billable": s.not_billable,
                          "unit_price": money(s.unit_price), "amount": money(s.amount)}
                         for s in c.skus]}

    def tenant(t: TenantDiff) -> dict[str, Any]:
        d = t.delta
        return {"tenant": d.tenant, "name": d.name, "status": d.status.value,
                "users": [user_json(u) for u in d.users],
                "seats": [{"sku": sku, "added": plus, "removed": minus}
                          for sku, (plus, minus) in d.seats().items()],
                "billing": fields_json(d.billing), "settings": fields_json(d.settings),
                "monthly": {"before": money(t.amount_before), "after": money(t.amount_after),
                            "change": money(t.change)},
                "charges": {"before": charge(t.before), "after": charge(t.after)}}

    totals = diff.totals
    return {
        "schema": DIFF_SCHEMA,
        "base": {"rev": diff.base.rev, "commit": diff.base.commit},
        "head": {"rev": diff.head.rev, "commit": diff.head.commit},
        "pricing_day": diff.pricing_day.isoformat(),
        "currency": diff.currency,
        "changes": diff.has_changes,
        "tenants": [tenant(t) for t in diff.tenants],
        "unchanged": {"tenants": diff.unchanged, "monthly": money(diff.unchanged_amount)},
        "terms": [{"file": c.file, "subject": c.subject, "field": c.field,
                   "before": c.before, "after": c.after} for c in diff.terms],
        "form_only": list(diff.form_only),
        "totals": {"scope": totals.scope, "before": money(totals.before),
                   "after": money(totals.after), "change": money(totals.change),
                   "percent": str(totals.percent) if totals.percent is not None else None},
        "warnings": list(diff.warnings),
    }


def user_json(u: UserDelta) -> dict[str, Any]:
    return {"user": u.user, "status": u.status.value, "upn": u.upn,
            "renamed": fields_json(u.renamed), "updated": fields_json(u.updated),
            "enabled": u.enabled, "added": list(u.added), "removed": list(u.removed)}


def fields_json(changes: tuple[FieldChange, ...]) -> list[dict[str, Any]]:
    return [{"field": c.field, "before": c.before, "after": c.after} for c in changes]


def render(diff: SpecDiff) -> str:
    return json.dumps(document(diff), ensure_ascii=False, indent=2) + "\n"
