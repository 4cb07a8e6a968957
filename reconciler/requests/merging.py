"""Merging a request into the base branch where no forge reviews it
(``tenantry requests merge``).

The merge is a real merge commit (first parent: the base branch, second: the request), so
billing, which walks first parents, sees the change when it is merged, and ``tenantry log``
shows it as one entry whose subject ends in ``(#n)``. It is computed without a checkout
(``git merge-tree``), refused when it conflicts or when the merged specs no longer validate
(the same check as ``tenantry validate``), and only then published: by fast-forwarding the
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
    commit_tree,
    configured_ident,
    current_branch,
    fast_forward_checkout,
    is_ancestor,
    merge_trees,
    update_refs,
)
from reconciler.requests.checks import SpecCache, new_problems
from reconciler.requests.listing import Request, find_request
from reconciler.requests.submit import base_commit

FALLBACK = Ident("tenantry", "tenantry@localhost")


@dataclass(frozen=True)
class Merged:
    request: Request
    commit: str
    into: str


def merge(repo: Repo, specs_rel: str, number: int, into: str, *,
          cache: SpecCache | None = None, merger: Ident | None = None) -> Merged:
    request = find_request(repo, number, into)
    tip = base_commit(repo, into)
    if request.merged or is_ancestor(repo, request.commit, tip):
        raise UserError(f"request #{number} is already merged into {into}")
    result = merge_trees(repo, tip, request.commit)
    if result.tree is None:
        raise UserError(f"request #{number} conflicts with {into} in "
                        f"{', '.join(result.conflicts) or 'its files'}; ask for the change "
                        "again on the current specs")
    cache = cache or SpecCache()
    label = specs_rel or "."
    problems = new_problems(cache.files_at(repo, tip, specs_rel),
                            cache.files_at(repo, result.tree, specs_rel), label=label,
                            cache=cache)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UserError(f"request #{number} would leave specs that do not validate: "
                        f"{problems[0].render()}{more}")
    who = merger or configured_ident(repo) or FALLBACK
    text = (f"{request.subject} (#{number})\n\nMerge branch '{request.branch}' into {into}."
            f"\nRequested by {request.author}.\n")
    commit = commit_tree(repo, result.tree, [tip, request.commit], text, author=who,
                         committer=who)
    if current_branch(repo) == into:
        fast_forward_checkout(repo, commit)
    else:
        refused = update_refs(repo, [RefUpdate(f"refs/heads/{into}", commit, tip)])
        if refused is not None:
            raise UserError(f"{into} moved while request #{number} was being merged; run the "
                            "merge again")
    return Merged(request, commit, into)
