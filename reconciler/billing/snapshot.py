"""The seat history at a commit, saved between runs, so no run walks the whole log twice.

A ``Walk`` stopped at commit C is a pure function of C's first-parent history, the specs
folder and the code that parses and walks it. So it is saved under
``.tenantry/cache/history/<version>/<C>-<folder>.snap`` and a later run at C, or at any
commit whose first-parent history passes through C, starts from it: it walks only the
commits after C (none for a new span at C; one for a new commit on top of C).

Each file holds a header with a sha256 of its body, which is checked before the body is
decoded; a snapshot that is truncated, corrupt or of another version is ignored (the walk
starts from the first commit instead) and replaced. Files are written by temp file +
rename; only the newest ``KEEP`` are kept. The body is ``marshal`` data of plain tuples:
the fastest safe way CPython has to store and load ~200,000 intervals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import shutil
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from reconciler.atomicfile import write_atomic
from reconciler.billing.history import History, Interval, Stamp, Walk
from reconciler.billing.records import TenantRecord, UserRecord
from reconciler.specs import ParseCache

FORMAT = 1
FOLDER = "history"
KEEP = 4  # a 1,000-tenant, 5,000-commit history is ~15 MB per snapshot
_MAGIC = b"tenantry-history"
_SUFFIX = ".snap"
# Modules whose code decides what a walk produces (with the parse cache's versions).
_SOURCES = ("history.py", "records.py", "snapshot.py")


@lru_cache(maxsize=1)
def version() -> str:
    digest = hashlib.sha256(f"{FORMAT}/{ParseCache(None).version}".encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    digest.update((here.parent / "gitrepo.py").read_bytes())
    return digest.hexdigest()[:16]


class Snapshots:
    """Saved walks for one specs folder, by commit."""

    def __init__(self, cache_dir: Path, specs_rel: str) -> None:
        self.folder = cache_dir / FOLDER / version()
        self._tag = "-" + hashlib.sha256(specs_rel.encode()).hexdigest()[:12] + _SUFFIX

    def commits(self) -> set[str]:
        """Commits with a saved walk (not yet checked: ``load`` may still refuse one)."""
        try:
            names = [p.name for p in self.folder.iterdir()]
        except OSError:
            return set()
        return {name[:-len(self._tag)] for name in names if name.endswith(self._tag)}

    def load(self, commit: str) -> Walk | None:
        try:
            raw = (self.folder / f"{commit}{self._tag}").read_bytes()
        except OSError:
            return None
        header, newline, body = raw.partition(b"\n")
        if not newline or header != _MAGIC + b" " + hashlib.sha256(body).hexdigest().encode():
            return None
        try:
            walk = decode(marshal.loads(body))
        except (ValueError, EOFError, TypeError, KeyError, IndexError):
            return None
        return walk if walk.last == commit else None

    def save(self, walk: Walk) -> None:
        if walk.last is None:
            return
        body = marshal.dumps(encode(walk))
        data = _MAGIC + b" " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
        try:
            if not self.folder.is_dir():
                self.folder.mkdir(parents=True)
                for other in self.folder.parent.iterdir():  # other versions: never read again
                    if other != self.folder:
                        shutil.rmtree(other, ignore_errors=True)
            write_atomic(self.folder / f"{walk.last}{self._tag}", data, durable=False)
            saved = sorted(self.folder.glob(f"*{_SUFFIX}"), key=lambda p: p.stat().st_mtime)
            for old in saved[:-KEEP]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # a cache that cannot be written only costs time next run


# --- the walk as plain data ----------------------------------------------------------------

def encode(walk: Walk) -> tuple[Any, ...]:
    h = walk.history
    stamps = list(h.stamps.values())
    index = {stamp.sha: n for n, stamp in enumerate(stamps)}
    state = {}
    for tenant, users in walk.state.items():
        kept = tuple(users.values())
        record = h.last_record.get(tenant)
        # Usually the users of the tenant's last record: stored once.
        state[tenant] = None if record is not None and record.users == kept \
            else [tuple(u) for u in kept]
    return (
        FORMAT, walk.last, walk.clock,
        [(s.sha, s.at, s.author) for s in stamps],
        [(i.key, i.start, index[i.added.sha], i.end,
          None if i.removed is None else index[i.removed.sha])
         for _, intervals in h.by_seat() for i in intervals],
        list(h.user_names.items()),
        h.tenant_names,
        {tenant: _record(r) for tenant, r in h.last_record.items()},
        sorted(h.present),
        [(index[s.sha], path, message) for s, path, message in h.broken],
        h.tree,
        state,
    )


def decode(data: tuple[Any, ...]) -> Walk:
    (fmt, last, clock, raw_stamps, raw_intervals, user_names, tenant_names, records,
     present, broken, tree, state) = data
    if fmt != FORMAT:
        raise ValueError(f"snapshot format {fmt}")
    stamps = [Stamp(sha, at, author) for sha, at, author in raw_stamps]
    last_record = {tenant: _unrecord(r) for tenant, r in records.items()}
    history = History(
        intervals=[Interval(key, start, stamps[added], end,
                            None if removed is None else stamps[removed])
                   for key, start, added, end, removed in raw_intervals],
        user_names=dict(user_names), tenant_names=tenant_names, last_record=last_record,
        present=set(present),
        broken=[(stamps[n], path, message) for n, path, message in broken],
        stamps={stamp.sha: stamp for stamp in stamps}, tree=tree)
    history.grouped_in_order()
    def walk_state() -> dict[str, dict[str, UserRecord]]:
        out = {}
        for tenant, users in state.items():
            kept = last_record[tenant].users if users is None \
                else tuple(map(_user_record, users))
            out[tenant] = {u.uid: u for u in kept}
        return out
    return Walk(history, walk_state, clock, last)


def _record(r: TenantRecord) -> tuple[Any, ...]:
    return (r.name, r.reseller, r.start.toordinal() if r.start else None,
            r.end.toordinal() if r.end else None, r.exclude, [tuple(u) for u in r.users])


# A UserRecord made from a stored tuple in C: NamedTuple's own __new__ is Python code, and a
# snapshot of 1,000 tenants holds 100,000 of them.
_user_record = partial(tuple.__new__, UserRecord)


def _unrecord(raw: tuple[Any, ...]) -> TenantRecord:
    name, reseller, start, end, exclude, users = raw
    return TenantRecord(name, reseller, dt.date.fromordinal(start) if start else None,
                        dt.date.fromordinal(end) if end else None, exclude,
                        tuple(map(_user_record, users)))
