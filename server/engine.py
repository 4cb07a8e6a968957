"""The billing engine behind the server, memoised per revision.

In-process caches sit on top of the engine's own parse cache (tenant records by blob id
under ``.tenantry/cache``): ledgers (history and terms) by commit, bill reports by commit and
span, the same cut per scope, and rendered response bodies by ETag (see ``http``). A commit never changes, so
nothing is ever invalidated: a new HEAD is simply a new key. The server reads git and the
cache folder and writes only the cache folder; the spec repository itself is never written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reconciler.billing.report import BillReport
from reconciler.billing.run import (
    Ledger,
    Revisions,
    bill_ledger,
    gc_paused,
    load_ledger,
    resolve,
)
from reconciler.errors import UserError
from reconciler.gitrepo import Repo
from server.memo import Memo
from server.params import BadRequest, BillingQuery, check_rev
from server.restrict import restrict
from server.scope import ALL, Scope, visibility

ReportKey = tuple[str, str | None, str | None, dt.date | None, dt.date | None, dt.date | None]


class Engine:
    def __init__(self, repo: Repo, specs_rel: str, cache_dir: Path | None, *,
                 ledgers: int = 2, reports: int = 8) -> None:
        self.repo = repo
        self.specs_rel = specs_rel
        self.cache_dir = cache_dir
        self._ledgers: Memo[str, Ledger] = Memo(ledgers)
        self._reports: Memo[ReportKey, BillReport] = Memo(reports)
        self._scoped: Memo[tuple[ReportKey, str], BillReport] = Memo(4 * reports)

    def resolve_rev(self, rev: str | None) -> str:
        """The commit a ``?rev=`` names (default HEAD); 400 when there is none."""
        name = check_rev("rev", rev) if rev is not None else "HEAD"
        try:
            return self.repo.resolve(name)
        except UserError as exc:
            raise BadRequest(str(exc)) from None

    def resolve_span(self, query: BillingQuery) -> Revisions:
        try:
            return resolve(self.repo, query.request())
        except UserError as exc:
            raise BadRequest(str(exc)) from None

    def ledger(self, sha: str, *, parallel: bool = False) -> Ledger:
        def load() -> Ledger:
            return load_ledger(self.repo, self.specs_rel, Revisions(sha, sha, None),
                               self.cache_dir, parallel=parallel)
        return self._ledgers.get(sha, load)

    def today(self, sha: str) -> dt.date:
        """Today in the billing time zone at ``sha`` (the default span ends today)."""
        return self.ledger(sha).clock.today()

    def report(self, query: BillingQuery, revs: Revisions, today: dt.date | None,
               scope: Scope) -> BillReport:
        """The bill for the span, cut to what ``scope`` sees (both kept in memory)."""
        key: ReportKey = (revs.sha, revs.base, query.period, query.start, query.end, today)

        def compute() -> BillReport:
            ledger = self.ledger(revs.sha)
            with gc_paused():
                return bill_ledger(self.repo, ledger, query.request(today), revs)

        def cut() -> BillReport:
            report = self._reports.get(key, compute)
            terms = self.ledger(revs.sha).terms
            return restrict(report, terms, visibility(scope, terms))

        if scope.kind == ALL:
            return self._reports.get(key, compute)
        return self._scoped.get((key, str(scope)), cut)

    def warm(self) -> Ledger:
        """Load HEAD's ledger before serving, while no thread runs: a cold history is then
        parsed in forked workers on every core. Later loads (new commits, other revisions)
        parse what is missing in-process."""
        return self.ledger(self.resolve_rev(None), parallel=True)
