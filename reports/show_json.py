"""``show`` as ``tenantry.show/1`` JSON: the moment, then tenants with their users."""

from __future__ import annotations

import json
from typing import Any

from reconciler.changes.showrun import SHOW_SCHEMA, Snapshot


def document(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "schema": SHOW_SCHEMA,
        "asked": snapshot.asked,
        "at": snapshot.local(snapshot.at).isoformat() if snapshot.at is not None else None,
        "commit": snapshot.commit,
        "in_effect_from": snapshot.local(snapshot.effective).isoformat(),
        "timezone": snapshot.timezone,
        "tenants": [{"tenant": t.tenant, "name": t.name, "reseller": t.reseller,
                     "kept_from": t.kept_from,
                     "users": [{"user": u.user, "upn": u.upn, "display_name": u.display_name,
                                "skus": list(u.skus)} for u in t.users]}
                    for t in snapshot.tenants],
        "warnings": list(snapshot.warnings),
    }


def render(snapshot: Snapshot) -> str:
    """Indented at the top, one user per line: a 100,000-user snapshot stays on the C
    encoder (``indent`` falls back to pure Python) and still reads and diffs well."""
    doc = document(snapshot)
    out = ["{"]
    out += [f"  {json.dumps(key)}: {_compact(value)}," for key, value in doc.items()
            if key not in ("tenants", "warnings")]
    tenants = []
    for t in doc["tenants"]:
        head = _compact({k: v for k, v in t.items() if k != "users"})[:-1]
        users = ",\n".join(f"      {_compact(u)}" for u in t["users"])
        tenants.append(f"    {head}, \"users\": [\n{users}\n    ]}}" if users
                       else f"    {head}, \"users\": []}}")
    out.append("  \"tenants\": [\n" + ",\n".join(tenants) + "\n  ]," if tenants
               else "  \"tenants\": [],")
    out += [f"  \"warnings\": {_compact(doc['warnings'])}", "}"]
    return "\n".join(out) + "\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
