"""Small facts about one revision that several history commands need."""

from __future__ import annotations

from reconciler.errors import UserError
from reconciler.gitrepo import BlobReader, Repo, tree_blobs
from reconciler.specs import BILLING, BillingSettings, DocumentInvalid, parse


def billing_timezone(repo: Repo, commit: str, specs_rel: str) -> str:
    """``billing.timezone`` at ``commit``: the zone in which history shows days and times."""
    blob = tree_blobs(repo, commit, specs_rel, [BILLING]).get(BILLING)
    if blob is None:
        return BillingSettings().timezone
    with BlobReader(repo) as reader:
        (_, data), = reader.read([blob])
    try:
        return parse(BillingSettings, data).timezone
    except DocumentInvalid:
        raise UserError(f"{specs_rel}/{BILLING} does not parse at {commit[:12]}; run "
                        "'tenantry validate' there") from None
