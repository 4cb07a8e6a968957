"""Compact per-version tenant records: what billing needs from one tenant file.

A tenant file version is parsed once into a ``TenantRecord`` (or a ``Broken`` note) and
cached by blob id, so history walks compare small tuples instead of re-reading YAML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from reconciler.specs import DocumentInvalid, TenantSpec, parse, position

# Bump when what a record holds, or how a tenant file validates, changes: cached records
# from other versions are then ignored.
RECORD_VERSION = 1


class UserRecord(NamedTuple):
    # A NamedTuple, not a dataclass: hundreds of thousands are built per bill, and tuple
    # construction and comparison run in C.
    uid: str
    upn: str
    display_name: str
    skus: tuple[str, ...]


@dataclass(frozen=True)
class TenantRecord:
    name: str
    reseller: str | None
    start: dt.date | None
    end: dt.date | None
    exclude: bool
    users: tuple[UserRecord, ...]

    def to_json(self) -> dict[str, Any]:
        return {"n": self.name, "r": self.reseller,
                "s": self.start.isoformat() if self.start else None,
                "e": self.end.isoformat() if self.end else None, "x": self.exclude,
                "u": [[u.uid, u.upn, u.display_name, list(u.skus)] for u in self.users]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TenantRecord:
        return cls(name=data["n"], reseller=data["r"],
                   start=dt.date.fromisoformat(data["s"]) if data["s"] else None,
                   end=dt.date.fromisoformat(data["e"]) if data["e"] else None,
                   exclude=data["x"],
                   users=tuple(UserRecord(u[0], u[1], u[2], tuple(u[3])) for u in data["u"]))

    @classmethod
    def from_spec(cls, spec: TenantSpec) -> TenantRecord:
        return cls(name=spec.name, reseller=spec.reseller, start=spec.billing.start,
                   end=spec.billing.end, exclude=spec.billing.exclude,
                   users=tuple(UserRecord(uid, u.upn, u.display_name, u.skus)
                               for uid, u in spec.users.items()))


@dataclass(frozen=True)
class Broken:
    """A tenant file version that did not parse or validate; billing keeps the prior state."""

    message: str


def parse_tenant(data: bytes) -> TenantRecord | Broken:
    try:
        return TenantRecord.from_spec(parse(TenantSpec, data))
    except DocumentInvalid as exc:
        problem = exc.problems[0]
        if exc.yaml_level is not None:
            line, _ = exc.yaml_level
        else:
            line, _ = position(data, problem.path, at_key=problem.at_key)
        where = f"line {line}: " if line else ""
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return Broken(f"{where}{problem.message}{more}")
