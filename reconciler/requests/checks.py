"""Is the tree valid with the edited tenant file? The same check as ``tenantry validate``.

``load_specs`` runs over every spec file at the base commit with the one file replaced, so a
request is held to exactly the rules a pull request is. Its problems are then said for people
who never saw the YAML: which user, which field, what to do, with no file names or line
numbers, and nothing about any other tenant (a UPN taken elsewhere is "already in use", not
"used by bob in northwind"). The validator's own line is kept as ``detail`` for engineers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel

from reconciler.errors import Problem, SpecInvalid
from reconciler.gitrepo import BlobReader, Repo, tree_blobs
from reconciler.specs import (
    ParseCache,
    Parsed,
    TenantSpec,
    blob_id,
    load_specs,
    parse,
    tenant_path,
)

M = TypeVar("M", bound=BaseModel)

FIELD_LABELS = {"upn": "Sign-in name (UPN)", "display_name": "Display name",
                "given_name": "Given name", "surname": "Surname", "enabled": "Enabled",
                "usage_location": "Usage location", "skus": "Products (SKUs)"}

_KEY_PREFIX = re.compile(r"^'[a-z_]+': ")
_UNKNOWN_SKU = re.compile(r"^unknown SKU ('[^']*') \(known: ([^)]*)\);.*$")
_UPN_TAKEN = re.compile(r"^UPN ('.*') is already used by user ('[^']*') in (\S+); .*$")


@dataclass(frozen=True)
class Finding:
    """One reason a request cannot go ahead, worded for the person who asked."""

    message: str
    user: str | None = None
    field: str | None = None
    detail: str = ""  # the validator's line, for engineers (names files; may name others)

    def render(self) -> str:
        where = ", ".join(p for p in (self.user, FIELD_LABELS.get(self.field or "", ""))
                          if p)
        return f"{where}: {self.message}" if where else self.message


class SpecCache:
    """File contents by blob id and parsed tenant files by content, kept between checks.

    A server checking requests against a 1,000-tenant tree parses each file once, not on
    every request: only the edited file is new. Versions no longer at the base are
    forgotten once they outnumber the live ones.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self._blobs: dict[str, bytes] = {}
        self._tenants: dict[str, TenantSpec] = {}  # by blob id, for the pages
        # What checks parse (load_specs), by blob id; given the cache folder, the entries
        # validate, plan, bill and the API's start-up left on disk are read, not parsed again.
        self.parsed = ParseCache(folder)

    def files_at(self, repo: Repo, commit: str, specs_rel: str) -> dict[str, bytes]:
        ids = tree_blobs(repo, commit, specs_rel)
        wanted = sorted({b for b in ids.values() if b not in self._blobs})
        if wanted:
            with BlobReader(repo) as reader:
                self._blobs.update(reader.read(wanted))
        live = set(ids.values())
        if len(self._blobs) > 2 * len(live):  # forget versions no longer at the base
            self._blobs = {b: d for b, d in self._blobs.items() if b in live}
            self._tenants = {b: t for b, t in self._tenants.items() if b in live}
            self.parsed.retain(live)
        return {path: self._blobs[blob] for path, blob in ids.items()}

    def parse(self, model: type[M], data: bytes) -> M:
        """One file's model (``DocumentInvalid`` passes through, uncached); a tenant file is
        parsed once, whether a page or a check asked first."""
        if model is not TenantSpec:
            return parse(model, data)
        blob = blob_id(data)
        spec = self._tenants.get(blob)
        if spec is None:
            entry = self.parsed.get(blob)
            spec = self._tenants[blob] = entry.spec() if isinstance(entry, Parsed) \
                else parse(TenantSpec, data)
        assert isinstance(spec, model)
        return spec


def check(files: Mapping[str, bytes], tenant: str, new_text: bytes, *, label: str = "specs",
          cache: SpecCache | None = None) -> list[Finding]:
    """What is wrong with the tree once ``tenant``'s file reads ``new_text`` (empty: fine)."""
    path = tenant_path(tenant)
    problems = new_problems(files, {**files, path: new_text}, label=label, cache=cache)
    locate = _Locator(new_text)
    own = f"{label}/{path}"
    return [_finding(p, tenant, locate if p.file == own else None) for p in problems]


def new_problems(before: Mapping[str, bytes], after: Mapping[str, bytes], *,
                 label: str = "specs", cache: SpecCache | None = None) -> list[Problem]:
    """The problems of the ``after`` tree that are the change's doing: every problem in a
    file that changed, and problems elsewhere only when they were not there ``before`` (a
    UPN taken from another tenant counts; what was already broken elsewhere does not)."""
    found = tree_problems(after, label, cache)
    if not found:
        return []
    changed = {f"{label}/{rel}" for rel in after if before.get(rel) != after[rel]}
    if any(p.file not in changed for p in found):
        earlier = set(tree_problems(before, label, cache))
        found = [p for p in found if p.file in changed or p not in earlier]
    return found


def tree_problems(files: Mapping[str, bytes], label: str = "specs",
                  cache: SpecCache | None = None) -> list[Problem]:
    """Every problem ``tenantry validate`` finds in these files (empty: valid)."""
    try:
        load_specs(files, label=label, cache=cache.parsed if cache else None)
    except SpecInvalid as exc:
        return list(exc.problems)
    return []


def _finding(problem: Problem, tenant: str, locate: _Locator | None) -> Finding:
    user, key = locate.at(problem.line) if locate else (None, None)
    message = _KEY_PREFIX.sub("", problem.message)
    if match := _UNKNOWN_SKU.match(message):
        message = f"there is no product {match[1]}; choose one of {match[2]}"
    elif match := _UPN_TAKEN.match(message):
        holder_here = match[3] == tenant_path(tenant)
        if locate is None and holder_here:
            # Reported on the other tenant's file, against our user who now shares its UPN.
            user, key = match[2].strip("'"), "upn"
        message = (f"{match[1]} is already the sign-in name of {match[2]}"
                   if holder_here and locate is not None else
                   f"{match[1]} is already in use; each sign-in name belongs to one user")
        key = key or "upn"
    elif locate is None:
        message = "this change conflicts with the rest of the specs; ask an engineer"
    if message:
        message = message[0].upper() + message[1:]
    return Finding(message, user, key, problem.render())


class _Locator:
    """Which user and field a line of the tenant file belongs to: the last user key (and
    field key within it) that starts at or before the line, inside the users mapping."""

    def __init__(self, text: bytes) -> None:
        self._users: list[tuple[int, str, list[tuple[int, str]]]] = []
        self._end = 0
        try:
            root = yaml.compose(text.decode("utf-8", "replace"), Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            return
        users = _value(root, "users")
        if not isinstance(users, yaml.MappingNode):
            return
        self._end = users.end_mark.line + 1
        for key, value in users.value:
            fields = [(k.start_mark.line + 1, str(k.value)) for k, _ in value.value] \
                if isinstance(value, yaml.MappingNode) else []
            self._users.append((key.start_mark.line + 1, str(key.value), fields))

    def at(self, line: int) -> tuple[str | None, str | None]:
        if line > self._end:
            return None, None
        user: str | None = None
        field: str | None = None
        for first, uid, fields in self._users:
            if first > line:
                break
            user, field = uid, None
            for start, key in fields:
                if start > line:
                    break
                field = key
        return user, field


def _value(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None
