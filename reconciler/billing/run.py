"""Run a bill: resolve REV and the span, read history once, parse what is not cached, bill.

I/O happens here and in ``gitrepo``/``blobcache``; ``history`` and ``billing`` stay pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from reconciler.billing.calendar import Clock, Period, Span
from reconciler.billing.history import History, Walk, tenant_of
from reconciler.billing.records import Broken, TenantRecord, from_entry
from reconciler.billing.report import BillReport
from reconciler.billing.rollups import bill
from reconciler.billing.snapshot import Snapshots
from reconciler.billing.terms import Terms
from reconciler.errors import Problem, SpecInvalid, UserError
from reconciler.gitrepo import BlobReader, LogCommit, Repo, first_parent_log, read_blobs
from reconciler.specs import (
    BILLING,
    CATALOG,
    RESELLERS,
    BillingSettings,
    Catalog,
    DocumentInvalid,
    ParseCache,
    ResellerFile,
    gc_paused,
    parse,
    parse_all,
    position,
)

M = TypeVar("M", bound=BaseModel)
MISSING = Broken("not parsed")  # placeholder while a version is being parsed

__all__ = ["BillRequest", "Revisions", "gc_paused", "history_at", "resolve", "run_bill"]


@dataclass(frozen=True)
class BillRequest:
    commit_range: str | None = None  # "A..B"
    period: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    rev: str | None = None
    today: dt.date | None = None  # for tests; default: today in the billing time zone


@dataclass(frozen=True)
class Revisions:
    """The commits a request names: REV (or B of A..B) and A, resolved to ids."""

    label: str  # REV as the user wrote it, for messages
    sha: str
    base: str | None


def resolve(repo: Repo, request: BillRequest) -> Revisions:
    """Check the request's options and resolve its revisions (cheap: no history read)."""
    _check_exclusive(request)
    if request.period:
        Period.parse(request.period)  # a bad period fails before any history is read
    base_rev, rev = _revisions(request)
    return Revisions(rev, repo.resolve(rev), repo.resolve(base_rev) if base_rev else None)


def run_bill(repo: Repo, specs_rel: str, request: BillRequest, cache_dir: Path | None,
             revisions: Revisions | None = None) -> BillReport:
    revs = revisions or resolve(repo, request)
    rev, sha = revs.label, revs.sha
    with gc_paused():
        history = history_at(repo, sha, specs_rel, cache_dir)
        with BlobReader(repo) as blobs:
            terms = _terms(history, blobs, f"{rev}:{specs_rel}")
    clock = Clock(terms.billing.timezone)
    span = _span(request, terms, clock, history, repo, revs.base, sha)
    return bill(history, terms, span, clock, sha, _warnings(history, terms, clock, span, specs_rel))


def history_at(repo: Repo, sha: str, specs_rel: str, cache_dir: Path | None) -> History:
    """The seat history up to ``sha``, walked on from the nearest saved walk on its
    first-parent history (or from the first commit), and saved for the next run."""
    snapshots = Snapshots(cache_dir, specs_rel) if cache_dir is not None else None
    walk, since = _nearest(repo, sha, snapshots)
    commits = [] if since == sha else list(first_parent_log(repo, sha, specs_rel, since))
    records = _records(repo, commits, ParseCache(cache_dir, memory=False))
    walked = walk.feed(commits, records.__getitem__)
    if snapshots is not None and (since is None or walked >= SNAPSHOT_EVERY):
        snapshots.save(walk)
    return walk.history


def _nearest(repo: Repo, sha: str, snapshots: Snapshots | None) -> tuple[Walk, str | None]:
    saved = snapshots.commits() if snapshots is not None else set()
    if snapshots is None or not saved:
        return Walk(), None
    if sha in saved and (walk := snapshots.load(sha)) is not None:
        return walk, sha  # a new span at a commit billed before: nothing to walk
    for commit in repo.first_parents(sha)[1:]:
        if commit in saved and (walk := snapshots.load(commit)) is not None:
            return walk, commit
    return Walk(), None


def _check_exclusive(request: BillRequest) -> None:
    given = [name for name, on in (("A..B", request.commit_range), ("--period", request.period),
                                   ("--from/--to", request.start or request.end)) if on]
    if len(given) > 1:
        raise UserError(f"give one span: {' and '.join(given)} cannot be combined")
    if (request.start is None) != (request.end is None):
        raise UserError("--from and --to go together: bill the days D1..D2 inclusive")
    if request.start and request.end and request.end < request.start:
        raise UserError(f"--to {request.end} is before --from {request.start}")
    if request.commit_range and request.rev:
        raise UserError("A..B already names the revision (B); drop --rev")


