"""Change requests: an edit to one tenant file, checked like ``tenantry validate``, committed
on a branch of its own for review (``requests/<n>-<slug>``), and merged later.

``edits`` are the changes people ask for; ``yamledit`` carries one out on a file's text,
keeping comments, order and formatting; ``checks`` runs the validator over the tree with the
edited file and words its problems for non-engineers; ``draft`` puts them together on a base
commit; ``submit`` commits and creates the branch without touching the work tree;
``listing`` and ``merging`` serve ``tenantry requests``; ``forge`` opens a pull request where
one is configured (``settings``).
"""

from reconciler.requests.checks import FIELD_LABELS, Finding, SpecCache, tree_problems
from reconciler.requests.draft import Draft, NoSuchTenant, prepare
from reconciler.requests.edits import (
    OPS,
    AddUser,
    ChangeSkus,
    Edit,
    EditRefused,
    RemoveUser,
    SetEnabled,
    UpdateUser,
    build,
    describe,
)
from reconciler.requests.forge import PullRequest, open_pull_request
from reconciler.requests.listing import Request, find_request, list_requests
from reconciler.requests.merging import Merged, Updated, merge, update
from reconciler.requests.publish import Outcome, publish
from reconciler.requests.settings import DEFAULT_PATH, ForgeSettings, RequestSettings, load
from reconciler.requests.submit import (
    Requester,
    Submitted,
    base_branch,
    base_commit,
    submit,
)

__all__ = [
    "DEFAULT_PATH",
    "FIELD_LABELS",
    "OPS",
    "AddUser",
    "ChangeSkus",
    "Draft",
    "Edit",
    "EditRefused",
    "Finding",
    "ForgeSettings",
    "Merged",
    "Updated",
    "NoSuchTenant",
    "Outcome",
    "PullRequest",
    "RemoveUser",
    "Request",
    "RequestSettings",
    "Requester",
    "SetEnabled",
    "SpecCache",
    "Submitted",
    "UpdateUser",
    "base_branch",
    "base_commit",
    "build",
    "describe",
    "find_request",
    "list_requests",
    "load",
    "merge",
    "open_pull_request",
    "prepare",
    "publish",
    "submit",
    "tree_problems",
    "update",
]
