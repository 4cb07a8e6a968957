"""Initial passwords for new accounts, and the only place they are ever written.

Real directories will not enable an account without a password (AD refuses
``userAccountControl=512`` without one; Graph requires a ``passwordProfile``). tenantry
generates a strong random one, asks the directory to force a change at first sign-in, and
writes it to one file, created mode 0600 and git-ignored (``.tenantry/``): never to stdout,
logs, plans or git notes. The service desk hands it to the user and deletes the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import secrets
import string
import threading
from pathlib import Path
from typing import Sequence

from reconciler.errors import UserError

DEFAULT_PATH = ".tenantry/new-passwords.csv"
HEADER = ("created", "directory", "tenant", "user", "upn", "password")

# No look-alikes (0/O, 1/l/I) in what a person has to type once.
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "!#%+-=?@^_"
_ALL = _LOWER + _UPPER + _DIGITS + _SYMBOLS


def generate_password(length: int = 20) -> str:
    """A random password meeting AD's and Entra's complexity rules (all four classes).

    20 characters over 66 symbols is ~120 bits; ``secrets`` draws from the OS CSPRNG.
    """
    if length < 12:
        raise ValueError("initial passwords are at least 12 characters")
    while True:
        chars = [secrets.choice(_ALL) for _ in range(length)]
        if all(any(c in group for c in chars) for group in (_LOWER, _UPPER, _DIGITS, _SYMBOLS)) \
                and not set(string.whitespace) & set(chars):
            return "".join(chars)


class NewPasswords:
    """Appends one CSV row per created account to a 0600 file (thread-safe).

    The file is opened lazily, so a run that creates no account leaves no file. A file that
    exists with wider permissions is refused rather than written to.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.written = 0

    def record(self, *, directory: str, tenant: str, user: str, upn: str, password: str) -> None:
        self.record_many(directory=directory, tenant=tenant, accounts=[(user, upn, password)])

    def record_many(self, *, directory: str, tenant: str,
                    accounts: Sequence[tuple[str, str, str]]) -> None:
        """``record`` for several accounts (user, upn, password) of one tenant at once: one
        write and one fsync, where a row each costs milliseconds (100,000 creates: minutes)."""
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for user, upn, password in accounts:
            writer.writerow((now, directory, tenant, user, upn, password))
        if not accounts:
            return
        with self._lock:
            fd = self._open()
            try:
                os.write(fd, buffer.getvalue().encode())
                os.fsync(fd)  # the only copy of a password must not sit in a page cache
            finally:
                os.close(fd)
            self.written += len(accounts)

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise UserError(f"cannot write new passwords to {str(self.path)!r}: "
                            f"{exc.strerror}") from None
        mode = os.fstat(fd).st_mode & 0o777
        if mode & 0o077:
            os.close(fd)
            raise UserError(f"{str(self.path)!r} is readable by others (mode {mode:o}); "
                            f"run 'chmod 600 {self.path}' and apply again")
        if fresh:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow(HEADER)
            os.write(fd, buffer.getvalue().encode())
        return fd
