"""Parse one spec document (bytes) into its model, or into located problems.

The fast path is ``yamlsafe.load`` + ``model_validate``. Only when that fails are error
locations turned into line and column, by composing the document again.
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any, Mapping, TypeVar

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
# Any unknown key with one of these in its name is treated as an inline secret.
_SECRET_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential")

# What an empty file should hold, per model (first thing to write).
_EMPTY_HINTS = {"Catalog": "list the products under 'products:'",
                "BillingSettings": "write the settings, or delete the file to use the defaults",
                "ResellerFile": "list the resellers under 'resellers:', or delete the file",
                "DirectoriesFile": "list the directories under 'directories:', or delete the "
                                   "file to use the one local directory",
                "TenantSpec": "write at least the tenant's 'name:', or delete the file to "
                              "remove the tenant"}


@dataclass(frozen=True)
class DocProblem:
    """A problem inside one document, located by path; ``at_key`` points at the key."""

    path: Path
    message: str
    at_key: bool = False


class DocumentInvalid(Exception):
    def __init__(self, problems: list[DocProblem], *, yaml_level: tuple[int, int] | None = None,
                 raw: Mapping[str, Any] | None = None):
        super().__init__(problems[0].message if problems else "invalid document")
        self.problems = problems
        # For YAML syntax problems the position is already known.
        self.yaml_level = yaml_level
        # The parsed mapping when the YAML was fine but the model was not: cross-file checks
        # still read what they can from it (a broken tenant's SKUs, reseller, directory).
        self.raw = raw


def parse(model: type[M], data: bytes) -> M:
    """Parse and validate one document; raise ``DocumentInvalid`` with every problem."""
    try:
        raw = yamlsafe.load(data)
    except yamlsafe.YamlProblem as exc:
        raise DocumentInvalid([DocProblem((), exc.message)],
                              yaml_level=(exc.line, exc.col)) from None
    if raw is None:
        hint = _EMPTY_HINTS.get(model.__name__, "see SPEC section 2 for its format")
        raise DocumentInvalid([DocProblem((), f"file is empty; {hint}")], yaml_level=(0, 0))
    if not isinstance(raw, dict):
        kind = "a list" if isinstance(raw, tuple) else "a single value"
        raise DocumentInvalid([DocProblem((), f"file holds {kind}; it must be a mapping "
                                              "of keys to values, e.g. 'name: ...'")],
                              yaml_level=(1, 1))
    try:
        return model.model_validate(raw)
    except pydantic.ValidationError as exc:
        problems = [_problem(model, err, raw) for err in exc.errors()]
        raise DocumentInvalid(_drop_shadowed(problems), raw=raw) from None


@dataclass(frozen=True)
class _UnknownKey(DocProblem):
    """An unknown key, with the known key it most likely stands for (a typo, a secret)."""

    stands_for: str | None = None


@dataclass(frozen=True)
class _Missing(DocProblem):
    """A required key that is missing from the mapping at ``path``."""

    key: str = ""


def _drop_shadowed(problems: list[DocProblem]) -> list[DocProblem]:
    """One typo, one line: drop "missing 'price'" when the same mapping has 'prcie'."""
    meant = {(p.path[:-1], p.stands_for) for p in problems
             if isinstance(p, _UnknownKey) and p.stands_for and p.path}
    return [DocProblem(p.path, p.message, p.at_key) for p in problems
            if not (isinstance(p, _Missing) and (p.path, p.key) in meant)]


def _problem(model: type[BaseModel], err: ErrorDetails, raw: Any = None) -> DocProblem:
    loc = _clean_loc(err["loc"])
    kind = err["type"]
    ctx = err.get("ctx") or {}
    error = ctx.get("error")
    if isinstance(error, LocatedError):
        return DocProblem(loc + error.path, error.message)
    name = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1], raw)
        lowered = name.lower()
        hint = _SECRET_HINTS.get(lowered)
        if hint or any(word in lowered for word in _SECRET_WORDS):
            # Never echo the value: it is (or may be) a password or client secret.
            if hint and hint in allowed:
                todo = f"name an environment variable with {hint!r}"
            else:
                envs = [f for f in allowed if f.endswith("_env")]
                todo = (f"name an environment variable with {envs[0]!r}" if envs
                        else "remove it")
            return _UnknownKey(loc, f"unknown key {name!r}: secrets never go in specs; "
                                    f"{todo}", True, hint if hint in allowed else None)
        close = difflib.get_close_matches(name, allowed, n=1)
        suggestion = f"; did you mean {close[0]!r}?" if close else (
            f"; remove it (allowed: {', '.join(allowed)})" if allowed else "; remove it")
        return _UnknownKey(loc, f"unknown key {name!r}{suggestion}", True,
                           close[0] if close else None)
    if kind == "missing":
        return _Missing(loc[:-1], f"missing required key {name!r}; add it", key=name)
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


_KEY_NOUNS = {"users": "user id", "resellers": "reseller id", "directories": "directory id"}


def _key_message(loc: Path, kind: str, err: ErrorDetails) -> str:
    key = loc[-1] if loc else ""
    parent = loc[-2] if len(loc) >= 2 else ""
    if kind == "string_pattern_mismatch":
        if parent == "products":
            return (f"SKU {key!r} must be upper case letters, digits, '.', '_' or '-' "
                    "(e.g. M365-BP); rename it")
        noun = _KEY_NOUNS.get(str(parent), "id")
        return (f"{noun} {key!r} must be lower case letters, digits, '.', '_' or '-', "
                "starting with a letter or digit, at most 63 characters; rename it")
    if kind == "string_type":
        return f"key {key!r} must be text; put it in quotes"
    return f"key {key!r}: {err['msg']}"


_CONTAINER_KINDS = {"dict_type", "model_type", "model_attributes_type"}


def _value_message(kind: str, err: ErrorDetails) -> str:
    ctx = err.get("ctx") or {}
    given = err.get("input")
    messages = {
        "string_type": "must be text (put numbers, dates and true/false in quotes)",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "bool_type": "must be true or false",
        "date_type": "must be a date like 2026-02-01",
        "dict_type": "must be a mapping of keys to values",
        "model_type": "must be a mapping of keys to values",
        "model_attributes_type": "must be a mapping of keys to values",
        "tuple_type": "must be a list, e.g. [A, B]",
        "list_type": "must be a list, e.g. [A, B]",
        "string_too_short": "must not be empty",
        "too_short": "must not be empty",
        "string_too_long": f"is longer than {ctx.get('max_length')} characters; shorten it",
        "too_long": f"has more than {ctx.get('max_length')} items",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "union_tag_invalid": f"provider must be one of {ctx.get('expected_tags')}",
        "union_tag_not_found": "missing required key 'provider' (local, ldap or graph)",
    }
    if kind == "string_pattern_mismatch":
        return _pattern_message(str(ctx.get("pattern", "")), given)
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    message = messages.get(kind, str(err["msg"]))
    if given is None and (kind.endswith("_type") or kind in _CONTAINER_KINDS):
        # `key:` with nothing after it.
        if kind == "string_type":
            return "is empty; write some text"
        if kind in _CONTAINER_KINDS:
            return "is empty; write its keys indented below it, or remove it"
        return f"is empty; it {message}"
    if kind == "bool_type" and isinstance(given, str):
        return (f"must be true or false, not {_show(given)} (YAML 1.2 reads yes/no/on/off "
                "as text)")
    if kind == "date_type" and isinstance(given, str):
        return _date_message(given)
    if kind == "literal_error":
        return f"{_show(given)} is not allowed; use one of {ctx.get('expected')}"
    if kind == "union_tag_invalid":
        return f"provider {_show(ctx.get('tag'))} is not known; use one of " \
               f"{ctx.get('expected_tags')}"
    return message


def _date_message(given: str) -> str:
    try:
        dt.date.fromisoformat(given)
    except ValueError:
        if yamlsafe.DATE_SHAPE.match(given):
            return f"{_show(given)} is not a real date; check the month and day"
        return f"must be a date like 2026-02-01 (YYYY-MM-DD), not {_show(given)}"
    return f"must be a date, not text: remove the quotes around {given}"


def _show(value: object) -> str:
    """A short, one-line rendering of a user's value (never used for secret fields)."""
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= 60 else text[:56] + "...'"


