"""Parse one spec document (bytes) into its model, or into located problems.

The fast path is ``yamlsafe.load`` + ``model_validate``. Only when that fails are error
locations turned into line and column, by composing the document again.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from . import yamlsafe
from .errors import Path
from .model import (Catalog, BillingSettings, DirectoriesFile, LocatedError, ResellerFile,
                    TenantSpec)

M = TypeVar("M", bound=BaseModel)

# Keys that would hold a secret: we point at the *_env form and never echo the value.
_SECRET_HINTS = {"password": "password_env", "client_secret": "client_secret_env",
                 "secret": "client_secret_env", "bind_password": "password_env"}


@dataclass(frozen=True)
class DocProblem:
    """A problem inside one document, located by path; ``at_key`` points at the key."""

    path: Path
    message: str
    at_key: bool = False


class DocumentInvalid(Exception):
    def __init__(self, problems: list[DocProblem], *, yaml_level: tuple[int, int] | None = None):
        super().__init__(problems[0].message if problems else "invalid document")
        self.problems = problems
        # For YAML syntax problems the position is already known.
        self.yaml_level = yaml_level


def parse(model: type[M], data: bytes) -> M:
    """Parse and validate one document; raise ``DocumentInvalid`` with every problem."""
    try:
        raw = yamlsafe.load(data)
    except yamlsafe.YamlProblem as exc:
        raise DocumentInvalid([DocProblem((), exc.message)],
                              yaml_level=(exc.line, exc.col)) from None
    if raw is None:
        raise DocumentInvalid([DocProblem((), "file is empty; see docs/specs.md for its "
                                              "format")], yaml_level=(0, 0))
    if not isinstance(raw, dict):
        kind = "a list" if isinstance(raw, tuple) else f"a single {type(raw).__name__} value"
        raise DocumentInvalid([DocProblem((), f"file holds {kind}; it must be a mapping "
                                              "of keys to values")], yaml_level=(1, 1))
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise DocumentInvalid([_problem(model, err) for err in exc.errors()]) from None


def _problem(model: type[BaseModel], err: ErrorDetails) -> DocProblem:
    loc = _clean_loc(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    error = ctx.get("error")
    if isinstance(error, LocatedError):
        return DocProblem(loc + error.path, error.message)
    name = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        hint = _SECRET_HINTS.get(name)
        if hint:
            return DocProblem(loc, f"unknown key {name!r}: secrets never go in specs; name "
                                   f"an environment variable with {hint!r}", at_key=True)
        close = difflib.get_close_matches(name, allowed, n=1)
        suggestion = f"; did you mean {close[0]!r}?" if close else (
            f" (allowed: {', '.join(allowed)})" if allowed else "")
        return DocProblem(loc, f"unknown key {name!r}{suggestion}", at_key=True)
    if kind == "missing":
        return DocProblem(loc[:-1], f"missing required key {name!r}")
    if err["loc"] and err["loc"][-1] == "[key]":
        return DocProblem(loc, _key_message(loc, kind, err), at_key=True)
    return DocProblem(loc, f"{_label(loc)}: {_value_message(kind, err)}")


def _label(loc: Path) -> str:
    if not loc:
        return "file"
    if isinstance(loc[-1], int):
        return f"{loc[-2]!r} item {loc[-1] + 1}" if len(loc) >= 2 else f"item {loc[-1] + 1}"
    return repr(loc[-1])


def _clean_loc(loc: tuple[str | int, ...]) -> Path:
    # pydantic adds pseudo-steps for dict keys, function validators and the tag of a
    # discriminated union (directories.<id>.<provider>.<field>); users never wrote them.
    out: list[str | int] = []
    for step in loc:
        if step == "[key]" or (isinstance(step, str) and step.startswith("function-")):
            continue
        if len(out) == 2 and out[0] == "directories" and step in ("local", "ldap", "graph"):
            continue
        out.append(step)
    return tuple(out)


def _key_message(loc: Path, kind: str, err: ErrorDetails) -> str:
    key = loc[-1] if loc else ""
    parent = loc[-2] if len(loc) >= 2 else ""
    if kind == "string_pattern_mismatch":
        if parent == "products":
            return (f"SKU {key!r} must be upper case letters, digits, '.', '_' or '-' "
                    "(e.g. M365-BP)")
        return (f"id {key!r} must be lower case letters, digits, '.', '_' or '-', "
                "starting with a letter or digit, at most 63 characters")
    if kind == "string_type":
        return f"key {key!r} must be text; put it in quotes"
    return f"key {key!r}: {err['msg']}"


def _value_message(kind: str, err: ErrorDetails) -> str:
    ctx = err.get("ctx") or {}
    messages = {
        "string_type": "must be text (put numbers, dates and yes/no in quotes)",
        "int_type": "must be a whole number",
        "bool_type": "must be true or false",
        "date_type": "must be a date like 2026-02-01",
        "dict_type": "must be a mapping of keys to values",
        "tuple_type": "must be a list, e.g. [A, B]",
        "list_type": "must be a list, e.g. [A, B]",
        "string_too_short": "must not be empty",
        "too_short": "must not be empty",
        "string_too_long": f"is longer than {ctx.get('max_length')} characters",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "union_tag_invalid": f"provider must be one of {ctx.get('expected_tags')}",
        "union_tag_not_found": "missing required key 'provider' (local, ldap or graph)",
    }
    if kind == "string_pattern_mismatch":
        return _pattern_message(str(ctx.get("pattern", "")))
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return messages.get(kind, str(err["msg"]))


def _pattern_message(pattern: str) -> str:
    from . import model as m
    return {
        m.ID_PATTERN: "must be an id: lower case letters, digits, '.', '_' or '-'",
        m.SKU_PATTERN: "must be a SKU: upper case letters, digits, '.', '_' or '-'",
        m.ENV_PATTERN: "must be the name of an environment variable, e.g. AD_PASSWORD",
        m.UPN_PATTERN: "must be a user principal name like alice@contoso.example",
        m.DOMAIN_PATTERN: "must be a domain name like contoso.example",
        r"^[A-Z]{2}$": "must be a two-letter ISO country code like NZ",
    }.get(pattern, f"does not match {pattern}")


def _fields_at(model: type[BaseModel], loc: Path) -> list[str]:
    """Field names of the model found at ``loc`` (for 'did you mean' hints)."""
    current: Any = model
    for step in loc:
        current = _step_type(current, step)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _step_type(tp: Any, step: str | int) -> Any:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if step in (name, field.alias):
                return field.annotation
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is dict and args:
        return args[1]
    if origin is tuple and args:
        return args[0]
    return None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, getattr(__import__("types"), "UnionType")):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if len(models) == 1 else members[0]
            if len(models) > 1:
                return None
        else:
            return tp


FILE_MODELS: dict[str, type[BaseModel]] = {
    "catalog": Catalog, "billing": BillingSettings, "resellers": ResellerFile,
    "directories": DirectoriesFile, "tenant": TenantSpec,
}
