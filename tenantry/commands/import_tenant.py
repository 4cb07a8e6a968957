"""``tenantry import TENANT [--adopt]``: write the tenant's file from what its directory holds.

Reads through the provider port (any provider), maps licences and groups back to catalog
SKUs, names unmarked users after their UPN and, with ``--adopt``, marks them ``adopt: true``
so that the next apply stamps tenantry's marker on them and changes nothing else. An
existing file is merged into, keeping its comments and layout. The result is validated with
the whole spec tree before it is written; nothing is written when it would not validate.
"""

from __future__ import annotations

import re

from reconciler.errors import Problem, SpecInvalid, UserError
from reconciler.planning.directory import TenantTarget
from reconciler.planning.importer import TenantImport, import_tenant
from reconciler.planning.planner import assign_for
from reconciler.specs import TENANT_SUFFIX, TENANTS_DIR, Specs, load_specs, read_tree
from tenantry import import_writer
from tenantry.output import err, out, write_atomic
from tenantry.workspace import Workspace

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def run(ws: Workspace, *, tenant: str, adopt: bool, directory: str | None,
        container: str | None, domain: str | None, name: str | None) -> int:
    if not _ID.match(tenant):
        raise UserError(f"{tenant!r} is not a tenant id (lower-case letters, digits, '.', "
                        "'_' and '-'; it becomes the file name)")
    specs = ws.load()
    existing = specs.tenants.get(tenant)
    directory_id = _directory(specs, tenant, directory)
    if existing is not None:
        container = container or existing.container
        domain = domain or existing.domain
    with ws.directories(specs) as pool:
        reader = pool(directory_id)
        target = TenantTarget(tenant=tenant, directory=directory_id, container=container,
                              domain=domain, assign=assign_for(specs.catalog, reader.kind))
        snapshot = reader.read_tenant(target)
        result = import_tenant(snapshot, target.skus, reader.attributes,
                               {uid: u.upn for uid, u in existing.users.items()}
                               if existing else {}, adopt=adopt)
    rel = f"{TENANTS_DIR}{tenant}{TENANT_SUFFIX}"
    path = ws.specs_dir / rel
    usage = existing.usage_location if existing else None
    if existing is not None and path.exists():
        text = import_writer.merge(path.read_text(encoding="utf-8"), result, usage)
    else:
        header = {"name": name or tenant}
        if directory is not None:
            header["directory"] = directory
        for key, value in (("container", container),
                           ("domain", domain or _common_domain(result))):
            if value:
                header[key] = value
        text = import_writer.new_file(result, header, usage)
    _validate(ws, rel, text)
    path.parent.mkdir(exist_ok=True)  # the first tenant: specs/tenants/ is ours to create
    write_atomic(path, text, "import")
    _report(ws, rel, result, adopt)
    return 0


def _directory(specs: Specs, tenant: str, asked: str | None) -> str:
    known = specs.directories.directories
    if tenant in specs.tenants:
        current = specs.directory_id(tenant)
        if asked is not None and asked != current:
            raise UserError(f"tenant {tenant!r} lives in directory {current!r}; change its "
                            "file to move it, then import")
        return current
    if asked is not None:
        if asked not in known:
            raise UserError(f"unknown directory {asked!r} (known: {', '.join(known)})")
        return asked
    if len(known) > 1:
        raise UserError(f"there are {len(known)} directories; say which one holds "
                        f"{tenant!r} with --directory ({', '.join(known)})")
    return next(iter(known))


def _common_domain(result: TenantImport) -> str | None:
    domains = {u.upn.rsplit("@", 1)[-1].lower() for u in result.users}
    return domains.pop() if len(domains) == 1 else None


def _validate(ws: Workspace, rel: str, text: str) -> None:
    """The whole tree, with the new file in place, must validate (UPNs unique across
    tenants, the domain, the SKUs...)."""
    files = read_tree(ws.specs_dir)
    files[rel] = text.encode()
    try:
        load_specs(files, label=ws.label)
    except SpecInvalid as exc:
        problems = [p for p in exc.problems]
        problems.append(Problem(f"{ws.label}/{rel}", 0, 0, "not written: the import "
                                "above would not validate; fix the directory or the "
                                "other files, or pass --domain", "note"))
        raise SpecInvalid(problems) from None


def _report(ws: Workspace, rel: str, result: TenantImport, adopt: bool) -> None:
    unmarked = result.unmarked
    out(f"wrote {ws.label}/{rel}: {len(result.users)} users "
        f"({len(result.users) - len(unmarked)} managed by tenantry, {len(unmarked)} not)")
    if unmarked and adopt:
        out(f"  to adopt on the next apply (marker only): "
            f"{', '.join(u.uid for u in unmarked)}")
    elif unmarked:
        err(f"note: {len(unmarked)} users carry no tenantry marker "
            f"({', '.join(u.uid for u in unmarked)}); the next plan would try to create "
            "them and fail on their UPNs. Import with --adopt to take them over, or "
            "remove them from the file.")
    if result.dropped:
        err(f"note: removed from the file, as the directory does not hold them: "
            f"{', '.join(result.dropped)}")
    for item in result.unmapped:
        err(f"warning: {item.user} ({item.upn}) holds {item.value!r}, which no catalog "
            "product assigns; not in the file (add a product with this assign value to "
            "import it)")
