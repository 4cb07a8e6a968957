"""Changes to the files that are not tenants: catalog, billing settings, resellers and
directories, one line per product, reseller, directory or setting that changed (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from reconciler.changes.views import Value


@dataclass(frozen=True)
class TermChange:
    file: str  # e.g. "catalog.yaml"
    subject: str  # the product, reseller or directory; "" for a file-wide setting
    field: str  # the changed key; "added" / "removed" for a whole entry
    before: Value
    after: Value


# The one keyed map in each file, whose entries are compared one by one.
KEYED = {"catalog.yaml": "products", "resellers.yaml": "resellers",
         "directories.yaml": "directories"}


def describe(file: str, before: BaseModel | None, after: BaseModel | None) -> list[TermChange]:
    old = before.model_dump(mode="json", by_alias=True) if before is not None else {}
    new = after.model_dump(mode="json", by_alias=True) if after is not None else {}
    key = KEYED.get(file)
    changes = _flat(file, "", {k: v for k, v in old.items() if k != key},
                    {k: v for k, v in new.items() if k != key})
    if key is not None:
        old_map, new_map = old.get(key) or {}, new.get(key) or {}
        for subject in sorted(old_map.keys() | new_map.keys()):
            if subject not in new_map:
                changes.append(TermChange(file, subject, "removed", _text(old_map[subject]),
                                          None))
            elif subject not in old_map:
                changes.append(TermChange(file, subject, "added", None,
                                          _text(new_map[subject])))
            else:
                changes.extend(_flat(file, subject, old_map[subject], new_map[subject]))
    return changes


def _flat(file: str, subject: str, old: dict[str, Any], new: dict[str, Any]) -> list[TermChange]:
    return [TermChange(file, subject, name, _text(old.get(name)), _text(new.get(name)))
            for name in sorted(old.keys() | new.keys()) if old.get(name) != new.get(name)]


def _text(value: Any) -> Value:
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, dict):
        # Defaults (None, empty lists) are noise in a one-line summary of an entry.
        value = {k: v for k, v in value.items() if v not in (None, [], {})}
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
