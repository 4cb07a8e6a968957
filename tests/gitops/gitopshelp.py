"""Helpers for the GitOps suite (diff, show, log, import, apply in pipelines).

Repositories are real, histories dated, pull requests merged the ways hosting services
merge them: a merge commit (``Merge pull request #N from ...``), a squash commit
(``Subject (#N)``) and a GitLab merge commit (``See merge request group/project!N``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from conftest import CATALOG, SpecRepo, When

# Local state (directory file, caches, locks) never belongs in the spec repository.
GITIGNORE = ".tenantry/\n"

RESELLERS: dict[str, Any] = {"resellers": {
    "acme": {"name": "Acme IT Partners", "mode": "aggregate", "discount": 20},
    "helper": {"name": "Helper Ltd", "mode": "on-behalf", "discount": 15},
}}


def start(repo: SpecRepo, tenants: Mapping[str, Any], *, date: When = "2026-03-02T09:00:00Z",
          catalog: Mapping[str, Any] = CATALOG, billing: Mapping[str, Any] | None = None,
          resellers: Mapping[str, Any] | None = RESELLERS,
          message: str = "initial specs", author: str | None = None) -> str:
    """The first commit: .gitignore, catalog, resellers, billing and the given tenants."""
    repo.write({".gitignore": GITIGNORE})
    files: dict[str, Any] = {"catalog.yaml": catalog,
                             **{f"tenants/{tid}.yaml": doc for tid, doc in tenants.items()}}
    if resellers is not None:
        files["resellers.yaml"] = resellers
    if billing is not None:
        files["billing.yaml"] = billing
    extra = {"author": author} if author else {}
    return repo.commit_specs(files, message, date=date, **extra)


def pull_request(repo: SpecRepo, branch: str, number: int,
                 commits: list[tuple[Mapping[str, Any], str]], *, date: When,
                 author: str = "Test Author <author@example.net>",
                 merger: str = "Merge Bot <merge@example.net>") -> str:
    """A branch with ``commits`` (files, message), merged into main with a GitHub merge
    commit; returns the merge commit."""
    repo.branch(branch)
    for files, message in commits:
        repo.commit_specs(files, message, author=author, date=date)
    repo.checkout("main")
    return repo.merge(branch, f"Merge pull request #{number} from msp/{branch}",
                      author=merger, date=date)


def squash(repo: SpecRepo, number: int, files: Mapping[str, Any], subject: str, *,
           date: When, author: str = "Test Author <author@example.net>") -> str:
    return repo.commit_specs(files, f"{subject} (#{number})", author=author, date=date)


def gitlab_merge(repo: SpecRepo, branch: str, number: int, files: Mapping[str, Any],
                 message: str, *, date: When, author: str = "Test Author <author@example.net>",
                 merger: str = "Merge Bot <merge@example.net>") -> str:
    repo.branch(branch)
    repo.commit_specs(files, message, author=author, date=date)
    repo.checkout("main")
    return repo.merge(branch, f"Merge branch '{branch}' into 'main'\n\n{message}\n\n"
                              f"See merge request msp/specs!{number}", author=merger,
                      date=date)


def money(text: str) -> Decimal:
    return Decimal(text)
