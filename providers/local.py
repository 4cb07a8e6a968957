"""The built-in directory: a SQLite file holding users, attributes, SKUs and markers.

It behaves like a small real directory: objects have opaque ids, UPNs are unique across the
whole file (case-insensitively, as in Entra ID and AD), and it can hold objects tenantry
does not manage (``marker`` NULL), which tenantry must leave alone.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path
from typing import Sequence

from reconciler.errors import DirectoryUnavailable, UserError
from reconciler.planning.directory import ChangeResult, Status, TenantTarget
from reconciler.planning.plan import Action, Change
from reconciler.planning.state import ATTRIBUTES, DirectoryObject, TenantSnapshot, UserState
from reconciler.specs import DirectoryConfig, LocalDirectory

from .registry import Context

DEFAULT_PATH = ".tenantry/directory.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    object_id      TEXT PRIMARY KEY,
    tenant         TEXT NOT NULL,
    marker         TEXT,
    upn            TEXT NOT NULL COLLATE NOCASE UNIQUE,
    display_name   TEXT NOT NULL,
    given_name     TEXT,
    surname        TEXT,
    usage_location TEXT,
    enabled        INTEGER NOT NULL DEFAULT 1,
    created        TEXT NOT NULL,
    modified       TEXT NOT NULL,
    UNIQUE (tenant, marker)
);
CREATE TABLE IF NOT EXISTS user_skus (
    object_id TEXT NOT NULL REFERENCES users(object_id) ON DELETE CASCADE,
    sku       TEXT NOT NULL,
    PRIMARY KEY (object_id, sku)
);
CREATE INDEX IF NOT EXISTS users_by_tenant ON users(tenant);
"""


def open_directory(name: str, config: DirectoryConfig, context: Context) -> LocalSqliteDirectory:
    assert isinstance(config, LocalDirectory)
    return LocalSqliteDirectory(context.root / (config.path or DEFAULT_PATH))


