"""The plan: a versioned, frozen JSON document (``tenantry.plan/1``).

Renderers (text, markdown) and apply read this document and nothing else, so a saved plan
is exactly what gets applied. Change kinds and what ``before``/``after`` hold:

| action  | before                         | after                          | sku |
|---------|--------------------------------|--------------------------------|-----|
| create  | null                           | all attributes, enabled        | -   |
| update  | the changed attributes, before | the changed attributes, after  | -   |
| enable  | {"enabled": false}             | {"enabled": true}              | -   |
| disable | {"enabled": true}              | {"enabled": false}             | -   |
| delete  | all attributes, enabled        | null                           | -   |
| assign  | null                           | null                           | SKU |
| remove  | null                           | null                           | SKU |
| adopt   | null                           | null                           | -   |

``adopt`` takes an existing object that carries no marker (``object_id``) into tenantry's
care: the provider stamps the marker for ``user`` on it and changes nothing else. It is
planned only when the specs ask for it (``tenantry import --adopt``); later changes to the
same user in the plan ``depends_on`` it.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import ClassVar, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.planning.record import record

PLAN_SCHEMA = "tenantry.plan/1"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ENABLE = "enable"
    DISABLE = "disable"
    DELETE = "delete"
    ASSIGN = "assign"
    REMOVE = "remove"
    ADOPT = "adopt"


# Apply order within a tenant. Adoptions come first (they only stamp a marker, and the
# changes to an adopted user need it); then creates, so later changes can reference them;
# SKU removals precede assignments so licences freed by one user can go to another
# (Graph refuses an assignment beyond the purchased quantity); deletes come last, so a
# failure earlier never leaves a tenant with fewer users than it had and no replacement.
# ``depends_on`` overrides this order: a create that takes a deleted user's UPN runs after
# that delete (apply.ordered).
APPLY_ORDER = (Action.ADOPT, Action.CREATE, Action.UPDATE, Action.ENABLE, Action.REMOVE, Action.ASSIGN,
               Action.DISABLE, Action.DELETE)

Value = str | bool | None


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@record(kw_only=True)
class Change:
    """One change. A record (a frozen dataclass that is cheap to build), not a pydantic
    model: a first plan makes ~300,000 of them, and a validated model costs ten times as
    much to build. Pydantic still validates them when a saved plan is read
    (``Plan.from_json``: unknown keys are refused) and writes them in the plan's JSON,
    field by field as before."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    id: str  # unique in the plan: "<tenant>/<user>/<action>[/<sku>]"
    action: Action
    tenant: str
    user: str
    upn: str
    object_id: str | None = None  # the directory object, for changes to existing users
    sku: str | None = None
    before: dict[str, Value] | None = None
    after: dict[str, Value] | None = None
    # Id of a change in the same tenant that must succeed first: the user's create (for its
    # assigns), or another user's delete/rename that frees the UPN this change takes.
    depends_on: str | None = None


class Blocked(Frozen):
    """Planned changes the directory cannot carry out (seen at plan time: too few licences
    free, no usage location to license in). Apply refuses them and does the rest."""

    message: str  # one line, without the tenant: "M365-BP needs 3 more licences than ..."
    changes: tuple[str, ...]  # the refused change ids


class TenantPlan(Frozen):
    tenant: str
    directory: str
    provider: str
    # What the plan was computed from; apply re-reads both and refuses a stale plan.
    desired_digest: str
    actual_digest: str | None
    changes: tuple[Change, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None  # set when the directory could not be read completely
    blocked: tuple[Blocked, ...] = ()


class Plan(Frozen):
    schema_: Literal["tenantry.plan/1"] = Field(default="tenantry.plan/1", alias="schema")
    tool_version: str
    revision: str | None  # HEAD of the spec repository, None outside git
    dirty: bool  # the specs in the working tree differed from HEAD
    tenants: tuple[TenantPlan, ...]

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def changes(self) -> list[Change]:
        return [c for t in self.tenants for c in t.changes]

    def counts(self) -> dict[str, int]:
        # Counted by member, named once per action: ``.value`` is a slow property, and a
        # first plan has 300,000 changes.
        counted = Counter(c.action for t in self.tenants for c in t.changes)
        return {action.value: counted[action] for action in Action}

    def deletes(self) -> int:
        return sum(1 for c in self.changes() if c.action is Action.DELETE)

    def has_changes(self) -> bool:
        return any(t.changes for t in self.tenants)

    def errors(self) -> list[str]:
        """Tenants not planned, and changes the directory would refuse, one line each."""
        return [f"{t.tenant}: {line}" for t in self.tenants
                for line in ([t.error] if t.error else []) + [b.message for b in t.blocked]]

    def to_json(self) -> str:
        return "".join(self.json_chunks())

    def json_chunks(self) -> Iterator[str]:
        """The JSON document in pieces, one tenant at a time, so that a plan of 300,000
        changes is written without ever holding its ~130 MB of text. The pieces make
        exactly ``model_dump_json(by_alias=True, indent=2)`` and a newline."""
        head = self.model_copy(update={"tenants": ()}).model_dump_json(by_alias=True,
                                                                       indent=2)
        # The top-level key appears once; in a string value its quotes would be escaped.
        before, found, after = head.partition('"tenants": []')
        if not found or not self.tenants:
            yield head + "\n"
            return
        yield before + '"tenants": [\n'
        for number, tenant in enumerate(self.tenants):
            # JSON strings hold no raw newline, so this only indents the tenant's lines.
            text = tenant.model_dump_json(indent=2).replace("\n", "\n    ")
            yield ("    " if number == 0 else ",\n    ") + text
        yield "\n  ]" + after + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Plan:
        return cls.model_validate_json(text)
