"""Checks that span spec files (SPEC §3): references, cycles, uniqueness, domains."""

from __future__ import annotations

from typing import Iterator, Mapping

from .documents import DocProblem
from .model import LdapDirectory, ResellerFile, TenantSpec
from .specs import DIRECTORIES, RESELLERS, Specs, tenant_path

# (file, problem) pairs; the loader resolves their positions.
Finding = tuple[str, DocProblem]


def check(specs: Specs, *, have_directories_file: bool) -> list[Finding]:
    return [*_resellers(specs.resellers), *_tenants(specs, have_directories_file)]


def _resellers(resellers: ResellerFile) -> Iterator[Finding]:
    known = resellers.resellers
    for rid, reseller in sorted(known.items()):
        if reseller.parent is not None and reseller.parent not in known:
            yield RESELLERS, DocProblem(("resellers", rid, "parent"),
                                        f"unknown reseller {reseller.parent!r} "
                                        f"(known: {_list(known)})")
    reported: set[str] = set()
    for start in sorted(known):
        chain: list[str] = []
        current: str | None = start
        while current is not None and current in known and current not in chain:
            chain.append(current)
            current = known[current].parent
        if current is not None and current in chain:
            cycle = chain[chain.index(current):]
            if not reported.intersection(cycle):
                reported.update(cycle)
                first = min(cycle)
                order = cycle[cycle.index(first):] + cycle[:cycle.index(first)] + [first]
                yield RESELLERS, DocProblem(("resellers", first, "parent"),
                                            f"reseller parents form a cycle: "
                                            f"{' -> '.join(order)}")


def _tenants(specs: Specs, have_directories_file: bool) -> Iterator[Finding]:
    products = specs.catalog.products
    directories = specs.directories.directories
    upn_owner: dict[str, tuple[str, str]] = {}
    for tid, tenant in sorted(specs.tenants.items()):
        path = tenant_path(tid)
        yield from _tenant_refs(specs, tid, tenant, have_directories_file)
        for uid, user in tenant.users.items():
            for index, sku in enumerate(user.skus):
                if sku not in products:
                    yield path, DocProblem(("users", uid, "skus", index),
                                           f"unknown SKU {sku!r} (known: {_list(products)})")
            if tenant.domain and not user.upn.lower().endswith("@" + tenant.domain.lower()):
                yield path, DocProblem(("users", uid, "upn"),
                                       f"UPN {user.upn!r} is outside the tenant's domain "
                                       f"{tenant.domain!r}")
            key = user.upn.lower()
            if key in upn_owner:
                other_tenant, other_user = upn_owner[key]
                yield path, DocProblem(("users", uid, "upn"),
                                       f"UPN {user.upn!r} is already used by user "
                                       f"{other_user!r} in {tenant_path(other_tenant)}")
            else:
                upn_owner[key] = (tid, uid)
    if not directories:
        yield DIRECTORIES, DocProblem(("directories",), "no directories are defined")


def _tenant_refs(specs: Specs, tid: str, tenant: TenantSpec,
                 have_directories_file: bool) -> Iterator[Finding]:
    path = tenant_path(tid)
    directories = specs.directories.directories
    resellers = specs.resellers.resellers
    if tenant.reseller is not None and tenant.reseller not in resellers:
        known = f"known: {_list(resellers)}" if resellers else "resellers.yaml defines none"
        yield path, DocProblem(("reseller",), f"unknown reseller {tenant.reseller!r} ({known})")
    if tenant.directory is not None and tenant.directory not in directories:
        where = "" if have_directories_file else "; without directories.yaml the only " \
                                                 "directory is 'local'"
        yield path, DocProblem(("directory",), f"unknown directory {tenant.directory!r} "
                                               f"(known: {_list(directories)}){where}")
    elif tenant.directory is None and len(directories) > 1:
        yield path, DocProblem((), f"missing key 'directory': directories.yaml defines "
                                   f"{len(directories)} ({_list(directories)}); say which")
    else:
        config = specs.directory(tid) if (tenant.directory in directories
                                          or tenant.directory is None) and directories \
            else None
        if isinstance(config, LdapDirectory) and tenant.container is None:
            yield path, DocProblem((), "missing key 'container': tenants in an ldap "
                                       "directory name their OU, e.g. OU=Contoso")
        elif config is not None and not isinstance(config, LdapDirectory) \
                and tenant.container is not None:
            yield path, DocProblem(("container",), "'container' applies only to ldap "
                                                   "directories; remove it", at_key=True)


def _list(names: Mapping[str, object]) -> str:
    return ", ".join(sorted(names)) or "none"
