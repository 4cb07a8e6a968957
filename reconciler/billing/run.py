"""Run a bill: resolve REV and the span, read history once, parse what is not cached, bill.

I/O happens here, in ``records_at`` (the parse cache) and ``snapshot`` (saved walks);
``history`` and ``rollups`` stay pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from reconciler.billing.calendar import Clock, Period, Span
from reconciler.billing.history import History, Walk, tenant_of
from reconciler.billing.records_at import records_for
from reconciler.billing.report import BillReport
from reconciler.billing.rollups import bill
from reconciler.billing.snapshot import Snapshots
from reconciler.billing.terms import Terms
from reconciler.errors import Problem, SpecInvalid, UserError
from reconciler.gitrepo import BlobReader, Repo, first_parent_log
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
    position,
)

M = TypeVar("M", bound=BaseModel)

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
    return bill_ledger(repo, load_ledger(repo, specs_rel, revs, cache_dir), request, revs)


@dataclass(frozen=True)
class Ledger:
    """Seat history and commercial terms at one revision: what every span of it bills from.

    Building it is the expensive part of a bill (reading history, parsing what is not
    cached); a long-running reader (the API server) keeps it per revision and bills many
    spans from it.
    """

    sha: str
    specs_rel: str
    history: History
    terms: Terms

    @property
    def clock(self) -> Clock:
        return Clock(self.terms.billing.timezone)


def load_ledger(repo: Repo, specs_rel: str, revs: Revisions, cache_dir: Path | None, *,
                parallel: bool = True) -> Ledger:
    """``parallel``: parse a cold history in forked workers; a process that runs threads
    (the API server, once it serves) must not fork, and passes False."""
    with gc_paused():
        history = history_at(repo, revs.sha, specs_rel, cache_dir, parallel=parallel)
        with BlobReader(repo) as blobs:
            terms = _terms(history, blobs, f"{revs.label}:{specs_rel}")
    return Ledger(revs.sha, specs_rel, history, terms)


def bill_ledger(repo: Repo, ledger: Ledger, request: BillRequest, revs: Revisions) -> BillReport:
    """The report for ``request``'s span, from a ledger loaded at ``revs.sha``."""
    history, terms, sha = ledger.history, ledger.terms, ledger.sha
    clock = ledger.clock
    span = _span(request, terms, clock, history, repo, revs.base, sha)
    return bill(history, terms, span, clock, sha,
                _warnings(history, terms, clock, span, ledger.specs_rel))


def history_at(repo: Repo, sha: str, specs_rel: str, cache_dir: Path | None, *,
               parallel: bool = True) -> History:
    """The seat history up to ``sha``, walked on from the nearest saved walk on its
    first-parent history (or from the first commit), and saved for the next run."""
    snapshots = Snapshots(cache_dir, specs_rel) if cache_dir is not None else None
    walk, since = _nearest(repo, sha, snapshots)
    commits = [] if since == sha else list(first_parent_log(repo, sha, specs_rel, since))
    records = records_for(repo, (blob for commit in commits for path, blob in commit.changes
                                  if blob and tenant_of(path) is not None),
                          ParseCache(cache_dir, memory=False), parallel=parallel)
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


# A walk that went on through this many commits is saved again, closer to the tip; a few
# commits are cheaper to walk again than a snapshot is to write.
SNAPSHOT_EVERY = 100


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
