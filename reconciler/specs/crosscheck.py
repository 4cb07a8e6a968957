"""Checks that span spec files (SPEC §3): references, cycles, uniqueness, domains.

The checks read a small view of the references (``Known`` and ``TenantRefs``) rather than
the models, so that a file which failed its own validation still takes part: its SKUs,
reseller, directory and UPNs are read leniently from the parsed YAML (``*_from_raw``).
A value that is itself malformed is left out there, since the file's own problem already
names it; that keeps every problem reported once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, NamedTuple

from reconciler.specs.directories import DirectoriesFile
from reconciler.specs.documents import DocProblem
from reconciler.specs.fields import (
    DOMAIN_PATTERN,
    GUID_PATTERN,
    ID_PATTERN,
    SKU_PATTERN,
    UPN_PATTERN,
)
from reconciler.specs.model import ResellerFile, TenantSpec
from reconciler.specs.tree import DIRECTORIES, RESELLERS, tenant_path

# (file, problem) pairs; the loader resolves their positions.
Finding = tuple[str, DocProblem]

_ID = re.compile(ID_PATTERN)
_SKU = re.compile(SKU_PATTERN)
_UPN = re.compile(UPN_PATTERN)
_DOMAIN = re.compile(DOMAIN_PATTERN)
_GUID = re.compile(GUID_PATTERN)
_PROVIDERS = ("local", "ldap", "graph")
# How the directory views below name a graph directory over many customer tenants: its
# tenants' 'container' is required (the customer's Entra tenant id), as for ldap.
GRAPH_MULTI_TENANT = "graph (multi_tenant)"


class UserRefs(NamedTuple):
    # A NamedTuple: one per user, 100,000 per load.
    uid: str
    upn: str | None                          # None: absent or malformed
    skus: tuple[tuple[int, str], ...] = ()   # (index in the list, code)


@dataclass(frozen=True)
class TenantRefs:
    reseller: str | None = None
    directory: str | None = None
    directory_given: bool = False    # the key is there, even if its value is malformed
    container_given: bool = False
    container: str | None = None     # None: absent or not a string
    domain: str | None = None
    users: tuple[UserRefs, ...] = ()


@dataclass(frozen=True)
class Known:
    """What the top-level files define; ``None`` where a file is unreadable (skip checks)."""

    skus: frozenset[str] | None
    resellers: Mapping[str, str | None] | None       # id -> parent
    directories: Mapping[str, str | None] | None     # id -> provider (None: malformed)
    have_directories_file: bool


def check_refs(known: Known, tenants: Mapping[str, TenantRefs]) -> list[Finding]:
    findings: list[Finding] = []
    if known.resellers is not None:
        findings.extend(_resellers(known.resellers))
    findings.extend(_tenants(known, tenants))
    return findings


# --- views from models ---------------------------------------------------------------------

def resellers_known(resellers: ResellerFile) -> dict[str, str | None]:
    return {rid: r.parent for rid, r in resellers.resellers.items()}


def directories_known(directories: DirectoriesFile) -> dict[str, str | None]:
    return {did: GRAPH_MULTI_TENANT if getattr(d, "multi_tenant", False) else d.provider
            for did, d in directories.directories.items()}


def tenant_refs(tenant: TenantSpec) -> TenantRefs:
    return TenantRefs(
        reseller=tenant.reseller, directory=tenant.directory,
        directory_given=tenant.directory is not None,
        container_given=tenant.container is not None, container=tenant.container,
        domain=tenant.domain,
        users=tuple(UserRefs(uid, user.upn, tuple(enumerate(user.skus)))
                    for uid, user in tenant.users.items()))


def tenant_refs_from_json(data: Mapping[str, Any]) -> TenantRefs:
    """``tenant_refs`` of a valid tenant, from its model's JSON (the parse cache's entry)."""
    users = data["users"]
    return TenantRefs(
        reseller=data["reseller"], directory=data["directory"],
        directory_given=data["directory"] is not None,
        container_given=data["container"] is not None, domain=data["domain"],
        users=tuple(UserRefs(uid, user["upn"], tuple(enumerate(user["skus"])))
                    for uid, user in users.items()))


# --- views from the raw YAML of files that failed validation ---------------------------------

def skus_from_raw(raw: Any) -> frozenset[str] | None:
    products = raw.get("products") if isinstance(raw, dict) else None
    if not isinstance(products, dict):
        return None
    # Every key counts as defined, even a malformed one: catalog.yaml reports that key,
    # and tenants using it are not reported a second time.
    return frozenset(k for k in products if isinstance(k, str))


def resellers_from_raw(raw: Any) -> dict[str, str | None] | None:
    resellers = raw.get("resellers", {}) if isinstance(raw, dict) else None
    if not isinstance(resellers, dict):
        return None
    return {rid: _id_or_none(entry.get("parent") if isinstance(entry, dict) else None)
            for rid, entry in resellers.items() if isinstance(rid, str)}


def directories_from_raw(raw: Any) -> dict[str, str | None] | None:
    directories = raw.get("directories") if isinstance(raw, dict) else None
    if not isinstance(directories, dict):
        return None
    out: dict[str, str | None] = {}
    for did, entry in directories.items():
        provider = entry.get("provider") if isinstance(entry, dict) else None
        if provider == "graph" and entry.get("multi_tenant") is True:
            provider = GRAPH_MULTI_TENANT
        out[did] = provider if provider in (*_PROVIDERS, GRAPH_MULTI_TENANT) else None
    return out


def tenant_refs_from_raw(raw: Any) -> TenantRefs | None:
    if not isinstance(raw, dict):
        return None
    users: list[UserRefs] = []
    raw_users = raw.get("users")
    for uid, user in (raw_users.items() if isinstance(raw_users, dict) else ()):
        if not (isinstance(uid, str) and _ID.match(uid) and isinstance(user, dict)):
            continue
        upn = user.get("upn")
        skus = user.get("skus")
        users.append(UserRefs(
            uid, upn if isinstance(upn, str) and _UPN.match(upn) and len(upn) <= 256 else None,
            tuple((i, s) for i, s in enumerate(skus) if isinstance(s, str) and _SKU.match(s))
            if isinstance(skus, tuple) else ()))
    domain = raw.get("domain")
    return TenantRefs(
        reseller=_id_or_none(raw.get("reseller")), directory=_id_or_none(raw.get("directory")),
        directory_given=raw.get("directory") is not None,
        container_given=raw.get("container") is not None,
        container=raw["container"] if isinstance(raw.get("container"), str) else None,
        domain=domain if isinstance(domain, str) and _DOMAIN.match(domain)
        and len(domain) <= 253 else None,
        users=tuple(users))


def _id_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.match(value) else None


# --- the checks -------------------------------------------------------------------------------

def _resellers(known: Mapping[str, str | None]) -> Iterator[Finding]:
    for rid, parent in sorted(known.items()):
        if parent is not None and parent not in known:
            yield RESELLERS, DocProblem(("resellers", rid, "parent"),
                                        f"unknown reseller {parent!r} (known: {_list(known)}); "
                                        "fix 'parent' or add that reseller")
    reported: set[str] = set()
    for start in sorted(known):
        chain: list[str] = []
        current: str | None = start
        while current is not None and current in known and current not in chain:
            chain.append(current)
            current = known[current]
        if current is not None and current in chain:
            cycle = chain[chain.index(current):]
            if not reported.intersection(cycle):
                reported.update(cycle)
                first = min(cycle)
                if len(cycle) == 1:
                    message = (f"reseller {first!r} is its own parent; set 'parent' to "
                               "another reseller or null")
                else:
                    order = cycle[cycle.index(first):] + cycle[:cycle.index(first)] + [first]
                    message = (f"reseller parents form a cycle: {' -> '.join(order)}; "
                               "change one 'parent' to break it")
                yield RESELLERS, DocProblem(("resellers", first, "parent"), message)


def _tenants(known: Known, tenants: Mapping[str, TenantRefs]) -> Iterator[Finding]:
    upn_owner: dict[str, tuple[str, str]] = {}
    skus = known.skus
    # Runs once per user (100,000 in a large tree): lookups hoisted out of the loop.
    for tid, tenant in sorted(tenants.items()):
        path = tenant_path(tid)
        yield from _tenant_refs(known, tid, tenant)
        at_domain = "@" + tenant.domain.lower() if tenant.domain else None
        for user in tenant.users:
            if skus is not None:
                for index, sku in user.skus:
                    if sku not in skus:
                        yield path, DocProblem(("users", user.uid, "skus", index),
                                               f"unknown SKU {sku!r} (known: "
                                               f"{_list(skus)}); add it to "
                                               "catalog.yaml or fix the code")
            if user.upn is None:
                continue
            key = user.upn.lower()
            if at_domain and not key.endswith(at_domain):
                yield path, DocProblem(("users", user.uid, "upn"),
                                       f"UPN {user.upn!r} is outside the tenant's domain "
                                       f"{tenant.domain!r}; use an address @{tenant.domain}")
            me = (tid, user.uid)
            owner = upn_owner.setdefault(key, me)
            if owner is not me:
                other_tenant, other_user = owner
                yield path, DocProblem(("users", user.uid, "upn"),
                                       f"UPN {user.upn!r} is already used by user "
                                       f"{other_user!r} in {tenant_path(other_tenant)}; "
                                       "each UPN belongs to one user")
    if known.directories is not None and not known.directories:
        yield DIRECTORIES, DocProblem(("directories",), "no directories are defined; add "
                                                        "one, or delete directories.yaml")


def _tenant_refs(known: Known, tid: str, tenant: TenantRefs) -> Iterator[Finding]:
    path = tenant_path(tid)
    resellers = known.resellers
    if resellers is not None and tenant.reseller is not None \
            and tenant.reseller not in resellers:
        names = f"known: {_list(resellers)}" if resellers else "resellers.yaml defines none"
        yield path, DocProblem(("reseller",), f"unknown reseller {tenant.reseller!r} "
                                              f"({names}); fix 'reseller' or add it to "
                                              "resellers.yaml")
    directories = known.directories
    if directories is None or (tenant.directory_given and tenant.directory is None):
        return  # directories.yaml or this 'directory' value is broken, and reported
    chosen: str | None
    if tenant.directory is not None:
        if tenant.directory not in directories:
            where = "" if known.have_directories_file else \
                "; without directories.yaml the only directory is 'local'"
            todo = "add it to directories.yaml" if known.have_directories_file \
                else "create directories.yaml"
            yield path, DocProblem(("directory",), f"unknown directory {tenant.directory!r} "
                                                   f"(known: {_list(directories)}){where}; "
                                                   f"fix 'directory' or {todo}")
            return
        chosen = tenant.directory
    elif len(directories) > 1:
        yield path, DocProblem((), f"missing key 'directory': directories.yaml defines "
                                   f"{len(directories)} ({_list(directories)}); say which")
        return
    else:
        chosen = next(iter(directories), None)
    provider = directories.get(chosen) if chosen is not None else None
    if provider == "ldap":
        if not tenant.container_given:
            yield path, DocProblem((), "missing key 'container': tenants in an ldap "
                                       "directory name their OU, e.g. OU=Contoso")
    elif provider == GRAPH_MULTI_TENANT:
        if not tenant.container_given:
            yield path, DocProblem((), "missing key 'container': tenants in a multi_tenant "
                                       "graph directory name their customer's Entra tenant "
                                       "id (a GUID)")
        elif tenant.container is not None and not _GUID.match(tenant.container):
            yield path, DocProblem(("container",), "'container' must be the customer's Entra "
                                                   "tenant id, a GUID like "
                                                   "00000000-0000-0000-0000-000000000000")
    elif provider is not None and tenant.container_given:
        yield path, DocProblem(("container",), "'container' applies only to ldap and "
                                               "multi_tenant graph directories; remove it",
                               at_key=True)


def _list(names: Mapping[str, object] | frozenset[str]) -> str:
    return ", ".join(sorted(names)) or "none"


__all__ = ["Finding", "Known", "TenantRefs", "UserRefs", "check_refs",
           "directories_from_raw", "directories_known", "resellers_from_raw",
           "resellers_known", "skus_from_raw", "tenant_refs", "tenant_refs_from_json",
           "tenant_refs_from_raw"]
