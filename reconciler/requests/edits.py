"""The changes a request can make to one tenant file, as values.

An edit says what a person asked for ("add bob with M365-BP and SUPPORT"), not how the YAML
changes: ``yamledit`` carries it out on the file, ``describe`` words it for the commit
message, and ``to_json``/``from_json`` keep it in the commit (a ``Tenantry-Edit`` trailer) so
the request can be read back and replayed.
"""

from __future__ import annotations

import json
import re
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

from reconciler.errors import UserError

_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


class EditRefused(UserError):
    """The edit does not fit the tenant file as it is (no such user, already there, ...)."""


@dataclass(frozen=True)
class AddUser:
    user: str
    upn: str
    display_name: str
    given_name: str | None = None
    surname: str | None = None
    skus: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class UpdateUser:
    """Change the UPN and names (a rename: the user id stays). None leaves a field as it is;
    "" removes an optional name."""

    user: str
    upn: str | None = None
    display_name: str | None = None
    given_name: str | None = None
    surname: str | None = None


@dataclass(frozen=True)
class SetEnabled:
    user: str
    enabled: bool


@dataclass(frozen=True)
class ChangeSkus:
    user: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoveUser:
    user: str


Edit = AddUser | UpdateUser | SetEnabled | ChangeSkus | RemoveUser

OPS: dict[str, type[Edit]] = {"add-user": AddUser, "update-user": UpdateUser,
                               "set-enabled": SetEnabled, "change-skus": ChangeSkus,
                               "remove-user": RemoveUser}
_OP_OF = {kind: op for op, kind in OPS.items()}


def op_name(edit: Edit) -> str:
    return _OP_OF[type(edit)]


def describe(tenant: str, edit: Edit) -> str:
    """One line for a commit subject and a pull request title."""
    who = edit.user
    if isinstance(edit, AddUser):
        skus = f" with {', '.join(edit.skus)}" if edit.skus else " without SKUs"
        state = ", disabled" if not edit.enabled else ""
        return f"{tenant}: add user {who} ({edit.upn}){skus}{state}"
    if isinstance(edit, UpdateUser):
        parts = [f"{label} -> {value or '(none)'}"
                 for label, value in (("UPN", edit.upn), ("display name", edit.display_name),
                                      ("given name", edit.given_name),
                                      ("surname", edit.surname)) if value is not None]
        return f"{tenant}: rename {who}: {'; '.join(parts)}"
    if isinstance(edit, SetEnabled):
        return f"{tenant}: {'enable' if edit.enabled else 'disable'} {who}"
    if isinstance(edit, ChangeSkus):
        parts = ([f"add {', '.join(edit.add)}"] if edit.add else []) + \
                ([f"remove {', '.join(edit.remove)}"] if edit.remove else [])
        return f"{tenant}: {who}: {'; '.join(parts)}"
    return f"{tenant}: remove user {who}"


def slug(tenant: str, edit: Edit) -> str:
    """The readable part of the branch name: ``contoso-add-user-bob``."""
    verb = {AddUser: "add", UpdateUser: "rename", SetEnabled: "enable" if getattr(
        edit, "enabled", True) else "disable", ChangeSkus: "skus", RemoveUser: "remove"}
    text = f"{tenant}-{verb[type(edit)]}-{edit.user}"
    return _SLUG_CHARS.sub("-", text.lower()).strip("-")[:48].rstrip("-") or "request"


def to_json(edit: Edit) -> str:
    body: dict[str, Any] = {"op": op_name(edit)}
    for key, value in asdict(edit).items():
        body[key] = list(value) if isinstance(value, tuple) else value
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def from_json(text: str) -> Edit:
    """The edit a ``Tenantry-Edit`` trailer holds (refused if it is not one)."""
    try:
        body = json.loads(text)
        kind = OPS[body.pop("op")]
        names = {f.name for f in fields(kind)}
        if not isinstance(body, dict) or set(body) - names:
            raise ValueError("unexpected keys")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in body.items()}
        if not all(_well_typed(k, v) for k, v in values.items()):
            raise ValueError("wrong types")
        return kind(**values)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UserError("the request's Tenantry-Edit trailer is not an edit tenantry "
                        "wrote") from None


def _well_typed(key: str, value: Any) -> bool:
    if key in ("skus", "add", "remove"):
        return isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    if key == "enabled":
        return isinstance(value, bool)
    return isinstance(value, str) or (value is None and key != "user")


def build(op: str, user: str, values: dict[str, Any]) -> Edit:
    """An edit from loose input (form fields, CLI options): text trimmed, empty optional
    text as "not given", SKUs upper-cased and de-duplicated in order."""
    kind = OPS.get(op)
    if kind is None:
        raise UserError(f"unknown change {op!r}; use one of {', '.join(OPS)}")
    user = _text(user) or ""
    if not user:
        raise UserError("say which user: the user id is empty")
    clean: dict[str, Any] = {"user": user}
    for f in fields(kind):
        if f.name == "user" or f.name not in values:
            continue
        value = values[f.name]
        if isinstance(value, (list, tuple)):
            clean[f.name] = _skus(value)
        elif isinstance(value, bool) or value is None:
            clean[f.name] = value
        elif f.default is MISSING or kind is UpdateUser:
            # Required text stays text, even empty: the validator says what it must be.
            clean[f.name] = str(value).strip()
        else:
            clean[f.name] = _text(str(value))
    try:
        return kind(**clean)
    except TypeError:
        missing = [f.name for f in fields(kind) if f.name not in clean and f.default is MISSING]
        raise UserError(f"{op} needs {', '.join(missing) or 'more fields'}") from None


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _skus(values: Any) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        code = str(value).strip().upper()
        if code and code not in out:
            out.append(code)
    return tuple(out)
