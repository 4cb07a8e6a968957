"""API tokens: created once, stored only as a hash in a private SQLite file outside git.

A token reads ``tnt_<id>_<secret>``: the prefix makes a leaked token recognisable to secret
scanners, ``id`` (public, shown by ``token list``) finds its row, and ``secret`` carries 256
bits from the OS CSPRNG. Only SHA-256 of the whole token is stored: for a random 256-bit
secret a slow password hash adds nothing, and a fast one keeps every request cheap. Hashes
are compared with ``hmac.compare_digest``; an unknown id is compared against a dummy hash so
both paths cost the same.

The file (default ``.tenantry/tokens.sqlite``) is created mode 0600 and refused when others
can read it. Every check reads the row afresh, so a revocation holds from the next request.
``last_used`` is written at most once a minute per token, and never fails a request.

This is the one module outside ``providers/`` that imports ``sqlite3`` (see docs/design.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import UserError
from server.scope import Scope

DEFAULT_PATH = ".tenantry/tokens.sqlite"
PREFIX = "tnt_"
SECRET_BYTES = 32
LAST_USED_EVERY = dt.timedelta(minutes=1)
_TOKEN = re.compile(r"tnt_([a-z0-9]{12})_([A-Za-z0-9_-]{43})")
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_DUMMY = hashlib.sha256(b"tenantry: no such token").digest()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
  id        TEXT PRIMARY KEY,
  name      TEXT NOT NULL,
  scope     TEXT NOT NULL,
  hash      BLOB NOT NULL,
  created   TEXT NOT NULL,
  expires   TEXT,
  last_used TEXT,
  revoked   TEXT
)
"""


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    scope: Scope
    created: dt.datetime
    expires: dt.datetime | None
    last_used: dt.datetime | None
    revoked: dt.datetime | None

    def status(self, now: dt.datetime) -> str:
        if self.revoked is not None:
            return "revoked"
        if self.expires is not None and now >= self.expires:
            return "expired"
        return "active"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._last_written: dict[str, dt.datetime] = {}

    # --- administration (the CLI) ---------------------------------------------------------

    def create(self, name: str, scope: Scope, expires: dt.datetime | None,
               now: dt.datetime | None = None) -> tuple[TokenInfo, str]:
        """A new token: its record, and the token itself (shown once, never stored)."""
        if not name.strip() or len(name) > 200 or any(ord(c) < 32 for c in name):
            raise UserError("--name: give a short, printable name, e.g. the customer's")
        now = now or utcnow()
        if expires is not None and expires <= now:
            raise UserError(f"--expires {expires.isoformat()}: that is already past")
        ident = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        token = f"{PREFIX}{ident}_{secrets.token_urlsafe(SECRET_BYTES)}"
        with self._connect(create=True) as db:
            db.execute("INSERT INTO tokens (id, name, scope, hash, created, expires) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (ident, name, str(scope), _hash(token), _iso(now), _iso(expires)))
        return TokenInfo(ident, name, scope, now, expires, None, None), token

    def list(self) -> list[TokenInfo]:
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute("SELECT id, name, scope, created, expires, last_used, revoked "
                              "FROM tokens ORDER BY created, id").fetchall()
        return [_info(row) for row in rows]

    def revoke(self, ident: str, now: dt.datetime | None = None) -> TokenInfo:
        if not self.path.exists():
            raise UserError(f"no token {ident!r}: {self.path} holds no tokens yet")
        with self._connect() as db:
            found = db.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                               (_iso(now or utcnow()), ident)).rowcount
            row = db.execute("SELECT id, name, scope, created, expires, last_used, revoked "
                             "FROM tokens WHERE id = ?", (ident,)).fetchone()
        if row is None:
            raise UserError(f"no token {ident!r}; 'tenantry token list' shows the ids")
        if not found:
            raise UserError(f"token {ident!r} was already revoked")
        return _info(row)

    # --- checking (the server) ------------------------------------------------------------

    def check(self, token: str, now: dt.datetime | None = None) -> TokenInfo | None:
        """The token's record if it is valid now (known, not revoked, not expired)."""
        match = _TOKEN.fullmatch(token)
        ident = match[1] if match else ""
        db = self._thread_db()
        row = db.execute("SELECT id, name, scope, created, expires, last_used, revoked, hash "
                         "FROM tokens WHERE id = ?", (ident,)).fetchone() if match else None
        stored = bytes(row[7]) if row is not None else _DUMMY
        if not hmac.compare_digest(stored, _hash(token)) or row is None:
            return None
        info = _info(row[:7])
        now = now or utcnow()
        if info.status(now) != "active":
            return None
        self._touch(db, info.id, now)
        return info

    def require_file(self) -> None:
        """Refuse to serve without a token file, or with one others can read."""
        if not self.path.exists():
            raise UserError(f"no tokens yet ({self.path}); create one with "
                            "'tenantry token create --name NAME'")
        self._check_mode()

    def _touch(self, db: sqlite3.Connection, ident: str, now: dt.datetime) -> None:
        with self._lock:
            last = self._last_written.get(ident)
            if last is not None and now - last < LAST_USED_EVERY:
                return
            self._last_written[ident] = now
        try:
            db.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (_iso(now), ident))
        except sqlite3.Error:
            pass  # a busy file costs the "last used" column a minute, never a request

    # --- the file -------------------------------------------------------------------------

    def _thread_db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self._check_mode()
            db = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=2,
                                 isolation_level=None, check_same_thread=True)
            self._local.db = db
        return db

    def _connect(self, create: bool = False) -> _Connection:
        if create and not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        elif not self.path.exists():
            raise UserError(f"no tokens yet ({self.path})")
        self._check_mode()
        return _Connection(self.path)

    def _check_mode(self) -> None:
        mode = self.path.stat().st_mode & 0o777
        if mode & 0o077:
            raise UserError(f"{str(self.path)!r} is readable by others (mode {mode:o}); "
                            f"run 'chmod 600 {self.path}'")


class _Connection:
    """One transaction on the token file, committed on success."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, timeout=10)

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute(_SCHEMA)
        return self._db

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self._db.commit()
        self._db.close()


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.astimezone(dt.UTC).isoformat()


def _when(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _info(row: tuple[object, ...]) -> TokenInfo:
    ident, name, scope, created, expires, last_used, revoked = row
    created_at = _when(str(created))
    assert created_at is not None
    return TokenInfo(str(ident), str(name), Scope.parse(str(scope)), created_at,
                     _when(_opt(expires)), _when(_opt(last_used)), _when(_opt(revoked)))


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def parse_expiry(text: str | None) -> dt.datetime | None:
    """``--expires``: a date (valid through that day, UTC) or an ISO date-time."""
    if text is None:
        return None
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(),
                                       dt.UTC)
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--expires {text!r}: use a date like 2027-06-30 (valid through "
                        "that day, UTC) or a date-time like 2027-06-30T17:00:00+12:00") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