def _pattern_message(pattern: str, given: object = None) -> str:
    from . import model as m
    # (what the value must be, an example); echoing the value is safe for these patterns.
    echoable = {
        m.ID_PATTERN: ("an id", ("use lower case letters, digits, '.', '_' or '-', "
                                 "starting with a letter or digit, at most 63 characters")),
        m.SKU_PATTERN: ("a SKU code", ("use upper case letters, digits, '.', '_' or '-', "
                                       "e.g. M365-BP")),
        m.UPN_PATTERN: ("a user principal name", "write it like alice@contoso.example"),
        m.DOMAIN_PATTERN: ("a domain name", "write it like contoso.example"),
        m.COUNTRY_PATTERN: ("a two-letter ISO country code", "use upper case, e.g. NZ or NO"),
    }
    if pattern in echoable:
        noun, todo = echoable[pattern]
        return f"{_show(given)} is not {noun}; {todo}"
    # Never echo these: a secret pasted in the wrong place must not reach a CI log.
    return {
        m.ENV_PATTERN: "must be the name of an environment variable (e.g. AD_PASSWORD) that "
                       "holds the secret, never the secret itself",
        m.GUID_PATTERN: "must be a GUID like 00000000-0000-0000-0000-000000000000",
        m.LDAP_URL_PATTERN: "must be an ldap:// or ldaps:// URL, e.g. "
                            "ldaps://dc1.example.net:636",
    }.get(pattern, "has the wrong format")


def _fields_at(model: type[BaseModel], loc: Path, raw: Any = None) -> list[str]:
    """Field names of the model found at ``loc`` (for 'did you mean' hints)."""
    current: Any = model
    for index, step in enumerate(loc):
        current = _step_type(current, step)
        if current is None:
            return []
        current = _pick_member(current, _raw_at(raw, loc[:index + 1]))
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _raw_at(raw: Any, loc: Path) -> Any:
    for step in loc:
        if isinstance(raw, dict) and isinstance(step, str):
            raw = raw.get(step)
        elif isinstance(raw, tuple) and isinstance(step, int) and 0 <= step < len(raw):
            raw = raw[step]
        else:
            return None
    return raw


def _pick_member(tp: Any, value: Any) -> Any:
    """For a union of models tagged by ``provider``, the member the value asks for."""
    inner = tp
    while typing.get_origin(inner) is typing.Annotated:
        inner = typing.get_args(inner)[0]
    if typing.get_origin(inner) not in (typing.Union, types.UnionType):
        return tp
    models = [a for a in typing.get_args(inner) if isinstance(a, type)
              and issubclass(a, BaseModel)]
    if len(models) <= 1 or not isinstance(value, dict):
        return tp
    for member in models:
        field = member.model_fields.get("provider")
        if field is not None and value.get("provider") in typing.get_args(field.annotation):
            return member
    return None


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
        elif origin in (typing.Union, types.UnionType):
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
