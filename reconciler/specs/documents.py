"""Parse one spec document (bytes) into its model, or into located problems.

The fast path is ``yamlsafe.load`` + ``model_validate``. Only when that fails are error
locations turned into line and column, by composing the document again.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Mapping, TypeVar

import pydantic
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from reconciler.errors import Path
from reconciler.specs import yamlsafe
from reconciler.specs.directories import DirectoriesFile
from reconciler.specs.fields import LocatedError
from reconciler.specs.messages import key_message, value_message
from reconciler.specs.model import BillingSettings, Catalog, ResellerFile, TenantSpec
from reconciler.specs.modelpath import fields_at

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
        allowed = fields_at(model, loc[:-1], raw)
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
        return DocProblem(loc, key_message(loc, kind, err), at_key=True)
    return DocProblem(loc, f"{_label(loc)}: {value_message(kind, err)}")


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


FILE_MODELS: dict[str, type[BaseModel]] = {
    "catalog": Catalog, "billing": BillingSettings, "resellers": ResellerFile,
    "directories": DirectoriesFile, "tenant": TenantSpec,
}
