"""A tenant file version as ``diff`` and ``log`` compare it: every field a person could
change, normalised (dates as ISO text, SKUs as written), cheap to compare and to cache."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.billing.records import TenantRecord, UserRecord
from reconciler.errors import Problem
from reconciler.specs import DocumentInvalid, TenantSpec, parse, position

# Bump when what a view holds changes: cached views of other versions are then ignored.
VIEW_VERSION = 1

Value = str | bool | None


@dataclass(frozen=True)
class UserView:
    upn: str
    display_name: str
    given_name: str | None = None
    surname: str | None = None
    enabled: bool = True
    usage_location: str | None = None
    skus: tuple[str, ...] = ()
    adopt: bool = False

    def record(self, uid: str) -> UserRecord:
        return UserRecord(uid, self.upn, self.display_name, self.skus)


@dataclass(frozen=True)
class TenantView:
    name: str
    reseller: str | None = None
    directory: str | None = None
    container: str | None = None
    domain: str | None = None
    usage_location: str | None = None
    start: str | None = None  # billing.start, ISO date
    end: str | None = None  # billing.end, ISO date
    exclude: bool = False
    users: Mapping[str, UserView] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: TenantSpec) -> TenantView:
        return cls(
            name=spec.name, reseller=spec.reseller, directory=spec.directory,
            container=spec.container, domain=spec.domain, usage_location=spec.usage_location,
            start=spec.billing.start.isoformat() if spec.billing.start else None,
            end=spec.billing.end.isoformat() if spec.billing.end else None,
            exclude=spec.billing.exclude,
            users={uid: UserView(u.upn, u.display_name, u.given_name, u.surname, u.enabled,
                                 u.usage_location, tuple(u.skus), u.adopt)
                   for uid, u in spec.users.items()})

    def record(self) -> TenantRecord:
        """The billing record of this version (what pricing needs)."""
        return TenantRecord(
            name=self.name, reseller=self.reseller,
            start=dt.date.fromisoformat(self.start) if self.start else None,
            end=dt.date.fromisoformat(self.end) if self.end else None, exclude=self.exclude,
            users=tuple(u.record(uid) for uid, u in self.users.items()))

    def to_json(self) -> dict[str, Any]:
        head = {k: getattr(self, k) for k in _TENANT_FIELDS}
        return {**head, "users": {uid: [u.upn, u.display_name, u.given_name, u.surname,
                                         u.enabled, u.usage_location, list(u.skus), u.adopt]
                                   for uid, u in self.users.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TenantView:
        users = {uid: UserView(v[0], v[1], v[2], v[3], v[4], v[5], tuple(v[6]), v[7])
                 for uid, v in data["users"].items()}
        return cls(**{k: data[k] for k in _TENANT_FIELDS}, users=users)


_TENANT_FIELDS = ("name", "reseller", "directory", "container", "domain", "usage_location",
                  "start", "end", "exclude")


@dataclass(frozen=True)
class Unreadable:
    """A tenant file version that does not parse or validate."""

    message: str  # "line N: ...", for warnings that name the commit and file


def read_view(data: bytes) -> TenantView | Unreadable:
    try:
        return TenantView.from_spec(parse(TenantSpec, data))
    except DocumentInvalid as exc:
        problem = exc.problems[0]
        line, _ = exc.yaml_level or position(data, problem.path, at_key=problem.at_key)
        where = f"line {line}: " if line else ""
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return Unreadable(f"{where}{problem.message}{more}")


def problems_of(label: str, data: bytes, exc: DocumentInvalid) -> list[Problem]:
    """Every problem of an invalid document, located for ``file:line:col: error:`` lines."""
    out = []
    for problem in exc.problems:
        line, col = exc.yaml_level or position(data, problem.path, at_key=problem.at_key)
        out.append(Problem(label, line, col, problem.message))
    return out
