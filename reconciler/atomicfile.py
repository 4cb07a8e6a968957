"""Atomic file writes: readers see the old file or the new one, never a part of either."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Iterable

_NUMBERS = itertools.count()  # temporary names: unique within this process, across threads
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_atomic(path: Path, data: bytes | Iterable[bytes], *, durable: bool = True) -> None:
    """Write ``data`` (or its pieces, in order) via a temporary file in the same folder,
    then rename it into place.

    ``durable`` fsyncs before the rename (reports people rely on); caches skip it, since a
    lost entry only costs a recomputation. The file gets the usual permissions for the
    umask (the mode is given to open(), so no process-wide umask is touched: other threads
    may be creating files). A cold run writes ~8,000 cache entries: this is its hot path.
    """
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{next(_NUMBERS)}.tmp")
        try:
            fd = os.open(tmp, _FLAGS, 0o666)
            break
        except FileExistsError:  # left by a crashed process whose pid was reused
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                handle.writelines(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
