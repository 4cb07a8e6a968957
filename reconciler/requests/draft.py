"""A request before it is submitted: the edit carried out on the base commit's file, and
checked.

A draft reads only git objects (the base commit's tree), never the server's work tree: what
is checked and shown is exactly what will be committed on top of that base.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.gitrepo import Repo
from reconciler.requests.checks import Finding, SpecCache, check
from reconciler.requests.edits import Edit, describe
from reconciler.requests.yamledit import apply_edit
from reconciler.specs import tenant_path


def tenant_file(specs_rel: str, tenant: str) -> str:
    """A tenant file's path inside the repository (``specs_rel``: the specs folder in it)."""
    inner = tenant_path(tenant)
    return f"{specs_rel}/{inner}" if specs_rel not in ("", ".") else inner


class NoSuchTenant(UserError):
    """The tenant has no file at the base (a web page answers 404, as for one out of scope)."""


@dataclass(frozen=True)
class Draft:
    tenant: str
    edit: Edit
    base: str  # the commit the edit applies to
    specs_rel: str  # the specs folder inside the repository
    before: bytes  # the tenant file at the base
    after: bytes  # the tenant file with the edit
    findings: tuple[Finding, ...]  # empty: valid, ready to submit

    @property
    def path(self) -> str:
        """The tenant file's path inside the repository."""
        return tenant_file(self.specs_rel, self.tenant)

    @property
    def subject(self) -> str:
        return describe(self.tenant, self.edit)

    @property
    def ok(self) -> bool:
        return not self.findings


def prepare(repo: Repo, specs_rel: str, base: str, tenant: str, edit: Edit, *,
            cache: SpecCache | None = None) -> Draft:
    """Carry ``edit`` out on ``tenant``'s file at commit ``base`` and check the result.

    ``EditRefused`` when the edit does not fit the file (no such user, ...), ``NoSuchTenant``
    when the tenant has no file there.
    """
    cache = cache or SpecCache()
    files = cache.files_at(repo, base, specs_rel)
    path = tenant_path(tenant)
    if path not in files:
        raise NoSuchTenant(f"there is no tenant {tenant!r}")
    before = files[path]
    try:
        text = before.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"the file of tenant {tenant!r} is not UTF-8 text; ask an engineer "
                        "to fix it first") from None
    after = apply_edit(text, edit).encode("utf-8")
    findings = check(files, tenant, after, label=specs_rel or ".", cache=cache)
    return Draft(tenant, edit, base, specs_rel, before, after, tuple(findings))


