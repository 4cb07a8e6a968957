"""Writing to the terminal and to files; every file write is atomic."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable

from reconciler import atomicfile


def out(text: str = "") -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


def write_atomic(path: Path, data: str | bytes | Iterable[str]) -> None:
    """Write a file people rely on (reports, plans, schemas): atomic and fsynced. ``data``
    may come in pieces (a large plan), written as they come."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomicfile.write_atomic(path, data.encode() if isinstance(data, str) else data
                            if isinstance(data, bytes) else (piece.encode() for piece in data))
