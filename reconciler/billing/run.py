"""Run a bill: resolve REV and the span, read history once, parse what is not cached, bill.

I/O happens here and in ``gitrepo``/``blobcache``; ``history`` and ``billing`` stay pure.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TypeVar

from pydantic import BaseModel

from reconciler.billing.cache import BlobCache, Entry
from reconciler.billing.calendar import Clock, Period, Span
from reconciler.billing.history import History, Lookup, build, tenant_of
from reconciler.billing.records import parse_tenant
from reconciler.billing.report import BillReport
from reconciler.billing.rollups import bill
from reconciler.billing.terms import Terms
from reconciler.errors import Problem, SpecInvalid, UserError
from reconciler.gitrepo import BlobReader, LogCommit, Repo, first_parent_log
from reconciler.specs import (
    BILLING,
    CATALOG,
    RESELLERS,
    BillingSettings,
    Catalog,
    DocumentInvalid,
    ResellerFile,
    parse,
    position,
)

M = TypeVar("M", bound=BaseModel)


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
        commits = list(first_parent_log(repo, revs.sha, specs_rel))
        cache = BlobCache(cache_dir)
        _parse_missing(repo, commits, cache, cache_dir, parallel)
        history = build(commits, _lookup(cache))
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


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building (and rendering) large acyclic structures.

    Parsing thousands of tenant files and building seat intervals allocates millions of
    objects that all stay alive; every full collection then walks them again for nothing
    (measured: cold bill 44 s with GC, 20 s without, on the benchmark history).
    Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_missing(repo: Repo, commits: list[LogCommit], cache: BlobCache,
                   cache_dir: Path | None, parallel: bool = True) -> None:
    """Parse every tenant blob not cached yet, on every core for a cold history."""
    wanted: list[str] = []
    seen: set[str] = set()
    for commit in commits:
        for path, blob in commit.changes:
            if blob and blob not in seen and tenant_of(path) is not None:
                seen.add(blob)
                if cache.get(blob) is None:
                    wanted.append(blob)
    if not wanted:
        return
    workers = min(os.cpu_count() or 1, 8)
    if not parallel or workers < 2 or len(wanted) < PARALLEL_MIN \
            or "fork" not in mp.get_all_start_methods():
        for blob, entry in _parse_chunk((repo.root, None, wanted)):
            cache.put(blob, entry)
        return
    # Interleaved chunks balance early (small) and late (large) tenant files. Workers write
    # the disk cache themselves and send the records back; no threads exist yet to fork.
    chunks = [(repo.root, cache_dir, wanted[i::workers]) for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
        for results in pool.map(_parse_chunk, chunks):
            for blob, entry in results:
                cache.remember(blob, entry)


def _parse_chunk(job: tuple[Path, Path | None, list[str]]) -> list[tuple[str, Entry]]:
    root, cache_dir, wanted = job
    cache = BlobCache(cache_dir)
    out = []
    with gc_paused(), BlobReader(Repo(root)) as blobs:
        for blob, data in blobs.read(wanted):
            entry = parse_tenant(data)
            if cache_dir is not None:
                cache.put(blob, entry)
            out.append((blob, entry))
    return out


def _lookup(cache: BlobCache) -> Lookup:
    def lookup(blob: str) -> Entry:
        entry = cache.get(blob)
        assert entry is not None, blob  # _parse_missing parsed every tenant blob
        return entry
    return lookup


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
