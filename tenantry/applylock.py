"""One apply at a time per directory: an exclusive lock file in the state folder.

``.tenantry/locks/<directory>.lock`` is locked with ``flock`` for as long as an apply plans
and changes that directory, so two pipelines (or a person and a pipeline) on the same
machine never interleave their changes. The kernel drops the lock when the process ends,
however it ends: there are no stale locks to clean up. The file says who holds it, for the
message the second apply prints. Runners on different machines do not share this folder:
serialise them with the CI system's concurrency groups (docs/gitops.md).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

from reconciler.errors import UserError

LOCKS = ".tenantry/locks"
POLL_SECONDS = 0.2


@contextmanager
def locked(root: Path, directories: Iterable[str], *, wait: float = 0,
           command: str = "apply") -> Iterator[None]:
    """Hold the lock of every directory (in name order, so two applies cannot deadlock)."""
    with ExitStack() as stack:
        for name in sorted(set(directories)):
            stack.enter_context(_one(root / LOCKS / f"{name}.lock", name, wait, command))
        yield


@contextmanager
def _one(path: Path, name: str, wait: float, command: str) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Opened without truncating: the holder's details stay readable until we own it.
        handle = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot create the apply lock {str(path)!r}: "
                        f"{exc.strerror or exc}") from None
    try:
        _acquire(handle, path, name, wait)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "command": command,
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}) + "\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing the file releases the lock


def _acquire(handle: IO[str], path: Path, name: str, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise UserError(_held(path, name, wait)) from None
            time.sleep(POLL_SECONDS)


def _held(path: Path, name: str, wait: float) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
        who = (f" (pid {holder['pid']} on {holder['host']}, {holder['command']} since "
               f"{holder['since']})")
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        who = ""
    waited = f" after waiting {wait:g} s" if wait else ""
    return (f"directory {name!r} is locked by another apply{who}{waited}; it is released "
            f"when that run ends. Run again then, or pass --lock-timeout SECONDS to wait "
            f"(lock file: {path})")
