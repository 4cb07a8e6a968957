"""Who held which seat, when: seat intervals and name history from first-parent commits.

Pure: it consumes ``LogCommit``s and a lookup of parsed tenant records by blob id. A commit's
state takes effect at its committer time, clamped to never precede the commit before it
(SPEC §6.2), so out-of-order committer dates cannot make time run backwards.

A ``Walk`` can stop after any commit and go on later from where it stopped (``snapshot``
saves one between runs), giving exactly the history a walk from the first commit gives.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Callable, Iterable

from reconciler.billing.records import Broken, TenantRecord, UserRecord
from reconciler.gitrepo import LogCommit
from reconciler.specs import TENANT_SUFFIX, TENANTS_DIR

SeatKey = tuple[str, str, str]  # tenant, user, SKU


@dataclass(frozen=True)
class Stamp:
    """A commit as billing sees it: when it took effect, and who made it."""

    sha: str
    at: int  # effective time, seconds since the epoch
    author: str


@dataclass(slots=True)
class Interval:
    """One continuous holding of a seat: from ``start`` until ``end`` (exclusive; None=open)."""

    key: SeatKey
    start: int
    added: Stamp
    end: int | None = None
    removed: Stamp | None = None


@dataclass
class History:
    intervals: list[Interval] = field(default_factory=list)
    # (tenant, user) -> [(effective time, upn, display name)], appended when they change
    user_names: dict[tuple[str, str], list[tuple[int, str, str]]] = field(default_factory=dict)
    tenant_names: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    # The last good record of every tenant that ever existed (terms for deleted tenants).
    last_record: dict[str, TenantRecord] = field(default_factory=dict)
    # Tenants whose file exists at the last commit.
    present: set[str] = field(default_factory=set)
    # (stamp, path, message) for tenant files that did not parse or validate
    broken: list[tuple[Stamp, str, str]] = field(default_factory=list)
    stamps: dict[str, Stamp] = field(default_factory=dict)  # sha -> stamp
    tree: dict[str, str] = field(default_factory=dict)  # spec path -> blob at the last commit
    _seats: SeatIndex | None = None

    def by_seat(self) -> list[tuple[SeatKey, list[Interval]]]:
        """Each seat with its intervals, oldest first; seats sorted by tenant, user, SKU."""
        if self._seats is None:
            self._seats = SeatIndex()
        return self._seats.update(self.intervals)

    def grouped_in_order(self) -> None:
        """Note that ``intervals`` are already in ``by_seat`` order (a loaded snapshot)."""
        self._seats = SeatIndex.of_ordered(self.intervals)


class SeatIndex:
    """Intervals grouped by seat, seats in key order, brought up to date as intervals are
    added (intervals are only ever added; closing one changes the object listed here too).

    A snapshot stores intervals in this order, so a loaded history is grouped without
    sorting ~200,000 seats, and a new commit's few intervals are filed in place.
    """

    def __init__(self) -> None:
        self.count = 0  # intervals filed so far
        self.seats: list[tuple[SeatKey, list[Interval]]] = []
        self._groups: dict[SeatKey, list[Interval]] | None = None

    @classmethod
    def of_ordered(cls, intervals: list[Interval]) -> SeatIndex:
        index = cls()
        # ~200,000 intervals on a large history: locals only in the loop (itertools.groupby
        # measured slower here, its groups being objects of their own).
        seats = index.seats
        group: list[Interval] = []
        last: SeatKey | None = None
        for interval in intervals:
            key = interval.key
            if key == last:
                group.append(interval)
            else:
                group = [interval]
                seats.append((key, group))
                last = key
        index.count = len(intervals)
        return index

    def update(self, intervals: list[Interval]) -> list[tuple[SeatKey, list[Interval]]]:
        if self.count == len(intervals):
            return self.seats
        if self.count == 0:
            grouped: dict[SeatKey, list[Interval]] = {}
            for interval in intervals:
                grouped.setdefault(interval.key, []).append(interval)
            self.seats, self._groups = sorted(grouped.items()), grouped
        else:
            if self._groups is None:
                self._groups = dict(self.seats)
            for interval in intervals[self.count:]:
                group = self._groups.get(interval.key)
                if group is not None:
                    group.append(interval)
                else:  # a new seat: (key, list) pairs never tie, keys being unique
                    group = self._groups[interval.key] = [interval]
                    bisect.insort(self.seats, (interval.key, group))
        self.count = len(intervals)
        return self.seats


Lookup = Callable[[str], TenantRecord | Broken]


def tenant_of(path: str) -> str | None:
    if path.startswith(TENANTS_DIR) and path.endswith(TENANT_SUFFIX):
        name = path[len(TENANTS_DIR):-len(TENANT_SUFFIX)]
        return name if "/" not in name else None
    return None


@dataclass
class Walk:
    """A history and what walking on needs: each tenant's users, the open seats, the clock."""

    history: History = field(default_factory=History)
    _state: dict[str, dict[str, UserRecord]] | Callable[[], dict[str, dict[str, UserRecord]]] \
        = field(default_factory=dict)  # tenant -> users, or what builds them when needed
    clock: int | None = None  # effective time of the last commit walked
    last: str | None = None  # that commit's sha
    _open: dict[SeatKey, Interval] | None = None

    @property
    def state(self) -> dict[str, dict[str, UserRecord]]:
        """Each present tenant's users after the last commit."""
        if callable(self._state):
            self._state = self._state()  # (a loaded snapshot builds them only to walk on)
        return self._state

    def open_seats(self) -> dict[SeatKey, Interval]:
        """Seats held after the last commit (each seat has at most one open interval)."""
        if self._open is None:
            self._open = {i.key: i for i in self.history.intervals if i.end is None}
        return self._open

    def feed(self, commits: Iterable[LogCommit], lookup: Lookup) -> int:
        """Walk on through ``commits`` (the first-parent commits after ``last``, oldest
        first); returns how many there were."""
        history = self.history
        count = 0
        for commit in commits:
            if count == 0:  # (not built for a walk with nothing to walk)
                state, seats = self.state, self.open_seats()
            count += 1
            self.clock = commit.committed if self.clock is None \
                else max(self.clock, commit.committed)
            self.last = commit.sha
            stamp = Stamp(commit.sha, self.clock, commit.author)
            history.stamps[commit.sha] = stamp
            for path, blob in commit.changes:
                if blob:
                    history.tree[path] = blob
                else:
                    history.tree.pop(path, None)
                tenant = tenant_of(path)
                if tenant is None:
                    continue
                if not blob:
                    history.present.discard(tenant)
                    _apply(history, seats, state, tenant, {}, stamp)
                    state.pop(tenant, None)
                    continue
                history.present.add(tenant)
                record = lookup(blob)
                if isinstance(record, Broken):
                    history.broken.append((stamp, path, record.message))
                    continue
                history.last_record[tenant] = record
                names = history.tenant_names.setdefault(tenant, [])
                if not names or names[-1][1] != record.name:
                    names.append((stamp.at, record.name))
                _apply(history, seats, state, tenant, {u.uid: u for u in record.users}, stamp)
        return count


def build(commits: Iterable[LogCommit], lookup: Lookup) -> History:
    walk = Walk()
    walk.feed(commits, lookup)
    return walk.history


def _apply(history: History, open_seats: dict[SeatKey, Interval],
           state: dict[str, dict[str, UserRecord]], tenant: str,
           new: dict[str, UserRecord], stamp: Stamp) -> None:
    old = state.get(tenant, {})
    if old == new:
        return
    for uid in old.keys() | new.keys():
        before, after = old.get(uid), new.get(uid)
        if before == after:
            continue
        had = set(before.skus) if before else set()
        has = set(after.skus) if after else set()
        for sku in had - has:
            interval = open_seats.pop((tenant, uid, sku))
            interval.end, interval.removed = stamp.at, stamp
        for sku in has - had:
            interval = Interval((tenant, uid, sku), stamp.at, stamp)
            open_seats[interval.key] = interval
            history.intervals.append(interval)
        if after is not None and (before is None or (before.upn, before.display_name)
                                  != (after.upn, after.display_name)):
            history.user_names.setdefault((tenant, uid), []).append(
                (stamp.at, after.upn, after.display_name))
    state[tenant] = new
