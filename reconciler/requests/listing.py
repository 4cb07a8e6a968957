"""Reading requests back from their branches: number, tenant, edit, who asked, and whether
it is merged."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.gitrepo import Ident, Repo, ref_target, refs_under
from reconciler.requests.edits import Edit, from_json
from reconciler.requests.submit import BRANCHES, EDIT_TRAILER, TENANT_TRAILER, TOKEN_TRAILER

_BRANCH = re.compile(r"^(\d+)-")
_TRAILER = re.compile(r"^([A-Za-z][A-Za-z0-9-]*): (.*)$")


@dataclass(frozen=True)
class Request:
    number: int
    branch: str  # requests/12-contoso-add-bob
    commit: str
    base: str | None  # the commit it was made on (its first parent)
    message: str
    author: Ident
    created: int  # author time, seconds since the epoch
    merged: bool

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def trailers(self) -> dict[str, str]:
        return trailers(self.message)

    @property
    def tenant(self) -> str | None:
        return self.trailers.get(TENANT_TRAILER)

    @property
    def token_id(self) -> str | None:
        return self.trailers.get(TOKEN_TRAILER)

    @property
    def edit(self) -> Edit | None:
        text = self.trailers.get(EDIT_TRAILER)
        try:
            return from_json(text) if text else None
        except UserError:
            return None


def trailers(message: str) -> dict[str, str]:
    """``Key: value`` lines of the message's last paragraph."""
    paragraphs = message.strip().split("\n\n")
    found: dict[str, str] = {}
    if len(paragraphs) < 2:
        return found
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line)
        if match is None:
            return {}
        found.setdefault(match[1], match[2].strip())
    return found


def list_requests(repo: Repo, into: str) -> list[Request]:
    """Every request branch, by number, each marked merged when ``into`` holds its commit."""
    target = f"refs/heads/{into}"
    if ref_target(repo, target) is None:
        raise UserError(f"there is no branch {into!r}; requests merge into the base branch "
                        "(set 'base' in the request settings, or pass --base)")
    merged = {r.ref for r in refs_under(repo, BRANCHES, merged_into=target)}
    found = []
    for ref in refs_under(repo, BRANCHES):
        branch = ref.ref.removeprefix("refs/heads/")
        match = _BRANCH.match(branch.removeprefix("requests/"))
        if match is None:
            continue
        found.append(Request(int(match[1]), branch, ref.commit,
                             ref.parents[0] if ref.parents else None, ref.message,
                             ref.author, ref.authored, ref.ref in merged))
    return sorted(found, key=lambda r: (r.number, r.branch))


def find_request(repo: Repo, number: int, into: str) -> Request:
    matches = [r for r in list_requests(repo, into) if r.number == number]
    if not matches:
        raise UserError(f"there is no request #{number}; 'tenantry requests list' shows them")
    if len(matches) > 1:
        raise UserError(f"request #{number} has {len(matches)} branches "
                        f"({', '.join(r.branch for r in matches)}); delete all but one")
    return matches[0]
