"""Merging a request into the base branch where no forge reviews it
(``tenantry requests merge``).

The merge is a real merge commit (first parent: the base branch, second: the request), so
billing, which walks first parents, sees the change when it is merged, and ``tenantry log``
shows it as one entry whose subject ends in ``(#n)``. It is computed without a checkout
(``git merge-tree``). When git finds a conflict (two requests on one tenant, made side by
side, that touch neighbouring lines), the request's edit is carried out again on the base
branch's file, so both land and neither is lost; a request whose edit no longer fits is
refused. A merge whose specs no longer validate (the same check as ``tenantry validate``)
is refused too, and only then is the merge published: by fast-forwarding the
work tree when the base branch is checked out there, else by moving the branch from the
commit the merge was computed on (compare-and-swap; a concurrent change makes it fail,
never lose anything).
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.gitrepo import (
    Ident,
    RefUpdate,
    Repo,
    changed_files,
    commit_tree,
    configured_ident,
    current_branch,
    fast_forward_checkout,
    is_ancestor,
    merge_trees,
    tree_with,
    update_refs,
    write_blob,
)
from reconciler.requests.checks import SpecCache, new_problems
from reconciler.requests.draft import prepare, tenant_file
from reconciler.requests.listing import Request, find_request
from reconciler.requests.submit import base_commit

FALLBACK = Ident("tenantry", "tenantry@localhost")


@dataclass(frozen=True)
class Merged:
    request: Request
    commit: str
    into: str
    replayed: bool = False  # git could not merge the branch: its edit was carried out again


def merge(repo: Repo, specs_rel: str, number: int, into: str, *,
          cache: SpecCache | None = None, merger: Ident | None = None) -> Merged:
    request, tip = _open(repo, number, into)
    cache = cache or SpecCache()
    result = merge_trees(repo, tip, request.commit)
    tree = result.tree
    if tree is None:
        # Two requests on one tenant, made on the same base, often touch neighbouring lines
        # (two users added side by side): git cannot merge the second. Its edit is data (the
        # Tenantry-Edit trailer), so it is carried out again on the file as it is now.
        tree = _replayed(repo, specs_rel, request, tip, cache, f"request #{number} conflicts "
                         f"with {into} in {', '.join(result.conflicts) or 'its files'}")
    _check(repo, specs_rel, tip, tree, number, cache)
    who = merger or configured_ident(repo) or FALLBACK
    replayed = "" if result.tree is not None else (
        f"\nThe branch conflicted with {into}, so its edit was carried out again on "
        f"{into}'s file at {tip[:12]}.")
    text = (f"{request.subject} (#{number})\n\nMerge branch '{request.branch}' into {into}."
            f"\nRequested by {request.author}.{replayed}\n")
    commit = commit_tree(repo, tree, [tip, request.commit], text, author=who, committer=who)
    if current_branch(repo) == into:
        fast_forward_checkout(repo, commit)
    else:
        refused = update_refs(repo, [RefUpdate(f"refs/heads/{into}", commit, tip)])
        if refused is not None:
            raise UserError(f"{into} moved while request #{number} was being merged; run the "
                            "merge again")
    return Merged(request, commit, into, replayed=result.tree is None)


@dataclass(frozen=True)
class Updated:
    request: Request
    commit: str  # the branch's new tip
    into: str


def update(repo: Repo, specs_rel: str, number: int, into: str, *,
           cache: SpecCache | None = None, updater: Ident | None = None) -> Updated:
    """Bring a request up to date with its base branch: its edit carried out again on the
    base's file as it is now, committed on the request's branch (first parent: the base's
    tip, so the branch merges as a fast-forward; second: the request as it was). What a
    forge's "update branch" button does, for a branch git cannot merge. The new commit keeps
    the request's author, message and trailers: it is the same request."""
    request, tip = _open(repo, number, into)
    if request.base == tip:
        raise UserError(f"request #{number} is up to date with {into}")
    cache = cache or SpecCache()
    tree = _replayed(repo, specs_rel, request, tip, cache,
                     f"request #{number} cannot be brought up to date with {into}")
    _check(repo, specs_rel, tip, tree, number, cache)
    body, _, trailer_lines = request.message.rstrip("\n").rpartition("\n\n")
    text = (f"{body}\n\nBrought up to date with {into} at {tip[:12]}: the edit carried out "
            f"again on its file there.\n\n{trailer_lines}\n")
    who = updater or configured_ident(repo) or FALLBACK
    commit = commit_tree(repo, tree, [tip, request.commit], text, author=request.author,
                         committer=who)
    refused = update_refs(repo, [RefUpdate(f"refs/heads/{request.branch}", commit,
                                           request.commit)])
    if refused is not None:
        raise UserError(f"request #{number}'s branch moved meanwhile; run the update again")
    return Updated(request, commit, into)


def _open(repo: Repo, number: int, into: str) -> tuple[Request, str]:
    """Request ``number`` and the tip of ``into``; refused when it is merged already."""
    request = find_request(repo, number, into)
    tip = base_commit(repo, into)
    if request.merged or is_ancestor(repo, request.commit, tip):
        raise UserError(f"request #{number} is already merged into {into}")
    return request, tip


def _check(repo: Repo, specs_rel: str, tip: str, tree: str, number: int,
           cache: SpecCache) -> None:
    """Refuse a merged tree whose specs would not validate (problems new since ``tip``)."""
    problems = new_problems(cache.files_at(repo, tip, specs_rel),
                            cache.files_at(repo, tree, specs_rel), label=specs_rel or ".",
                            cache=cache)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UserError(f"request #{number} would leave specs that do not validate: "
                        f"{problems[0].render()}{more}")


def _replayed(repo: Repo, specs_rel: str, request: Request, tip: str, cache: SpecCache,
              conflict: str) -> str:
    """The tree of ``tip`` with the request's edit carried out on its tenant's file there.

    Only for a request as tenantry made it: one commit, changing only its tenant's file,
    whose trailers say which edit. A branch someone added commits to is not replayed (its
    trailers would not describe all of it), nor an edit that no longer fits the file (the
    user it changes was removed meanwhile, say): those are refused, and nothing moves.
    """
    again = "; ask for the change again on the current specs"
    tenant, edit = request.tenant, request.edit
    if tenant is None or edit is None or request.base is None:
        raise UserError(conflict + again)
    path = tenant_file(specs_rel, tenant)
    if [c.path for c in changed_files(repo, request.base, request.commit, "")] != [path]:
        raise UserError(conflict + again)
    try:
        draft = prepare(repo, specs_rel, tip, tenant, edit, cache=cache)
    except UserError as exc:
        raise UserError(f"{conflict}, and its edit no longer fits: {exc}{again}") from None
    return tree_with(repo, tip, {path: write_blob(repo, draft.after)})
