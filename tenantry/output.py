"""Writing to the terminal and to files; every file write is atomic.

Paths people give (``--output``, ``--out``, ``--split``, ``schema DIR``...) are checked
before any work is done and again when written: a folder, a missing parent, a special
file, a read-only or unwritable place is one ``error:`` line, never a traceback, and
tenantry never creates a missing parent folder (a typo must not grow a new tree).
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from reconciler import atomicfile
from reconciler.errors import UserError


def out(text: str = "") -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def out_bytes(data: bytes) -> None:
    """Text already encoded as UTF-8 (a large JSON report) to stdout, as it is."""
    sys.stdout.flush()  # after whatever was printed before it
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # stdout replaced by a text stream (an embedding program, a test)
        sys.stdout.write(data.decode())
        sys.stdout.flush()
        return
    buffer.write(data)
    buffer.flush()


def err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


def check_output(path: Path | str, option: str, base: Path | None = None) -> Path:
    """The absolute file path ``path`` names, or a UserError saying why it cannot be one.

    ``option`` names where the path came from (``--output``) for the message.
    """
    raw = str(path)
    shown = f"{option} {raw!r}"
    if not raw.strip():
        raise UserError(f"{option}: give a file name")
    if raw.endswith(("/", os.sep)) or Path(raw).name in ("", ".", ".."):
        raise UserError(f"{shown} names a folder; give a file name")
    target = Path(os.path.abspath((base or Path.cwd()) / raw))
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UserError(f"{shown}: {_reason(exc)}") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{shown} is a folder; give a file name inside it, e.g. "
                            f"{os.path.join(raw, 'report')}")
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{shown} is not a regular file; give a file name")
        if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise UserError(f"{shown} is read-only; make it writable or give another name")
    _check_folder(target.parent, shown)
    return target


def check_folder(path: Path | str, option: str, base: Path | None = None, *,
                 create: bool = True) -> Path:
    """The absolute folder ``path`` names, created if missing (its parent never is)."""
    raw = str(path)
    shown = f"{option} {raw!r}"
    if not raw.strip():
        raise UserError(f"{option}: give a folder name")
    folder = Path(os.path.abspath((base or Path.cwd()) / raw))
    if folder.exists() or folder.is_symlink():
        if not folder.is_dir():
            raise UserError(f"{shown} is not a folder")
        _check_folder(folder, shown, itself=True)
        return folder
    _check_folder(folder.parent, shown)
    if create:
        try:
            folder.mkdir()
        except OSError as exc:
            raise UserError(f"{shown}: cannot create the folder: {_reason(exc)}") from None
    return folder


def _check_folder(folder: Path, shown: str, *, itself: bool = False) -> None:
    where = "" if itself else f": the folder {str(folder)!r}"
    if not folder.exists():
        raise UserError(f"{shown}{where} does not exist; create it first (tenantry does not "
                        "create missing folders)")
    if not folder.is_dir():
        raise UserError(f"{shown}: {str(folder)!r} is not a folder")
    try:
        readonly = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        readonly = False
    if readonly:
        raise UserError(f"{shown}{where} is on a read-only file system")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{shown}{where} is not writable (permission denied)")
    # The only sure test (root passes access(); /proc and /sys refuse new files): make a
    # file there, before any work is done, and remove it.
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".tenantry-probe-", suffix=".tmp")
    except OSError as exc:
        raise UserError(f"{shown}{where} takes no new files: {_reason(exc)}") from None
    os.close(fd)
    os.unlink(probe)


def write_atomic(path: Path, data: str | bytes | Iterable[str], option: str = "output") -> None:
    """Write a file people rely on (reports, plans, schemas): atomic and fsynced. ``data``
    may come in pieces (a large plan), written as they come.

    The path must have passed :func:`check_output`; what can still go wrong (a full disk,
    a file system that takes no new files) is one line, not a traceback.
    """
    target = check_output(path, option)
    try:
        atomicfile.write_atomic(target, data.encode() if isinstance(data, str) else data
                                if isinstance(data, bytes) else (piece.encode() for piece in data))
    except OSError as exc:
        raise UserError(f"{option} {str(path)!r}: cannot write the file: "
                        f"{_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()