class LocalSqliteDirectory:
    kind = "local"
    attributes = frozenset(ATTRIBUTES)

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    # --- connection ---------------------------------------------------------------------

    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        if self._db is not None:
            return self._db
        if not self.path.exists():
            if not create:
                return None  # no file yet: an empty directory, and plan writes nothing
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            db.execute("PRAGMA foreign_keys = ON")
            db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise DirectoryUnavailable(f"local directory {str(self.path)!r}: {exc}") from None
        self._db = db
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- read ---------------------------------------------------------------------------

    def read_tenant(self, target: TenantTarget) -> TenantSnapshot:
        db = self._connect(create=False)
        if db is None:
            return TenantSnapshot(target.tenant, ())
        try:
            # One read transaction: users and their SKUs come from the same instant.
            db.execute("BEGIN")
            rows = db.execute(
                "SELECT object_id, marker, upn, display_name, given_name, surname, "
                "usage_location, enabled FROM users WHERE tenant = ? ORDER BY object_id",
                (target.tenant,)).fetchall()
            skus: dict[str, set[str]] = {}
            for object_id, sku in db.execute(
                    "SELECT s.object_id, s.sku FROM user_skus s JOIN users u "
                    "USING (object_id) WHERE u.tenant = ?", (target.tenant,)):
                skus.setdefault(object_id, set()).add(sku)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise DirectoryUnavailable(f"local directory {str(self.path)!r}: {exc}") from None
        objects = tuple(
            DirectoryObject(oid, marker, UserState(
                upn=upn, display_name=name, given_name=given, surname=sur,
                usage_location=loc, enabled=bool(enabled),
                skus=frozenset(skus.get(oid, ()))))
            for oid, marker, upn, name, given, sur, loc, enabled in rows)
        return TenantSnapshot(target.tenant, objects)

    # --- write --------------------------------------------------------------------------

    def apply(self, target: TenantTarget, changes: Sequence[Change]) -> list[ChangeResult]:
        db = self._connect(create=True)
        assert db is not None
        created: dict[str, str] = {}  # change id of a create -> new object id
        failed: set[str] = set()
        results: list[ChangeResult] = []
        for change in changes:
            if change.depends_on is not None and change.depends_on in failed:
                failed.add(change.id)
                results.append(ChangeResult(change.id, Status.SKIPPED,
                                            f"needs {change.depends_on}, which failed"))
                continue
            try:
                db.execute("BEGIN IMMEDIATE")
                self._one(db, target, change, created)
                db.execute("COMMIT")
                results.append(ChangeResult(change.id, Status.APPLIED))
            except (sqlite3.Error, UserError) as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                failed.add(change.id)
                results.append(ChangeResult(change.id, Status.FAILED, _explain(exc)))
        return results

    def _one(self, db: sqlite3.Connection, target: TenantTarget, change: Change,
             created: dict[str, str]) -> None:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        oid = change.object_id or created.get(change.depends_on or "")
        if change.action is Action.CREATE:
            after = change.after or {}
            oid = str(uuid.uuid4())
            db.execute(
                "INSERT INTO users (object_id, tenant, marker, upn, display_name, given_name, "
                "surname, usage_location, enabled, created, modified) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (oid, target.tenant, change.user, after["upn"], after["display_name"],
                 after.get("given_name"), after.get("surname"), after.get("usage_location"),
                 int(bool(after.get("enabled", True))), now, now))
            created[change.id] = oid
            return
        if oid is None:
            raise UserError(f"{change.id}: no directory object to change")
        if change.action is Action.ADOPT:
            # Only an object that is still unmarked, in this tenant, with the planned UPN.
            updated = db.execute(
                "UPDATE users SET marker = ?, modified = ? WHERE object_id = ? AND tenant = ? "
                "AND marker IS NULL AND upn = ?",
                (change.user, now, oid, target.tenant, change.upn)).rowcount
            if updated != 1:
                raise UserError(f"object {oid} is no longer an unmarked user with UPN "
                                f"{change.upn!r}; left untouched")
            return
        self._check_owned(db, target, change, oid)
        if change.action is Action.UPDATE:
            after = change.after or {}
            columns = [name for name in after if name in ATTRIBUTES]
            sets = ", ".join(f"{name} = ?" for name in columns)
            db.execute(f"UPDATE users SET {sets}, modified = ? WHERE object_id = ?",
                       (*[after[name] for name in columns], now, oid))
        elif change.action in (Action.ENABLE, Action.DISABLE):
            db.execute("UPDATE users SET enabled = ?, modified = ? WHERE object_id = ?",
                       (int(change.action is Action.ENABLE), now, oid))
        elif change.action is Action.DELETE:
            db.execute("DELETE FROM users WHERE object_id = ?", (oid,))
        elif change.action is Action.ASSIGN:
            db.execute("INSERT OR IGNORE INTO user_skus (object_id, sku) VALUES (?, ?)",
                       (oid, target.assign.get(change.sku or "", change.sku)))
        elif change.action is Action.REMOVE:
            db.execute("DELETE FROM user_skus WHERE object_id = ? AND sku = ?",
                       (oid, target.assign.get(change.sku or "", change.sku)))

    @staticmethod
    def _check_owned(db: sqlite3.Connection, target: TenantTarget, change: Change,
                     oid: str) -> None:
        # Re-check ownership at write time: the object may have changed hands since the plan.
        row = db.execute("SELECT tenant, marker FROM users WHERE object_id = ?",
                         (oid,)).fetchone()
        if row is None:
            raise UserError(f"object {oid} no longer exists")
        if tuple(row) != (target.tenant, change.user):
            raise UserError(f"object {oid} is not tenantry's user {target.tenant}/{change.user}; "
                            "left untouched")

    # --- for tests, demos and imports: objects tenantry does not own -------------------

    def add_unmanaged(self, tenant: str, upn: str, display_name: str,
                      skus: Sequence[str] = ()) -> str:
        db = self._connect(create=True)
        assert db is not None
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        oid = str(uuid.uuid4())
        with db:
            db.execute("BEGIN")
            db.execute("INSERT INTO users (object_id, tenant, marker, upn, display_name, "
                       "enabled, created, modified) VALUES (?,?,NULL,?,?,1,?,?)",
                       (oid, tenant, upn, display_name, now, now))
            db.executemany("INSERT INTO user_skus VALUES (?, ?)", [(oid, s) for s in skus])
        return oid


def _explain(exc: Exception) -> str:
    text = str(exc)
    if "UNIQUE constraint failed: users.upn" in text:
        return "the UPN is already taken by another directory object"
    return text
