"""``tenantry log``: every first-parent commit that changed a tenant (or one user), who made
it, when, in which pull request, what it changed, and which apply carried it out.

One ``git log`` limited to the tenant's file lists the commits (a merged pull request is one
commit, diffed against main's previous state); the file's versions are compared as views
(``compare``), read once per blob through the view cache. Apply notes are read with one
``git notes list``; each entry names the first apply, at or after its commit, whose note
lists its tenant: the moment the change reached the directory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from reconciler.billing.history import tenant_of
from reconciler.changes.at_rev import billing_timezone
from reconciler.changes.compare import TenantDelta, compare
from reconciler.changes.notes import ApplyNote, parse_notes
from reconciler.changes.pullrequest import pull_request
from reconciler.changes.viewcache import ViewCache
from reconciler.changes.views import TenantView, Unreadable
from reconciler.errors import UserError
from reconciler.gitrepo import (
    AuditCommit,
    Repo,
    all_notes,
    audit_log,
    first_parent_times,
    merged_authors,
)
from reconciler.specs import TENANTS_DIR, tenant_path

LOG_SCHEMA = "tenantry.log/1"


@dataclass(frozen=True)
class Applied:
    """The apply that carried a change out: its note, and the commit the note is on."""

    commit: str
    note: ApplyNote


@dataclass(frozen=True)
class LogEntry:
    commit: str
    committed: int  # committer time: when the commit landed (seconds since the epoch)
    author: str
    committer: str
    subject: str
    pull_request: str | None  # "#12" (GitHub) or "!12" (GitLab), from the message
    changes: tuple[TenantDelta, ...]  # one per tenant file changed (narrowed to the user)
    notes: tuple[ApplyNote, ...] = ()  # applies recorded on this very commit
    applied: Applied | None = None  # the first apply at or after it that covered its tenants
    warnings: tuple[str, ...] = ()
    # For a merge: who wrote the commits it brought in (the author above merged them).
    merged_authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeLog:
    target: str | None  # "tenant" or "tenant/user"; None for every tenant
    commit_range: str | None
    tip: str
    timezone: str  # billing.timezone at the tip: how dates are shown
    entries: tuple[LogEntry, ...]  # newest first, as git log lists them


def parse_target(text: str | None) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    tenant, _, user = text.partition("/")
    if not tenant or (_ and not user) or "/" in user:
        raise UserError(f"{text!r}: name a tenant (contoso) or a user (contoso/alice)")
    return tenant, user or None


def run_log(repo: Repo, specs_rel: str, *, target: str | None = None,
            commit_range: str | None = None, cache_dir: Path | None = None) -> ChangeLog:
    tenant, user = parse_target(target)
    revisions, tip_rev = _range(commit_range)
    tip = repo.resolve(tip_rev)
    paths = [tenant_path(tenant)] if tenant else [TENANTS_DIR]
    commits = list(audit_log(repo, revisions, paths, specs_rel))
    views = ViewCache(repo, cache_dir)
    views.load(b for c in commits for f in c.changes for b in (f.old, f.new))
    last_good: dict[str, TenantView] = {}
    entries: list[LogEntry] = []
    for commit in commits:
        deltas, warnings = _deltas(commit, views, last_good, specs_rel)
        if user is not None:
            deltas = [d.only_user(user) for d in deltas]
        deltas = [d for d in deltas if not d.empty]
        if deltas or warnings:
            merged = merged_authors(repo, commit.sha) if len(commit.parents) > 1 else []
            entries.append(LogEntry(commit.sha, commit.committed, commit.author,
                                    commit.committer, commit.subject,
                                    pull_request(commit.message), tuple(deltas),
                                    warnings=tuple(warnings), merged_authors=tuple(merged)))
    if tenant is not None and commit_range is None and not entries:
        # An empty log for a tenant or user that never existed is a typo, not an answer.
        what = f"tenant {tenant!r}" if user is None else f"user {tenant}/{user}"
        raise UserError(f"{what} does not appear in the history of "
                        f"{specs_rel}/{tenant_path(tenant)} on this branch")
    entries = _with_notes(repo, tip, entries)
    return ChangeLog(target, commit_range, tip, billing_timezone(repo, tip, specs_rel),
                     tuple(reversed(entries)))


def _range(commit_range: str | None) -> tuple[list[str], str]:
    if commit_range is None:
        return ["HEAD"], "HEAD"
    base, sep, head = commit_range.partition("..")
    if not sep or not base or head.startswith("."):
        raise UserError(f"{commit_range!r}: a commit range is A..B (e.g. v1..HEAD)")
    return [f"{base}..{head or 'HEAD'}"], head or "HEAD"


def _deltas(commit: AuditCommit, views: ViewCache, last_good: dict[str, TenantView],
            specs_rel: str) -> tuple[list[TenantDelta], list[str]]:
    deltas: list[TenantDelta] = []
    warnings: list[str] = []
    for change in commit.changes:
        tid = tenant_of(change.path)
        if tid is None:
            continue
        before, after = views.get(change.old), views.get(change.new)
        if isinstance(after, Unreadable):
            # Billing keeps the previous state of a file that does not parse; so does this.
            warnings.append(f"{specs_rel}/{change.path} does not parse here ({after.message}); "
                            "billing keeps its previous state")
            if isinstance(before, TenantView):
                last_good[change.path] = before
            continue
        if isinstance(before, Unreadable):
            before = last_good.get(change.path)
            if before is None:
                warnings.append(f"{specs_rel}/{change.path}: the version before does not "
                                "parse; changes are shown against nothing")
        if after is not None:
            last_good[change.path] = after
        if before is None and after is None:
            continue
        deltas.append(compare(tid, before, after))
    return deltas, warnings


def _with_notes(repo: Repo, tip: str, entries: list[LogEntry]) -> list[LogEntry]:
    notes = {commit: parsed for commit, text in all_notes(repo).items()
             if (parsed := parse_notes(text))}
    if not notes or not entries:
        return entries
    position = {sha: i for i, (sha, _) in enumerate(first_parent_times(repo, tip))}
    noted = sorted((position[sha], sha) for sha in notes if sha in position)
    out = []
    for entry in entries:
        tenants = {d.tenant for d in entry.changes}
        start = position.get(entry.commit, -1)
        applied = next((Applied(sha, note) for index, sha in noted if index >= start
                        for note in notes[sha] if tenants & set(note.tenants)), None)
        out.append(replace(entry, notes=tuple(notes.get(entry.commit, ())), applied=applied))
    return out