def _revisions(request: BillRequest) -> tuple[str | None, str]:
    if request.commit_range is None:
        return None, request.rev or "HEAD"
    base, sep, head = request.commit_range.partition("..")
    if not sep or not base or head.startswith("."):
        raise UserError(f"{request.commit_range!r}: a commit range is A..B (e.g. v1..HEAD)")
    return base, head or "HEAD"


# Below this many unparsed tenant files a worker process costs more than it saves.
PARALLEL_MIN = 200
# A walk that went on through this many commits is saved again, closer to the tip; a few
# commits are cheaper to walk again than a snapshot is to write.
SNAPSHOT_EVERY = 100


def _records(repo: Repo, commits: list[LogCommit],
             cache: ParseCache) -> dict[str, TenantRecord | Broken]:
    """The record of every tenant file version the commits hold: cached, or parsed (on
    every core for a cold history)."""
    out: dict[str, TenantRecord | Broken] = {}
    wanted: list[str] = []
    for commit in commits:
        for path, blob in commit.changes:
            if blob and blob not in out and tenant_of(path) is not None:
                entry = cache.get(blob)
                if entry is None:
                    out[blob] = MISSING
                    wanted.append(blob)
                else:
                    out[blob] = from_entry(entry)
    if wanted:
        out.update(parse_all(wanted, partial(read_blobs, repo.root), cache, from_entry,
                             parallel=len(wanted) >= PARALLEL_MIN))
    return out


def _terms(history: History, blobs: BlobReader, label: str) -> Terms:
    tree = history.tree
    if CATALOG not in tree:
        raise UserError(f"{label}/{CATALOG} does not exist; billing needs the catalog at the "
                        "billed revision")
    wanted = [tree[name] for name in (CATALOG, BILLING, RESELLERS) if name in tree]
    data = dict(zip([n for n in (CATALOG, BILLING, RESELLERS) if n in tree],
                    (content for _, content in blobs.read(wanted))))
    problems: list[Problem] = []
    catalog = _parse_at(Catalog, CATALOG, data, label, problems)
    billing = _parse_at(BillingSettings, BILLING, data, label, problems) \
        if BILLING in data else BillingSettings()
    resellers = _parse_at(ResellerFile, RESELLERS, data, label, problems) \
        if RESELLERS in data else ResellerFile()
    if problems or catalog is None or billing is None or resellers is None:
        raise SpecInvalid(problems)
    return Terms(catalog, billing, resellers, history.last_record)


def _parse_at(model: type[M], name: str, data: dict[str, bytes], label: str,
              problems: list[Problem]) -> M | None:
    try:
        return parse(model, data[name])
    except DocumentInvalid as exc:
        for problem in exc.problems:
            line, col = exc.yaml_level or position(data[name], problem.path,
                                                   at_key=problem.at_key)
            problems.append(Problem(f"{label}/{name}", line, col, problem.message))
        return None


def _span(request: BillRequest, terms: Terms, clock: Clock, history: History, repo: Repo,
          base: str | None, sha: str) -> Span:
    close = terms.billing.close_day
    if request.period:
        period = Period.parse(request.period)
        return Span(period.start(close), period.end(close), period.label)
    if request.start and request.end:
        return Span(request.start, request.end)
    if base is not None:
        # Days after A's day up to and including B's: A..B then B..C never bill a day twice.
        base_at = history.stamps[base].at if base in history.stamps \
            else int(repo.git("show", "-s", "--format=%ct", base).strip())
        head_at = history.stamps[sha].at
        return Span(clock.day_of(base_at) + dt.timedelta(days=1), clock.day_of(head_at))
    today = request.today or clock.today()
    period = Period.containing(today, close)
    return Span(period.start(close), today, period.label)


def _warnings(history: History, terms: Terms, clock: Clock, span: Span,
              specs_rel: str) -> list[str]:
    after = clock.midnight(span.end + dt.timedelta(days=1))
    out = [f"commit {stamp.sha[:12]} ({clock.day_of(stamp.at)}): {specs_rel}/{path}: "
           f"{message}; kept the tenant's previous state"
           for stamp, path, message in history.broken if stamp.at < after]
    for tenant, record in sorted(terms.tenants.items()):
        if record.reseller is not None and record.reseller not in terms.resellers:
            out.append(f"tenant {tenant}: reseller {record.reseller!r} is not in "
                       "resellers.yaml at the billed revision; billed to the tenant at list")
    return out
