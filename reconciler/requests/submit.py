"""Submitting a request: one commit on a new branch ``requests/<n>-<slug>``.

Nothing here touches the work tree, the index or the branch checked out: the new file is
written as a blob, the commit is built in a private index on top of the draft's base, and
the branch is created with ``update-ref``. Two requests on the same tenant at the same
moment are two commits on the same base, on two branches: neither can overwrite the other.

Request numbers are allocated race-free: a number is taken by creating
``refs/tenantry/requests/<n>`` (create-only: it fails if the ref exists) in the same
``update-ref`` transaction that creates the branch. A process that loses the race for a
number sees its transaction refused, and tries the next. The number refs also keep every
request's commit reachable after its branch is deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.gitrepo import (
    Ident,
    RefUpdate,
    Repo,
    commit_blobs,
    current_branch,
    ref_target,
    refs_under,
    update_refs,
    write_blob,
)
from reconciler.requests.draft import Draft
from reconciler.requests.edits import slug, to_json

BRANCHES = "refs/heads/requests/"
NUMBERS = "refs/tenantry/requests/"
TENANT_TRAILER = "Tenantry-Tenant"
EDIT_TRAILER = "Tenantry-Edit"
TOKEN_TRAILER = "Tenantry-Token"
_TRIES = 100
_NUMBER = re.compile(r"^(\d+)")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>]+")


@dataclass(frozen=True)
class Requester:
    """Who asked: the token's name (the commit's author) and the token's public id."""

    name: str
    token_id: str | None = None

    @property
    def clean_name(self) -> str:
        """The name as git can record it: no control characters or angle brackets."""
        return " ".join(_UNSAFE_NAME.sub(" ", self.name).split())[:120] or "unknown"

    def ident(self, domain: str) -> Ident:
        local = re.sub(r"[^a-z0-9]+", ".", self.clean_name.lower()).strip(".") or "requester"
        return Ident(self.clean_name, f"{local[:64]}@{domain}")


@dataclass(frozen=True)
class Submitted:
    number: int
    branch: str  # e.g. requests/12-contoso-add-bob
    commit: str
    base: str

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}"


def message(draft: Draft, requester: Requester, notes: str = "") -> str:
    """The commit message: the change in words, who asked, and trailers to read it back."""
    lines = [draft.subject, "",
             f"Requested by {requester.clean_name} through tenantry self-service."]
    if notes:
        lines += ["", notes.strip()]
    lines += ["", f"{TENANT_TRAILER}: {draft.tenant}", f"{EDIT_TRAILER}: {to_json(draft.edit)}"]
    if requester.token_id:
        lines.append(f"{TOKEN_TRAILER}: {requester.token_id}")
    return "\n".join(lines) + "\n"


def submit(repo: Repo, draft: Draft, requester: Requester, *, author_domain: str,
           committer: Ident, notes: str = "") -> Submitted:
    """Commit the draft on a new request branch; refused while it has findings."""
    if not draft.ok:
        raise UserError(f"the request has {len(draft.findings)} problem(s); "
                        f"{draft.findings[0].render()}")
    blob = write_blob(repo, draft.after)
    commit = commit_blobs(repo, draft.base, {draft.path: blob},
                          message(draft, requester, notes),
                          author=requester.ident(author_domain), committer=committer)
    name = slug(draft.tenant, draft.edit)
    number = next_number(repo)
    for _ in range(_TRIES):
        branch = f"requests/{number}-{name}"
        refused = update_refs(repo, [RefUpdate(f"{NUMBERS}{number}", commit),
                                     RefUpdate(f"refs/heads/{branch}", commit)])
        if refused is None:
            return Submitted(number, branch, commit, draft.base)
        if ref_target(repo, f"{NUMBERS}{number}") is None:
            raise UserError(f"cannot create branch {branch}: {refused}")
        number = max(number + 1, next_number(repo))  # lost the race for it: the next one
    raise UserError("cannot allocate a request number; too many requests at once")


def next_number(repo: Repo) -> int:
    """One more than the highest request number taken (by a number ref or a branch)."""
    highest = 0
    for found in (*refs_under(repo, NUMBERS), *refs_under(repo, BRANCHES)):
        tail = found.ref.rsplit("/", 1)[-1]
        match = _NUMBER.match(tail)
        if match:
            highest = max(highest, int(match[1]))
    return highest + 1


def base_branch(repo: Repo, configured: str | None) -> str:
    """The branch requests start from and merge into: the configured one, else the branch
    checked out."""
    branch = configured or current_branch(repo)
    if branch is None:
        raise UserError("no base branch: the work tree is on a detached HEAD; set 'base' in "
                        "the request settings (or pass --base)")
    return branch


def base_commit(repo: Repo, branch: str) -> str:
    commit = ref_target(repo, f"refs/heads/{branch}")
    if commit is None:
        raise UserError(f"the base branch {branch!r} does not exist (or has no commits yet)")
    return commit
