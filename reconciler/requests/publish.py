"""Submit a request and, where a forge is configured, push its branch and open a pull
request for it. The branch is the request either way: a forge that cannot be reached leaves
it in place, with the reason, for ``tenantry requests`` or a retry."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import UserError
from reconciler.gitrepo import Ident, Repo, push_ref
from reconciler.requests.draft import Draft
from reconciler.requests.forge import PullRequest, open_pull_request
from reconciler.requests.settings import RequestSettings
from reconciler.requests.submit import Requester, Submitted, submit


@dataclass(frozen=True)
class Outcome:
    submitted: Submitted
    pull_request: PullRequest | None = None
    forge_error: str | None = None  # the branch exists, but no pull request was opened


def publish(repo: Repo, draft: Draft, requester: Requester, settings: RequestSettings,
            base: str, *, notes: str = "") -> Outcome:
    submitted = submit(repo, draft, requester, author_domain=settings.author_domain,
                       committer=_ident(settings.committer), notes=notes)
    forge = settings.forge
    if forge is None:
        return Outcome(submitted)
    body = "\n\n".join(part for part in (
        f"Requested by {requester.clean_name} through tenantry self-service.", notes.strip(),
        (f"Branch `{submitted.branch}`, commit {submitted.commit[:12]}, on {base} at "
         f"{submitted.base[:12]}.")) if part)
    try:
        push_ref(repo, forge.remote, submitted.ref)
        opened = open_pull_request(forge, branch=submitted.branch, base=base,
                                   title=draft.subject, body=body)
    except UserError as exc:
        return Outcome(submitted, forge_error=str(exc))
    return Outcome(submitted, opened)


def _ident(text: str) -> Ident:
    name, _, rest = text.partition(" <")
    return Ident(name.strip(), rest.rstrip(">").strip())
