"""``tenantry show``: what each tenant had at a moment, from history, with the names of then.

The moment is a commit (``--rev``) or an instant (``--at``): the state is that of the last
first-parent commit in effect by then, with effective times clamped as billing clamps them
(SPEC §6.2), so ``show`` and ``bill`` always agree on who held what. It reads commit times,
the tree of that commit and the records of its tenant files from the blob cache that
``bill`` fills (parsing only what is missing, on every core); a warm repository answers
without parsing YAML. A tenant file that did not parse at that commit is shown as its last
good version, as billing keeps it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from reconciler.billing.calendar import Clock
from reconciler.billing.history import tenant_of
from reconciler.billing.records import Broken, TenantRecord
from reconciler.billing.records_at import tenant_records
from reconciler.changes.at_rev import billing_timezone
from reconciler.errors import UserError
from reconciler.gitrepo import Repo, audit_log, first_parent_times, tree_blobs
from reconciler.specs import TENANTS_DIR, tenant_path

SHOW_SCHEMA = "tenantry.show/1"


@dataclass(frozen=True)
class ShownUser:
    user: str
    upn: str
    display_name: str
    skus: tuple[str, ...]


@dataclass(frozen=True)
class ShownTenant:
    tenant: str
    name: str
    reseller: str | None
    users: tuple[ShownUser, ...]
    # Set when the file at the moment did not parse: the commit of the version shown.
    kept_from: str | None = None

    @property
    def seats(self) -> int:
        return sum(len(u.skus) for u in self.users)


@dataclass(frozen=True)
class Snapshot:
    commit: str  # the commit whose state is shown
    effective: int  # when that state took effect (seconds since the epoch, clamped)
    at: int | None  # the instant asked for (--at), or None for a revision
    asked: str  # the moment as the user wrote it (a date, an instant or a revision)
    timezone: str  # billing.timezone at the tip: how days and instants are read and shown
    tenants: tuple[ShownTenant, ...]
    warnings: tuple[str, ...] = ()

    def local(self, instant: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(instant, ZoneInfo(self.timezone))


def run_show(repo: Repo, specs_rel: str, *, tenant: str | None = None,
             user: str | None = None, at: str | None = None, rev: str | None = None,
             cache_dir: Path | None = None) -> Snapshot:
    if at is not None and rev is not None:
        raise UserError("give --at DATE or --rev REV, not both")
    tip = repo.resolve(rev or "HEAD")
    zone = billing_timezone(repo, tip, specs_rel)
    cutoff = _cutoff(at, zone) if at is not None else None
    # Which commit was in effect needs only commit times (no diffs); what it held needs only
    # its tree. A warm show of 1,000 tenants therefore reads one cheap log, one tree
    # listing and 1,000 cached records.
    sha, effective = _pick(first_parent_times(repo, tip), cutoff, at)
    paths = [tenant_path(tenant)] if tenant else [TENANTS_DIR]
    blobs = {tid: blob for path, blob in tree_blobs(repo, sha, specs_rel, paths).items()
             if (tid := tenant_of(path)) is not None}
    if tenant is not None and tenant not in blobs:
        raise UserError(f"tenant {tenant!r} had no file in {specs_rel}/{TENANTS_DIR} at "
                        f"{_moment(at, rev, sha)}")
    entries = tenant_records(repo, blobs.items(), cache_dir)
    shown: list[ShownTenant] = []
    warnings: list[str] = []
    for tid, blob in sorted(blobs.items()):
        entry = entries[blob]
        kept_from = None
        if isinstance(entry, Broken):
            found = _last_good(repo, sha, tid, specs_rel, cache_dir)
            where = f"{specs_rel}/{tenant_path(tid)} does not parse at {sha[:12]}"
            if found is None:
                warnings.append(f"{where} and never did before ({entry.message}); not shown")
                continue
            kept_from, record = found
            warnings.append(f"{where} ({entry.message}); shown as of {kept_from[:12]}, its "
                            "last good version, as billing keeps it")
        else:
            record = entry
        shown.append(_tenant(tid, record, user, kept_from))
    if user is not None and not any(t.users for t in shown):
        raise UserError(f"user {tenant}/{user} did not exist at {_moment(at, rev, sha)}")
    return Snapshot(sha, effective, cutoff, at or rev or "HEAD", zone, tuple(shown),
                    tuple(warnings))


def _tenant(tid: str, record: TenantRecord, user: str | None,
            kept_from: str | None) -> ShownTenant:
    users = tuple(ShownUser(u.uid, u.upn, u.display_name, u.skus)
                  for u in sorted(record.users) if user in (None, u.uid))
    return ShownTenant(tid, record.name, record.reseller, users, kept_from)


def _pick(commits: list[tuple[str, int]], cutoff: int | None,
          at: str | None) -> tuple[str, int]:
    """The commit in effect at ``cutoff`` (the last one not after it) and its effective time:
    committer time clamped to never precede the commit before it (SPEC §6.2, as
    ``billing.history`` clamps)."""
    if not commits:
        raise UserError("the revision has no commits")
    clock: int | None = None
    chosen: tuple[str, int] | None = None
    for sha, committed in commits:
        clock = committed if clock is None else max(clock, committed)
        if cutoff is not None and clock > cutoff:
            break
        chosen = (sha, clock)
    if chosen is None:
        first = dt.datetime.fromtimestamp(commits[0][1], dt.UTC)
        raise UserError(f"--at {at}: nothing was committed by then; the first commit is "
                        f"from {first:%Y-%m-%d %H:%M} UTC")
    return chosen


def _cutoff(at: str, zone: str) -> int:
    """The last instant that counts: the end of a day, or an instant (naive: billing zone)."""
    tz = ZoneInfo(zone)
    try:
        day = dt.date.fromisoformat(at)
    except ValueError:
        day = None
    if day is not None and len(at) == 10:
        # The day's last state (the end of the day), as bill reports name it.
        return Clock(zone).midnight(day + dt.timedelta(days=1)) - 1
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        raise UserError(f"--at {at!r}: use a date (2026-10-03) or a date and time "
                        "(2026-10-03T09:30, 2026-10-03T09:30+13:00)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return int(when.timestamp())


def _last_good(repo: Repo, sha: str, tid: str, specs_rel: str,
               cache_dir: Path | None) -> tuple[str, TenantRecord] | None:
    """The newest version of the tenant's file before ``sha`` that parses (rare: one
    path-limited log, then a record per version, newest first)."""
    versions = [(c.sha, change.new) for c in audit_log(repo, [sha], [tenant_path(tid)],
                                                       specs_rel)
                for change in c.changes]
    for commit, blob in reversed(versions):
        if not blob:
            return None  # the file did not exist before this version
        entry = tenant_records(repo, [(tid, blob)], cache_dir)[blob]
        if isinstance(entry, TenantRecord):
            return commit, entry
    return None


def _moment(at: str | None, rev: str | None, sha: str) -> str:
    return f"--at {at}" if at else f"{rev or 'HEAD'} ({sha[:12]})"
